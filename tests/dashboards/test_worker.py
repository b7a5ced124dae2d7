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


def test_a_real_worker_rolls_up_the_measures(worker_queue, alice):  # noqa: F811
    from dashboards.models import ClientMeasure
    from tests.dashboards.helpers import course

    queue, process = worker_queue
    client = make_client(alice)
    course(client, alice, "PHQ9", [17, None, 10])

    _send("dashboards.tasks.rollup_refresh_client", queue, client.id)

    _wait_for(lambda: ClientMeasure.objects.filter(client=client).exists(), process)
    row = ClientMeasure.objects.get(client=client, instrument="PHQ9")
    assert (row.first_total, row.last_total, row.scored) == (17, 10, 2)
