"""The capture panel: tags by plain post and by htmx, idempotency, undo, repairs, inline edits,
validation, the generated summary and the timeline's query budget."""

from __future__ import annotations

import html
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from sessions.capture import services as services
from sessions.models import (
    ArousalObservation,
    AttunementMoment,
    IntegrationIndicator,
    RepairEvent,
    RuptureEvent,
    SessionTag,
    TherapySession,
)
from tests.factories import make_client, make_session

NY = ZoneInfo("America/New_York")
HX = {"HX-Request": "true"}


def text(response) -> str:
    return html.unescape(response.content.decode())


def tag(client, session, tag, **data):
    return client.post(
        reverse("sessions:capture_tag", args=[session.code]),
        {"tag": tag, "idempotency_key": str(uuid.uuid4()), **data},
    )


def events(session):
    return (
        list(AttunementMoment.objects.filter(session=session))
        + list(RuptureEvent.objects.filter(session=session))
        + list(RepairEvent.objects.filter(session=session))
        + list(ArousalObservation.objects.filter(session=session))
        + list(SessionTag.objects.filter(session=session))
    )


def test_panel_shows_buttons_shortcuts_and_labels(client, alice, alices_session):
    client.force_login(alice)
    response = client.get(reverse("sessions:capture", args=[alices_session.code]))
    assert response.status_code == 200
    html = text(response)
    assert 'id="tag-form"' in html
    assert 'value="rupture-withdrawal"' in html
    assert "<kbd" in html and "Keyboard shortcuts" in html
    assert "Clinician-rated, non-standardised" in html
    assert "3RS-informed" in html
    assert 'aria-live="polite"' in html
    assert AuditEvent.objects.filter(action="capture.view").exists()


def test_a_plain_post_tags_and_redirects_back(client, alice, alices_session):
    client.force_login(alice)
    response = tag(client, alices_session, "match", minute="12")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "sessions:capture", args=[alices_session.code]
    )
    moment = AttunementMoment.objects.get(session=alices_session)
    assert (moment.process, moment.minute, moment.created_by) == ("MATCH", 12, alice)
    page = text(client.get(response["Location"]))
    assert "Attunement: match tagged at minute 12" in page
    assert f'id="event-{moment.code}"' in page
    assert AuditEvent.objects.filter(
        action="attunement.create", target_code=str(moment.code)
    ).exists()


def test_htmx_tag_swaps_the_live_region_and_announces_it(client, alice, alices_session):
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_tag", args=[alices_session.code]),
        {
            "tag": "rupture-withdrawal",
            "minute": "23",
            "idempotency_key": str(uuid.uuid4()),
        },
        headers=HX,
    )
    assert response.status_code == 200
    html = text(response)
    assert "<html" not in html
    assert 'id="capture-live"' in html
    assert "Withdrawal rupture tagged at minute 23" in html
    assert 'hx-swap-oob="true"' in html  # fresh idempotency keys
    rupture = RuptureEvent.objects.get(session=alices_session)
    assert rupture.client == alices_session.client
    assert rupture.framework_version == "3RS-2015"


@pytest.mark.parametrize(
    ("name", "model", "field", "value"),
    [
        ("mismatch", AttunementMoment, "process", "MISMATCH"),
        ("rupture-confrontation", RuptureEvent, "rupture_type", "CONFRONTATION"),
        ("hyper", ArousalObservation, "zone", "HYPER"),
        ("within", ArousalObservation, "zone", "WITHIN"),
        ("hypo", ArousalObservation, "zone", "HYPO"),
        ("protective-part", SessionTag, "kind", "PART"),
        ("body-sensation", SessionTag, "kind", "TRIGGER"),
    ],
)
def test_every_tag_creates_its_event(
    client, alice, alices_session, name, model, field, value
):
    client.force_login(alice)
    assert tag(client, alices_session, name, minute="5").status_code == 302
    assert getattr(model.objects.get(session=alices_session), field) == value


def test_a_double_submit_with_one_key_creates_one_event(client, alice, alices_session):
    client.force_login(alice)
    key = str(uuid.uuid4())
    url = reverse("sessions:capture_tag", args=[alices_session.code])
    for _ in range(3):
        client.post(url, {"tag": "match", "minute": "3", "idempotency_key": key})
    assert AttunementMoment.objects.filter(session=alices_session).count() == 1


