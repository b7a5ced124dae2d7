"""The demo clients: about forty, over the six therapists, valid, and seeded idempotently."""

from __future__ import annotations

from accounts.management.commands.seed_demo import Command
from clients.demo import COUNT, THERAPISTS, seed_clients
from clients.forms import ICD10
from clients.models import CaseAssignment, Client, TreatmentGoal


def test_seed_clients_is_complete_valid_and_idempotent(db):
    users = Command().seed_users()
    seed_clients(users)
    clients = list(Client.objects.prefetch_related("goals"))
    assert len(clients) == COUNT == 40
    names = sorted(c.legal_name for c in clients)
    statuses = [c.status for c in clients]
    assert statuses.count(Client.Status.ACTIVE) >= 30
    assert Client.Status.WAITLIST in statuses and Client.Status.DISCHARGED in statuses
    for c in clients:
        assert 1 <= len(c.goals.all()) <= 3
        assert c.presenting_concerns
        assert all(ICD10.match(d["code"]) and d["label"] for d in c.diagnoses)
        if c.status == Client.Status.DISCHARGED:
            assert c.discharge_date and c.discharge_date >= c.intake_date
    for email in THERAPISTS:
        assert (
            CaseAssignment.objects.current()
            .filter(therapist=users[email], role="PRIMARY")
            .count()
            >= 6
        )
    assert CaseAssignment.objects.filter(role="CO_THERAPIST").count() >= 3

    seed_clients(users)
    assert Client.objects.count() == COUNT
    assert TreatmentGoal.objects.count() == sum(len(c.goals.all()) for c in clients)
    # A missing client comes back with the same details (fixed seed).
    removed = clients[7]
    TreatmentGoal.objects.filter(client=removed).delete()
    CaseAssignment.objects.filter(client=removed).delete()
    removed.delete()
    seed_clients(users)
    assert sorted(Client.objects.values_list("legal_name", flat=True)) == names
