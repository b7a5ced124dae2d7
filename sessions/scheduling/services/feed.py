"""Each clinician's private calendar feed: issue (or replace) its token, revoke it, choose
what its events are called, and write it for whoever holds the token.

Only the SHA-256 of a token is stored (as measures' client links do); the token itself is
shown once, when it is issued. The feed never carries a client's name: each event is called
"Session" or, if the clinician chooses, the client's initials."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

import audit
from accounts.models import User
from ipnb_notes.lib.crypto import hash_token
from sessions.models import CalendarFeed, TherapySession
from sessions.scheduling import ical
from sessions.scheduling.vocabulary import STATUS_FOR

# The window a feed carries, around today.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)
# A feed is read by calendar apps every few minutes at most; more is refused (429).
FEED_REQUESTS_PER_MINUTE = 20
_CANCELLED = frozenset(STATUS_FOR.values())


def feed_of(user: User) -> CalendarFeed:
    """The user's feed settings (an unsaved, inactive row when they never issued one)."""
    return CalendarFeed.objects.filter(therapist=user).first() or CalendarFeed(
        therapist=user
    )


def feed_path(token: str) -> str:
    return reverse("sessions:calendar_feed", args=[token])


def feed_issue(*, by: User, request=None) -> str:
    """Issue a new token for `by`'s feed, replacing any earlier one; returns the token."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(
            therapist=by
        )
        replaced = feed.is_active
        feed.token_hash = hash_token(token)
        feed.issued_at = timezone.now()
        feed.revoked_at = None
        feed.save()
        audit.record(
            "calendar_feed.reissue" if replaced else "calendar_feed.issue",
            actor=by,
            request=request,
            target_type="therapy_sessions.calendarfeed",
            target_code=str(by.code),
        )
    return token


def feed_revoke(*, by: User, request=None) -> bool:
    """Revoke `by`'s feed: its address stops working at once. False when none was active."""
    with transaction.atomic():
        revoked = CalendarFeed.objects.filter(
            therapist=by, token_hash__isnull=False
        ).update(token_hash=None, revoked_at=timezone.now())
        if revoked:
            audit.record(
                "calendar_feed.revoke",
                actor=by,
                request=request,
                target_type="therapy_sessions.calendarfeed",
                target_code=str(by.code),
            )
    return bool(revoked)


def feed_title_set(*, by: User, title: str, request=None) -> None:
    if title not in CalendarFeed.Title.values:
        raise ValueError(title)
    with transaction.atomic():
        feed, _ = CalendarFeed.objects.select_for_update().get_or_create(therapist=by)
        if feed.title == title:
            return
        old, feed.title = feed.title, title
        feed.save(update_fields=["title"])
        audit.record(
            "calendar_feed.title",
            actor=by,
            request=request,
            target_type="therapy_sessions.calendarfeed",
            target_code=str(by.code),
            changes={"title": [old, title]},
        )


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed of an active clinician this token opens, or None."""
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.objects.select_related("therapist")
        .filter(token_hash=hash_token(token), therapist__is_active=True)
        .first()
    )


def initials(name: str) -> str:
    """ "Maya R." -> "M.R.": the first letter of the first and last words."""
    words = [w for w in name.replace(".", " ").split() if w[:1].isalpha()]
    if not words:
        return ""
    picked = [words[0]] + ([words[-1]] if len(words) > 1 else [])
    return "".join(f"{w[0].upper()}." for w in picked)


def feed_text(feed: CalendarFeed, *, request=None) -> str:
    """The feed's iCalendar text: the clinician's sessions from FEED_PAST ago to FEED_AHEAD,
    cancelled ones marked so. Records one audit event (the feed was read; how many events),
    with no client named."""
    now = timezone.now()
    by_initials = feed.title == CalendarFeed.Title.INITIALS
    columns = ["code", "starts_at", "duration_minutes", "status", "updated_at"]
    if by_initials:
        columns.append("client__legal_name")
    rows = (
        TherapySession.objects.filter(
            therapist=feed.therapist_id,
            starts_at__gte=now - FEED_PAST,
            starts_at__lt=now + FEED_AHEAD,
        )
        .order_by("starts_at")
        .values(*columns)
    )
    events = []
    for row in rows:
        summary = "Session"
        if by_initials:
            mark = initials(row["client__legal_name"] or "")
            summary = f"Session {mark}" if mark else summary
        events.append(
            ical.Event(
                uid=f"{row['code']}@ipnb-notes",
                starts_at=row["starts_at"],
                ends_at=row["starts_at"] + timedelta(minutes=row["duration_minutes"]),
                summary=summary,
                status="CANCELLED" if row["status"] in _CANCELLED else "CONFIRMED",
                sequence=int(row["updated_at"].timestamp()) % 2_000_000_000,
            )
        )
    audit.record(
        "calendar_feed.read",
        actor=feed.therapist,
        request=request,
        target_type="therapy_sessions.calendarfeed",
        target_code=str(feed.therapist.code),
        changes={"events": [None, len(events)]},
    )
    return ical.calendar(events, name="Sessions", now=now)
