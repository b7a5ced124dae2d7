"""Sudo mode wherever privilege is granted or records leave the app (SESS-05).

The attack: a session whose last password entry is old (a borrowed, unlocked browser; a
stolen session cookie) grants privilege, or sends a form whose body allauth would then keep
in the session to replay after re-authentication: the recipient of a release, the reason for
emergency access, a new email address. The defence (ipnb_notes/sudo.py): the page that shows
the form already asks for the password; a POST without a recent authentication changes
nothing, is sent to re-authenticate, and no part of it is stored in the session.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client as Browser
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Supervision, User
from audit.models import AuditEvent
from clients.models import CaseAssignment, EmergencyAccess
from disclosures.models import Disclosure, Purpose
from tests.factories import make_client, make_user, mark_recently_authenticated

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.django_db

# Text that must never reach the session store when a POST is refused.
RECIPIENT = "Dr. Sentinel Recipient, Harbour Clinic"
REASON = "SentinelReason: the client called the crisis line and needs the plan now."
NEW_EMAIL = "sentinel.new.address@example.org"
NEW_ADMIN = "sentinel.new.admin@example.org"
SENTINELS = (RECIPIENT, REASON, NEW_EMAIL, NEW_ADMIN, "Sentinel")


@dataclass
class World:
    alice: User
    ada: User
    charlie: User
    dana: User
    sam: User
    client: Any


@pytest.fixture
def world(alice, ada, charlie):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=alice, email=NEW_EMAIL, verified=True)
    return World(
        alice=alice,
        ada=ada,
        charlie=charlie,
        dana=make_user(full_name="Dana Oncall", can_break_glass=True),
        sam=make_user(full_name="Sam Supervisor", role=User.Role.SUPERVISOR),
        client=make_client(alice, legal_name="Robin Stepup"),
    )


@dataclass
class Action:
    """One privileged action: who does it, the page that shows its form, what it posts,
    and how to tell that it happened."""

    actor: Callable[[World], User]
    form_page: Callable[[World], str]
    post_url: Callable[[World], str] | None = None
    data: Callable[[World], dict] = field(default=lambda w: {})
    done: Callable[[World], bool] = field(default=lambda w: False)


def _primary(w: World) -> User | None:
    current = CaseAssignment.objects.current().filter(
        client=w.client, role=CaseAssignment.Role.PRIMARY
    )
    return current.get().therapist if current.exists() else None


ACTIONS: dict[str, Action] = {
    "invite a practice admin": Action(
        actor=lambda w: w.ada,
        form_page=lambda w: reverse("accounts:user_invite"),
        post_url=lambda w: reverse("accounts:user_invite"),
        data=lambda w: {
            "full_name": "Sentinel Admin",
            "email": NEW_ADMIN,
            "role": User.Role.ADMIN,
        },
        done=lambda w: User.objects.filter(
            email=NEW_ADMIN, role=User.Role.ADMIN
        ).exists(),
    ),
    "create a supervision link": Action(
        actor=lambda w: w.ada,
        form_page=lambda w: reverse("accounts:user_detail", args=[w.alice.code]),
        post_url=lambda w: reverse("accounts:supervision_create", args=[w.alice.code]),
        data=lambda w: {
            "supervisor": str(w.sam.code),
            "started_on": timezone.localdate().isoformat(),
            "requires_cosignature": "on",
        },
        done=lambda w: Supervision.objects.filter(
            supervisor=w.sam, supervisee=w.alice
        ).exists(),
    ),
    "change a role": Action(
        actor=lambda w: w.ada,
        form_page=lambda w: reverse("accounts:user_detail", args=[w.alice.code]),
        post_url=lambda w: reverse("accounts:user_change_role", args=[w.alice.code]),
        data=lambda w: {"role": User.Role.ADMIN},
        done=lambda w: User.objects.get(pk=w.alice.pk).role == User.Role.ADMIN,
    ),
    "assign a primary therapist": Action(
        actor=lambda w: w.ada,
        form_page=lambda w: reverse("clients:assign_detail", args=[w.client.code]),
        post_url=lambda w: reverse("clients:assign_primary", args=[w.client.code]),
        data=lambda w: {"therapist": w.charlie.pk},
        done=lambda w: _primary(w) == w.charlie,
    ),
    "assign a co-therapist": Action(
        actor=lambda w: w.ada,
        form_page=lambda w: reverse("clients:assign_detail", args=[w.client.code]),
        post_url=lambda w: reverse("clients:cotherapist_add", args=[w.client.code]),
        data=lambda w: {"therapist": w.charlie.pk},
        done=lambda w: (
            CaseAssignment.objects.current()
            .filter(
                client=w.client,
                therapist=w.charlie,
                role=CaseAssignment.Role.CO_THERAPIST,
            )
            .exists()
        ),
    ),
    "transfer a caseload": Action(
        actor=lambda w: w.ada,
        form_page=lambda w: reverse("clients:caseload_transfer", args=[w.alice.code]),
        post_url=lambda w: reverse("clients:caseload_transfer", args=[w.alice.code]),
        data=lambda w: {"therapist": w.charlie.pk},
        done=lambda w: _primary(w) == w.charlie,
    ),
    # allauth refuses to add an unverified address to an account with a second factor (every
    # account here), so the change that matters is making another address the sign-in one.
    "change one's email": Action(
        actor=lambda w: w.alice,
        form_page=lambda w: reverse("account_email"),
        post_url=lambda w: reverse("account_email"),
        data=lambda w: {"email": NEW_EMAIL, "action_primary": ""},
        done=lambda w: User.objects.get(pk=w.alice.pk).email == NEW_EMAIL,
    ),
    "release the record": Action(
        actor=lambda w: w.alice,
        form_page=lambda w: reverse("disclosures:release", args=[w.client.code]),
        post_url=lambda w: reverse("disclosures:release", args=[w.client.code]),
        data=lambda w: {
            "recipient": RECIPIENT,
            "purpose": Purpose.CONTINUITY_OF_CARE,
            "description": "Record sent for the transfer of care.",
        },
        done=lambda w: Disclosure.objects.filter(client=w.client).exists(),
    ),
    "open a record in an emergency": Action(
        actor=lambda w: w.dana,
        form_page=lambda w: reverse("audit:emergency_access"),
        post_url=lambda w: reverse("audit:emergency_access"),
        data=lambda w: {"client": str(w.client.code), "reason": REASON},
        done=lambda w: EmergencyAccess.objects.filter(user=w.dana).exists(),
    ),
    "export the caseload": Action(
        actor=lambda w: w.alice,
        form_page=lambda w: reverse("dashboards:caseload_csv"),
    ),
    "export a client's trajectory": Action(
        actor=lambda w: w.alice,
        form_page=lambda w: reverse(
            "dashboards:trajectory_csv", args=[w.client.code, "indicators"]
        ),
    ),
    "export the audit trail": Action(
        actor=lambda w: w.ada,
        form_page=lambda w: reverse("audit:event_export"),
    ),
}
POSTED = {name: a for name, a in ACTIONS.items() if a.post_url is not None}


def _browser(user: User, *, recent: bool) -> Browser:
    browser = Browser()
    browser.force_login(user)
    if recent:
        mark_recently_authenticated(browser, user)
    return browser


def _stored_session(browser: Browser) -> dict:
    """What the session store holds for this browser, read back from the database."""
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return Session.objects.get(session_key=key).get_decoded()


def _assert_sent_to_reauthenticate(response) -> None:
    assert response.status_code == 302, response.status_code
    assert "/reauthenticate/" in response["Location"]


def _assert_nothing_kept(browser: Browser) -> None:
    from allauth.account.internal.flows.reauthentication import STATE_SESSION_KEY

    stored = _stored_session(browser)
    assert STATE_SESSION_KEY not in stored  # allauth's suspended request
    text = json.dumps(stored, default=str)
    for sentinel in SENTINELS:
        assert sentinel not in text


@pytest.mark.parametrize("name", ACTIONS)
def test_the_page_with_the_form_asks_for_the_password_first(world, name):
    action = ACTIONS[name]
    browser = _browser(action.actor(world), recent=False)
    response = browser.get(action.form_page(world))
    _assert_sent_to_reauthenticate(response)
    # ... and comes back to the same page afterwards (nothing else is resumed).
    assert response["Location"].endswith("?next=" + _quoted(action.form_page(world)))
    _assert_nothing_kept(browser)


@pytest.mark.parametrize("name", POSTED)
def test_a_post_without_recent_authentication_changes_nothing_and_is_not_kept(
    world, name
):
    action = POSTED[name]
    browser = _browser(action.actor(world), recent=False)
    response = browser.post(action.post_url(world), action.data(world))
    _assert_sent_to_reauthenticate(response)
    assert not action.done(world)
    _assert_nothing_kept(browser)


@pytest.mark.parametrize("name", POSTED)
def test_an_authentication_that_expired_after_the_form_was_shown_keeps_nothing(
    world, name
):
    """The realistic case: the form was opened in sudo mode, filled in, and sent after the
    timeout. The typed text is not parked in the session for a later replay."""
    action = POSTED[name]
    browser = _browser(action.actor(world), recent=True)
    assert browser.get(action.form_page(world)).status_code == 200
    later = timedelta(seconds=settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 5)
    with time_machine.travel(timezone.now() + later, tick=False):
        response = browser.post(
            action.post_url(world),
            action.data(world),
            headers={"Referer": "http://testserver" + action.form_page(world)},
        )
        _assert_sent_to_reauthenticate(response)
        # Back to the form page after the password, not to a replay of the POST.
        assert response["Location"].endswith(
            "?next=" + _quoted(action.form_page(world))
        )
        assert not action.done(world)
        _assert_nothing_kept(browser)


@pytest.mark.parametrize("name", ACTIONS)
def test_with_a_recent_authentication_the_action_works(world, name):
    action = ACTIONS[name]
    browser = _browser(action.actor(world), recent=True)
    page = browser.get(action.form_page(world))
    assert page.status_code == 200
    if action.post_url is None:  # an export: the GET is the action
        assert "attachment" in page["Content-Disposition"]
        return
    response = browser.post(action.post_url(world), action.data(world))
    assert response.status_code in (200, 302), response.content.decode()[:500]
    assert action.done(world)


def test_re_entering_the_password_does_not_replay_a_refused_post(world):
    """After re-authenticating, the user lands on the empty form: the refused release is not
    sent on their behalf."""
    from tests.factories import PASSWORD

    action = ACTIONS["release the record"]
    browser = _browser(world.alice, recent=False)
    refused = browser.post(action.post_url(world), action.data(world))
    _assert_sent_to_reauthenticate(refused)
    back = browser.post(refused["Location"], {"password": PASSWORD})
    assert back.status_code == 302
    assert back["Location"] == action.post_url(world)
    assert not Disclosure.objects.exists()
    assert browser.get(back["Location"]).status_code == 200
    assert not Disclosure.objects.exists()


def test_someone_who_may_not_act_gets_404_not_a_password_prompt(world):
    """The access check comes first: Charlie learns nothing from a password prompt."""
    browser = _browser(world.charlie, recent=False)
    assert (
        browser.get(
            reverse("disclosures:release", args=[world.client.code])
        ).status_code
        == 404
    )
    response = browser.get(reverse("accounts:user_detail", args=[world.alice.code]))
    assert response.status_code == 404


def test_htmx_requests_are_sent_to_reauthenticate_with_hx_redirect(world):
    browser = _browser(world.ada, recent=False)
    response = browser.get(
        reverse("clients:assign_detail", args=[world.client.code]),
        headers={"HX-Request": "true"},
    )
    assert "/reauthenticate/" in response["HX-Redirect"]


def _quoted(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")


def _views(patterns, namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _views(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield f"{namespace}{p.name}", p.callback


def _view_source(callback) -> str:
    func = inspect.unwrap(callback)
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return ""


def test_every_view_in_sudo_mode_goes_through_the_one_decorator():
    """A view that checks for a recent authentication is wrapped in sudo_mode (so a GET is
    redirected and a POST is refused without being stored), and no project code calls
    allauth's reauthentication helpers, which keep a suspended POST in the session."""
    checked = []
    for name, callback in _views(get_resolver().url_patterns):
        if "require_recent_authentication(" in _view_source(callback):
            checked.append(name)
            assert getattr(callback, "sudo_mode", False), name
    assert len(checked) >= 15, checked

    import pathlib

    root = pathlib.Path(settings.BASE_DIR)
    for path in root.glob("*/**/*.py"):
        if path.parts[len(root.parts)].startswith((".", "tests")):
            continue
        text = path.read_text()
        assert "reauthentication_required(" not in text, path
        assert "raise_if_reauthentication" not in text, path


