"""Who sees which dashboard, what the pages say, CSV safety, and bounded query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from dashboards import services
from sessions.models import IntegrationIndicator
from tests.dashboards.helpers import (
    arousal,
    attune,
    rate,
    rate_composite,
    repair,
    rupture,
    session,
    signed_note,
    weeks_ago,
)
from tests.factories import make_client, mark_recently_authenticated

pytestmark = pytest.mark.django_db
MAX_QUERIES = 15


def _login(client, user) -> None:
    """Signed in and re-authenticated a moment ago: the CSV exports need sudo mode."""
    client.force_login(user)
    mark_recently_authenticated(client, user)


def fill(client, therapist, sessions: int):
    for k in range(sessions):
        # At midnight local: the youngest session is past 14 days whatever the hour now.
        s = session(client, therapist, weeks_ago(sessions - k + 1, hour=0))
        rate_composite(s, k % 5)
        rate(s, {"river-position": 0})
        arousal(s, "WITHIN")
        arousal(s, "HYPER")
        attune(s, "MATCH")
        attune(s, "MISMATCH")
        r = rupture(s)
        if k % 2:
            repair(r, s)
        signed_note(s, 30)
    services.rollup_refresh_client(client_id=client.id)


@pytest.fixture
def record(alice):
    client = make_client(alice, legal_name="Dana Example")
    fill(client, alice, 3)
    return client


def urls(record, alice):
    return {
        "index": reverse("dashboards:index"),
        "ping": reverse("dashboards:ping"),
        "caseload": reverse("dashboards:caseload"),
        "supervisee_caseload": reverse(
            "dashboards:supervisee_caseload", args=[alice.code]
        ),
        "trajectory": reverse("dashboards:trajectory", args=[record.code]),
        "trajectory_csv": reverse(
            "dashboards:trajectory_csv", args=[record.code, "indicators"]
        ),
        "caseload_csv": reverse("dashboards:caseload_csv"),
        "supervisee_caseload_csv": reverse(
            "dashboards:supervisee_caseload_csv", args=[alice.code]
        ),
        "supervision": reverse("dashboards:supervision"),
        "supervision_csv": reverse("dashboards:supervision_csv"),
        "practice": reverse("dashboards:practice"),
        "practice_csv": reverse("dashboards:practice_csv"),
    }


# Expected status per persona; 302 for index means a redirect to the role's own dashboard.
EXPECTED = {
    "alice": {
        "caseload_csv": 200,
        "supervisee_caseload_csv": 404,
        "index": 302,
        "ping": 200,
        "caseload": 200,
        "supervisee_caseload": 404,
        "trajectory": 200,
        "trajectory_csv": 200,
        "supervision": 404,
        "supervision_csv": 404,
        "practice": 404,
        "practice_csv": 404,
    },
    "bob": {
        "caseload_csv": 200,
        "supervisee_caseload_csv": 200,
        "index": 302,
        "ping": 200,
        "caseload": 200,
        "supervisee_caseload": 200,
        "trajectory": 200,
        "trajectory_csv": 200,
        "supervision": 200,
        "supervision_csv": 200,
        "practice": 404,
        "practice_csv": 404,
    },
    "charlie": {
        "caseload_csv": 200,
        "supervisee_caseload_csv": 404,
        "index": 302,
        "ping": 200,
        "caseload": 200,
        "supervisee_caseload": 404,
        "trajectory": 404,
        "trajectory_csv": 404,
        "supervision": 404,
        "supervision_csv": 404,
        "practice": 404,
        "practice_csv": 404,
    },
    "ada": {
        "caseload_csv": 404,
        "supervisee_caseload_csv": 404,
        "index": 302,
        "ping": 200,
        "caseload": 404,
        "supervisee_caseload": 404,
        "trajectory": 404,
        "trajectory_csv": 404,
        "supervision": 404,
        "supervision_csv": 404,
        "practice": 200,
        "practice_csv": 200,
    },
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_access_to_every_dashboard_url(client, personas, record, persona):
    _login(client, personas[persona])
    for name, url in urls(record, personas["alice"]).items():
        response = client.get(url)
        assert response.status_code == EXPECTED[persona][name], (persona, name)


def test_anonymous_users_go_to_login(client, personas, record):
    for url in urls(record, personas["alice"]).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_index_sends_each_role_to_its_dashboard(client, personas):
    expected = {
        "alice": "dashboards:caseload",
        "bob": "dashboards:supervision",
        "ada": "dashboards:practice",
    }
    for persona, name in expected.items():
        _login(client, personas[persona])
        assert client.get(reverse("dashboards:index"))["Location"] == reverse(name)


def test_a_former_supervisee_is_not_visible(client, alice, bob, record):
    from accounts.models import Supervision

    Supervision.objects.filter(supervisor=bob).update(
        started_on="2024-01-01", ended_at="2025-01-01T00:00:00-05:00"
    )
    _login(client, bob)
    assert (
        client.get(reverse("dashboards:trajectory", args=[record.code])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("dashboards:supervisee_caseload", args=[alice.code])
        ).status_code
        == 404
    )
    assert (
        b"no current supervisees"
        in client.get(reverse("dashboards:supervision")).content
    )


def test_trajectory_page_labels_and_audit(client, alice, bob, record):
    from audit.models import AuditEvent

    _login(client, alice)
    response = client.get(reverse("dashboards:trajectory", args=[record.code]))
    html = response.content.decode()
    # The status and the composite's members come from the indicators, linked to Sources.
    assert (
        '<a class="status-label" href="/sources/#faces">'
        "Clinician-rated, non-standardised</a>" in html
    )
    assert (
        "the descriptive mean of Flexible, Adaptive, Coherent, Energized, Stable"
        in html
    )
    assert "not a validated score" in html
    assert "over the last 3 rated sessions" in html
    assert "Data as of" in html
    assert 'id="trajectory-data"' in html
    assert "Read-only" not in html
    # Data tables: measures, indicators, window of tolerance, ruptures, attunement.
    assert html.count("<details") == 5
    # fill(): ruptures 4 and 2 weeks old are open (> 14 days); the one between was repaired.
    assert html.count("badge-danger") == 2
    assert "0 min, same session" in html
    assert "style=" not in html
    event = AuditEvent.objects.filter(action="client.trajectory_view").latest("seq")
    assert event.actor_id == alice.id
    _login(client, bob)
    assert (
        "Read-only"
        in client.get(
            reverse("dashboards:trajectory", args=[record.code])
        ).content.decode()
    )


def test_trajectory_htmx_filter_returns_the_fragment(client, alice, record):
    _login(client, alice)
    response = client.get(
        reverse("dashboards:trajectory", args=[record.code]),
        {"range": "12", "window": "3"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "over the last 3 rated sessions" in html


def test_bad_filter_values_fall_back_to_defaults(client, alice, record):
    _login(client, alice)
    response = client.get(
        reverse("dashboards:trajectory", args=[record.code]),
        {"range": "nonsense", "window": "abc"},
    )
    assert response.status_code == 200
    assert response.context["window"] == 8 and response.context["span"] == "26"
    response = client.get(reverse("dashboards:caseload"), {"sort": "evil"})
    assert response.status_code == 200 and response.context["sort"] == "flags"


def test_caseload_filters_and_sorts(client, alice, record):
    other = make_client(alice, legal_name="Zed Person")
    services.rollup_refresh_client(client_id=other.id)
    _login(client, alice)
    response = client.get(reverse("dashboards:caseload"), {"sort": "name"})
    names = [r["legal_name"] for r in response.context["rows"]]
    assert names == ["Dana Example", "Zed Person"]
    response = client.post(reverse("dashboards:caseload"), {"q": "zed"})
    assert [r["legal_name"] for r in response.context["rows"]] == ["Zed Person"]
    html = client.get(reverse("dashboards:caseload")).content.decode()
    assert "<svg" in html and "<polyline" in html and "style=" not in html
    assert "No session in 21 days" in html  # Zed has never been seen


def test_supervision_page_shows_no_process_notes_and_links_to_drill_down(
    client, alice, bob, record
):
    _login(client, bob)
    html = client.get(reverse("dashboards:supervision")).content.decode()
    assert alice.full_name in html
    assert reverse("dashboards:supervisee_caseload", args=[alice.code]) in html
    assert "Process notes are never included" in html
    html = client.get(
        reverse("dashboards:supervisee_caseload", args=[alice.code])
    ).content.decode()
    assert "Dana Example" in html and "Read-only" in html


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_export_escapes_formulas_in_labels(client, alice, record):
    IntegrationIndicator.objects.create(
        code="evil", group="PRACTICE", label='=HYPERLINK("http://x")', sort_order=999
    )
    s = session(record, alice, weeks_ago(0.5))
    rate(s, {"evil": 2})
    services.rollup_refresh_client(client_id=record.id)
    _login(client, alice)
    for chart in ("indicators", "arousal", "ruptures", "attunement"):
        response = client.get(
            reverse("dashboards:trajectory_csv", args=[record.code, chart])
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
    response = client.get(
        reverse("dashboards:trajectory_csv", args=[record.code, "indicators"])
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][-1] == '\'=HYPERLINK("http://x")'
    assert rows[-1][-1] == "2"
    assert len(rows) == 1 + 4
    assert (
        client.get(
            reverse("dashboards:trajectory_csv", args=[record.code, "nope"])
        ).status_code
        == 404
    )


# --- Query counts ------------------------------------------------------------------------------


def _count(client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm the session's second-factor flag
    with (
        CaptureQueriesContext(connection) as ctx,
        django_assert_max_num_queries(MAX_QUERIES),
    ):
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_are_bounded_and_do_not_grow_with_data(
    client, alice, bob, ada, record, django_assert_max_num_queries
):
    pages = {
        alice: [
            reverse("dashboards:caseload"),
            reverse("dashboards:trajectory", args=[record.code]),
        ],
        bob: [
            reverse("dashboards:supervision"),
            reverse("dashboards:supervisee_caseload", args=[alice.code]),
        ],
        ada: [reverse("dashboards:practice")],
    }
    small = {}
    for user, page_urls in pages.items():
        _login(client, user)
        for url in page_urls:
            small[url] = _count(client, url, django_assert_max_num_queries)
    # Grow the data: more sessions for this client, more clients, another supervisee.
    fill(record, alice, 6)
    for _ in range(3):
        fill(make_client(alice), alice, 2)
    from accounts.models import User
    from tests.factories import make_supervision, make_user

    second = make_user(role=User.Role.THERAPIST)
    make_supervision(bob, second)
    fill(make_client(second), second, 2)
    for user, page_urls in pages.items():
        _login(client, user)
        for url in page_urls:
            assert _count(client, url, django_assert_max_num_queries) == small[url], url


def test_no_dashboard_reads_process_notes(client, alice, bob, ada, record):
    """Process notes stay their author's alone: no dashboard query touches their table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboards import services as dashboard_services

    pages = {
        alice: [
            reverse("dashboards:caseload"),
            reverse("dashboards:trajectory", args=[record.code]),
        ]
        + [
            reverse("dashboards:trajectory_csv", args=[record.code, chart])
            for chart in ("indicators", "arousal", "ruptures", "attunement")
        ],
        bob: [
            reverse("dashboards:supervision"),
            reverse("dashboards:supervision_csv"),
            reverse("dashboards:supervisee_caseload", args=[alice.code]),
        ],
        ada: [reverse("dashboards:practice"), reverse("dashboards:practice_csv")],
    }
    with CaptureQueriesContext(connection) as ctx:
        for user, page_urls in pages.items():
            _login(client, user)
            for url in page_urls:
                assert client.get(url).status_code == 200
        dashboard_services.rollup_refresh_client(client_id=record.id)
        dashboard_services.rollup_refresh_all()
    assert ctx.captured_queries
    assert not [q for q in ctx.captured_queries if "psychotherapynote" in q["sql"]]