def test_blank_minute_comes_from_the_clock_and_is_clamped(alice, alices_session):
    start = alices_session.starts_at
    with time_machine.travel(start + timedelta(minutes=23, seconds=40), tick=False):
        event, _ = services.event_create(session=alices_session, tag="match", by=alice)
    assert event.minute == 23
    with time_machine.travel(start - timedelta(minutes=5), tick=False):
        assert services.clock_minute(alices_session) == 0
    with time_machine.travel(start + timedelta(hours=5), tick=False):
        assert services.clock_minute(alices_session) == 50 + services.MINUTE_MARGIN


@pytest.mark.parametrize("minute", ["-1", "81", "500"])
def test_minutes_outside_the_session_plus_margin_are_refused(
    client, alice, alices_session, minute
):
    client.force_login(alice)
    response = tag(client, alices_session, "match", minute=minute)
    assert response.status_code == 400
    html = text(response)
    assert "The minute must be between 0 and 80" in html
    assert f'value="{minute}"' in html  # what was typed is kept
    assert not events(alices_session)


def test_minute_error_through_htmx_is_announced(client, alice, alices_session):
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_tag", args=[alices_session.code]),
        {"tag": "match", "minute": "99"},
        headers=HX,
    )
    assert response.status_code == 200
    assert "Not saved: The minute must be between 0 and 80" in text(response)


def test_undo_deletes_the_users_most_recent_event_and_audits_it(
    client, alice, alices_session
):
    client.force_login(alice)
    tag(client, alices_session, "match", minute="30")
    tag(client, alices_session, "hyper", minute="10")  # created later, earlier minute
    response = client.post(reverse("sessions:capture_undo", args=[alices_session.code]))
    assert response.status_code == 302
    assert not ArousalObservation.objects.filter(session=alices_session).exists()
    assert AttunementMoment.objects.filter(session=alices_session).count() == 1
    assert AuditEvent.objects.filter(action="arousal.undo").exists()
    client.post(reverse("sessions:capture_undo", args=[alices_session.code]))
    assert not events(alices_session)
    response = client.post(
        reverse("sessions:capture_undo", args=[alices_session.code]), headers=HX
    )
    assert "There is no tag of yours to undo." in text(response)


def _expected_undo(client, session) -> str:
    import re

    page = client.get(reverse("sessions:capture", args=[session.code])).content.decode()
    return re.search(
        r'<noscript><input type="hidden" name="expected" value="([^"]*)"', page
    )[1]


def test_an_undo_form_sent_twice_without_javascript_undoes_one_tag(
    client, alice, alices_session
):
    client.force_login(alice)
    tag(client, alices_session, "match", minute="30")
    tag(client, alices_session, "hyper", minute="10")
    expected = _expected_undo(client, alices_session)
    url = reverse("sessions:capture_undo", args=[alices_session.code])

    client.post(url, {"expected": expected})
    second = client.post(url, {"expected": expected}, follow=True)

    assert expected.startswith("arousal:")
    assert not ArousalObservation.objects.filter(session=alices_session).exists()
    assert AttunementMoment.objects.filter(session=alices_session).count() == 1
    assert "Not undone: that tag was already undone" in text(second)
    assert AuditEvent.objects.filter(action__endswith=".undo").count() == 1


def test_a_stale_undo_form_does_not_remove_a_newer_tag(client, alice, alices_session):
    client.force_login(alice)
    tag(client, alices_session, "match", minute="30")
    expected = _expected_undo(client, alices_session)
    tag(client, alices_session, "hyper", minute="31")  # added from another tab

    client.post(
        reverse("sessions:capture_undo", args=[alices_session.code]),
        {"expected": expected},
    )

    assert len(events(alices_session)) == 2


def test_the_htmx_panel_undoes_the_newest_tag_each_time(client, alice, alices_session):
    client.force_login(alice)
    tag(client, alices_session, "match", minute="30")
    tag(client, alices_session, "hyper", minute="31")
    url = reverse("sessions:capture_undo", args=[alices_session.code])

    client.post(url, headers=HX)
    client.post(url, headers=HX)

    assert events(alices_session) == []


