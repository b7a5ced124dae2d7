"""State changes to accounts. Each writes an audit event with old and new values."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

import audit
from accounts import queries
from accounts.models import Invitation, Supervision, User
from ipnb_notes import outbox
from ipnb_notes.lib.crypto import hash_token


class AccountError(Exception):
    """A rule about accounts was broken; the message is shown to the admin."""


def user_invite(
    *,
    email: str,
    full_name: str,
    role: str,
    credentials: str = "",
    by: User,
    request=None,
) -> User:
    """Create an account without a password and queue the invitation email."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError("An account with this email address already exists.")
    with transaction.atomic():
        user = User(
            email=email, full_name=full_name, role=role, credentials=credentials
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Two admins inviting the same address at once: the unique index decides.
            raise AccountError(
                "An account with this email address already exists."
            ) from None
        invitation = _new_invitation(user=user, by=by)
        audit.record(
            "user.invite",
            actor=by,
            request=request,
            target=user,
            changes={"email": [None, email], "role": [None, role]},
        )
    outbox.enqueue("accounts.tasks.invitation_send", invitation.id)
    return user


def _new_invitation(*, user: User, by: User) -> Invitation:
    # The token itself is made by the task that emails it, so it never travels
    # through the broker; until then this placeholder hash matches no token.
    return Invitation.objects.create(
        user=user,
        invited_by=by,
        token_hash=f"pending-{secrets.token_hex(24)}",
        expires_at=timezone.now() + timedelta(hours=settings.INVITATION_TTL_HOURS),
    )


def invitation_resend(*, user: User, by: User, request=None) -> Invitation:
    """Revoke open invitations for a user who has not yet accepted and send a new one."""
    if user.has_usable_password():
        raise AccountError("This user has already set a password.")
    with transaction.atomic():
        Invitation.objects.filter(
            user=user, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invitation = _new_invitation(user=user, by=by)
        audit.record("user.invite_resend", actor=by, request=request, target=user)
    outbox.enqueue("accounts.tasks.invitation_send", invitation.id)
    return invitation


def invitation_send(*, invitation: Invitation) -> bool:
    """Make the one-time token, store its hash and email the link (no PHI in the email).

    Idempotent: an invitation whose link was already emailed is skipped, so a redelivered
    task sends nothing twice. The hash is committed only after the email has been handed
    over, so a failed send leaves the invitation pending for the retry.
    """
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update()
            .select_related("user")
            .get(pk=invitation.pk)
        )
        if not locked.token_hash.startswith("pending-"):
            return False
        token = secrets.token_urlsafe(32)
        locked.token_hash = hash_token(token)
        locked.save(update_fields=["token_hash"])
        link = settings.SITE_URL.rstrip("/") + reverse(
            "accept_invitation", args=[token]
        )
        context = {"user": locked.user, "link": link, "expires_at": locked.expires_at}
        send_mail(
            subject=render_to_string("emails/invitation-subject.txt", context).strip(),
            message=render_to_string("emails/invitation-body.txt", context),
            from_email=None,
            recipient_list=[locked.user.email],
        )
    return True


def invitation_for_token(token: str) -> Invitation | None:
    """The usable invitation this token opens, or None."""
    invitation = (
        Invitation.objects.select_related("user")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None or not invitation.is_usable or not invitation.user.is_active:
        return None
    return invitation


def invitation_accept(*, invitation: Invitation, password: str, request=None) -> User:
    with transaction.atomic():
        updated = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True
        ).update(accepted_at=timezone.now())
        if not updated:
            raise AccountError("This invitation has already been used.")
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record("user.invite_accept", actor=user, request=request, target=user)
    return user


def user_change_role(*, user: User, role: str, by: User, request=None) -> User:
    if user == by and role != User.Role.ADMIN:
        raise AccountError("You cannot remove your own practice-admin role.")
    old = user.role
    if old == role:
        return user
    user.role = role
    user.save(update_fields=["role"])
    audit.record(
        "user.role_change",
        actor=by,
        request=request,
        target=user,
        changes={"role": [old, role]},
    )
    return user


def supervision_link(
    *,
    supervisor: User,
    supervisee: User,
    started_on: date,
    requires_cosignature: bool,
    by: User,
    request=None,
) -> Supervision:
    if supervisor == supervisee:
        raise AccountError("A user cannot supervise themselves.")
    if supervisor.role != User.Role.SUPERVISOR:
        raise AccountError("Only a user with the supervisor role can supervise.")
    if Supervision.objects.filter(
        supervisor=supervisor, supervisee=supervisee, ended_at__isnull=True
    ).exists():
        raise AccountError(f"{supervisor} already supervises {supervisee}.")
    link = Supervision.objects.create(
        supervisor=supervisor,
        supervisee=supervisee,
        started_on=started_on,
        requires_cosignature=requires_cosignature,
    )
    audit.record(
        "supervision.link",
        actor=by,
        request=request,
        target=link,
        changes={
            "supervisor": [None, str(supervisor.code)],
            "supervisee": [None, str(supervisee.code)],
            "started_on": [None, started_on],
            "requires_cosignature": [None, requires_cosignature],
        },
    )
    return link


def supervision_end(
    *, link: Supervision, by: User, at: datetime | None = None, request=None
) -> Supervision:
    """End a supervision link at this moment: from `at` (now by default) the supervisor no
    longer reads the supervisee's caseload. A link that has not started yet is deleted, not
    ended, so that it never grants access on its start day; the deletion is audited with the
    values it had (the returned instance then has no pk)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = Supervision.objects.select_for_update().filter(pk=link.pk).first()
        if locked is None or locked.ended_at is not None:
            raise AccountError("This supervision link has already ended.")
        if locked.started_on > timezone.localdate(at):
            changes = {
                "supervisor": [str(link.supervisor.code), None],
                "supervisee": [str(link.supervisee.code), None],
                "started_on": [locked.started_on, None],
                "requires_cosignature": [locked.requires_cosignature, None],
            }
            locked.delete()
            link.pk = None
            audit.record(
                "supervision.delete",
                actor=by,
                request=request,
                target=link,
                changes=changes,
            )
            return link
        locked.ended_at = at
        locked.save(update_fields=["ended_at"])
        link.ended_at = at
        audit.record(
            "supervision.end",
            actor=by,
            request=request,
            target=link,
            changes={"ended_at": [None, at.isoformat()]},
        )
    return link


def break_glass_designate(*, user: User, allowed: bool, by: User, request=None) -> User:
    """Designate (or withdraw) a clinician for emergency access; audited with old and new
    value. Only therapists and supervisors may be designated: a practice admin reads no
    clinical text, so an admin can designate neither themselves nor another admin."""
    if allowed and user.pk == by.pk:
        raise AccountError("You cannot designate yourself for emergency access.")
    if allowed and not user.is_clinician:
        raise AccountError(
            "Only a therapist or a supervisor can be designated for emergency access."
        )
    old = user.can_break_glass
    if old == allowed:
        return user
    user.can_break_glass = allowed
    user.save(update_fields=["can_break_glass"])
    audit.record(
        "user.break_glass_designation",
        actor=by,
        request=request,
        target=user,
        changes={"can_break_glass": [old, allowed]},
    )
    return user


def end_all_sessions(user: User) -> int:
    keys = list(
        UserSession.objects.filter(user=user).values_list("session_key", flat=True)
    )
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def user_end_sessions(*, user: User, by: User, request=None) -> int:
    """End every login session of this user at once; returns how many were ended."""
    ended = end_all_sessions(user)
    audit.record(
        "user.end_sessions",
        actor=by,
        request=request,
        target=user,
        changes={"sessions_ended": ended},
    )
    return ended


def user_deactivate(*, user: User, by: User, request=None) -> User:
    """Deactivate an account and end its sessions at once. A clinician who still has clients
    in care is deactivated all the same (access must end when it must); the event records how
    many clients were left with them, and the account pages offer the caseload transfer."""
    if user == by:
        raise AccountError("You cannot deactivate your own account.")
    if not user.is_active:
        return user
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        ended = end_all_sessions(user)
        changes = {"is_active": [True, False], "sessions_ended": ended}
        caseload = queries.open_caseload(user)
        if caseload.total:
            changes["clients_left_assigned"] = caseload.as_changes()
        audit.record(
            "user.deactivate",
            actor=by,
            request=request,
            target=user,
            changes=changes,
        )
    return user


def user_reactivate(*, user: User, by: User, request=None) -> User:
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit.record(
        "user.reactivate",
        actor=by,
        request=request,
        target=user,
        changes={"is_active": [False, True]},
    )
    return user


def purge_expired() -> dict[str, int]:
    """Housekeeping: drop expired login sessions and mark stale invitations revoked."""
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    invitations = Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lt=now
    ).update(revoked_at=now)
    return {"sessions": sessions, "invitations": invitations}


# --- Second factors ------------------------------------------------------------------------


def mfa_reset(*, user: User, by: User, request=None) -> int:
    """A practice admin clears a user's lost second factors. Their sessions end at once and
    they must enrol again at next sign-in; they are told by email. Returns how many
    authenticators were removed."""
    if user == by:
        raise AccountError(
            "You cannot reset your own second factor; ask another practice admin."
        )
    with transaction.atomic():
        removed = list(
            Authenticator.objects.filter(user=user).values_list("type", flat=True)
        )
        Authenticator.objects.filter(user=user).delete()
        ended = end_all_sessions(user)
        audit.record(
            "user.mfa_reset",
            actor=by,
            request=request,
            target=user,
            changes={"authenticators": [sorted(removed), []], "sessions_ended": ended},
        )
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your second factor was reset",
        message=(
            "A practice admin reset the second factor (authenticator app, security key "
            "and recovery codes) of your ipnb-notes account. At your next sign-in you "
            "will be asked to set up a new one.\n\nIf you did not ask for this, tell your "
            "practice admin at once."
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    return len(removed)
