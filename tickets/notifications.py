"""Ticket emails: templated, with a link to the ticket and a signed reference to reply to."""

import uuid
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from contracts.models import describe_target
from portal import roles
from portal.models import User
from tickets.models import Comment, Ticket


def support_domain() -> str:
    return settings.SUPPORT_EMAIL.rpartition("@")[2] or "localhost"


def reply_address(ticket: Ticket) -> str:
    """support+<reference>@domain: a reply lands on the ticket, and the reference cannot be guessed."""
    local, _, domain = settings.SUPPORT_EMAIL.partition("@")
    return f"{local}+{ticket.reference}@{domain}"


def message_id(ticket: Ticket, what: str) -> str:
    return f"<ticket.{ticket.reference}.{what}.{uuid.uuid4().hex[:12]}@{support_domain()}>"


def ticket_url(ticket: Ticket, *, staff: bool) -> str:
    name = "tickets:staff_detail" if staff else "tickets:detail"
    return settings.SITE_URL + reverse(name, args=[ticket.pk])


def _deadline_text(ticket: Ticket) -> str:
    if ticket.first_response_due_at is None:
        return ticket.sla_note or "This request has no response target."
    pacific = ticket.first_response_due_at.astimezone(zoneinfo.ZoneInfo(settings.SUPPORT_TIME_ZONE))
    target = describe_target(ticket.sla_target_minutes, ticket.sla_calendar)
    return f"We will answer within {target}: by {pacific:%a %d %b %Y, %H:%M} Pacific time."


def send(ticket: Ticket, *, template: str, to: list[str], context: dict, automatic: bool, cc=()) -> int:
    to = sorted({address for address in to if address})
    if not to:
        return 0
    context = {"ticket": ticket, "deadline_text": _deadline_text(ticket), **context}
    subject = f"[#{ticket.reference}] {render_to_string(f'tickets/email/{template}_subject.txt', context).strip()}"
    body = render_to_string(f"tickets/email/{template}.txt", context)
    headers = {"Message-ID": message_id(ticket, template), "X-Ticket": ticket.reference}
    if automatic:
        # RFC 3834: mark it so that other systems' auto-replies do not answer it.
        headers["Auto-Submitted"] = "auto-generated"
    message = EmailMessage(
        subject=subject,
        body=body,
        to=to,
        cc=sorted(set(cc) - set(to)),
        reply_to=[reply_address(ticket)],
        headers=headers,
    )
    return message.send()


def receipt(ticket: Ticket) -> int:
    if ticket.requester is None:
        return 0
    return send(
        ticket,
        template="receipt",
        to=[ticket.requester.email],
        automatic=True,
        context={"url": ticket_url(ticket, staff=False)},
    )


def team_new_ticket(ticket: Ticket) -> int:
    return send(
        ticket,
        template="new_ticket",
        to=[settings.SUPPORT_TEAM_EMAIL],
        automatic=True,
        context={"url": ticket_url(ticket, staff=True)},
    )


def staff_reply(comment: Comment) -> int:
    ticket = comment.ticket
    if not comment.public:
        return 0
    to = [ticket.requester.email] if ticket.requester else []
    cc = [u.email for u in ticket.ccs.all()]
    return send(
        ticket,
        template="staff_reply",
        to=to or cc,
        cc=cc if to else (),
        automatic=False,
        context={"comment": comment, "url": ticket_url(ticket, staff=False)},
    )


def customer_reply(comment: Comment) -> int:
    ticket = comment.ticket
    to = [ticket.assignee.email] if ticket.assignee else [settings.SUPPORT_TEAM_EMAIL]
    return send(
        ticket,
        template="customer_reply",
        to=to,
        automatic=True,
        context={"comment": comment, "url": ticket_url(ticket, staff=True)},
    )


def at_risk(ticket: Ticket) -> int:
    to = [ticket.assignee.email] if ticket.assignee else [settings.SUPPORT_TEAM_EMAIL]
    return send(ticket, template="at_risk", to=to, automatic=True, context={"url": ticket_url(ticket, staff=True)})


def breached(ticket: Ticket) -> int:
    to = [settings.SUPPORT_TEAM_EMAIL]
    manager = ticket.organization.account_manager
    if manager:
        to.append(manager.email)
    return send(ticket, template="breached", to=to, automatic=True, context={"url": ticket_url(ticket, staff=True)})


def no_contract(ticket: Ticket) -> int:
    manager = ticket.organization.account_manager
    to = [manager.email] if manager else [u.email for u in User.objects.filter(groups__name=roles.ACCOUNT_MANAGER)]
    return send(ticket, template="no_contract", to=to, automatic=True, context={"url": ticket_url(ticket, staff=True)})


def oncall_page(ticket: Ticket, *, reason: str) -> int:
    return send(
        ticket,
        template="oncall",
        to=[settings.ONCALL_EMAIL],
        automatic=True,
        context={"url": ticket_url(ticket, staff=True), "reason": reason},
    )
