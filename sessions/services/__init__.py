"""Services of the clinical record: notes.py (sessions, notes, signing, co-signature) and
capture.py (IPNB events and integration ratings)."""
