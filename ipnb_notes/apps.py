from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# pgtrigger lets a session lift a trigger by setting `pgtrigger.ignore`, a setting any role may
# change. The triggers that keep signed notes, revisions, disclosures and the audit trail
# unchangeable would then guard nothing against the runtime role. This version of pgtrigger's
# check honours the request only for a role that owns the trigger's table (the migrations
# role, which `manage.py rotate_keys` runs as), so the runtime role cannot lift them (REL-05).
# pgtrigger's migrations re-create the function, so it is replaced after every migrate.
OWNER_ONLY_IGNORE = """
CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    DECLARE
        _setting TEXT;
        _pgtrigger_ignore TEXT[];
    BEGIN
        -- Read without an EXCEPTION block when nothing is lifted (every statement but a
        -- key rotation's): such a block opens a subtransaction on every row it guards.
        _setting := CURRENT_SETTING('pgtrigger.ignore', true);
        IF _setting IS NULL OR _setting IN ('', '{}') THEN
            RETURN FALSE;
        END IF;
        BEGIN
            _pgtrigger_ignore := _setting::TEXT[];
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgtrigger_ignore IS NULL OR NOT (trigger_name = ANY(_pgtrigger_ignore)) THEN
            RETURN FALSE;
        END IF;
        RETURN EXISTS (
            SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE t.tgname = trigger_name AND pg_has_role(current_user, c.relowner, 'MEMBER')
        );
    END;
$$ LANGUAGE plpgsql;
"""


def install_owner_only_ignore(using: str = "default", **kwargs) -> None:
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute(OWNER_ONLY_IGNORE)


class IpnbNotesConfig(AppConfig):
    name = "ipnb_notes"
    verbose_name = "ipnb-notes"

    def ready(self) -> None:
        # Sent once per app after every migration ran; once (for this app) is enough.
        post_migrate.connect(
            install_owner_only_ignore,
            sender=self,
            dispatch_uid="ipnb_notes.owner_only_ignore",
        )
