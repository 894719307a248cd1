"""Watching the portal: /metrics (token or allow-list, the portal's gauges), JSON logs with request ids that
travel into tasks, and errors to Sentry."""

import datetime
import io
import json
import logging
from collections import Counter

import pytest
from celery.signals import before_task_publish

from config import logs
from portal import heartbeat, outbox
from tests.clock import pt
from tickets import services
from tickets.models import Ticket
from tickets.selectors import open_tickets_by_sla_state

pytestmark = pytest.mark.django_db


def _gauges(response) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in response.content.decode().splitlines()
        if line.startswith("portal_")
    }


@pytest.fixture
def metrics_settings(settings):
    settings.METRICS_TOKEN = "metrics-secret"
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    return settings


def test_metrics_need_the_token_or_an_allowed_address(client, metrics_settings):
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert (
        client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer metrics-secret").status_code == 200
    )
    assert client.get("/metrics", REMOTE_ADDR="10.1.4.2").status_code == 200


def test_no_token_and_no_allow_list_closes_the_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_the_portals_gauges(client, metrics_settings, org_with, time_machine):
    organization, customer = org_with("Gauge Co", plan="enterprise")
    opened = pt(2026, 12, 1, 8, 0)
    for n, priority in enumerate(["urgent", "urgent", "low"]):
        services.ticket_open(
            organization=organization,
            requester=customer,
            subject=f"T{n}",
            description="d",
            priority=priority,
            now=opened,
        )
    now = pt(2026, 12, 1, 13, 0)
    time_machine.move_to(now, tick=False)
    services.sla_sweep(now=now)  # both urgent ones breach; the low one runs on
    heartbeat.heartbeat_record(name=heartbeat.SWEEP_NAME, kind=heartbeat.JOB, now=now - datetime.timedelta(seconds=42))
    outbox.enqueue("tests.portal.test_outbox.nothing", key="waiting")  # stays pending: no commit in a test
    gauges = _gauges(client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-secret"))
    assert gauges['portal_open_tickets{state="breached"}'] == 2
    assert gauges['portal_open_tickets{state="running"}'] == 1
    assert gauges["portal_breaches"] == 2
    assert gauges["portal_oldest_waiting_on_us_seconds"] == 5 * 3600
    assert gauges["portal_sweep_lag_seconds"] == 42
    assert gauges["portal_outbox_pending"] >= 1


def test_open_tickets_by_sla_state_agrees_with_each_tickets_own_state(org_with, support_engineer):
    organization, customer = org_with("States Co", plan="enterprise")
    engineer = support_engineer
    start = pt(2026, 12, 1, 8, 0)
    tickets = [
        services.ticket_open(
            organization=organization, requester=customer, subject=f"T{n}", description="d", priority=p, now=start
        )
        for n, p in enumerate(["urgent", "urgent", "high", "normal", "low"])
    ]
    services.comment_add(ticket=tickets[0], author=engineer, body="On it.", now=start + datetime.timedelta(minutes=20))
    services.sla_sweep(now=start + datetime.timedelta(hours=2))
    for now in (start, start + datetime.timedelta(hours=3), start + datetime.timedelta(days=3)):
        expected = Counter(t.sla_state(now=now) for t in Ticket.objects.open())
        counted = {state: n for state, n in open_tickets_by_sla_state(now=now).items() if n}
        assert counted == dict(expected), now


@pytest.fixture
def json_log():
    """What the portal logs, as JSON lines (the production format)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    options = dict(logs.logging_config("json")["formatters"]["structured"])
    handler.setFormatter(options.pop("()")(**options))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_request_logs_json_lines_with_its_request_id(client, json_log):
    client.get("/healthz", HTTP_X_REQUEST_ID="req-7f3a")
    lines = [line for line in json_log() if line.get("request_id") == "req-7f3a"]
    assert {line["event"] for line in lines} >= {"request_started", "request_finished"}
    finished = next(line for line in lines if line["event"] == "request_finished")
    assert finished["code"] == 200 and finished["level"] == "info" and "timestamp" in finished


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the tasks are published on commit
def test_the_request_id_travels_with_the_tasks_the_request_enqueues(client, org_with, api, monkeypatch):
    from kombu.messaging import Producer

    from config.celery import app

    app.conf.task_always_eager = False  # published as in production; the publish itself is recorded, not sent
    published = []

    def capture(sender=None, headers=None, **kwargs):
        published.append((sender, dict(headers or {})))

    monkeypatch.setattr(Producer, "publish", lambda self, *args, **kwargs: None)
    before_task_publish.connect(capture, weak=False)
    organization, customer = org_with("Trace Co", plan="enterprise")
    try:
        response = api(customer).post(
            "/api/v1/tickets/", {"subject": "Traced", "description": "d"}, format="json", HTTP_X_REQUEST_ID="req-42"
        )
    finally:
        before_task_publish.disconnect(capture)
    assert response.status_code == 201
    deliveries = [headers for sender, headers in published if sender == "portal.tasks.outbox_deliver"]
    assert len(deliveries) >= 2  # the receipt and the team's notice at least
    assert {headers["__django_structlog__"]["request_id"] for headers in deliveries} == {"req-42"}


def test_an_unhandled_error_is_reported_to_sentry(client, monkeypatch):
    import sentry_sdk
    from sentry_sdk.transport import Transport

    class Capture(Transport):
        def __init__(self, options=None):
            super().__init__(options)
            self.events = []

        def capture_envelope(self, envelope):
            self.events.extend(item.payload.json for item in envelope.items if item.type == "event")

    transport = Capture()
    logs.sentry_init("https://public@sentry.example.test/1", environment="test", transport=transport)
    try:
        from portal import health

        def broken(*args, **kwargs):
            raise RuntimeError("the health check broke")

        monkeypatch.setattr(health, "database_state", broken)
        client.raise_request_exception = False
        assert client.get("/healthz").status_code == 500
        sentry_sdk.flush()
    finally:
        sentry_sdk.init()  # no DSN: reporting off again for the other tests
    reported = [e for e in transport.events if e.get("exception", {}).get("values", [{}])[-1].get("mechanism", {})]
    event = next(e for e in reported if e["exception"]["values"][-1]["mechanism"]["type"] == "django")
    assert event["exception"]["values"][-1]["value"] == "the health check broke"
    assert event["environment"] == "test"


def test_with_several_worker_processes_the_portals_gauges_are_still_exported(client, metrics_settings, tmp_path):
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}):
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-secret")
    assert response.status_code == 200
    assert "portal_outbox_pending" in _gauges(response)
