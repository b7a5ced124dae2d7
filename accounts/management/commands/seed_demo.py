"""Demo data for a first look: `make run` loads it, idempotently."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Supervision, User

DEMO_PASSWORD = "demo-password-2026"

ADMIN = ("sam@demo.ipnb-notes.test", "Sam Okafor", "", User.Role.ADMIN)
SUPERVISORS = [
    ("lee@demo.ipnb-notes.test", "Dr. Jordan Lee", "PhD, LMFT"),
    ("rivera@demo.ipnb-notes.test", "Dr. Ana Rivera", "PsyD"),
]
THERAPISTS = [
    ("maya@demo.ipnb-notes.test", "Maya Chen", "LMFT"),
    ("theo@demo.ipnb-notes.test", "Theo Martins", "AMFT (associate)"),
    ("priya@demo.ipnb-notes.test", "Priya Nair", "ACSW (associate)"),
    ("sol@demo.ipnb-notes.test", "Sol Ferreira", "LPCC"),
    ("noor@demo.ipnb-notes.test", "Noor Haddad", "APCC (associate)"),
    ("ben@demo.ipnb-notes.test", "Ben Adler", "LCSW"),
]
# (supervisor email, supervisee email, requires co-signature)
LINKS = [
    ("lee@demo.ipnb-notes.test", "maya@demo.ipnb-notes.test", False),
    ("lee@demo.ipnb-notes.test", "theo@demo.ipnb-notes.test", True),
    ("lee@demo.ipnb-notes.test", "priya@demo.ipnb-notes.test", True),
    ("rivera@demo.ipnb-notes.test", "sol@demo.ipnb-notes.test", False),
    ("rivera@demo.ipnb-notes.test", "noor@demo.ipnb-notes.test", True),
]


class Command(BaseCommand):
    help = "Load the demo practice (idempotent: running it twice changes nothing)."

    def handle(self, *args, **options) -> None:
        if settings.IPNB_ENV not in {"development", "test"}:
            # Published passwords and a shared second factor: never in a real practice.
            raise CommandError(
                f"seed_demo runs only with IPNB_ENV=development or test, not"
                f" {settings.IPNB_ENV!r}: the demo accounts share a published password"
            )
        with transaction.atomic():
            users = self.seed_users()
            self.seed_links(users)
            self.seed_clinical(users)
            second_factor = self.seed_second_factors(users)
        self.stdout.write(
            self.style.SUCCESS("Demo practice ready. Sign in with any of:")
        )
        for email, name, *_ in [ADMIN, *SUPERVISORS, *THERAPISTS]:
            self.stdout.write(f"  {email:32} {name}")
        self.stdout.write(f"  password for all: {DEMO_PASSWORD}")
        if second_factor:
            from accounts.mfa import DEMO_TOTP_SECRET

            self.stdout.write(
                f"  second factor for all: TOTP secret {DEMO_TOTP_SECRET} "
                "(add it to an authenticator app, or run `make demo-code`)"
            )

    def seed_users(self) -> dict[str, User]:
        people = [ADMIN] + [(*s, User.Role.SUPERVISOR) for s in SUPERVISORS]
        people += [(*t, User.Role.THERAPIST) for t in THERAPISTS]
        users = {}
        for email, name, credentials, role in people:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(
                    email,
                    DEMO_PASSWORD,
                    full_name=name,
                    credentials=credentials,
                    role=role,
                )
            users[email] = user
        return users

    def seed_second_factors(self, users: dict[str, User]) -> bool:
        """Every role must use a second factor; the demo accounts share a published TOTP
        secret so that anyone can sign in to the demo. Development only: elsewhere a demo
        practice (if any) enrols like real users do."""
        from allauth.mfa.models import Authenticator
        from django.conf import settings

        from accounts.mfa import enrol_demo_totp

        if settings.IPNB_ENV != "development":
            return False
        enrolled = set(
            Authenticator.objects.filter(
                user__in=users.values(), type=Authenticator.Type.TOTP
            ).values_list("user_id", flat=True)
        )
        for user in users.values():
            if user.id not in enrolled:
                enrol_demo_totp(user)
        return True

    def seed_links(self, users: dict[str, User]) -> None:
        for supervisor, supervisee, cosign in LINKS:
            Supervision.objects.get_or_create(
                supervisor=users[supervisor],
                supervisee=users[supervisee],
                ended_at=None,
                defaults={
                    "requires_cosignature": cosign,
                    "started_on": date(2025, 9, 1),
                },
            )

    def seed_clinical(self, users: dict[str, User]) -> None:
        """Clients, then six months of sessions and notes, then IPNB events (each idempotent)."""
        from clients.demo import seed_clients
        from sessions.capture.demo import seed_events
        from sessions.notes.demo import seed_sessions

        seed_clients(users)
        seed_sessions(users)
        seed_events(users)
