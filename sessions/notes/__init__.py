"""Sessions and their records: progress notes, signing and co-signature,
addenda, revisions, supervision threads and process notes."""