def test_caseload_rows_escape_client_names(client, alice):
    make_client(alice, legal_name="<b>Eve</b> O'Neil")
    _login(client, alice)
    html = client.get(reverse("dashboards:caseload")).content.decode()
    assert "&lt;b&gt;Eve&lt;/b&gt; O&#39;Neil" in html
    assert "<b>Eve</b>" not in html


def test_caseload_csv(client, alice, bob, record):
    _login(client, bob)
    response = client.get(
        reverse("dashboards:supervisee_caseload_csv", args=[alice.code])
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "client" and rows[1][0] == "Dana Example"
    assert rows[1][4] == "3"
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="caseload.export", actor=bob).exists()


def test_csv_exports_carry_their_sha256_digest(client, alice, bob, record):
    """CRY-03: whoever receives the file can check it arrived unaltered."""
    import base64
    import hashlib

    _login(client, bob)
    response = client.get(
        reverse("dashboards:supervisee_caseload_csv", args=[alice.code])
    )

    digest = hashlib.sha256(response.content).digest()
    assert response["X-Content-SHA256"] == digest.hex()
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"


def test_a_supervisors_own_client_is_not_read_only(client, bob, alice, record):
    own = make_client(bob, legal_name="Own Client")
    services.rollup_refresh_client(client_id=own.id)
    _login(client, bob)
    html = client.get(
        reverse("dashboards:trajectory", args=[own.code])
    ).content.decode()
    assert "Read-only" not in html
    html = client.get(
        reverse("dashboards:trajectory", args=[record.code])
    ).content.decode()
    assert "Read-only" in html


def test_late_evening_sessions_keep_their_local_date_in_the_charts(client, alice):
    dana = make_client(alice)
    evening = session(
        dana, alice, weeks_ago(1, hour=21)
    )  # 21:00 in New York is UTC+1 day
    rupture(evening)
    services.rollup_refresh_client(client_id=dana.id)
    _login(client, alice)
    chart = client.get(reverse("dashboards:trajectory", args=[dana.code])).context[
        "chart"
    ]
    local_day = weeks_ago(1, hour=21).date().isoformat()
    assert chart["labels"] == [local_day]
    assert chart["ruptures"][0]["at"] == local_day


def test_clinical_csv_exports_ask_for_the_password_again(client, alice, record):
    """Sudo mode: an export of clients' names or course needs a recent re-authentication."""
    client.force_login(alice)
    for url in (
        reverse("dashboards:caseload_csv"),
        reverse("dashboards:trajectory_csv", args=[record.code, "indicators"]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/reauthenticate/" in response["Location"]
