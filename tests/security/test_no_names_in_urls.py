"""Client names and invitation tokens never travel in URLs or logs (WEB-06, AUD-09).

The attack: a name typed into a list page's search rode in `?q=` into the address bar, the
browser history (htmx pushed it), the Referer of the next request and every access log; the
invitation token sat in the path of an access-logged request. The defence: search forms POST
and the views read the term from the body only; gunicorn's access log (ops/gunicorn.conf.py)
and Django's request loggers write paths without query strings or invitation tokens; the
emailed link's first request moves the token into the session and continues at
/invitation/set-password/.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests
from django.core import mail
from django.db import connection
from django.http import HttpResponse
from django.test import Client as BrowserClient
from django.test import RequestFactory
from django.urls import reverse

from accounts import services as account_services
from accounts.models import User
from tests.factories import make_client

ROOT = Path(__file__).resolve().parents[2]
NAME = "Rosalind Marsh"
SECRET_NAME = "Quillon Vantablack"  # searched for, never shown: must appear in no log
PASSWORD = "a long and quiet river 2026"

# Attributes through which a page could put a URL in the address bar, the history or a request.
URL_ATTRIBUTES = re.compile(
    r'(?:href|action|hx-get|hx-post|hx-push-url|hx-replace-url)="([^"]*)"'
)


def _search_pages(personas):
    """(persona, URL, rows id) of every list page with a search by name."""
    return [
        (personas["alice"], reverse("clients:client_list"), "client-rows"),
        (personas["ada"], reverse("clients:assign_list"), "assign-rows"),
        (personas["ada"], reverse("accounts:user_list"), "user-rows"),
        (personas["alice"], reverse("dashboards:caseload"), "caseload-rows"),
        (
            personas["bob"],
            reverse("dashboards:supervisee_caseload", args=[personas["alice"].code]),
            "caseload-rows",
        ),
    ]


def _assert_no_term_in_urls(html: str, term: str) -> None:
    assert "hx-push-url" not in html
    for url in URL_ATTRIBUTES.findall(html):
        assert "q=" not in url, url
        assert term.lower() not in url.lower(), url
        assert quote(term).lower() not in url.lower(), url


# --- The list pages --------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_search_form_posts_and_no_link_or_pushed_url_carries_the_term(personas):
    make_client(personas["alice"], legal_name=NAME)
    for user, url, rows in _search_pages(personas):
        browser = BrowserClient()
        browser.force_login(user)
        page = browser.get(url).content.decode()
        form = re.search(r'<form[^>]*role="search"[^>]*>', page)
        assert form, url
        assert 'method="post"' in form.group(0), url
        assert "hx-post=" in form.group(0) and "hx-get=" not in form.group(0), url
        assert "hx-push-url" not in page, url

        term = "Rosalind" if "users" not in url else "Alice"
        # Without JavaScript: the same page, the term kept in its field, in no URL.
        full = browser.post(url, {"q": term, "sort": "name"})
        assert full.status_code == 200, url
        html = full.content.decode()
        assert f'value="{term}"' in html, url
        _assert_no_term_in_urls(html, term)
        # With htmx: the rows only; the address bar gets the filters, never the term.
        partial = browser.post(
            url,
            {"q": term, "sort": "name"},
            headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{url}"},
        )
        assert partial.status_code == 200, url
        assert "<html" not in partial.content.decode(), url
        _assert_no_term_in_urls(partial.content.decode(), term)
        pushed = partial.headers.get("HX-Push-Url", "")
        assert "q=" not in pushed and term.lower() not in pushed.lower(), url
        assert pushed.startswith(url) or pushed == "", url
        assert f'id="{rows}"' in html, url


@pytest.mark.django_db
def test_paging_through_a_search_keeps_the_term_out_of_the_links(alice):
    for n in range(53):
        make_client(alice, legal_name=f"Marsh Number{n:02d}")
    make_client(alice, legal_name="Other Person")
    browser = BrowserClient()
    browser.force_login(alice)
    url = reverse("clients:client_list")

    first = browser.post(url, {"q": "marsh", "status": "active", "sort": "name"})
    html = first.content.decode()
    _assert_no_term_in_urls(html, "marsh")
    # Page two is a button that submits the search form again, the term in the body.
    assert re.search(
        r'<button[^>]*form="client-search"[^>]*name="page"[^>]*value="2"', html
    )
    second = browser.post(url, {"q": "marsh", "status": "active", "page": "2"})
    assert [c.legal_name for c in second.context["page"]] == [
        "Marsh Number50",
        "Marsh Number51",
        "Marsh Number52",
    ]
    # Without a term the pages stay links, with the filters and never a name.
    plain = browser.get(url, {"status": "all", "sort": "intake"}).content.decode()
    assert 'href="?status=all&amp;sort=intake&amp;page=2"' in plain


@pytest.mark.django_db
def test_a_name_in_the_query_string_finds_nothing_by_it(alice):
    """An old bookmark or a crafted link with ?q=<name> is not a search: the name is neither
    applied nor written back into the page."""
    make_client(alice, legal_name=NAME)
    make_client(alice, legal_name="Other Person")
    browser = BrowserClient()
    browser.force_login(alice)

    response = browser.get(reverse("clients:client_list"), {"q": "Rosalind"})

    assert len(response.context["page"]) == 2
    assert 'value="Rosalind"' not in response.content.decode()


# --- The invitation link -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_invitation_token_leaves_the_address_after_the_first_request(
    ada, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        account_services.user_invite(
            email="nia@example.org", full_name="Nia Okoro", role="THERAPIST", by=ada
        )
    link = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[0].body).group(0)
    path = urlsplit(link).path
    token = path.split("/")[2]
    browser = BrowserClient()

    opened = browser.get(path)

    assert opened.status_code == 302
    assert opened["Location"] == "/invitation/set-password/"
    assert token not in opened["Location"]
    form = browser.get(opened["Location"])
    assert form.status_code == 200
    assert "Welcome, Nia Okoro" in form.content.decode()
    assert token not in form.content.decode()
    done = browser.post(
        "/invitation/set-password/", {"password1": PASSWORD, "password2": PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == reverse("account_login")
    assert User.objects.get(email="nia@example.org").check_password(PASSWORD)
    # Used: neither the link nor the token-free address opens the form again.
    assert browser.get(path).status_code == 404
    assert browser.get("/invitation/set-password/").status_code == 404


@pytest.mark.django_db
def test_the_token_free_address_opens_nothing_by_itself(client):
    response = client.get("/invitation/set-password/")
    posted = client.post(
        "/invitation/set-password/", {"password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 404 and "cannot be used" in response.content.decode()
    assert posted.status_code == 404


# --- Django's own request logs ---------------------------------------------------------------


def test_runserver_logs_the_path_without_query_string_or_token(caplog):
    from django.core.servers.basehttp import WSGIRequestHandler

    class Handler:  # what WSGIRequestHandler.log_message reads from itself
        request = None

        def log_date_time_string(self):
            return "06/Dec/2026 10:00:00"

    with caplog.at_level(logging.INFO, logger="django.server"):
        WSGIRequestHandler.log_message(
            Handler(),
            '"%s" %s %s',
            f"GET /clients/?q={quote(SECRET_NAME)} HTTP/1.1",
            "200",
            "1234",
        )
        WSGIRequestHandler.log_message(
            Handler(),
            '"%s" %s %s',
            "GET /invitation/s3cr3t-t0ken/ HTTP/1.1",
            "302",
            "0",
        )
    text = caplog.text
    assert '"GET /clients/ HTTP/1.1" 200 1234' in text
    assert '"GET /invitation/[token]/ HTTP/1.1" 302 0' in text
    assert "Quillon" not in text and "s3cr3t" not in text


def test_django_request_errors_log_no_query_string_or_token(caplog):
    from django.utils.log import log_response

    request = RequestFactory().get("/invitation/s3cr3t-t0ken/", {"q": SECRET_NAME})
    with caplog.at_level(logging.ERROR, logger="django.request"):
        log_response(
            "Internal Server Error: %s",
            request.get_full_path(),
            response=HttpResponse(status=500),
            request=request,
        )
    assert "Internal Server Error: /invitation/[token]/" in caplog.text
    assert "s3cr3t" not in caplog.text and "Quillon" not in caplog.text


# --- The deployed server: a real gunicorn with ops/gunicorn.conf.py --------------------------


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    host, port = db["HOST"] or "", db["PORT"] or ""
    if host.startswith("/"):  # the embedded server listens on a Unix socket
        return f"postgresql://{auth}@:{port}/{db['NAME']}?host={quote(host)}"
    return f"postgresql://{auth}@{host}:{port}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """gunicorn with the image's configuration file, against the test database; yields its base
    URL and a function returning everything it has written (stdout and stderr)."""
    port = _free_port()
    out = (tmp_path / "gunicorn.log").open("w+")
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "IPNB_ENV": "test"}
    env.pop("TEST_DB_NAME", None)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            "ops/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "ipnb_notes.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def output() -> str:
        out.flush()
        out.seek(0)
        return out.read()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{output()}")
                time.sleep(0.3)
        yield base, output
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        out.close()


def _signed_in_session(user) -> requests.Session:
    browser = BrowserClient()
    browser.force_login(user)
    session = requests.Session()
    for morsel in browser.cookies.values():
        session.cookies.set(morsel.key, morsel.value)
    return session


def _csrf(session: requests.Session, html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_gunicorn_logs_no_client_name_and_no_invitation_token(
    gunicorn, alice, ada, django_capture_on_commit_callbacks
):
    base, output = gunicorn
    make_client(alice, legal_name=NAME)
    make_client(alice, legal_name=SECRET_NAME)

    # A therapist searches her caseload by name, with htmx and without.
    therapist = _signed_in_session(alice)
    page = therapist.get(f"{base}/clients/", timeout=30)
    assert page.status_code == 200 and NAME in page.text
    token = _csrf(therapist, page.text)
    found = therapist.post(
        f"{base}/clients/",
        {"csrfmiddlewaretoken": token, "q": "Quillon", "status": "active"},
        headers={"Referer": f"{base}/clients/"},
        timeout=30,
    )
    assert found.status_code == 200
    assert SECRET_NAME in found.text and NAME not in found.text
    rows = therapist.post(
        f"{base}/clients/",
        {"q": "Vantablack", "status": "all"},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"{base}/clients/",
            "X-CSRFToken": token,
            "Referer": f"{base}/clients/",
        },
        timeout=30,
    )
    assert rows.status_code == 200 and SECRET_NAME in rows.text
    assert "q=" not in rows.headers.get("HX-Push-Url", "")
    # An old bookmark with the name in its query string: served, and not logged.
    therapist.get(f"{base}/clients/?q={quote(SECRET_NAME)}", timeout=30)
    # A Referer carrying a query string (the previous page's) is not logged either.
    therapist.get(
        f"{base}/clients/",
        headers={"Referer": f"{base}/clients/?q={quote(SECRET_NAME)}"},
        timeout=30,
    )

    # An invited therapist follows the emailed link and sets a password.
    with django_capture_on_commit_callbacks(execute=True):
        account_services.user_invite(
            email="nia@example.org", full_name="Nia Okoro", role="THERAPIST", by=ada
        )
    link = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[-1].body).group(0)
    path = urlsplit(link).path
    invitation_token = path.split("/")[2]
    invitee = requests.Session()
    opened = invitee.get(f"{base}{path}", allow_redirects=False, timeout=30)
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/invitation/set-password/"
    form = invitee.get(f"{base}/invitation/set-password/", timeout=30)
    assert "Welcome, Nia Okoro" in form.text
    accepted = invitee.post(
        f"{base}/invitation/set-password/",
        {
            "csrfmiddlewaretoken": _csrf(invitee, form.text),
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        headers={"Referer": f"{base}/invitation/set-password/"},
        allow_redirects=False,
        timeout=60,
    )
    assert accepted.status_code == 302, accepted.text[:500]
    assert User.objects.get(email="nia@example.org").has_usable_password()
    # A second visit of the used link is the invalid page; its token is not logged either.
    assert invitee.get(f"{base}{path}", timeout=30).status_code == 404

    time.sleep(0.5)  # the worker writes its access log line after the response
    log = output()
    # The log is there, one line per request, paths readable...
    assert '"GET /clients/ HTTP/1.1" 200' in log
    assert '"POST /clients/ HTTP/1.1" 200' in log
    assert '"GET /invitation/[token]/ HTTP/1.1" 302' in log
    assert '"POST /invitation/set-password/ HTTP/1.1" 302' in log
    # ...and carries no name, no search term, no query string and no token.
    for secret in ("Quillon", "Vantablack", "Rosalind", "Marsh", invitation_token):
        assert secret not in log, secret
    access_lines = [line for line in log.splitlines() if ' HTTP/1.1" ' in line]
    assert len(access_lines) >= 9
    assert not [line for line in access_lines if "?" in line or "q=" in line]
