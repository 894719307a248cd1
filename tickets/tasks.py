"""Thin Celery wrappers: take ids, fetch again, call a service or a notification; safe to retry."""

import logging

from celery import shared_task
from django.utils import timezone

from tickets import notifications
from tickets.models import Comment, SlaAlert, Ticket

logger = logging.getLogger(__name__)
RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 8}}


@shared_task
def sla_sweep() -> dict:
    from tickets.services import sla_sweep as sweep

    return sweep()


def _alert_notify(ticket_id: int, kind: str, send) -> int:
    """Sends an alert's notification unless it went out already (a retry or a second run sends nothing)."""
    alert = SlaAlert.objects.select_related("ticket").filter(ticket_id=ticket_id, kind=kind).first()
    if alert is None or alert.notified_at is not None:
        return 0
    sent = send(alert.ticket)
    SlaAlert.objects.filter(pk=alert.pk, notified_at__isnull=True).update(notified_at=timezone.now())
    return sent


@shared_task(**RETRY)
def notify_at_risk(ticket_id: int) -> int:
    return _alert_notify(ticket_id, SlaAlert.Kind.AT_RISK, notifications.at_risk)


@shared_task(**RETRY)
def notify_breached(ticket_id: int) -> int:
    return _alert_notify(ticket_id, SlaAlert.Kind.BREACHED, notifications.breached)


@shared_task(**RETRY)
def notify_no_contract(ticket_id: int) -> int:
    return _alert_notify(ticket_id, SlaAlert.Kind.NO_CONTRACT, notifications.no_contract)


@shared_task(**RETRY)
def page_oncall(ticket_id: int) -> int:
    def send(ticket):
        from tickets.escalation import page

        return page(ticket, reason="An urgent ticket from a Premium customer arrived: its target is 30 minutes, 24/7.")

    return _alert_notify(ticket_id, SlaAlert.Kind.PAGED, send)


@shared_task(**RETRY)
def escalate(ticket_id: int) -> int:
    def send(ticket):
        from tickets.escalation import page

        return page(ticket, reason="The customer escalated this ticket to the on-call team.")

    return _alert_notify(ticket_id, SlaAlert.Kind.ESCALATED, send)


@shared_task(**RETRY)
def send_receipt(ticket_id: int) -> int:
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    return notifications.receipt(ticket) if ticket else 0


@shared_task(**RETRY)
def notify_team_new_ticket(ticket_id: int) -> int:
    ticket = Ticket.objects.select_related("organization").filter(pk=ticket_id).first()
    return notifications.team_new_ticket(ticket) if ticket else 0


@shared_task(**RETRY)
def notify_staff_reply(comment_id: int) -> int:
    comment = Comment.objects.select_related("ticket__requester", "author").filter(pk=comment_id).first()
    return notifications.staff_reply(comment) if comment else 0


@shared_task(**RETRY)
def notify_customer_reply(comment_id: int) -> int:
    comment = Comment.objects.select_related("ticket__assignee", "author").filter(pk=comment_id).first()
    return notifications.customer_reply(comment) if comment else 0
