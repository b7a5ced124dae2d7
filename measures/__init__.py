"""Outcome measures: the PHQ-9 and the GAD-7, completed with the clinician or by the client
through a one-time link, scored as their authors publish, with risk alerts and reliable change."""
