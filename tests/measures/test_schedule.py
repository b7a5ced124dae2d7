"""A schedule per client: the links it makes for upcoming sessions, once each, emailed or held
for the therapist to copy, with real requests, the real database and the outbox's rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from ipnb_notes.models import OutboxMessage
from measures import scheduling, services
from measures.instruments import CHECKIN_CLIENT, PHQ9
from measures.models import Administration, MeasureLink, MeasureSchedule, MeasuresPolicy
from sessions.models import TherapySession
from tests.factories import make_session, mark_recently_authenticated
from tests.measures.conftest import answers_post, signed_in

pytestmark = pytest.mark.django_db
ATTENDED = TherapySession.Status.ATTENDED
SCHEDULED = TherapySession.Status.SCHEDULED


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _history(client, therapist, *, past: int, upcoming_in: list[timedelta]):
    """`past` attended sessions a week apart, then scheduled ones starting in `upcoming_in`."""
    now = timezone.now()
    done = [
        make_session(
            client,
            therapist,
            starts_at=now - timedelta(weeks=past - i),
            status=ATTENDED,
        )
        for i in range(past)
    ]
    ahead = [
        make_session(client, therapist, starts_at=now + delta, status=SCHEDULED)
        for delta in upcoming_in
    ]
    return done, ahead


def _schedule(client, by, **every):
    return scheduling.schedule_set(client=client, by=by, every=every)


@pytest.mark.parametrize(
    ("ordinal", "every", "due"),
    [
        (1, 4, True),
        (2, 4, False),
        (4, 4, False),
        (5, 4, True),
        (9, 4, True),
        (1, 1, True),
        (2, 1, True),
        (0, 1, False),
        (52, 52, False),
        (53, 52, True),
    ],
)
def test_the_first_session_and_every_nth_after_it_are_due(ordinal, every, due):
    assert scheduling.is_due(ordinal, every) is due


def test_a_questionnaire_link_is_made_for_the_due_session_soon_to_come(alice, robin):
    # Sessions 1-4 attended; session 5 in two days (due for every 4th), 6 in four days.
    _, (fifth, sixth) = _history(
        robin, alice, past=4, upcoming_in=[timedelta(days=2), timedelta(days=4)]
    )
    _schedule(robin, alice, PHQ9=4)

    made = scheduling.schedule_run(client_id=robin.id)

    link = MeasureLink.objects.get()
    assert made == [link]
    assert (link.session, link.instrument, link.scheduled) == (fifth, "PHQ9", True)
    assert link.created_by == alice and link.held_token and not link.mail_to
    assert link.token_hash == services.hash_token(link.held_token)
    event = AuditEvent.objects.get(action="measure_link.create")
    assert event.actor is None and event.changes["scheduled"] is True
    assert event.changes["session"] == str(fifth.code)


def test_running_again_makes_nothing_twice(alice, robin):
    _history(robin, alice, past=0, upcoming_in=[timedelta(days=1)])
    _schedule(robin, alice, PHQ9=1, GAD7=1)

    first = scheduling.schedule_run(client_id=robin.id)
    again = scheduling.schedule_run(client_id=robin.id)

    assert len(first) == 2 and again == []
    assert sorted(MeasureLink.objects.values_list("instrument", flat=True)) == [
        "GAD7",
        "PHQ9",
    ]


def test_the_database_refuses_a_second_scheduled_link_for_a_session(alice, robin):
    _, (upcoming,) = _history(robin, alice, past=0, upcoming_in=[timedelta(days=1)])
    services.link_create(
        client=robin, instrument=PHQ9, by=alice, session=upcoming, scheduled=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        services.link_create(
            client=robin, instrument=PHQ9, by=alice, session=upcoming, scheduled=True
        )


def test_sessions_too_far_ahead_or_not_due_get_no_link(alice, robin):
    # Session 1 in 4 days (beyond the lead), session 2 tomorrow is not due for every 4th.
    make_session(robin, alice, starts_at=timezone.now() - timedelta(days=30))
    make_session(
        robin,
        alice,
        starts_at=timezone.now() + timedelta(days=1),
        status=SCHEDULED,
    )
    _schedule(robin, alice, GAD7=4)
    assert scheduling.schedule_run(client_id=robin.id) == []


def test_cancelled_sessions_and_no_shows_are_not_counted(alice, robin):
    now = timezone.now()
    make_session(robin, alice, starts_at=now - timedelta(weeks=3))  # 1
    for status in (
        TherapySession.Status.CANCELLED,
        TherapySession.Status.NO_SHOW,
        TherapySession.Status.LATE_CANCELLED,
    ):
        make_session(robin, alice, starts_at=now - timedelta(weeks=2), status=status)
    make_session(robin, alice, starts_at=now - timedelta(weeks=1))  # 2
    third = make_session(
        robin, alice, starts_at=now + timedelta(days=1), status=SCHEDULED
    )
    _schedule(robin, alice, PHQ9=2)  # due at 1, 3, 5...
    (link,) = scheduling.schedule_run(client_id=robin.id)
    assert link.session == third


def test_a_check_in_link_follows_an_attended_session_once(alice, robin):
    now = timezone.now()
    old = make_session(robin, alice, starts_at=now - timedelta(days=10))
    recent = make_session(robin, alice, starts_at=now - timedelta(hours=3))
    make_session(robin, alice, starts_at=now + timedelta(days=1), status=SCHEDULED)
    _schedule(robin, alice, CHECKIN=1)

    (link,) = scheduling.schedule_run(client_id=robin.id)

    assert link.session == recent and link.instrument == CHECKIN_CLIENT.code
    assert not MeasureLink.objects.filter(session=old).exists()
    assert scheduling.schedule_run(client_id=robin.id) == []


def test_a_session_with_a_link_from_the_therapist_gets_no_second_one(alice, robin):
    session = make_session(robin, alice, starts_at=timezone.now() - timedelta(hours=2))
    services.link_create(
        client=robin, instrument=CHECKIN_CLIENT, by=alice, session=session
    )
    _schedule(robin, alice, CHECKIN=1)
    assert scheduling.schedule_run(client_id=robin.id) == []
    assert MeasureLink.objects.count() == 1


def test_the_link_is_emailed_when_the_practice_allows_and_the_client_has_an_address(
    alice, robin
):
    robin.email = "robin@example.org"
    robin.save()
    MeasuresPolicy.objects.create(pk=1, email_scheduled_links=True)
    _history(robin, alice, past=0, upcoming_in=[timedelta(days=1)])
    _schedule(robin, alice, PHQ9=1)

    (link,) = scheduling.schedule_run(client_id=robin.id)

    assert link.mail_to == "robin@example.org" and link.mail_token
    assert not link.held_token
    queued = OutboxMessage.objects.get(task="measures.tasks.measure_link_send")
    assert queued.args == [link.id]


def test_the_email_waits_for_the_therapist_when_the_practice_does_not_allow_it(
    alice, robin
):
    robin.email = "robin@example.org"
    robin.save()
    _history(robin, alice, past=0, upcoming_in=[timedelta(days=1)])
    _schedule(robin, alice, PHQ9=1)

    (link,) = scheduling.schedule_run(client_id=robin.id)

    assert not link.mail_to and link.held_token
    assert not OutboxMessage.objects.filter(
        task="measures.tasks.measure_link_send"
    ).exists()


def test_the_email_carries_no_clinical_content_and_no_name(alice, robin, mailoutbox):
    robin.email = "robin@example.org"
    robin.save()
    MeasuresPolicy.objects.create(pk=1, email_scheduled_links=True)
    _history(robin, alice, past=0, upcoming_in=[timedelta(days=1)])
    _schedule(robin, alice, PHQ9=1)
    (link,) = scheduling.schedule_run(client_id=robin.id)

    assert services.measure_link_send(link_id=link.id) is True

    (mail,) = mailoutbox
    text = mail.subject + mail.body
    for secret in ("Robin", "Roberta", "PHQ", "depress", alice.full_name):
        assert secret not in text
    link.refresh_from_db()
    assert link.mailed_at and not link.mail_token and not link.mail_to


def test_saving_the_schedule_is_audited_and_queues_the_run(alice, robin):
    response = signed_in(alice).post(
        reverse("measures:schedule", args=[robin.code]),
        {"every_PHQ9": "4", "every_GAD7": "4", "every_CHECKIN": "1"},
    )
    assert response.status_code == 302
    assert dict(MeasureSchedule.objects.values_list("instrument", "every")) == {
        "PHQ9": 4,
        "GAD7": 4,
        "CHECKIN": 1,
    }
    event = AuditEvent.objects.get(action="measure_schedule.change")
    assert event.changes["PHQ9"] == [None, 4] and event.actor == alice
    queued = OutboxMessage.objects.get(task="measures.tasks.schedule_run")
    assert queued.args == [robin.id]

    # Changing one, turning one off, leaving one: only the changes are recorded.
    signed_in(alice).post(
        reverse("measures:schedule", args=[robin.code]),
        {"every_PHQ9": "2", "every_GAD7": "", "every_CHECKIN": "1"},
    )
    last = AuditEvent.objects.filter(action="measure_schedule.change").latest("seq")
    assert last.changes == {"PHQ9": [4, 2], "GAD7": [4, None]}
    assert dict(MeasureSchedule.objects.values_list("instrument", "every")) == {
        "PHQ9": 2,
        "CHECKIN": 1,
    }


@pytest.mark.parametrize("typed", ["0", "53", "-1", "four", "2.5", "9" * 30])
def test_a_bad_number_is_refused_beside_the_field_and_kept(alice, robin, typed):
    response = signed_in(alice).post(
        reverse("measures:schedule", args=[robin.code]),
        {"every_PHQ9": typed, "every_GAD7": "4"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_every_PHQ9_error"' in html and "from 1 to 52" in html
    assert f'value="{typed}"' in html
    assert not MeasureSchedule.objects.exists()


def test_the_therapist_has_a_held_link_shown_once(alice, robin):
    _history(robin, alice, past=0, upcoming_in=[timedelta(days=1)])
    _schedule(robin, alice, GAD7=1)
    (link,) = scheduling.schedule_run(client_id=robin.id)
    token = link.held_token
    browser = signed_in(alice)

    page = browser.get(reverse("measures:schedule", args=[robin.code]))
    assert "Show the link to copy" in page.content.decode()
    assert token not in page.content.decode()

    shown = browser.post(reverse("measures:link_copy", args=[link.code]))
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    assert f"/m/{token}/" in shown.content.decode()
    link.refresh_from_db()
    assert link.held_token == ""
    assert AuditEvent.objects.filter(
        action="measure_link.copy", target_code=str(link.code)
    ).exists()

    again = browser.post(reverse("measures:link_copy", args=[link.code]), follow=True)
    assert token not in again.content.decode()
    assert "cannot be shown" in again.content.decode()


def test_the_client_completes_a_scheduled_link_and_the_score_names_the_session(
    alice, robin
):
    _, (upcoming,) = _history(robin, alice, past=0, upcoming_in=[timedelta(days=1)])
    _schedule(robin, alice, PHQ9=1)
    (link,) = scheduling.schedule_run(client_id=robin.id)
    token = scheduling.link_reveal(link=link, by=alice)

    browser = Client()
    assert browser.get(f"/m/{token}/").status_code == 302
    done = browser.post("/m/questionnaire/", answers_post([1] * 9))
    assert done.status_code == 302

    admin = Administration.objects.get()
    assert (admin.session, admin.total, admin.link) == (upcoming, 9, link)


def test_the_run_for_everyone_queues_one_run_per_client_with_a_schedule(
    alice, robin, charlie
):
    from tests.factories import make_client

    other = make_client(charlie)
    _schedule(robin, alice, PHQ9=4)
    _schedule(other, charlie, CHECKIN=1)
    OutboxMessage.objects.all().delete()

    assert scheduling.schedules_run_all() == 2
    assert sorted(
        m.args[0]
        for m in OutboxMessage.objects.filter(task="measures.tasks.schedule_run")
    ) == sorted([robin.id, other.id])


def test_the_practice_admin_decides_whether_links_are_emailed(ada):
    browser = signed_in(ada)
    url = reverse("measures:practice_measures")
    assert browser.get(url).status_code == 302  # sudo mode first
    mark_recently_authenticated(browser, ada)
    assert browser.get(url).status_code == 200

    assert browser.post(url, {"email_scheduled_links": "on"}).status_code == 302
    assert MeasuresPolicy.current().email_scheduled_links is True
    event = AuditEvent.objects.get(action="measures.policy_change")
    assert event.changes == {"email_scheduled_links": [False, True]}


def test_the_schedule_page_stays_within_its_query_budget(
    alice, robin, django_assert_max_num_queries
):
    _history(robin, alice, past=3, upcoming_in=[timedelta(days=1), timedelta(days=2)])
    _schedule(robin, alice, PHQ9=1, GAD7=1)
    scheduling.schedule_run(client_id=robin.id)
    browser = signed_in(alice)
    url = reverse("measures:schedule", args=[robin.code])
    browser.get(url)
    with django_assert_max_num_queries(10):
        assert browser.get(url).status_code == 200


def test_held_tokens_of_links_no_longer_open_are_erased(alice, robin):
    _history(robin, alice, past=0, upcoming_in=[timedelta(days=1), timedelta(days=2)])
    _schedule(robin, alice, PHQ9=1)
    expired, still_open = sorted(
        scheduling.schedule_run(client_id=robin.id), key=lambda link: link.pk
    )
    MeasureLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert scheduling.erase_stale_tokens(client_id=robin.id) == 1
    expired.refresh_from_db()
    still_open.refresh_from_db()
    assert expired.held_token == "" and still_open.held_token


def test_revoking_a_held_link_erases_its_token(alice, robin):
    _history(robin, alice, past=0, upcoming_in=[timedelta(days=1)])
    _schedule(robin, alice, GAD7=1)
    (link,) = scheduling.schedule_run(client_id=robin.id)
    response = signed_in(alice).post(reverse("measures:link_revoke", args=[link.code]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at and link.held_token == ""
    assert scheduling.link_reveal(link=link, by=alice) is None
