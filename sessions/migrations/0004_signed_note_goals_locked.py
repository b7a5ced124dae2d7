"""The goals a note addressed are part of its signed content: lock them with the note.

The signed-note trigger guards the note's own row; the goals live in the many-to-many table,
so this trigger refuses to add, change or remove a goal link of a note that is signed or
awaiting co-signature.
"""

from __future__ import annotations

from django.db import migrations

FORWARD = """
CREATE FUNCTION ipnb_note_goals_locked() RETURNS trigger AS $$
DECLARE
    note_status text;
BEGIN
    SELECT status INTO note_status FROM therapy_sessions_progressnote
     WHERE id = COALESCE(NEW.progressnote_id, OLD.progressnote_id);
    IF note_status IS NOT NULL AND note_status NOT IN ('DRAFT', 'RETURNED') THEN
        RAISE EXCEPTION 'progress note % is signed: its goals are locked', COALESCE(NEW.progressnote_id, OLD.progressnote_id);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER signed_note_goals_locked
BEFORE INSERT OR UPDATE OR DELETE ON therapy_sessions_progressnote_goals_addressed
FOR EACH ROW EXECUTE FUNCTION ipnb_note_goals_locked();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS signed_note_goals_locked ON therapy_sessions_progressnote_goals_addressed;
DROP FUNCTION IF EXISTS ipnb_note_goals_locked();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("therapy_sessions", "0003_domains_of_integration"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
