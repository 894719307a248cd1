"""Ticket messages: what services put in the outbox (`notify_*`), and the builders that make each message.

Services call the `notify_*` functions inside their transaction; portal.outbox later calls the builders
below with the row ids, reads the rows again, and sends what they return (None: nothing to send).
"""

import uuid

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal import clock, outbox, roles
from portal.models import User
from portal.text import one_line
from tickets import sla
from tickets.channels import authenticity
from tickets.models import SOLVED_CLOSE_DAYS, Comment, Rating, SatisfactionRating, SlaAlert, Status, Ticket

ONCALL_REASONS = {
    SlaAlert.Kind.PAGED: "An urgent ticket from a Premium customer arrived: its target is 30 minutes, 24/7.",
    SlaAlert.Kind.ESCALATED: "The customer escalated this ticket to the on-call team.",
}
_PATH = "tickets.notifications"
SATISFACTION_SALT = "tickets.satisfaction"
SATISFACTION_LINK_DAYS = 30  # longer than a solved ticket stays open (SOLVED_CLOSE_DAYS)


# What services put in the outbox ----------------------------------------------------------------------


def notify_new_ticket(ticket: Ticket) -> None:
    """The requester's receipt and the team's notice of a new ticket, once each."""
    outbox.enqueue(
        f"{_PATH}.receipt",
        key=f"ticket:{ticket.pk}:receipt",
        summary=f"Receipt of #{ticket.pk}",
        ticket=ticket,
        ticket_id=ticket.pk,
    )
    outbox.enqueue(
        f"{_PATH}.team_new_ticket",
        key=f"ticket:{ticket.pk}:team",
        summary=f"New ticket #{ticket.pk}",
        ticket=ticket,
        ticket_id=ticket.pk,
    )


def notify_comment(comment: Comment) -> None:
    """A public staff reply goes to the customer; a customer's message to the assignee or the team."""
    if comment.is_staff_reply:
        builder, summary = "staff_reply", f"Reply on #{comment.ticket_id}"
    else:
        builder, summary = "customer_reply", f"Customer message on #{comment.ticket_id}"
    outbox.enqueue(
        f"{_PATH}.{builder}", key=f"comment:{comment.pk}", summary=summary, ticket=comment.ticket, comment_id=comment.pk
    )


def notify_alert(ticket: Ticket, kind: str) -> None:
    """The notice of an SLA alert (at risk, breached, no contract) or the on-call page, once per ticket and kind."""
    label = SlaAlert.Kind(kind).label
    if kind in ONCALL_REASONS:
        outbox.enqueue(
            f"{_PATH}.oncall_email",
            key=f"ticket:{ticket.pk}:{kind}",
            summary=f"{label}: #{ticket.pk}",
            ticket=ticket,
            ticket_id=ticket.pk,
            kind=kind,
        )
        if settings.ONCALL_WEBHOOK_URL:
            outbox.enqueue(
                f"{_PATH}.oncall_webhook",
                key=f"ticket:{ticket.pk}:{kind}:webhook",
                summary=f"{label} (webhook): #{ticket.pk}",
                ticket=ticket,
                ticket_id=ticket.pk,
                kind=kind,
            )
        return
    outbox.enqueue(
        f"{_PATH}.alert",
        key=f"ticket:{ticket.pk}:{kind}",
        summary=f"{label}: #{ticket.pk}",
        ticket=ticket,
        ticket_id=ticket.pk,
        kind=kind,
    )


def notify_satisfaction(ticket: Ticket) -> None:
    """The requester's satisfaction survey when the ticket is solved: once per ticket."""
    if ticket.requester_id is None or ticket.merged_into_id is not None:
        return
    outbox.enqueue(
        f"{_PATH}.satisfaction_request",
        key=f"ticket:{ticket.pk}:satisfaction",
        summary=f"Satisfaction survey for #{ticket.pk}",
        ticket=ticket,
        ticket_id=ticket.pk,
    )


# Addresses and links ----------------------------------------------------------------------------------


def support_domain() -> str:
    return settings.SUPPORT_EMAIL.rpartition("@")[2] or "localhost"


