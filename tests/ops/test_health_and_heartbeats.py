"""/healthz tells a monitor whether work is being done: workers, the beat, the sweep and the outbox."""

import datetime

import pytest
from django.db import connections
from django.db.utils import load_backend
from django.utils import timezone

from portal import health, heartbeat, outbox
from portal.models import Heartbeat
from tests.clock import pt
from tickets import services
from tickets import tasks as ticket_tasks

pytestmark = pytest.mark.django_db

STALE = datetime.timedelta(seconds=121)


@pytest.fixture
def with_broker(settings):
    """As in production: tasks go to workers, so /healthz reports the workers' heartbeats."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "memory://"


def test_healthz_names_every_state(client, with_broker):
    body = client.get("/healthz").json()
    assert set(body) == {
        "status",
        "database",
        "broker",
        "worker",
        "scheduler",
        "last_sweep_at",
        "outbox_pending",
    }
    assert body["worker"] == "down" and body["scheduler"] == "down"  # nothing ever beat
    assert body["last_sweep_at"] is None
    assert body["outbox_pending"] == {"count": 0, "oldest_age_seconds": 0}


def test_a_worker_that_beat_recently_is_up_and_one_gone_quiet_is_down(client, with_broker):
    now = timezone.now()
    heartbeat.heartbeat_record(name="worker@a", kind=heartbeat.WORKER, now=now - datetime.timedelta(seconds=30))
    assert client.get("/healthz").json()["worker"] == "up"
    # The worker dies: its last heartbeat ages past two minutes.
    Heartbeat.objects.filter(name="worker@a").update(seen_at=now - STALE)
    response = client.get("/healthz")
    assert response.status_code == 200  # a monitor alerts on the state; the web server itself is fine
    assert response.json()["worker"] == "down"
    # Any one live worker is enough.
    heartbeat.heartbeat_record(name="worker@b", kind=heartbeat.WORKER)
    assert client.get("/healthz").json()["worker"] == "up"


def test_the_scheduler_state_follows_the_beats_heartbeat(client, with_broker):
    heartbeat.heartbeat_record(name=heartbeat.SCHEDULER_NAME, kind=heartbeat.SCHEDULER)
    assert client.get("/healthz").json()["scheduler"] == "up"
    Heartbeat.objects.filter(name=heartbeat.SCHEDULER_NAME).update(seen_at=timezone.now() - STALE)
    assert client.get("/healthz").json()["scheduler"] == "down"


def test_a_worker_heartbeat_does_not_count_for_the_scheduler(with_broker):
    heartbeat.heartbeat_record(name="worker@a", kind=heartbeat.WORKER)
    assert heartbeat.state(heartbeat.SCHEDULER) == "down"
    assert heartbeat.state(heartbeat.WORKER) == "up"


def test_inline_tasks_report_the_worker_as_inline(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert client.get("/healthz").json()["worker"] == "inline"


def test_last_sweep_at_is_when_the_sweep_task_last_ran(client, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC), tick=False)
    ticket_tasks.sla_sweep.delay()
    assert client.get("/healthz").json()["last_sweep_at"] == "2026-12-01T17:00:00+00:00"
    time_machine.move_to(datetime.datetime(2026, 12, 1, 17, 1, tzinfo=datetime.UTC), tick=False)
    ticket_tasks.sla_sweep.delay()
    assert client.get("/healthz").json()["last_sweep_at"] == "2026-12-01T17:01:00+00:00"


def test_outbox_pending_counts_the_waiting_messages_and_the_oldest_age(client, time_machine):
    start = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    outbox.enqueue("tests.portal.test_outbox.nothing", key="a")  # left pending: the commit never comes in a test
    time_machine.move_to(start + datetime.timedelta(seconds=90), tick=False)
    outbox.enqueue("tests.portal.test_outbox.nothing", key="b")
    assert client.get("/healthz").json()["outbox_pending"] == {"count": 2, "oldest_age_seconds": 90}


def test_healthz_is_503_with_only_the_database_state_when_it_is_down(client, monkeypatch):
    settings_dict = dict(connections["default"].settings_dict)
    if settings_dict["ENGINE"].endswith("sqlite3"):
        settings_dict["NAME"] = "/nonexistent-folder/portal.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT="1")
    unreachable = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="unreachable")
    monkeypatch.setattr(health, "connections", {"default": unreachable})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


def test_broker_state_of_an_sqlite_broker(tmp_path):
    assert health.broker_state(f"sqla+sqlite:///{tmp_path}/broker.sqlite3") == "up"
    assert health.broker_state("sqla+sqlite:////nonexistent-folder/broker.sqlite3") == "down"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the beat closes its connection after writing
def test_the_beat_scheduler_writes_its_heartbeat_on_tick(tmp_path, settings):
    from config.celery import app

    scheduler = heartbeat.HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    scheduler.setup_schedule()
    try:
        wait = scheduler.tick()
    finally:
        scheduler.close()
    assert heartbeat.state(heartbeat.SCHEDULER) == "up"
    assert 0 <= wait <= settings.HEARTBEAT_SECONDS  # it wakes up in time to beat again


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_running_worker_writes_its_heartbeat_under_its_node_name(settings):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, hostname="hb-test@host"):
        seen = Heartbeat.objects.filter(name="hb-test@host", kind=heartbeat.WORKER).first()
    assert seen is not None
    assert timezone.now() - seen.seen_at < datetime.timedelta(seconds=30)


def test_a_breach_found_by_the_sweep_task_is_recorded(org_with, time_machine):
    organization, customer = org_with("Late Co", plan="enterprise")
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="Checkout down",
        description="d",
        priority="urgent",
        now=pt(2026, 12, 1, 8, 0),
    )
    time_machine.move_to(pt(2026, 12, 1, 13, 0), tick=False)
    assert ticket_tasks.sla_sweep.delay().get() == {"at_risk": 1, "breached": 1}
    ticket.refresh_from_db()
    assert ticket.breached_at == ticket.first_response_due_at