def test_p_repairs_the_most_recent_open_rupture(client, alice, alices_session):
    client.force_login(alice)
    tag(client, alices_session, "rupture-withdrawal", minute="10")
    tag(client, alices_session, "rupture-confrontation", minute="20")
    response = client.post(
        reverse("sessions:capture_repair", args=[alices_session.code]),
        {"minute": "25", "idempotency_key": str(uuid.uuid4())},
        headers=HX,
    )
    assert "Repair tagged at minute 25" in text(response)
    repair = RepairEvent.objects.get()
    assert repair.rupture.rupture_type == "CONFRONTATION"
    assert repair.session == alices_session
    assert services.time_to_repair(repair.rupture, repair).minutes == 5


def test_no_open_rupture_to_repair(client, alice, alices_session):
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_repair", args=[alices_session.code]),
        {"minute": "5"},
        headers=HX,
    )
    assert "There is no open rupture to repair." in text(response)


def _rupture(session, by, minute=10, rupture_type="WITHDRAWAL", **kwargs):
    return RuptureEvent.objects.create(
        session=session,
        client=session.client,
        minute=minute,
        rupture_type=rupture_type,
        created_by=by,
        **kwargs,
    )


def test_cross_session_repair_and_derived_time_to_repair(
    client, alice, alices_client, alices_session
):
    middle = make_session(
        alices_client, alice, starts_at=datetime(2026, 3, 9, 10, 0, tzinfo=NY)
    )
    make_session(  # cancelled sessions do not count
        alices_client,
        alice,
        starts_at=datetime(2026, 3, 12, 10, 0, tzinfo=NY),
        status=TherapySession.Status.CANCELLED,
    )
    later = make_session(
        alices_client, alice, starts_at=datetime(2026, 3, 16, 10, 0, tzinfo=NY)
    )
    rupture = _rupture(alices_session, alice, minute=40)
    client.force_login(alice)
    page = client.get(reverse("sessions:capture", args=[later.code])).content.decode()
    assert "Open ruptures of this client" in page
    assert str(rupture.code) in page
    assert "2 sessions, 14 days" in page
    response = client.post(
        reverse("sessions:capture_repair", args=[later.code]),
        {"rupture": str(rupture.code), "minute": "3"},
    )
    assert response.status_code == 302
    repair = RepairEvent.objects.get(rupture=rupture)
    assert repair.session == later
    interval = services.time_to_repair(rupture, repair)
    assert (interval.minutes, interval.sessions, interval.days) == (None, 2, 14)
    assert str(interval) == "2 sessions, 14 days later"
    page = client.get(reverse("sessions:capture", args=[later.code])).content.decode()
    assert "Time to repair: 2 sessions, 14 days later" in page
    assert f"#event-{rupture.code}" in page  # links back to the rupture
    first = client.get(
        reverse("sessions:capture", args=[alices_session.code])
    ).content.decode()
    assert f"#event-{repair.code}" in first  # and the rupture links to its repair
    assert middle  # the session in between is counted


def test_repair_before_its_rupture_in_the_same_session_is_refused(
    alice, alices_session
):
    rupture = _rupture(alices_session, alice, minute=30)
    with pytest.raises(services.CaptureError, match="before its rupture") as exc:
        services.repair_create(
            session=alices_session, rupture=rupture, minute=29, by=alice
        )
    assert exc.value.field == "minute"
    assert not RepairEvent.objects.exists()


def test_repair_in_an_earlier_session_is_refused(
    client, alice, alices_session, second_session
):
    rupture = _rupture(second_session, alice, minute=5)
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_repair", args=[alices_session.code]),
        {"rupture": str(rupture.code), "minute": "40"},
        headers=HX,
    )
    assert "the rupture was tagged in a later session" in text(response)
    assert not RepairEvent.objects.exists()


def test_repair_of_another_clients_rupture_is_refused(client, alice, alices_session):
    other_client = make_client(alice)
    other_session = make_session(other_client, alice)
    rupture = _rupture(other_session, alice)
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_repair", args=[alices_session.code]),
        {"rupture": str(rupture.code), "minute": "40"},
        headers=HX,
    )
    assert "belongs to another client" in text(response)
    assert not RepairEvent.objects.exists()