def test_each_page_with_a_privileged_form_is_in_sudo_mode():
    """The forms posting to POST-only sudo views live on pages that are themselves in sudo
    mode, so the form is never filled in without a recent authentication."""
    from accounts import views as account_views
    from clients import views as client_views

    for view in (
        account_views.user_detail,
        account_views.user_invite,
        client_views.assign_detail,
        client_views.caseload_transfer,
    ):
        assert view.sudo_mode


# --- The assignment pages are reads of client data (AUD-01) --------------------------------------


def test_the_assignment_pages_and_the_transfer_page_are_audited_reads(world):
    second = make_client(world.alice, legal_name="Second Stepup")
    browser = _browser(world.ada, recent=True)

    assert browser.get(reverse("clients:assign_list")).status_code == 200
    listed = AuditEvent.objects.get(action="client.assignment_list_view")
    assert listed.actor == world.ada
    assert set(listed.changes["clients"]) == {str(world.client.code), str(second.code)}

    url = reverse("clients:assign_detail", args=[world.client.code])
    assert browser.get(url).status_code == 200
    viewed = AuditEvent.objects.get(action="client.assignment_view")
    assert viewed.actor == world.ada
    assert viewed.client_code == world.client.code
    assert viewed.target_code == str(world.client.code)

    url = reverse("clients:caseload_transfer", args=[world.alice.code])
    assert browser.get(url).status_code == 200
    transfer = AuditEvent.objects.get(action="client.caseload_transfer_view")
    assert transfer.actor == world.ada
    assert transfer.target_code == str(world.alice.code)
    assert set(transfer.changes["clients"]) == {
        str(world.client.code),
        str(second.code),
    }


def test_a_refused_assignment_form_is_an_audited_read_too(world):
    """A form sent back with an error shows the client's assignments again: also a read."""
    browser = _browser(world.ada, recent=True)
    response = browser.post(
        reverse("clients:assign_primary", args=[world.client.code]),
        {"therapist": "not-a-therapist"},
    )
    assert response.status_code == 400
    event = AuditEvent.objects.get(action="client.assignment_view")
    assert event.client_code == world.client.code
