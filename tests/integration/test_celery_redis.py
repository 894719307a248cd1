"""Celery against a real Redis broker: a task queued on commit is run by a worker and sends its email."""

import os
import time

import pytest
from django.core import mail

from tests.clock import pt
from tickets import services

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not REDIS_URL, reason="needs a Redis broker: set REDIS_URL (CI does)"),
]


@pytest.fixture
def redis_worker():
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = REDIS_URL
    app.conf.result_backend = REDIS_URL
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_receipt_is_sent_by_a_worker_through_redis(redis_worker, org_with):
    import redis

    organization, customer = org_with("Broker Co", plan="enterprise")
    mail.outbox.clear()
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="Through Redis",
        description="d",
        priority="high",
        now=pt(2026, 12, 1, 8, 0),
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(m.to == [customer.email] for m in mail.outbox):
        time.sleep(0.1)
    receipt = [m for m in mail.outbox if m.to == [customer.email]]
    assert len(receipt) == 1
    assert receipt[0].subject == f"[#{ticket.reference}] We received your request: Through Redis"
    # The broker really is Redis: its client answers, and the queue was drained by the worker.
    client = redis.Redis.from_url(REDIS_URL)
    assert client.ping()
    # The team's notice of the same ticket may still be on its way to the worker: wait for it too.
    deadline = time.monotonic() + 20
    while client.llen("celery") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.llen("celery") == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sla_sweep_task_runs_on_the_worker(redis_worker, org_with):
    from tickets import tasks

    organization, customer = org_with("Sweep Co", plan="enterprise")
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="Old",
        description="d",
        priority="urgent",
        now=pt(2026, 9, 1, 8, 0),
    )
    result = tasks.sla_sweep.delay()
    assert result.get(timeout=20) == {"at_risk": 1, "breached": 1}
    ticket.refresh_from_db()
    assert ticket.breached_at == pt(2026, 9, 1, 12, 0)
