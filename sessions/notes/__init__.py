"""Sessions and their records: scheduling, progress notes, signing and co-signature,
addenda, revisions, supervision threads and process notes."""
