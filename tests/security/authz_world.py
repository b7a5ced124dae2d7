"""A small practice in which every URL of the project has a real object to point at, for the
authorization matrix and the hostile-input tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import Supervision, User
from tests.factories import (
    make_assignment,
    make_client,
    make_goal,
    make_note,
    make_session,
)


@dataclass
class World:
    alice: User
    bob: User
    charlie: User
    ada: User
    client: object
    goal: object
    session: object
    note: object
    revision: object
    event: object
    event_kind: str
    supervision: object
    assignment: object
    indicator: str
    authorization: object = None
    process_note: object = None
    administration: object = None
    measure_link: object = None
    risk_alert: object = None
    thread: object = None
    practice_instrument: object = None
    practice_score: object = None


def build_world(alice, bob, charlie, ada) -> World:
    from disclosures.models import Authorization, Purpose
    from sessions.capture import services as capture
    from sessions.models import IntegrationIndicator, PsychotherapyNote
    from sessions.notes.services import note_save, note_sign

    client = make_client(alice, legal_name="Matrix Client")
    goal = make_goal(client, alice)
    # A session that started ten minutes ago: capture is open, the note can be written.
    session = make_session(
        client, alice, starts_at=timezone.now() - timedelta(minutes=10)
    )
    event, _ = capture.event_create(session=session, tag="match", minute=3, by=alice)
    draft = make_note(session)
    # One save before signing, so the note has a revision in its edit history.
    draft = note_save(note=draft, by=alice, data={"plan": "Matrix plan"}, version=1)
    note = note_sign(note=draft, by=alice)  # awaits Bob's co-signature
    kind = capture.MODEL_KINDS[type(event)]
    other = make_client(alice, legal_name="Other Client")
    dora = User.objects.create_user(
        email="dora@example.org", password=None, full_name="Dora Cotherapist"
    )
    assignment = make_assignment(other, dora)
    indicator = (
        IntegrationIndicator.objects.order_by("pk")
        .values_list("code", flat=True)
        .first()
    )
    # A current authorization that names psychotherapy notes, and Alice's process note.
    authorization = Authorization.objects.create(
        client=client,
        purpose=Purpose.CONTINUITY_OF_CARE,
        recipient="Dr. Matrix Recipient",
        covers_psychotherapy_notes=True,
        signed_on=timezone.localdate() - timedelta(days=1),
        recorded_by=alice,
    )
    process_note = PsychotherapyNote.objects.create(
        session=session, author=alice, text="Matrix process note."
    )
    # A PHQ-9 Alice completed with the client (item 9 above 0: a risk alert) and an open link.
    from measures import services as measures
    from measures.instruments import PHQ9

    administration = measures.administration_record(
        client=client, instrument=PHQ9, answers=[1] * 9, by=alice
    )
    measure_link, _ = measures.link_create(client=client, instrument=PHQ9, by=alice)
    # An instrument the practice defined, in use.
    from measures import practice_instruments

    practice_instrument = practice_instruments.define(
        name="Matrix Scale",
        question="",
        items=["Matrix item"],
        scale=["No", "Yes"],
        bands=[],
        by=ada,
    )
    practice_score = measures.administration_record(
        client=client, instrument=practice_instrument.spec, answers=[1], by=alice
    )
    # Bob's supervision comment beside the tagged moment: a thread Alice and Bob take part in.
    from sessions.notes.services import comment_add

    thread = comment_add(
        note=note,
        by=bob,
        text="Matrix comment.",
        anchor_type=kind,
        anchor_code=event.code,
    )
    return World(
        alice=alice,
        bob=bob,
        charlie=charlie,
        ada=ada,
        client=client,
        goal=goal,
        session=session,
        note=note,
        revision=note.revisions.get(),
        event=event,
        event_kind=kind,
        supervision=Supervision.objects.get(supervisor=bob, supervisee=alice),
        assignment=assignment,
        indicator=indicator,
        authorization=authorization,
        process_note=process_note,
        administration=administration,
        measure_link=measure_link,
        risk_alert=administration.risk_alert,
        thread=thread,
        practice_instrument=practice_instrument,
        practice_score=practice_score,
    )


def url_kwargs(name: str, pattern: str, world: World) -> dict:
    """Arguments for a URL name, pointing at the world's objects."""
    target = TARGETS.get(name)
    kwargs = {}
    if "<uuid:client_code>" in pattern:
        kwargs["client_code"] = world.client.code
    if "<uuid:code>" in pattern:
        kwargs["code"] = {
            "client": lambda: world.client.code,
            "goal": lambda: world.goal.code,
            "session": lambda: world.session.code,
            "note": lambda: world.note.code,
            "revision": lambda: world.revision.code,
            "user": lambda: world.alice.code,
            "supervision": lambda: world.supervision.code,
            "assignment": lambda: world.assignment.code,
            "authorization": lambda: world.authorization.code,
            "administration": lambda: world.administration.code,
            "measure_link": lambda: world.measure_link.code,
            "risk_alert": lambda: world.risk_alert.code,
            "thread": lambda: world.thread.code,
            "practice_instrument": lambda: world.practice_instrument.code,
            "practice_score": lambda: world.practice_score.code,
        }[target]()
    if "<uuid:instrument>" in pattern:
        kwargs["instrument"] = world.practice_instrument.code
    if "<slug:code>" in pattern:
        kwargs["code"] = world.indicator
    if "<slug:kind>" in pattern:
        kwargs["kind"] = world.event_kind
        kwargs["event_code"] = world.event.code
    if "<slug:chart>" in pattern:
        kwargs["chart"] = "indicators"
    if "<int:pk>" in pattern:
        kwargs["pk"] = 1
    import re

    # allauth's keyed links (email confirmation, password reset): a made-up key.
    for group in re.findall(r"\(\?P<(\w+)>", pattern):
        kwargs[group] = "sample-key"
    for group in re.findall(r"<str:(\w+)>", pattern):
        kwargs[group] = "sample-key"
    return kwargs