def test_repair_of_a_rupture_the_user_cannot_see_is_refused(
    client, alice, charlie, alices_session
):
    stranger = make_session(make_client(charlie), charlie)
    rupture = _rupture(stranger, charlie)
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_repair", args=[alices_session.code]),
        {"rupture": str(rupture.code), "minute": "40"},
        headers=HX,
    )
    assert "there is no such rupture" in text(response)
    assert not RepairEvent.objects.exists()


def test_an_already_repaired_rupture_cannot_be_repaired_again(
    client, alice, alices_session
):
    rupture = _rupture(alices_session, alice, minute=10)
    services.repair_create(session=alices_session, rupture=rupture, minute=12, by=alice)
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_repair", args=[alices_session.code]),
        {"rupture": str(rupture.code), "minute": "20"},
        headers=HX,
    )
    assert "already been repaired" in text(response)
    assert RepairEvent.objects.count() == 1


def test_repair_with_one_key_twice_creates_one(client, alice, alices_session):
    rupture = _rupture(alices_session, alice, minute=10)
    client.force_login(alice)
    key = str(uuid.uuid4())
    url = reverse("sessions:capture_repair", args=[alices_session.code])
    for _ in range(2):
        response = client.post(
            url, {"rupture": str(rupture.code), "minute": "20", "idempotency_key": key}
        )
        assert response.status_code == 302
    assert RepairEvent.objects.count() == 1


@pytest.mark.parametrize("state", ["awaiting", "signed"])
def test_events_are_refused_once_the_note_is_signed(
    client, alice, alices_session, request, state
):
    fixture = {"awaiting": "alices_awaiting_note", "signed": "alices_signed_note"}
    request.getfixturevalue(fixture[state])
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_tag", args=[alices_session.code]),
        {"tag": "match", "minute": "5"},
        headers=HX,
    )
    assert services.LOCKED_MESSAGE in text(response)
    response = tag(client, alices_session, "match", minute="5")
    assert response.status_code == 302
    follow = text(client.get(response["Location"]))
    assert "record changes in an addendum" in follow
    assert 'id="tag-form"' not in follow  # no buttons on a locked session
    assert not events(alices_session)
    with pytest.raises(services.CaptureError, match="addendum"):
        services.event_undo(session=alices_session, by=alice)


def test_a_draft_note_does_not_lock_the_capture(client, alice, alices_draft):
    client.force_login(alice)
    tag(client, alices_draft.session, "match", minute="5")
    assert AttunementMoment.objects.count() == 1


@pytest.mark.parametrize(
    "status",
    [
        TherapySession.Status.CANCELLED,
        TherapySession.Status.LATE_CANCELLED,
        TherapySession.Status.NO_SHOW,
    ],
)
def test_sessions_that_did_not_take_place_take_no_events(
    client, alice, alices_client, status
):
    session = make_session(alices_client, alice, status=status)
    client.force_login(alice)
    response = tag(client, session, "match", minute="5")
    assert response.status_code == 302
    assert "there is nothing to record" in text(client.get(response["Location"]))
    assert not events(session)


def test_scheduled_sessions_take_events_only_on_their_day(alice, alices_client):
    now = datetime(2026, 3, 20, 15, 0, tzinfo=NY)
    with time_machine.travel(now, tick=False):
        today = make_session(
            alices_client,
            alice,
            starts_at=now - timedelta(minutes=10),
            status=TherapySession.Status.SCHEDULED,
        )
        future = make_session(
            alices_client,
            alice,
            starts_at=now + timedelta(days=2),
            status=TherapySession.Status.SCHEDULED,
        )
        event, _ = services.event_create(session=today, tag="within", by=alice)
        assert event.minute == 10
        with pytest.raises(services.CaptureError, match="mark this session attended"):
            services.event_create(session=future, tag="within", by=alice)


# --- Inline edits --------------------------------------------------------------------------


def edit_url(session, kind, event):
    return reverse("sessions:event_edit", args=[session.code, kind, event.code])


