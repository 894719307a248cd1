"""Paging the on-call team: an email to the on-call address, and a webhook when one is configured."""

import json
import logging
import urllib.request

from django.conf import settings

from tickets import notifications
from tickets.models import Ticket

logger = logging.getLogger(__name__)


def page(ticket: Ticket, *, reason: str) -> int:
    sent = notifications.oncall_page(ticket, reason=reason)
    if settings.ONCALL_WEBHOOK_URL:
        post_webhook(
            settings.ONCALL_WEBHOOK_URL,
            {
                "ticket": ticket.pk,
                "reference": ticket.reference,
                "organization": ticket.organization.name,
                "subject": ticket.subject,
                "priority": ticket.priority,
                "reason": reason,
                "url": notifications.ticket_url(ticket, staff=True),
            },
        )
    return sent


def post_webhook(url: str, payload: dict, *, timeout: float = 5.0) -> int:
    """POSTs JSON; raises OSError on failure so the Celery task retries."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("The on-call webhook must be an http(s) URL.")
    request = urllib.request.Request(  # noqa: S310 -- the scheme is checked just above
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 -- scheme checked above
        return response.status