# Which object a URL's <uuid:code> names.
TARGETS = {
    "accounts:user_detail": "user",
    "accounts:user_change_role": "user",
    "accounts:supervision_create": "user",
    "accounts:user_deactivate": "user",
    "accounts:user_reactivate": "user",
    "accounts:user_end_sessions": "user",
    "accounts:user_mfa_reset": "user",
    "accounts:user_break_glass": "user",
    "accounts:invitation_resend": "user",
    "accounts:supervision_end": "supervision",
    "clients:client_detail": "client",
    "clients:client_edit": "client",
    "clients:goal_create": "client",
    "clients:goal_edit": "goal",
    "clients:goal_status": "goal",
    "clients:assign_detail": "client",
    "clients:assign_primary": "client",
    "clients:cotherapist_add": "client",
    "clients:assignment_end": "assignment",
    "clients:caseload_transfer": "user",
    "sessions:session_detail": "session",
    "sessions:session_edit": "session",
    "sessions:note_edit": "session",
    "sessions:note_autosave": "session",
    "sessions:note_sign": "session",
    "sessions:note_last_plan": "session",
    "sessions:process_note": "session",
    "sessions:process_note_autosave": "session",
    "sessions:note_detail": "note",
    "sessions:note_cosign": "note",
    "sessions:note_return": "note",
    "sessions:note_comment": "note",
    "sessions:comment_reply": "thread",
    "sessions:comment_resolve": "thread",
    "sessions:addendum_create": "note",
    "sessions:note_revision": "revision",
    "sessions:capture": "session",
    "sessions:capture_tag": "session",
    "sessions:capture_repair": "session",
    "sessions:capture_undo": "session",
    "sessions:capture_summary": "session",
    "sessions:event_edit": "session",
    "sessions:ratings": "session",
    "sessions:session_move": "session",
    "sessions:session_cancel": "session",
    "sessions:session_mark": "session",
    "dashboards:supervisee_caseload": "user",
    "dashboards:supervisee_caseload_csv": "user",
    "dashboards:supervisee_ruptures": "user",
    "dashboards:trajectory": "client",
    "dashboards:trajectory_csv": "client",
    "disclosures:report": "client",
    "disclosures:release": "client",
    "disclosures:authorization_create": "client",
    "disclosures:authorization_revoke": "authorization",
    "disclosures:process_note_release": "session",
    "measures:administer_phq9": "client",
    "measures:administer_gad7": "client",
    "measures:link_create": "client",
    "measures:checkin_link_create": "session",
    "measures:checkin_mirror": "session",
    "measures:administration_detail": "administration",
    "measures:link_revoke": "measure_link",
    "measures:link_copy": "measure_link",
    "measures:practice_choose": "client",
    "measures:administer_practice": "client",
    "measures:practice_instrument_active": "practice_instrument",
    "measures:practice_score_detail": "practice_score",
    "measures:schedule": "client",
    "measures:measures_csv": "client",
    "measures:alert_acknowledge": "risk_alert",
}
