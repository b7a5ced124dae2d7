"""Shared steps for browser tests."""

from __future__ import annotations

import time

from tests.factories import PASSWORD, TOTP_SECRET

# A TOTP code is accepted once: remember the period each user last used, so that a second
# sign-in within the same 30 seconds waits for a fresh code instead of failing.
_last_period: dict[int, int] = {}


def fresh_totp_code(user, secret: str = TOTP_SECRET) -> str:
    from accounts.mfa import totp_code

    period = int(time.time() // 30)
    # The server accepts only the current period's code: a code typed in the last seconds of
    # its period can reach the server in the next one on a loaded machine, so wait for a new
    # period then too.
    if _last_period.get(user.pk) == period or 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.2)
        period = int(time.time() // 30)
    _last_period[user.pk] = period
    return totp_code(secret)


def complete_totp_step(page, user, secret: str = TOTP_SECRET) -> None:
    """On the second-factor page, type the current code and submit it."""
    page.get_by_label("Code").fill(fresh_totp_code(user, secret))
    page.get_by_role("button", name="Verify").click()


def login(
    page,
    live_server,
    user,
    password: str = PASSWORD,
    *,
    totp_secret: str = TOTP_SECRET,
    next_url: str | None = None,
) -> None:
    """Sign in through the real login form and the second-factor step, then wait for the
    home page (or `next_url`)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    complete_totp_step(page, user, totp_secret)
    page.wait_for_url(next_url or f"{live_server.url}/")


def assert_no_serious_axe_violations(page) -> None:
    """axe-core finds no serious or critical WCAG violation on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        v
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert not bad, "\n".join(
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in bad
    )


def tab_to(page, text: str, *, limit: int = 150) -> None:
    """Press Tab until the focused control's label or text contains `text`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        name = page.evaluate(
            """() => {
              const el = document.activeElement;
              if (!el || !el.matches("a, button, input, select, textarea, summary")) return "";
              const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
              return (label + " " + (el.textContent || "") + " " + (el.getAttribute("aria-label") || "")).replace(/\\s+/g, " ");
            }"""
        )
        if text in name:
            return
    raise AssertionError(f"no focusable control named {text!r}")