def test_inline_edit_form_is_a_fragment_for_htmx(client, alice, alices_session):
    rupture = _rupture(alices_session, alice)
    client.force_login(alice)
    response = client.get(edit_url(alices_session, "rupture", rupture), headers=HX)
    html = text(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert f'id="event-{rupture.code}"' in html
    assert "Withdrawal markers" in html and "Confrontation markers" in html
    assert "3RS-informed" in html


def test_inline_edit_saves_rupture_details(client, alice, alices_session):
    rupture = _rupture(alices_session, alice)
    client.force_login(alice)
    response = client.post(
        edit_url(alices_session, "rupture", rupture),
        {
            "minute": "12",
            "rupture_type": "WITHDRAWAL",
            "markers": ["3RS2015.W2_MINIMAL_RESPONSE", "OTHER"],
            "actor": "CLIENT",
            "salience": "4",
            "alliance_component": "BOND",
            "therapist_felt_cues": ["BOREDOM"],
            "note": "Long silences after the question about the father.",
        },
        headers=HX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#capture-live"
    rupture.refresh_from_db()
    assert rupture.minute == 12
    assert rupture.markers == ["3RS2015.W2_MINIMAL_RESPONSE", "OTHER"]
    assert (rupture.salience, rupture.alliance_component) == (4, "BOND")
    assert rupture.note.startswith("Long silences")
    assert "Minimal response" in text(response)
    audit = AuditEvent.objects.get(action="rupture.update")
    assert "note" in audit.changes["fields"]
    assert "Long silences" not in str(audit.changes)  # no PHI in the audit trail


def test_markers_of_the_wrong_type_are_refused_and_input_kept(
    client, alice, alices_session
):
    rupture = _rupture(alices_session, alice)
    client.force_login(alice)
    response = client.post(
        edit_url(alices_session, "rupture", rupture),
        {
            "minute": "14",
            "rupture_type": "WITHDRAWAL",
            "markers": ["3RS2015.C2_REJECTS_INTERVENTION"],
            "actor": "CLIENT",
            "alliance_component": "TASK",
            "note": "kept text",
        },
    )
    assert response.status_code == 400
    html = text(response)
    assert "is a confrontation marker; this rupture is a withdrawal" in html
    assert "kept text" in html and 'value="14"' in html
    rupture.refresh_from_db()
    assert rupture.markers == [] and rupture.minute == 10


def test_the_service_refuses_wrong_markers_too(alice, alices_session):
    rupture = _rupture(alices_session, alice, rupture_type="CONFRONTATION")
    with pytest.raises(services.CaptureError, match="withdrawal marker"):
        services.event_update(
            event=rupture, data={"markers": ["3RS2015.W1_DENIAL"]}, by=alice
        )


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("attunement", {"quality": "9"}, "Select a valid choice"),
        ("attunement", {"minute": "81"}, "between 0 and 80"),
    ],
)
def test_inline_edit_validates_scales_and_minutes(
    client, alice, alices_session, kind, data, message
):
    moment = AttunementMoment.objects.create(
        session=alices_session, minute=5, process="MATCH", created_by=alice
    )
    client.force_login(alice)
    payload = {"minute": "5", "process": "MATCH", "direction": "MUTUAL", **data}
    response = client.post(edit_url(alices_session, kind, moment), payload, headers=HX)
    assert response.status_code == 200
    assert message in text(response)
    moment.refresh_from_db()
    assert moment.quality is None and moment.minute == 5


def test_moving_a_repair_before_its_rupture_is_refused(client, alice, alices_session):
    rupture = _rupture(alices_session, alice, minute=20)
    repair, _ = services.repair_create(
        session=alices_session, rupture=rupture, minute=25, by=alice
    )
    client.force_login(alice)
    response = client.post(
        edit_url(alices_session, "repair", repair),
        {
            "minute": "15",
            "strategies": ["R1_CLARIFY_MISUNDERSTANDING"],
            "extent": "4",
            "outcomes": ["FELT_HEARD"],
        },
        headers=HX,
    )
    assert "cannot come before its rupture" in text(response)
    repair.refresh_from_db()
    assert repair.minute == 25 and repair.strategies == []


def test_repair_form_groups_strategies_by_family_in_the_seeds_words(
    client, alice, alices_session
):
    rupture = _rupture(alices_session, alice, minute=20)
    repair, _ = services.repair_create(
        session=alices_session, rupture=rupture, minute=25, by=alice
    )
    client.force_login(alice)
    html = client.get(edit_url(alices_session, "repair", repair)).content.decode()
    assert html.index("Immediate") < html.index("Clarifies a misunderstanding")
    assert html.index("Exploratory") < html.index("Acknowledges own contribution")
    assert "Talked about what happened" in html
    assert "Felt heard, validated, reconnected" in html


