"""Minimum necessary (AUTHZ-03/04), the append-only guards' integrity (AUD-03 (3)) and what
crosses the broker (AUD-09 (2))."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import mark_recently_authenticated
from tests.security.authz_world import build_world
from tests.security.test_authz_matrix import PERSONAS
from tests.security.test_stored_xss import _pages

pytestmark = pytest.mark.django_db
SENTINEL = "Quokka-Sentinel-9931"


def test_admin_pages_never_show_note_text(personas):
    from sessions.models import ProgressNote, PsychotherapyNote

    world = build_world(*(personas[p] for p in PERSONAS))
    note = ProgressNote.objects.get(pk=world.note.pk)
    # Signed notes are locked in the database; plant the sentinel through a fresh draft.
    from tests.factories import make_note, make_session

    session = make_session(world.client, world.alice)
    make_note(session, sections={"subjective": SENTINEL}, plan=SENTINEL)
    PsychotherapyNote.objects.create(session=session, author=world.alice, text=SENTINEL)
    assert note.pk
    ada = personas["ada"]
    browser = Client()
    browser.force_login(ada)
    mark_recently_authenticated(browser, ada)
    checked = 0
    for url in _pages(world, PERSONAS.index("ada")):
        response = browser.get(url)
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        assert SENTINEL.encode() not in body, url
        checked += 1
    assert checked > 10


def test_no_code_switches_database_triggers_off():
    root = Path(settings.BASE_DIR)
    offenders = [
        str(p.relative_to(root))
        for p in root.glob("*/**/*.py")
        if p.relative_to(root).parts[0] not in {".venv", ".tools", ".data", "tests"}
        and "pgtrigger.ignore" in p.read_text()
    ]
    # The one reviewed exception: key rotation re-encrypts locked rows without changing their
    # content (it compares the plaintext before writing). The audit trail has no encrypted
    # column, so it is never among the triggers it lifts; emergency grants are, and their
    # table refuses UPDATE to the runtime role, so rotation runs as the migration owner.
    # ipnb_notes/apps.py names the setting only to restrict it to the tables' owner.
    assert sorted(offenders) == [
        "ipnb_notes/apps.py",
        "sessions/management/commands/rotate_keys.py",
    ]
    assert "pgtrigger.ignore(" not in (root / "ipnb_notes" / "apps.py").read_text()


def test_key_rotation_never_lifts_the_audit_trails_trigger():
    from audit.models import AuditEvent
    from ipnb_notes.fields import EncryptedJSONField, EncryptedTextField

    assert not [
        f
        for f in AuditEvent._meta.get_fields()
        if isinstance(f, EncryptedTextField | EncryptedJSONField)
    ]


def test_security_tasks_take_ids_only(
    monkeypatch, personas, django_capture_on_commit_callbacks
):
    from celery.app.task import Task

    from accounts.models import User
    from clients import services
    from tests.factories import make_client, make_user

    sent = []
    monkeypatch.setattr(
        Task,
        "apply_async",
        lambda self, args=None, kwargs=None, **kw: sent.append(
            (self.name, args, kwargs)
        ),
    )
    record = make_client(personas["alice"])
    designated = make_user(role=User.Role.THERAPIST, can_break_glass=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.emergency_access_grant(
            user=designated, client=record, reason="A reason long enough to count."
        )
    assert sent
    for _name, args, kwargs in sent:
        for value in [*(args or []), *((kwargs or {}).values())]:
            assert isinstance(value, int), value


def test_a_crash_while_saving_a_note_mails_and_logs_no_note_text(
    client, alice, settings, monkeypatch, caplog
):
    """AUD-09 (1): the error mail to ADMINS and the log record carry no POST text."""
    from django.core import mail
    from django.urls import reverse

    from sessions.notes.views import notes as note_views
    from tests.factories import make_client, make_note, make_session

    settings.ADMINS = ["ops@example.org"]
    settings.DEBUG = False
    session = make_session(make_client(alice), alice)
    make_note(session)

    def explode(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(note_views.services, "note_save", explode)
    client.force_login(alice)
    client.raise_request_exception = False
    response = client.post(
        reverse("sessions:note_autosave", args=[session.code]),
        {"version": "1", "format": "SOAP", "section_subjective": SENTINEL},
        headers={"X-IPNB-Background": "autosave"},
    )
    assert response.status_code == 500
    assert SENTINEL not in response.content.decode()
    assert mail.outbox, "no error mail was sent"
    for message in mail.outbox:
        assert SENTINEL not in message.body
        for alternative, _type in getattr(message, "alternatives", []):
            assert SENTINEL not in alternative
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()
        assert SENTINEL not in str(getattr(record, "request", ""))
