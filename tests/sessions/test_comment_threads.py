"""Supervision at the moment: Bob (Alice's current supervisor) comments beside one moment of a
session's timeline or one section of her note; the comment shows there, on the session page and
on the note review page (which shows the timeline too); Alice replies in the thread; open
threads are on her home (no extra round trip) until either of them marks the thread resolved.
Every write is audited; nobody else may reply or resolve; a thread is never on a process note.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Supervision
from audit.models import AuditEvent
from sessions.capture import services as capture
from sessions.models import (
    CommentReply,
    PsychotherapyNote,
    RuptureEvent,
    SupervisionComment,
)
from sessions.notes import services as services
from tests.factories import make_note, make_session

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def rupture(alices_draft, alice):
    """A rupture tagged before the note is signed (tests list it before the note)."""
    event, _ = capture.event_create(
        session=alices_draft.session,
        tag="rupture-withdrawal",
        minute=12,
        by=alice,
    )
    assert isinstance(event, RuptureEvent)
    return event


def _block(html: str, element_id: str) -> str:
    """The markup of the element with this id, up to the next sibling of the same list."""
    start = html.index(f'id="{element_id}"')
    tag = html.rfind("<", 0, start)
    name = re.match(r"<(\w+)", html[tag:]).group(1)
    depth, pos = 0, tag
    pattern = re.compile(rf"<(/?){name}\b")
    for m in pattern.finditer(html, tag):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            pos = html.index(">", m.end())
            break
    return html[tag : pos + 1]


def _comment(client, note, **data):
    return client.post(reverse("sessions:note_comment", args=[note.code]), data)


def _actions(user, since=0):
    return list(
        AuditEvent.objects.filter(actor=user, seq__gt=since)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def _last_seq():
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()


# --- Commenting beside a moment or a section ---------------------------------------------------


def test_each_moment_and_section_offers_the_supervisor_a_comment_action(
    client, bob, alice, rupture, alices_awaiting_note
):
    note = alices_awaiting_note
    client.force_login(bob)
    html = client.get(note.get_absolute_url()).content.decode()
    # The review page shows the session's timeline beside the note.
    moment = _block(html, f"event-{rupture.code}")
    assert f"anchor_type=rupture&amp;anchor_code={rupture.code}" in moment
    assert "Comment<span" in moment
    section = _block(html, "section-subjective")
    assert "anchor_section=subjective" in section
    assert "anchor_section=plan" in _block(html, "section-plan")
    html = client.get(note.session.get_absolute_url()).content.decode()
    assert f"anchor_code={rupture.code}" in _block(html, f"event-{rupture.code}")

    # Alice, the author, reads her threads but is offered no "Comment" action.
    client.force_login(alice)
    html = client.get(note.session.get_absolute_url()).content.decode()
    assert "anchor_type=rupture" not in html and "anchor_section=" not in html


def test_the_comment_action_opens_the_form_in_place_and_without_javascript(
    client, bob, rupture, alices_awaiting_note
):
    note = alices_awaiting_note
    client.force_login(bob)
    url = note.get_absolute_url() + f"?anchor_type=rupture&anchor_code={rupture.code}"
    # htmx: the form alone, saying what it is about; its read is audited once.
    before = _last_seq()
    fragment = client.get(url, headers=HX)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body
    assert "Withdrawal rupture at minute 12" in body
    assert f'value="{rupture.code}"' in body
    assert _actions(bob, before) == ["note.comment_form_view"]
    # Without JavaScript: the review page, its comment form anchored the same way.
    page = client.get(url).content.decode()
    form = _block(page, "comment-form")
    assert "Withdrawal rupture at minute 12" in form
    assert f'value="{rupture.code}"' in form


def test_a_comment_beside_a_moment_shows_beside_it_on_both_pages(
    client, bob, alice, rupture, alices_awaiting_note
):
    note = alices_awaiting_note
    client.force_login(bob)
    response = _comment(
        client,
        note,
        text="Notice how quickly you moved on here.",
        anchor_type="rupture",
        anchor_code=str(rupture.code),
    )
    assert response.status_code == 302
    thread = SupervisionComment.objects.get(note=note)
    assert (thread.anchor_type, thread.anchor_code) == ("rupture", rupture.code)
    event = AuditEvent.objects.get(action="note.comment", actor=bob)
    assert event.changes["anchor_code"] == str(rupture.code)
    assert "moved on" not in str(event.changes)

    for user, url in (
        (bob, note.get_absolute_url()),
        (bob, note.session.get_absolute_url()),
        (alice, note.session.get_absolute_url()),
    ):
        client.force_login(user)
        html = client.get(url).content.decode()
        moment = _block(html, f"event-{rupture.code}")
        assert "Notice how quickly you moved on here." in moment, (user, url)
        assert f'id="comment-{thread.code}"' in moment
        # Not repeated in the list of comments about the note as a whole.
        assert html.count("Notice how quickly you moved on here.") == 1


def test_a_comment_beside_a_section_shows_beside_it(
    client, bob, alice, alices_awaiting_note
):
    note = alices_awaiting_note
    client.force_login(bob)
    assert (
        _comment(
            client, note, text="Whose words are these?", anchor_section="subjective"
        ).status_code
        == 302
    )
    client.force_login(alice)
    html = client.get(note.session.get_absolute_url()).content.decode()
    assert "Whose words are these?" in _block(html, "section-subjective")
    assert "Whose words are these?" not in _block(html, "section-plan")


@pytest.mark.parametrize(
    "anchor",
    [
        {"anchor_section": "risk_details"},  # not a section of the note
        {"anchor_section": "objective", "anchor_type": "rupture"},
        {"anchor_section": "process_note"},
        {"anchor_type": "telepathy", "anchor_code": str(uuid.uuid4())},
        {"anchor_type": "rupture", "anchor_code": "not-a-uuid"},
    ],
)
def test_a_forged_anchor_is_a_field_error_and_keeps_the_text(
    client, bob, rupture, alices_awaiting_note, anchor
):
    client.force_login(bob)
    data = {"text": "Typed with care.", **anchor}
    if anchor.get("anchor_type") == "rupture" and "anchor_code" not in anchor:
        data["anchor_code"] = str(rupture.code)
    response = _comment(client, alices_awaiting_note, **data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Typed with care." in html
    assert 'class="error"' in html
    assert not SupervisionComment.objects.exists()


def test_a_comment_never_anchors_to_a_process_note_or_another_sessions_moment(
    client, bob, alice, alices_awaiting_note, alices_client
):
    """The process note's code, or a rupture of another session, cannot carry a thread."""
    session = alices_awaiting_note.session
    process = PsychotherapyNote.objects.create(
        session=session, author=alice, text="PRIVATE-REFLECTION"
    )
    other = make_session(alices_client, alice, starts_at=timezone.now())
    elsewhere, _ = capture.event_create(
        session=other, tag="rupture-withdrawal", minute=3, by=alice
    )
    client.force_login(bob)
    for anchor_type, code in (
        ("rupture", process.code),
        ("attunement", process.code),
        ("rupture", elsewhere.code),
    ):
        response = _comment(
            client,
            alices_awaiting_note,
            text="About this.",
            anchor_type=anchor_type,
            anchor_code=str(code),
        )
        assert response.status_code == 400, (anchor_type, code)
    assert not SupervisionComment.objects.exists()
    # A thread on the note never reaches the process note page, nor its text a thread.
    services.comment_add(note=alices_awaiting_note, by=bob, text="THREAD-TEXT")
    client.force_login(alice)
    html = client.get(
        reverse("sessions:process_note", args=[session.code])
    ).content.decode()
    assert "THREAD-TEXT" not in html
    html = client.get(session.get_absolute_url()).content.decode()
    assert "PRIVATE-REFLECTION" not in html


