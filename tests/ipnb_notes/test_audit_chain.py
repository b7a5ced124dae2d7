"""The audit trail is a hash chain from its first event: each event is recorded with its own
HMAC, then sealed into the chain after its transaction commits (audit/sealer.py)."""

from __future__ import annotations

import pytest

import audit
from accounts import services
from audit.models import AuditEvent, AuditSeal
from audit.sealer import seal
from audit.services import GENESIS, event_hash, verify_chain

pytestmark = pytest.mark.django_db


def test_it_verifies_an_intact_chain(ada, alice):
    services.user_change_role(user=alice, role="SUPERVISOR", by=ada)
    services.user_deactivate(user=alice, by=ada)
    services.user_reactivate(user=alice, by=ada)

    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.action for e in events] == [
        "user.role_change",
        "user.deactivate",
        "user.reactivate",
    ]
    assert all(e.hash == event_hash(e) for e in events)
    assert not AuditSeal.objects.exists()  # not committed yet: nothing to seal
    assert verify_chain() == []

    assert seal() == 3
    seals = list(AuditSeal.objects.order_by("position"))
    assert [s.event_id for s in seals] == [e.pk for e in events]
    assert [s.position for s in seals] == [1, 2, 3]
    assert seals[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(seals, seals[1:], strict=False))
    assert verify_chain() == []


def test_it_records_the_actor_and_target_without_text(ada, alice):
    event = audit.record(
        "user.end_sessions", actor=ada, target=alice, changes={"sessions_ended": 0}
    )

    assert event.actor_email == "ada@example.org"
    assert event.target_type == "accounts.user"
    assert event.target_code == str(alice.code)
    assert verify_chain() == []


def test_it_refuses_to_edit_an_event(ada, alice):
    from django.db import DatabaseError, transaction

    event = audit.record("user.reactivate", actor=ada, target=alice)

    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
    ):
        AuditEvent.objects.filter(pk=event.pk).update(action="user.deactivate")
