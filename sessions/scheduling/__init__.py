"""Scheduling: one session or a recurring series, cancellations with their reason, conflicts,
the clinician's day and week calendar, the practice admin's view of every clinician's week,
and each clinician's private calendar feed."""