# --- The thread: reply, home, resolve ------------------------------------------------------------


def test_the_supervisee_replies_sees_it_on_home_and_either_side_resolves(
    client, bob, alice, rupture, alices_awaiting_note
):
    note = alices_awaiting_note
    thread = services.comment_add(
        note=note,
        by=bob,
        text="What did you feel in your body here?",
        anchor_type="rupture",
        anchor_code=rupture.code,
    )
    client.force_login(alice)
    home = client.get(reverse("home")).content.decode()
    threads = _block(home, "threads-h")  # the heading; the list follows it
    assert threads
    assert "What did you feel in your body here?" in home
    assert "Awaiting you" in home
    assert thread.get_thread_url() in home

    # Alice replies, without JavaScript: back to the session page, at the thread.
    before = _last_seq()
    response = client.post(
        reverse("sessions:comment_reply", args=[thread.code]),
        {"text": "A tightness in my chest.", "back": "session"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{thread.code}")
    assert response["Location"].startswith(note.session.get_absolute_url())
    assert _actions(alice, before) == ["note.comment_reply"]
    event = AuditEvent.objects.get(action="note.comment_reply")
    assert event.client_code == note.client.code
    assert "tightness" not in str(event.changes)
    html = client.get(note.session.get_absolute_url()).content.decode()
    assert "A tightness in my chest." in _block(html, f"comment-{thread.code}")
    home = client.get(reverse("home")).content.decode()
    assert "What did you feel" in home and "Awaiting you" not in home

    # Bob sees the reply is his to answer; he resolves the thread from the review page.
    client.force_login(bob)
    assert "Awaiting you" in client.get(reverse("home")).content.decode()
    before = _last_seq()
    response = client.post(
        reverse("sessions:comment_resolve", args=[thread.code]), {"back": "note"}
    )
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    assert _actions(bob, before) == ["note.comment_resolve"]
    thread.refresh_from_db()
    assert thread.resolved_by == bob and thread.resolved_at is not None
    # Resolving again changes and records nothing.
    before = _last_seq()
    client.post(reverse("sessions:comment_resolve", args=[thread.code]))
    assert _actions(bob, before) == []

    client.force_login(alice)
    assert "What did you feel" not in client.get(reverse("home")).content.decode()
    html = client.get(note.session.get_absolute_url()).content.decode()
    assert "Resolved by Bob Supervisor" in _block(html, f"comment-{thread.code}")


def test_the_supervisee_may_resolve_and_a_reply_opens_the_thread_again(
    client, bob, alice, alices_awaiting_note
):
    thread = services.comment_add(note=alices_awaiting_note, by=bob, text="Hm.")
    client.force_login(alice)
    client.post(reverse("sessions:comment_resolve", args=[thread.code]))
    thread.refresh_from_db()
    assert thread.resolved_by == alice
    client.force_login(bob)
    client.post(
        reverse("sessions:comment_reply", args=[thread.code]),
        {"text": "One more thought."},
    )
    thread.refresh_from_db()
    assert thread.resolved_at is None and thread.resolved_by is None
    assert AuditEvent.objects.get(action="note.comment_reply").changes["reopened"]
    client.force_login(alice)
    assert "One more thought." not in client.get(reverse("home")).content.decode()
    assert "Hm." in client.get(reverse("home")).content.decode()


def test_htmx_swaps_the_thread_in_place(client, bob, alice, alices_awaiting_note):
    thread = services.comment_add(note=alices_awaiting_note, by=bob, text="Hm.")
    client.force_login(alice)
    response = client.post(
        reverse("sessions:comment_reply", args=[thread.code]),
        {"text": "Replying in place."},
        headers=HX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<article") and "<html" not in body
    assert "Replying in place." in body and f'id="comment-{thread.code}"' in body
    response = client.post(
        reverse("sessions:comment_resolve", args=[thread.code]), headers=HX
    )
    assert "Resolved by Alice Therapist" in response.content.decode()


@pytest.mark.parametrize("hx", [False, True])
def test_an_empty_or_too_long_reply_is_a_field_error_and_keeps_the_text(
    client, bob, alice, alices_awaiting_note, hx
):
    thread = services.comment_add(note=alices_awaiting_note, by=bob, text="Hm.")
    client.force_login(alice)
    url = reverse("sessions:comment_reply", args=[thread.code])
    headers = HX if hx else {}
    response = client.post(url, {"text": "   "}, headers=headers)
    assert response.status_code == (200 if hx else 400)
    html = response.content.decode()
    assert "Write a reply" in _block(html, f"comment-{thread.code}")
    long = "Kept " + "x" * 10001
    response = client.post(url, {"text": long}, headers=headers)
    assert response.status_code == (200 if hx else 400)
    thread_html = _block(response.content.decode(), f"comment-{thread.code}")
    assert long in thread_html and 'class="error"' in thread_html
    assert not CommentReply.objects.exists()


def test_a_double_submitted_reply_is_saved_once(
    client, bob, alice, alices_awaiting_note
):
    thread = services.comment_add(note=alices_awaiting_note, by=bob, text="Hm.")
    client.force_login(alice)
    key = str(uuid.uuid4())
    url = reverse("sessions:comment_reply", args=[thread.code])
    for _ in range(2):
        client.post(url, {"text": "Once.", "idempotency_key": key})
    assert CommentReply.objects.count() == 1


def test_the_back_field_cannot_redirect_elsewhere(
    client, bob, alice, alices_awaiting_note
):
    thread = services.comment_add(note=alices_awaiting_note, by=bob, text="Hm.")
    client.force_login(alice)
    for url in (
        reverse("sessions:comment_reply", args=[thread.code]),
        reverse("sessions:comment_resolve", args=[thread.code]),
    ):
        response = client.post(url, {"text": "Fine.", "back": "https://evil.example/"})
        assert response.status_code in (302, 400)
        assert "evil" not in response.get("Location", "")


# --- Who may take part ---------------------------------------------------------------------------


def test_only_the_author_and_their_current_supervisor_take_part(
    client, alice, bob, charlie, ada, alices_awaiting_note
):
    note = alices_awaiting_note
    thread = services.comment_add(note=note, by=bob, text="Hm.")
    returned = SupervisionComment.objects.create(
        note=note, author=bob, kind=SupervisionComment.Kind.RETURN, text="Redo."
    )
    reply = reverse("sessions:comment_reply", args=[thread.code])
    resolve = reverse("sessions:comment_resolve", args=[thread.code])
    for user, status in ((charlie, 404), (ada, 404)):
        client.force_login(user)
        assert client.post(reply, {"text": "Intrude."}).status_code == status
        assert client.post(resolve).status_code == status
    # The author may not open a thread of her own, and a return is not a thread.
    client.force_login(alice)
    assert _comment(client, note, text="Self.").status_code == 403
    assert (
        client.post(
            reverse("sessions:comment_reply", args=[returned.code]), {"text": "x"}
        ).status_code
        == 404
    )
    # A supervisor who no longer supervises Alice no longer reads, replies or resolves.
    Supervision.objects.filter(supervisor=bob, supervisee=alice).update(
        ended_at=timezone.now()
    )
    client.force_login(bob)
    assert client.post(reply, {"text": "Late."}).status_code == 404
    assert client.post(resolve).status_code == 404
    assert "Hm." not in client.get(reverse("home")).content.decode()
    assert not CommentReply.objects.exists()
    thread.refresh_from_db()
    assert thread.resolved_at is None


def test_a_colleague_who_reads_the_note_but_does_not_supervise_gets_403(
    client, alice, bob, charlie, alices_awaiting_note
):
    """Visible (a co-therapist of the client) but not the author nor her supervisor."""
    from tests.factories import make_assignment

    make_assignment(alices_awaiting_note.client, charlie)
    thread = services.comment_add(note=alices_awaiting_note, by=bob, text="Hm.")
    client.force_login(charlie)
    assert client.get(alices_awaiting_note.get_absolute_url()).status_code == 200
    assert (
        client.post(
            reverse("sessions:comment_reply", args=[thread.code]), {"text": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("sessions:comment_resolve", args=[thread.code])).status_code
        == 403
    )


# --- Home: at most one more statement --------------------------------------------------------------


def _home_queries(client) -> int:
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_home_reads_the_threads_in_the_same_round_trip_whatever_their_number(
    client, alice, bob, alices_client, alices_awaiting_note
):
    client.force_login(alice)
    empty = _home_queries(client)
    for i in range(4):
        note = make_note(make_session(alices_client, alice))
        note = services.note_sign(note=note, by=alice)
        thread = services.comment_add(note=note, by=bob, text=f"Thread {i}")
        services.thread_reply(thread=thread, by=alice, text="Reply")
    html = client.get(reverse("home")).content.decode()
    assert all(f"Thread {i}" in html for i in range(4))
    assert _home_queries(client) == empty
