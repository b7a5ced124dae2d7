"""Release of records: patient authorizations, disclosures and their accounting (HIPAA 164.508,
164.528)."""