def test_edit_of_an_unknown_kind_or_event_is_404(client, alice, alices_session):
    client.force_login(alice)
    moment = AttunementMoment.objects.create(
        session=alices_session, minute=5, process="MATCH", created_by=alice
    )
    assert client.get(edit_url(alices_session, "rupture", moment)).status_code == 404
    url = reverse(
        "sessions:event_edit", args=[alices_session.code, "bogus", moment.code]
    )
    assert client.get(url).status_code == 404


# --- The generated summary -----------------------------------------------------------------


def test_summary_text_for_a_hand_made_session(alice, alices_session):
    withdrawal = _rupture(
        alices_session, alice, minute=12, markers=["3RS2015.W2_MINIMAL_RESPONSE"]
    )
    _rupture(
        alices_session,
        alice,
        minute=31,
        rupture_type="CONFRONTATION",
        markers=["3RS2015.C2_REJECTS_INTERVENTION"],
    )
    services.repair_create(
        session=alices_session,
        rupture=withdrawal,
        minute=15,
        strategies=["R1_CLARIFY_MISUNDERSTANDING"],
        by=alice,
    )
    for minute, zone in [(5, "WITHIN"), (20, "WITHIN"), (32, "HYPER"), (40, "WITHIN")]:
        ArousalObservation.objects.create(
            session=alices_session, minute=minute, zone=zone, created_by=alice
        )
    assert services.capture_summary(alices_session) == (
        "2 ruptures (withdrawal: minimal response; confrontation: rejects intervention), "
        "1 repaired in session by clarifying a misunderstanding, 1 left open; "
        "mostly within the window of tolerance, with 1 moment of hyperarousal."
    )


def test_summary_with_attunement_parts_and_an_earlier_repair(
    alice, alices_session, second_session
):
    rupture = _rupture(alices_session, alice, minute=40)
    services.repair_create(
        session=second_session,
        rupture=rupture,
        minute=8,
        strategies=["R5_ACKNOWLEDGE_CONTRIBUTION"],
        by=alice,
    )
    for process in ["MATCH", "MATCH", "MISMATCH"]:
        AttunementMoment.objects.create(
            session=second_session, minute=10, process=process, created_by=alice
        )
    SessionTag.objects.create(
        session=second_session,
        minute=12,
        kind="PART",
        value="PROTECTIVE_PART",
        created_by=alice,
    )
    SessionTag.objects.create(
        session=second_session,
        minute=14,
        kind="TRIGGER",
        value="BODY_SENSATION",
        created_by=alice,
    )
    ArousalObservation.objects.create(
        session=second_session, minute=3, zone="WITHIN", created_by=alice
    )
    assert services.capture_summary(second_session) == (
        "1 earlier rupture repaired (from Mar 2) by acknowledging the therapist's contribution; "
        "2 attunement matches and 1 mismatch; "
        "within the window of tolerance throughout; "
        "parts observed: protective part; implicit-memory triggers: body sensation."
    )


def test_summary_of_an_empty_session(alices_session):
    assert services.capture_summary(alices_session) == (
        "No IPNB events were tagged in this session."
    )


def test_summary_endpoint_text_and_page(client, alice, alices_session):
    _rupture(alices_session, alice, minute=5)
    client.force_login(alice)
    url = reverse("sessions:capture_summary", args=[alices_session.code])
    response = client.get(url, headers=HX)
    assert response["Content-Type"].startswith("text/plain")
    assert text(response) == "1 rupture (withdrawal), 1 left open."
    page = client.get(url)
    assert b"<html" in page.content
    assert b"1 rupture (withdrawal), 1 left open." in page.content


# --- Query budgets -------------------------------------------------------------------------


