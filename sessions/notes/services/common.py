"""Errors, signer names and attestations shared by the note services."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from sessions.models import ProgressNote, TherapySession


class NoteError(Exception):
    """A rule of the clinical record was broken; the message is shown to the user."""


class VersionConflict(NoteError):
    """Someone (another tab, another device) saved the note since this version was loaded."""

    def __init__(self, current):
        super().__init__("This note was changed elsewhere since you opened it.")
        self.current = current


def signer_name(user: User) -> str:
    return (
        f"{user.full_name}, {user.credentials}" if user.credentials else user.full_name
    )


def local_date(value) -> str:
    return date_format(timezone.localtime(value), "F j, Y")


def author_attestation(session: TherapySession) -> str:
    return (
        "I attest that this note accurately documents the service provided on "
        f"{local_date(session.starts_at)}."
    )


def cosign_attestation(session: TherapySession) -> str:
    return (
        "I have reviewed this note and co-sign it as the supervising clinician for the "
        f"service provided on {local_date(session.starts_at)}."
    )


def addendum_attestation(note: ProgressNote) -> str:
    return (
        "I attest that this addendum is accurate and adds to the signed note of the service "
        f"provided on {local_date(note.session.starts_at)}."
    )


def rollup(client) -> None:
    from dashboards.services import request_rollup

    request_rollup(client)
