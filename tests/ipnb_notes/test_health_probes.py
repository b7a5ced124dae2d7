"""/healthz's operational probes (REL-11): each probe's healthy and unhealthy path, and that
only a monitor holding HEALTHZ_TOKEN sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

import audit
from audit.tasks import audit_verify
from ipnb_notes import health
from ipnb_notes.models import BackupReport

pytestmark = pytest.mark.django_db
TOKEN = "monitor-token-3f9c1a7e"


@pytest.fixture
def monitor(settings):
    settings.HEALTHZ_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = None
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def test_no_backup_ever_is_a_warning():
    assert health.backup() == {"status": "warn", "last": None}


def test_a_fresh_backup_is_healthy(capsys):
    call_command("record_backup", kind="full", label="20261126-010000F")

    probe = health.backup()

    assert probe["status"] == "ok"
    assert probe["last"] == "20261126-010000F"
    assert probe["age_seconds"] < 60
    assert "Recorded: Full backup 20261126-010000F (ok)" in capsys.readouterr().out


def test_a_backup_older_than_26_hours_is_a_warning():
    with time_machine.travel(datetime.now(UTC) - timedelta(hours=27)):
        call_command("record_backup", kind="diff", label="old")

    probe = health.backup()

    assert probe["status"] == "warn"
    assert probe["age_seconds"] >= 27 * 3600


def test_a_failed_backup_is_a_warning_even_when_recent():
    call_command("record_backup", kind="full", label="good")
    call_command(
        "record_backup", kind="diff", label="bad", failed=True, detail="repo full"
    )

    probe = health.backup()

    assert probe == {
        "status": "warn",
        "last": "bad",
        "age_seconds": probe["age_seconds"],
        "ok": False,
    }
    assert BackupReport.objects.get(label="bad").detail == "repo full"


def test_recording_a_backup_is_audited():
    call_command("record_backup", kind="full", label="L1")

    event = audit.models.AuditEvent.objects.filter(action="ops.backup").get()
    assert event.changes == {"kind": "full", "label": "L1", "ok": True}


def test_the_restore_drill_is_weekly():
    call_command("record_backup", kind="full", label="backup")
    assert health.restore_drill()["status"] == "warn"  # a backup is not a drill

    with time_machine.travel(datetime.now(UTC) - timedelta(days=7)):
        call_command("record_backup", kind="drill", label="drill-1")
    assert health.restore_drill()["status"] == "ok"

    with time_machine.travel(datetime.now(UTC) - timedelta(days=9)):
        BackupReport.objects.all().delete()
        call_command("record_backup", kind="drill", label="drill-0")
    assert health.restore_drill()["status"] == "warn"


def test_a_failed_drill_is_a_warning():
    call_command("record_backup", kind="drill", label="drill", failed=True)

    assert health.restore_drill()["status"] == "warn"


def test_wal_archiving_off_is_a_warning():
    assert health.archiver_status("off", 0, None, 0, None)["status"] == "warn"


def test_wal_archiving_that_succeeds_is_healthy():
    now = datetime.now(UTC)
    probe = health.archiver_status("on", 120, now, 1, now - timedelta(hours=1))

    assert probe["status"] == "ok"
    assert probe["archived"] == 120


def test_a_failure_newer_than_the_last_archived_segment_is_a_warning():
    now = datetime.now(UTC)

    assert (
        health.archiver_status("on", 120, now - timedelta(minutes=5), 3, now)["status"]
        == "warn"
    )
    assert health.archiver_status("on", 0, None, 3, now)["status"] == "warn"


def test_the_archiver_probe_reads_this_database():
    probe = health.wal_archiver()

    assert probe["archive_mode"] in {"on", "off", "always"}
    assert probe["status"] == (
        "warn" if probe["archive_mode"] == "off" else probe["status"]
    )


def test_no_audit_verification_yet_is_a_warning():
    assert health.audit_verification() == {"status": "warn", "last": None}


def test_a_recent_intact_verification_is_healthy():
    audit_verify.apply()

    probe = health.audit_verification()

    assert probe["status"] == "ok"
    assert probe["intact"] is True


def test_a_broken_chain_verdict_is_a_warning_naming_the_sequence():
    audit.record("audit.verify", changes={"ok": False, "first_bad_seq": 42})

    probe = health.audit_verification()

    assert probe["status"] == "warn"
    assert probe["first_bad_seq"] == 42


def test_a_verification_older_than_26_hours_is_a_warning():
    with time_machine.travel(datetime.now(UTC) - timedelta(hours=30)):
        audit_verify.apply()

    assert health.audit_verification()["status"] == "warn"


def test_no_event_waiting_for_the_sealer_is_healthy():
    assert health.audit_sealing() == {"status": "ok", "unsealed": 0}


def test_an_event_waiting_a_few_seconds_for_the_sealer_is_healthy():
    audit.record("test.recent")

    probe = health.audit_sealing()

    assert probe["status"] == "ok"
    assert probe["unsealed"] == 1
    assert probe["oldest_unsealed_age_seconds"] < 60


def test_an_event_waiting_over_a_minute_for_the_sealer_is_a_warning():
    from audit.sealer import seal

    with time_machine.travel(datetime.now(UTC) - timedelta(minutes=2), tick=False):
        audit.record("test.stuck")
    audit.record("test.recent")

    probe = health.audit_sealing()

    assert probe["status"] == "warn"
    assert probe["unsealed"] == 2
    assert 115 <= probe["oldest_unsealed_age_seconds"] <= 180

    seal()

    assert health.audit_sealing() == {"status": "ok", "unsealed": 0}


def test_an_ntp_synchronised_clock_is_healthy():
    probe = health.clock_status(0, 0x2001, 1500)

    assert probe == {"status": "ok", "synchronized": True, "estimated_error_ms": 1.5}


def test_an_unsynchronised_clock_is_a_warning():
    assert health.clock_status(health.TIME_ERROR, 0, 0)["status"] == "warn"
    assert health.clock_status(0, health.STA_UNSYNC, 0) == {
        "status": "warn",
        "synchronized": False,
    }


def test_the_clock_probe_reads_the_kernel():
    probe = health.clock()

    assert probe["status"] in {"ok", "warn", "unknown"}
    assert (
        probe["status"]
        == {True: "ok", False: "warn", None: "unknown"}[probe["synchronized"]]
    )


def test_a_broken_probe_is_reported_without_hiding_the_others(monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(health.PROBES, "clock", broken)

    probes = health.report()

    assert probes["clock"] == {"status": "unknown", "error": "RuntimeError"}
    assert probes["backup"]["status"] == "warn"


def test_healthz_shows_no_probes_without_the_token(client, monitor):
    assert "probes" not in client.get("/healthz").json()
    assert (
        "probes" not in client.get("/healthz", HTTP_AUTHORIZATION="Bearer wrong").json()
    )
    assert "probes" not in client.get("/healthz", HTTP_AUTHORIZATION=TOKEN).json()


def test_healthz_shows_no_probes_when_no_token_is_configured(client, settings):
    settings.HEALTHZ_TOKEN = None
    settings.CELERY_BROKER_URL = None

    assert "probes" not in client.get("/healthz", HTTP_AUTHORIZATION="Bearer ").json()


def test_healthz_warns_but_stays_in_service_when_a_probe_warns(client, monitor):
    response = client.get("/healthz", **monitor)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "warn"
    assert set(body["probes"]) == {
        "backup",
        "restore_drill",
        "wal_archiver",
        "audit_verification",
        "audit_sealing",
        "clock",
    }
    assert body["probes"]["backup"] == {"status": "warn", "last": None}


def test_healthz_is_ok_when_every_probe_is(client, monitor, monkeypatch):
    call_command("record_backup", kind="full", label="b")
    call_command("record_backup", kind="drill", label="d")
    audit_verify.apply()
    monkeypatch.setitem(health.PROBES, "clock", lambda: {"status": "ok"})
    monkeypatch.setitem(health.PROBES, "wal_archiver", lambda: {"status": "ok"})

    body = client.get("/healthz", **monitor).json()

    assert body["status"] == "ok"
    assert {p["status"] for p in body["probes"].values()} == {"ok"}
