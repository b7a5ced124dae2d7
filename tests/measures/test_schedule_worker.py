"""The schedule's run in a real Celery worker on a real broker (tests/test_celery_worker.py
starts it): only the client's id crosses the broker, and a second delivery makes nothing
twice."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from measures import scheduling
from measures.models import MeasureLink
from sessions.models import TherapySession
from tests.factories import make_client, make_session
from tests.test_celery_worker import (  # noqa: F401
    _send,
    _wait_for,
    pytestmark,
    worker_queue,  # noqa: F401  (the fixture)
)


def test_the_worker_makes_the_scheduled_links_once(worker_queue, alice):  # noqa: F811
    queue, process = worker_queue
    robin = make_client(alice, preferred_name="Robin")
    upcoming = make_session(
        robin,
        alice,
        starts_at=timezone.now() + timedelta(days=1),
        status=TherapySession.Status.SCHEDULED,
    )
    scheduling.schedule_set(client=robin, by=alice, every={"PHQ9": 1, "GAD7": 1})

    _send("measures.tasks.schedule_run", queue, robin.id)
    _wait_for(
        lambda: MeasureLink.objects.filter(session=upcoming).count() == 2, process
    )

    # Delivered again (a redelivery, or beat's next pass): still one link per instrument.
    _send("measures.tasks.schedule_run", queue, robin.id)
    _send("measures.tasks.schedule_run", queue, robin.id)
    marker = make_session(
        robin,
        alice,
        starts_at=timezone.now() + timedelta(days=2),
        status=TherapySession.Status.SCHEDULED,
    )
    _send("measures.tasks.schedule_run", queue, robin.id)
    _wait_for(lambda: MeasureLink.objects.filter(session=marker).count() == 2, process)
    assert sorted(
        MeasureLink.objects.filter(session=upcoming).values_list(
            "instrument", flat=True
        )
    ) == ["GAD7", "PHQ9"]
    assert all(link.held_token for link in MeasureLink.objects.all())
