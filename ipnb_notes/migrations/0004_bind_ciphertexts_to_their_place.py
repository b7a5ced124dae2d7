"""Every encrypted value becomes a v2 token bound to its place.

v1 tokens were sealed without associated data (second-factor seeds with one constant), so a
token could be copied into another row or column and still decrypt. This migration reads
each v1 token once and writes it again as a v2 token whose associated data names its table,
column and row `code` (for a second factor: its user and kind). After it, v1 tokens are
refused everywhere. It reuses rotate_keys' machinery (compare-and-swap per row, the
append-only triggers of these tables lifted for its own statements only), so it runs as the
tables' owner, like every migration. It cannot be reversed: the code before it cannot read
v2 tokens; restore the pre-migration backup instead.
"""

from django.db import migrations

# The encrypted columns as they are at this migration (label, table, column).
COLUMNS = [
    ("audit.EmergencyAccess.reason", "audit_emergencyaccess", "reason"),
    ("clients.Client.presenting_concerns", "clients_client", "presenting_concerns"),
    ("clients.TreatmentGoal.text", "clients_treatmentgoal", "text"),
    ("disclosures.Authorization.recipient", "disclosures_authorization", "recipient"),
    ("disclosures.Disclosure.recipient", "disclosures_disclosure", "recipient"),
    ("disclosures.Disclosure.description", "disclosures_disclosure", "description"),
    (
        "therapy_sessions.ProgressNote.sections",
        "therapy_sessions_progressnote",
        "sections",
    ),
    (
        "therapy_sessions.ProgressNote.risk_details",
        "therapy_sessions_progressnote",
        "risk_details",
    ),
    ("therapy_sessions.ProgressNote.plan", "therapy_sessions_progressnote", "plan"),
    ("therapy_sessions.Addendum.text", "therapy_sessions_addendum", "text"),
    (
        "therapy_sessions.SupervisionComment.text",
        "therapy_sessions_supervisioncomment",
        "text",
    ),
    (
        "therapy_sessions.PsychotherapyNote.text",
        "therapy_sessions_psychotherapynote",
        "text",
    ),
    (
        "therapy_sessions.NoteRevision.previous_content",
        "therapy_sessions_noterevision",
        "previous_content",
    ),
    (
        "therapy_sessions.NoteRevision.new_content",
        "therapy_sessions_noterevision",
        "new_content",
    ),
    (
        "therapy_sessions.AttunementMoment.note",
        "therapy_sessions_attunementmoment",
        "note",
    ),
    ("therapy_sessions.RuptureEvent.note", "therapy_sessions_ruptureevent", "note"),
    ("therapy_sessions.RepairEvent.note", "therapy_sessions_repairevent", "note"),
    (
        "therapy_sessions.ArousalObservation.note",
        "therapy_sessions_arousalobservation",
        "note",
    ),
    ("therapy_sessions.SessionTag.note", "therapy_sessions_sessiontag", "note"),
]


def bind_to_their_place(apps, schema_editor):
    from sessions.management.commands.rotate_keys import Column, bind_legacy_tokens

    bind_legacy_tokens(
        [Column(label, table, column) for label, table, column in COLUMNS]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ipnb_notes", "0003_sent_notification"),
        ("accounts", "0002_user_can_break_glass"),
        ("audit", "0004_emergency_access"),
        ("clients", "0001_initial"),
        ("disclosures", "0001_initial"),
        ("therapy_sessions", "0005_note_revisions"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [
        migrations.RunPython(bind_to_their_place, elidable=False),
    ]
