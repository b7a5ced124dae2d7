"""The rollup refresh runs in a real Celery worker, from a real broker, after commit."""

from __future__ import annotations

from dashboards.models import ClientSummary, SessionRollup
from tests.dashboards.helpers import (
    ensure_indicators,
    rate_composite,
    rupture,
    session,
    weeks_ago,
)
from tests.factories import make_client
from tests.test_celery_worker import (  # noqa: F401 - worker_queue is a fixture
    _send,
    _wait_for,
    pytestmark,
    worker_queue,
)


def test_a_real_worker_refreshes_one_clients_rollups(worker_queue, alice):  # noqa: F811
    queue, process = worker_queue
    ensure_indicators()
    client = make_client(alice)
    s = session(client, alice, weeks_ago(1))
    rate_composite(s, 3)
    rupture(s)

    # Only the client's id crosses the broker.
    _send("dashboards.tasks.rollup_refresh_client", queue, client.id)

    _wait_for(lambda: SessionRollup.objects.filter(client=client).exists(), process)
    assert SessionRollup.objects.get(session=s).composite == 3
    assert ClientSummary.objects.get(client=client).open_ruptures == 1


def test_a_real_worker_runs_the_nightly_refresh(worker_queue, alice):  # noqa: F811
    queue, process = worker_queue
    ensure_indicators()
    client = make_client(alice)
    rate_composite(session(client, alice, weeks_ago(2)), 2)

    _send("dashboards.tasks.rollup_refresh_all", queue)

    _wait_for(lambda: ClientSummary.objects.filter(client=client).exists(), process)
    assert ClientSummary.objects.get(client=client).sessions_attended == 1