def reply_address(ticket: Ticket) -> str:
    """support+<reference>@domain, for addresses that are no person's: a reply lands on the ticket, unauthenticated."""
    local, _, domain = settings.SUPPORT_EMAIL.partition("@")
    return f"{local}+{ticket.reference}@{domain}"


def message_id(ticket: Ticket, what: str) -> str:
    return f"<ticket.{ticket.reference}.{what}.{uuid.uuid4().hex[:12]}@{support_domain()}>"


def ticket_url(ticket: Ticket, *, staff: bool) -> str:
    name = "tickets:staff_detail" if staff else "tickets:detail"
    return settings.SITE_URL + reverse(name, args=[ticket.pk])


def satisfaction_token(ticket: Ticket) -> str:
    """A signed token naming the ticket and its requester: the survey link works without signing in."""
    return signing.dumps({"t": ticket.pk, "u": ticket.requester_id}, salt=SATISFACTION_SALT)


def satisfaction_token_read(token: str) -> tuple[int, int] | None:
    """(ticket id, requester id) of a valid, unexpired token; None for anything else."""
    try:
        data = signing.loads(token, salt=SATISFACTION_SALT, max_age=SATISFACTION_LINK_DAYS * 24 * 3600)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int) or not isinstance(data.get("u"), int):
        return None
    return data["t"], data["u"]


def satisfaction_url(ticket: Ticket, rating: str | None = None) -> str:
    url = settings.SITE_URL + reverse("tickets:satisfaction", args=[satisfaction_token(ticket)])
    return f"{url}?rating={rating}" if rating else url


# Builders ---------------------------------------------------------------------------------------------


def email(
    ticket: Ticket, *, template: str, to: list[str], context: dict, automatic: bool, cc=(), reader: User | None = None
) -> list[EmailMessage] | None:
    """One ticket email per recipient, each with that person's own signed reply address; its dates are written in the
    time zone of `reader` (support time for a team). An address that is no person's (a team) gets the ticket's."""
    recipients = sorted({address.strip() for address in [*to, *cc] if address and address.strip()})
    if not recipients:
        return None
    with timezone.override(clock.zone_of(reader)):
        context = {
            "ticket": ticket,
            "deadline_text": sla.deadline_sentence(sla.deadline_of(ticket)) or "This request has no response target.",
            **context,
        }
        # One line, whatever the ticket's subject holds: a line break in a header cannot be sent.
        subject = one_line(
            f"[#{ticket.reference}] {render_to_string(f'tickets/email/{template}_subject.txt', context)}"
        )
        body = render_to_string(f"tickets/email/{template}.txt", context)
    people = dict(
        User.objects.filter(email__in=recipients, is_active=True).values_list("email", "pk")
    )  # the addresses of persons: each gets a reply address that authenticates them (tickets.channels.authenticity)
    messages = []
    for address in recipients:
        user_id = people.get(address)
        reply_to = (
            authenticity.reply_address_for(ticket_id=ticket.pk, user_id=user_id) if user_id else reply_address(ticket)
        )
        headers = {"Message-ID": message_id(ticket, template), "X-Ticket": ticket.reference}
        if automatic:
            # RFC 3834: mark it so that other systems' auto-replies do not answer it.
            headers["Auto-Submitted"] = "auto-generated"
        messages.append(EmailMessage(subject=subject, body=body, to=[address], reply_to=[reply_to], headers=headers))
    return messages


def _ticket(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("organization__account_manager", "requester", "assignee")
        .filter(pk=ticket_id)
        .first()
    )


def _comment(comment_id: int) -> Comment | None:
    return (
        Comment.objects.select_related("ticket__requester", "ticket__assignee", "author").filter(pk=comment_id).first()
    )


def receipt(ticket_id: int) -> list[EmailMessage] | None:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.requester is None:
        return None
    return email(
        ticket,
        template="receipt",
        to=[ticket.requester.email],
        automatic=True,
        context={"url": ticket_url(ticket, staff=False)},
        reader=ticket.requester,
    )


