"""Services of the clinical record: notes/ (sessions, notes, signing, co-signature, addenda,
comments, process notes) and capture/ (IPNB events, the timeline, integration ratings)."""
