"""Ticket emails: templated, with a link to the ticket and a signed reference to reply to."""

import uuid

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal import clock, roles
from portal.models import User
from tickets import sla
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


def send(
    ticket: Ticket, *, template: str, to: list[str], context: dict, automatic: bool, cc=(), reader: User | None = None
) -> int:
    """Sends one ticket email; its dates are written in the time zone of `reader` (support time for a team)."""
    to = sorted({address for address in to if address})
    if not to:
        return 0
    with timezone.override(clock.zone_of(reader)):
        context = {
            "ticket": ticket,
            "deadline_text": sla.deadline_sentence(sla.deadline_of(ticket)) or "This request has no response target.",
            **context,
        }
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
        reader=ticket.requester,
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
        reader=ticket.requester,
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
        reader=ticket.assignee,
    )


def at_risk(ticket: Ticket) -> int:
    to = [ticket.assignee.email] if ticket.assignee else [settings.SUPPORT_TEAM_EMAIL]
    return send(
        ticket,
        template="at_risk",
        to=to,
        automatic=True,
        context={"url": ticket_url(ticket, staff=True)},
        reader=ticket.assignee,
    )


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