def _fill(session, by, n):
    for i in range(n):
        minute = i % 50
        AttunementMoment.objects.create(
            session=session, minute=minute, process="MATCH", created_by=by
        )
        rupture = _rupture(session, by, minute=minute, markers=["3RS2015.W1_DENIAL"])
        if i % 2:
            RepairEvent.objects.create(
                session=session, rupture=rupture, minute=minute, created_by=by
            )
        ArousalObservation.objects.create(
            session=session, minute=minute, zone="WITHIN", created_by=by
        )
        SessionTag.objects.create(
            session=session,
            minute=minute,
            kind="PART",
            value="VULNERABLE_PART",
            created_by=by,
        )


@pytest.mark.parametrize("n", [1, 12])
def test_timeline_queries_do_not_grow_with_events(
    alice, alices_session, second_session, django_assert_num_queries, n
):
    _fill(alices_session, alice, n)
    _rupture(second_session, alice, minute=3)  # a later session's rupture: not listed
    from django.template.loader import render_to_string

    # Five event tables, session starts, open ruptures, ratings: one round trip.
    with django_assert_num_queries(1):
        context = services.timeline_context(alices_session)
        html = render_to_string(
            "sessions/_session_events.html", {"session": alices_session, **context}
        )
    assert html.count('class="timeline-item') == 4 * n + n // 2


@pytest.mark.parametrize("n", [1, 12])
def test_capture_panel_queries_do_not_grow_with_events(
    client, alice, alices_session, django_assert_num_queries, n
):
    _fill(alices_session, alice, n)
    client.force_login(alice)
    url = reverse("sessions:capture", args=[alices_session.code])
    client.get(url)
    with django_assert_num_queries(PANEL_QUERIES):
        response = client.get(url)
    assert response.status_code == 200


# Session, user, the session, the timeline (one round trip, with the edit right, the note's
# status and, at its head, the audit event's INSERT: ipnb_notes.batch.carry).
PANEL_QUERIES = 4


# --- Dashboards are told, htmx responses vary ---------------------------------------------


def test_every_event_change_requests_a_rollup(
    alice, alices_session, django_capture_on_commit_callbacks
):
    from dashboards import tasks

    calls = []

    def count(client_id):
        calls.append(client_id)

    original = tasks.rollup_refresh_client.run
    tasks.rollup_refresh_client.run = count
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event, _ = services.event_create(
                session=alices_session, tag="rupture-withdrawal", minute=5, by=alice
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.event_update(event=event, data={"salience": 3}, by=alice)
        with django_capture_on_commit_callbacks(execute=True):
            services.repair_create(
                session=alices_session, rupture=event, minute=6, by=alice
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.event_undo(session=alices_session, by=alice)
        indicator = IntegrationIndicator.objects.get(code="stable")
        with django_capture_on_commit_callbacks(execute=True):
            services.ratings_save(
                session=alices_session, values={indicator.id: 2}, by=alice
            )
    finally:
        tasks.rollup_refresh_client.run = original
    assert calls == [alices_session.client_id] * 5


def test_htmx_responses_vary_on_hx_request(client, alice, alices_session):
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_tag", args=[alices_session.code]),
        {"tag": "match", "minute": "1"},
        headers=HX,
    )
    assert "HX-Request" in response["Vary"]
    boosted = client.get(
        reverse("sessions:capture", args=[alices_session.code]),
        headers={**HX, "HX-Boosted": "true"},
    )
    assert b"<html" in boosted.content


def test_a_key_replayed_on_another_session_is_a_clear_error(
    client, alice, alices_session, second_session
):
    key = uuid.uuid4()
    services.event_create(
        session=alices_session, tag="match", minute=1, idempotency_key=key, by=alice
    )
    rupture = _rupture(second_session, alice, minute=1)
    services.repair_create(
        session=second_session, rupture=rupture, minute=2, idempotency_key=key, by=alice
    )
    client.force_login(alice)
    response = client.post(
        reverse("sessions:capture_tag", args=[second_session.code]),
        {"tag": "match", "minute": "3", "idempotency_key": str(key)},
        headers=HX,
    )
    assert response.status_code == 200
    assert "This form was already used" in text(response)
    other = _rupture(alices_session, alice, minute=3)
    with pytest.raises(services.CaptureError, match="already used"):
        services.repair_create(
            session=alices_session,
            rupture=other,
            minute=4,
            idempotency_key=key,
            by=alice,
        )
    assert AttunementMoment.objects.count() == 1
