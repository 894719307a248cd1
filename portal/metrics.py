"""Prometheus metrics at /metrics: django-prometheus's request metrics and the portal's own gauges.

The portal's gauges are read from the database when Prometheus scrapes, so every web process answers the
same numbers. The endpoint is open only to a bearer METRICS_TOKEN or to an address in METRICS_ALLOWED_IPS.
"""

import hmac
import ipaddress
import os

from django.conf import settings
from django.db.models import Min
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client.core import GaugeMetricFamily


class PortalCollector:
    """The portal's own gauges, computed at each scrape."""

    def describe(self):
        return []  # so that registering does not query the database while the apps load

    def collect(self):
        from hours.models import HoursBalance
        from portal import heartbeat, outbox
        from tickets.models import SlaAlert, Ticket, WaitingOn
        from tickets.selectors import open_tickets_by_sla_state

        now = timezone.now()
        by_state = GaugeMetricFamily(
            "portal_open_tickets", "Open tickets by first-response deadline state.", labels=["state"]
        )
        for state, count in sorted(open_tickets_by_sla_state(now=now).items()):
            by_state.add_metric([state], count)
        yield by_state

        yield GaugeMetricFamily(
            "portal_breaches",
            "First-response breaches recorded (all time).",
            value=SlaAlert.objects.filter(kind=SlaAlert.Kind.BREACHED).count(),
        )

        oldest = Ticket.objects.open().filter(waiting_on=WaitingOn.US).aggregate(since=Min("waiting_since"))["since"]
        yield GaugeMetricFamily(
            "portal_oldest_waiting_on_us_seconds",
            "How long the open ticket that has waited longest on support has waited (0 when none).",
            value=(now - oldest).total_seconds() if oldest else 0,
        )

        pending = outbox.pending_summary(now=now)
        yield GaugeMetricFamily("portal_outbox_pending", "Outbox messages waiting to be sent.", value=pending["count"])
        yield GaugeMetricFamily(
            "portal_outbox_oldest_pending_seconds",
            "Age of the oldest message waiting in the outbox (0 when none).",
            value=pending["oldest_age_seconds"],
        )
        yield GaugeMetricFamily(
            "portal_outbox_failed", "Outbox messages that gave up retrying.", value=pending["failed"]
        )

        last_sweep = heartbeat.last_seen(heartbeat.JOB)
        yield GaugeMetricFamily(
            "portal_sweep_lag_seconds",
            "Seconds since the response-target sweep last ran (-1 when it never has).",
            value=(now - last_sweep).total_seconds() if last_sweep else -1,
        )

        used = GaugeMetricFamily(
            "portal_ledger_used_minutes",
            "Solution Architect minutes used per contract year (net of reversals).",
            labels=["contract", "year_start"],
        )
        allotted = GaugeMetricFamily(
            "portal_ledger_allotted_minutes",
            "Solution Architect minutes allotted per contract year (grants and adjustments).",
            labels=["contract", "year_start"],
        )
        years = HoursBalance.objects.filter(engagement__isnull=True).order_by("contract_id", "period_start")
        for balance in years.only("contract_id", "period_start", "used_minutes", "granted_minutes", "adjusted_minutes"):
            labels = [str(balance.contract_id), balance.period_start.isoformat()]
            used.add_metric(labels, balance.used_minutes)
            allotted.add_metric(labels, balance.allotted_minutes)
        yield used
        yield allotted


def register(registry=None) -> None:
    """Adds the portal's collector to the registry once (the app's ready() may run more than once in tests)."""
    from prometheus_client import REGISTRY

    registry = registry or REGISTRY
    if not getattr(registry, "_portal_collector", None):
        registry.register(PortalCollector())
        registry._portal_collector = True


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)


@require_GET
def metrics(request):
    """The metrics in Prometheus's text format; 403 without the token from outside the allow-list."""
    if not _allowed(request):
        response = HttpResponse("A valid metrics token is required.\n", status=403, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    import prometheus_client
    from prometheus_client import multiprocess

    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # Gunicorn's several worker processes: their request metrics summed from the shared folder, and ours.
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(PortalCollector())
    else:
        registry = prometheus_client.REGISTRY
    return HttpResponse(prometheus_client.generate_latest(registry), content_type=prometheus_client.CONTENT_TYPE_LATEST)
