"""Co-regulation moments, whose arousal an observation describes, and integration links: each
captured by htmx and by the form that works without JavaScript, edited, undone, on the
timeline and in the IPNB summary, behind the capture URLs' access rules; the client's
trajectory counts only the client's arousal."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from sessions.capture import kinds
from sessions.capture import services as services
from sessions.models import ArousalObservation, CoRegulationMoment, IntegrationLink

HX = {"HX-Request": "true"}


def text(response) -> str:
    return html.unescape(response.content.decode())


def tag(client, session, name, headers=None, **data):
    return client.post(
        reverse("sessions:capture_tag", args=[session.code]),
        {"tag": name, "idempotency_key": str(uuid.uuid4()), **data},
        headers=headers or {},
    )


def edit_url(session, kind, event):
    return reverse("sessions:event_edit", args=[session.code, kind, event.code])


# --- The registry and the panel ------------------------------------------------------------


def test_the_new_kinds_are_in_the_registry_complete_and_clinician_rated():
    assert kinds.problems() == []
    for name, model in [
        ("coregulation", CoRegulationMoment),
        ("link", IntegrationLink),
    ]:
        kind = kinds.BY_NAME[name]
        assert kind.model is model and kind.clinician_rated
        assert "not a validated taxonomy" in kind.source
    assert kinds.BY_NAME["coregulation"].prefix == "C"
    assert kinds.BY_NAME["link"].prefix == "L"
    assert "whose" in kinds.BY_NAME["arousal"].editable


def test_the_panel_offers_each_new_tag_with_its_keys(client, alice, alices_session):
    client.force_login(alice)
    page = text(client.get(reverse("sessions:capture", args=[alices_session.code])))
    for value, keys in [
        ("coreg-settled", "C S"),
        ("coreg-no-change", "C N"),
        ("coreg-escalated", "C X"),
        ("link-thought-feeling", "L F"),
        ("link-body-meaning", "L B"),
        ("link-past-present", "L P"),
        ("link-narrative", "L N"),
        ("therapist-within", "W S"),
        ("therapist-hyper", "W A"),
        ("therapist-hypo", "W B"),
    ]:
        assert re.search(
            rf'value="{value}"[^>]*>[^<]*<kbd aria-hidden="true">{keys}</kbd>', page
        ), value
    assert "Co-regulation (client's response)" in page
    assert "Co-regulation, then S settled, N no change, X escalated" in page


# --- Capture: htmx and the form without JavaScript ----------------------------------------


@pytest.mark.parametrize(
    ("name", "model", "values", "title"),
    [
        (
            "coreg-settled",
            CoRegulationMoment,
            {"client_response": "SETTLED"},
            "Co-regulation",
        ),
        (
            "coreg-escalated",
            CoRegulationMoment,
            {"client_response": "ESCALATED"},
            "Co-regulation",
        ),
        (
            "link-past-present",
            IntegrationLink,
            {"link": "PAST_PRESENT"},
            "Integration link: past experience with present understanding",
        ),
        (
            "therapist-within",
            ArousalObservation,
            {"zone": "WITHIN", "whose": "THERAPIST"},
            "Therapist's own arousal: within the window of tolerance",
        ),
        (
            "hyper",
            ArousalObservation,
            {"zone": "HYPER", "whose": "CLIENT"},
            "Client: hyperarousal (above the window)",
        ),
    ],
)
@pytest.mark.parametrize("via", ["htmx", "plain"])
def test_each_tag_is_captured_by_htmx_and_without_javascript(
    client, alice, alices_session, name, model, values, title, via
):
    client.force_login(alice)
    response = tag(
        client, alices_session, name, minute="17", headers=HX if via == "htmx" else None
    )
    event = model.objects.get(session=alices_session)
    assert event.minute == 17 and event.created_by == alice
    for field, value in values.items():
        assert getattr(event, field) == value
    if via == "htmx":
        assert response.status_code == 200
        assert f"{title} tagged at minute 17" in text(response)
    else:
        assert response.status_code == 302
        page = text(client.get(response["Location"]))
        assert f'id="event-{event.code}"' in page and title in page
    action = f"{kinds.kind_of(event).name}.create"
    assert AuditEvent.objects.filter(
        action=action, target_code=str(event.code)
    ).exists()


def test_a_double_press_makes_one_co_regulation_moment(client, alice, alices_session):
    client.force_login(alice)
    key = str(uuid.uuid4())
    url = reverse("sessions:capture_tag", args=[alices_session.code])
    for _ in range(2):
        client.post(
            url, {"tag": "coreg-settled", "minute": "4", "idempotency_key": key}
        )
    assert CoRegulationMoment.objects.filter(session=alices_session).count() == 1


def test_a_minute_outside_the_session_is_refused_with_the_input_kept(
    client, alice, alices_session
):
    client.force_login(alice)
    response = tag(client, alices_session, "link-narrative", minute="200")
    assert response.status_code == 400
    page = text(response)
    assert "The minute must be between 0 and 80" in page and 'value="200"' in page
    assert not IntegrationLink.objects.exists()


# --- Edit -----------------------------------------------------------------------------------


def test_edit_a_co_regulation_moment_acts_response_and_encrypted_note(
    client, alice, alices_session
):
    moment, _ = services.event_create(
        session=alices_session, tag="coreg-no-change", minute=9, by=alice
    )
    client.force_login(alice)
    form = text(client.get(edit_url(alices_session, "coregulation", moment)))
    assert "What the therapist offered (clinician-rated)" in form
    assert "Slower pace" in form and "Grounding" in form
    response = client.post(
        edit_url(alices_session, "coregulation", moment),
        {
            "minute": "10",
            "acts": ["PACE", "BREATH", "GROUNDING"],
            "client_response": "SETTLED",
            "note": "Shoulders dropped after the long out-breath.",
        },
        headers=HX,
    )
    assert response.status_code == 200
    moment.refresh_from_db()
    assert moment.acts == ["PACE", "BREATH", "GROUNDING"]
    assert (moment.client_response, moment.minute) == ("SETTLED", 10)
    assert moment.note.startswith("Shoulders dropped")
    assert "slower pace; breath; grounding; client settled" in text(response)
    # Encrypted at rest like every event note; no note text in the audit trail.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT note::text FROM therapy_sessions_coregulationmoment WHERE id = %s",
            [moment.id],
        )
        stored = cursor.fetchone()[0]
    assert "Shoulders" not in stored
    audit = AuditEvent.objects.get(action="coregulation.update")
    assert "Shoulders" not in str(audit.changes)
    assert set(audit.changes["fields"]) == {"acts", "client_response", "minute", "note"}


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"acts": ["HUGGING"], "client_response": "SETTLED"}, "acts"),
        ({"client_response": "CALMER"}, "client_response"),
        ({"client_response": ""}, "client_response"),
    ],
)
def test_a_bad_co_regulation_edit_is_refused_beside_its_field(
    client, alice, alices_session, data, field_error
):
    moment, _ = services.event_create(
        session=alices_session, tag="coreg-settled", minute=9, by=alice
    )
    client.force_login(alice)
    response = client.post(
        edit_url(alices_session, "coregulation", moment),
        {"minute": "9", "note": "typed text kept", **data},
    )
    assert response.status_code == 400
    page = text(response)
    assert "typed text kept" in page
    assert re.search(rf'id="id_{field_error}_error"|id_{field_error}', page)
    assert "Select a valid choice" in page or "This field is required" in page
    moment.refresh_from_db()
    assert moment.client_response == "SETTLED" and moment.acts == []


def test_edit_an_integration_link(client, alice, alices_session):
    link, _ = services.event_create(
        session=alices_session, tag="link-thought-feeling", minute=20, by=alice
    )
    client.force_login(alice)
    response = client.post(
        edit_url(alices_session, "link", link),
        {"minute": "21", "link": "BODY_MEANING", "note": ""},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.link, link.minute) == ("BODY_MEANING", 21)


def test_an_arousal_observation_is_moved_to_the_therapist_by_edit(
    client, alice, alices_session
):
    observation, _ = services.event_create(
        session=alices_session, tag="within", minute=5, by=alice
    )
    assert observation.whose == ArousalObservation.Whose.CLIENT
    client.force_login(alice)
    form = text(client.get(edit_url(alices_session, "arousal", observation)))
    assert "Whose arousal" in form and "Therapist (own arousal)" in form
    response = client.post(
        edit_url(alices_session, "arousal", observation),
        {"minute": "5", "zone": "WITHIN", "whose": "THERAPIST", "note": ""},
        headers=HX,
    )
    assert "Therapist's own arousal: within the window" in text(response)
    observation.refresh_from_db()
    assert observation.whose == "THERAPIST"


# --- Undo -----------------------------------------------------------------------------------


def test_undo_removes_the_newest_of_the_new_kinds(client, alice, alices_session):
    client.force_login(alice)
    tag(client, alices_session, "coreg-settled", minute="3")
    tag(client, alices_session, "link-narrative", minute="2")
    undo = reverse("sessions:capture_undo", args=[alices_session.code])
    assert client.post(undo).status_code == 302
    assert not IntegrationLink.objects.exists()
    assert AuditEvent.objects.filter(action="link.undo").exists()
    client.post(undo, headers=HX)
    assert not CoRegulationMoment.objects.exists()
    assert AuditEvent.objects.filter(action="coregulation.undo").exists()


# --- Timeline and summary -------------------------------------------------------------------


def _coregulation_session(session, by):
    """The client leaves the window twice and comes back; the therapist stays within it."""
    for minute, tag_name in [
        (5, "within"),
        (12, "hyper"),
        (12, "therapist-within"),
        (16, "within"),
        (30, "hypo"),
        (31, "therapist-within"),
        (34, "within"),
    ]:
        services.event_create(session=session, tag=tag_name, minute=minute, by=by)
    first, _ = services.event_create(
        session=session, tag="coreg-settled", minute=13, by=by
    )
    services.event_update(event=first, data={"acts": ["PACE", "TONE"]}, by=by)
    second, _ = services.event_create(
        session=session, tag="coreg-escalated", minute=31, by=by
    )
    services.event_update(event=second, data={"acts": ["GROUNDING"]}, by=by)
    services.event_create(session=session, tag="coreg-settled", minute=33, by=by)
    services.event_create(session=session, tag="link-past-present", minute=40, by=by)
    services.event_create(session=session, tag="link-thought-feeling", minute=42, by=by)
    services.event_create(session=session, tag="link-past-present", minute=44, by=by)


def test_the_summary_says_whose_arousal_co_regulation_and_links(alice, alices_session):
    _coregulation_session(alices_session, alice)
    assert services.capture_summary(alices_session) == (
        "Mostly within the window of tolerance, with 1 moment of hyperarousal and "
        "1 moment of hypoarousal; "
        "the therapist's own arousal within the window of tolerance throughout; "
        "3 co-regulation moments (the client settled 2 times and the client escalated "
        "once) through slower pace, softer tone and grounding; "
        "3 integration links: thoughts with feelings and past experience with present "
        "understanding (2)."
    )


def test_one_co_regulation_moment_reads_plainly(alice, alices_session):
    services.event_create(
        session=alices_session, tag="coreg-no-change", minute=3, by=alice
    )
    assert services.capture_summary(alices_session) == (
        "1 co-regulation moment (no change)."
    )


def test_the_therapists_arousal_never_counts_as_the_clients(alice, alices_session):
    """Without `whose`, the therapist within the window would read as the client settling."""
    for minute, name in [
        (5, "hyper"),
        (6, "therapist-within"),
        (7, "therapist-within"),
    ]:
        services.event_create(session=alices_session, tag=name, minute=minute, by=alice)
    summary = services.capture_summary(alices_session)
    assert summary.startswith("In hyperarousal (above the window) throughout;")
    assert "the therapist's own arousal within the window of tolerance throughout" in (
        summary
    )


def test_the_timeline_shows_each_new_kind_in_order(client, alice, alices_session):
    _coregulation_session(alices_session, alice)
    context = services.timeline_context(alices_session)
    lines = [(i.minute, i.kind, i.title, i.details) for i in context["timeline"]]
    assert (
        13,
        "coregulation",
        "Co-regulation",
        ["slower pace", "softer tone", "client settled"],
    ) in lines
    assert (
        31,
        "coregulation",
        "Co-regulation",
        ["grounding", "client escalated"],
    ) in lines
    assert (
        12,
        "arousal",
        "Therapist's own arousal: within the window of tolerance",
        [],
    ) in lines
    assert (
        42,
        "link",
        "Integration link: thoughts with feelings",
        [],
    ) in lines
    client.force_login(alice)
    page = text(client.get(alices_session.get_absolute_url()))
    assert "Integration link: past experience with present understanding" in page
    assert "Co-regulation" in page and "client escalated" in page


# --- Access: the capture URLs' rules hold for the new kinds ---------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("bob", 403), ("charlie", 404), ("ada", 404)]
)
@pytest.mark.parametrize("name", ["coreg-settled", "link-narrative", "therapist-hyper"])
def test_only_the_clients_therapist_captures_the_new_kinds(
    client, personas, alices_session, persona, expected, name
):
    client.force_login(personas[persona])
    assert tag(client, alices_session, name, minute="3").status_code == expected
    assert not CoRegulationMoment.objects.exists()
    assert not IntegrationLink.objects.exists()
    assert not ArousalObservation.objects.exists()


@pytest.mark.parametrize(
    ("persona", "get", "post"),
    [("bob", 403, 403), ("charlie", 404, 404), ("ada", 404, 404)],
)
@pytest.mark.parametrize("kind", ["coregulation", "link"])
def test_only_the_clients_therapist_edits_the_new_kinds(
    client, alice, personas, alices_session, persona, get, post, kind
):
    name = "coreg-settled" if kind == "coregulation" else "link-narrative"
    event, _ = services.event_create(
        session=alices_session, tag=name, minute=3, by=alice
    )
    client.force_login(personas[persona])
    url = edit_url(alices_session, kind, event)
    assert client.get(url).status_code == get
    data = {"minute": "50", "client_response": "ESCALATED", "link": "NARRATIVE"}
    assert client.post(url, data).status_code == post
    event.refresh_from_db()
    assert event.minute == 3


# --- The client's trajectory counts the client's arousal only -------------------------------


def test_the_trajectory_shares_count_only_the_clients_arousal(alice, alices_session):
    from dashboards import reports
    from dashboards import services as dashboards

    for minute, name in [(5, "hyper"), (6, "within")] + [
        (7 + i, "therapist-within") for i in range(6)
    ]:
        services.event_create(session=alices_session, tag=name, minute=minute, by=alice)
    dashboards.rollup_refresh_client(client_id=alices_session.client_id)
    [row] = reports.trajectory(alices_session.client_id).sessions
    assert (row["hyper_share"], row["within_share"], row["hypo_share"]) == (
        0.5,
        0.5,
        0,
    )