def team_new_ticket(ticket_id: int) -> list[EmailMessage] | None:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return None
    return email(
        ticket,
        template="new_ticket",
        to=[settings.SUPPORT_TEAM_EMAIL],
        automatic=True,
        context={"url": ticket_url(ticket, staff=True)},
    )


def staff_reply(comment_id: int) -> list[EmailMessage] | None:
    comment = _comment(comment_id)
    if comment is None or not comment.public:
        return None
    ticket = comment.ticket
    to = [ticket.requester.email] if ticket.requester else []
    cc = [u.email for u in ticket.ccs.all()]
    return email(
        ticket,
        template="staff_reply",
        to=to or cc,
        cc=cc if to else (),
        automatic=False,
        context={"comment": comment, "url": ticket_url(ticket, staff=False)},
        reader=ticket.requester,
    )


def customer_reply(comment_id: int) -> list[EmailMessage] | None:
    comment = _comment(comment_id)
    if comment is None:
        return None
    ticket = comment.ticket
    to = [ticket.assignee.email] if ticket.assignee else [settings.SUPPORT_TEAM_EMAIL]
    return email(
        ticket,
        template="customer_reply",
        to=to,
        automatic=True,
        context={"comment": comment, "url": ticket_url(ticket, staff=True)},
        reader=ticket.assignee,
    )


def alert(ticket_id: int, kind: str) -> list[EmailMessage] | None:
    """At risk (to the assignee, or the team), breached (the team and the account manager), no contract (the AM)."""
    ticket = _ticket(ticket_id)
    if ticket is None:
        return None
    manager = ticket.organization.account_manager
    context = {"url": ticket_url(ticket, staff=True)}
    if kind == SlaAlert.Kind.AT_RISK:
        to = [ticket.assignee.email] if ticket.assignee else [settings.SUPPORT_TEAM_EMAIL]
        return email(ticket, template="at_risk", to=to, automatic=True, context=context, reader=ticket.assignee)
    if kind == SlaAlert.Kind.BREACHED:
        to = [settings.SUPPORT_TEAM_EMAIL] + ([manager.email] if manager else [])
        return email(ticket, template="breached", to=to, automatic=True, context=context)
    if kind == SlaAlert.Kind.NO_CONTRACT:
        if manager:
            to = [manager.email]
        else:
            to = [u.email for u in User.objects.filter(groups__name=roles.ACCOUNT_MANAGER, is_active=True)]
        return email(ticket, template="no_contract", to=to, automatic=True, context=context, reader=manager)
    raise ValueError(f"No notice for alert {kind!r}.")


def oncall_email(ticket_id: int, kind: str) -> list[EmailMessage] | None:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return None
    return email(
        ticket,
        template="oncall",
        to=[settings.ONCALL_EMAIL],
        automatic=True,
        context={"url": ticket_url(ticket, staff=True), "reason": ONCALL_REASONS[kind]},
    )


def oncall_webhook(ticket_id: int, kind: str) -> outbox.Webhook | None:
    ticket = _ticket(ticket_id)
    if ticket is None or not settings.ONCALL_WEBHOOK_URL:
        return None
    return outbox.Webhook(
        settings.ONCALL_WEBHOOK_URL,
        {
            "ticket": ticket.pk,
            "reference": ticket.reference,
            "organization": ticket.organization.name,
            "subject": ticket.subject,
            "priority": ticket.priority,
            "reason": ONCALL_REASONS[kind],
            "url": ticket_url(ticket, staff=True),
        },
    )


def satisfaction_request(ticket_id: int) -> list[EmailMessage] | None:
    """The survey, unless the ticket was reopened or rated before the message left."""
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.requester is None or ticket.status not in (Status.SOLVED, Status.CLOSED):
        return None
    if SatisfactionRating.objects.filter(ticket=ticket).exists():
        return None
    return email(
        ticket,
        template="satisfaction",
        to=[ticket.requester.email],
        automatic=True,
        context={
            "good_url": satisfaction_url(ticket, Rating.GOOD),
            "bad_url": satisfaction_url(ticket, Rating.BAD),
            "url": ticket_url(ticket, staff=False),
            "close_days": SOLVED_CLOSE_DAYS,
        },
        reader=ticket.requester,
    )
