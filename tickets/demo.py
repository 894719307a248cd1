"""Demo tickets for `manage.py seed_demo`: a realistic spread of states for each organization."""

import datetime

from django.utils import timezone

from portal.models import Organization, User
from tickets import macros, services, solved, workspace
from tickets.calendars import support_calendar
from tickets.models import Macro, Ticket

H = datetime.timedelta(hours=1)

# (organization, requester, subject, kind, priority, business hours ago, what happens next)
DEMO_TICKETS = [
    ("Acme Outfitters", "alice@acme.test", "Shopify orders not reaching the warehouse", "incident", "high", 2, None),
    ("Acme Outfitters", "bob@acme.test", "How do I export last month's returns?", "question", "low", 30, "answered"),
    (
        "Acme Outfitters",
        "alice@acme.test",
        "Inventory counts off by one for bundles",
        "incident",
        "normal",
        20,
        "breached",
    ),
    ("Acme Outfitters", "bob@acme.test", "Add a dark mode to the dashboard", "feature_request", "low", 5, None),
    ("Globex Retail", "gina@globex.test", "NetSuite sync delayed by two hours", "incident", "high", 7, "at_risk"),
    (
        "Globex Retail",
        "gina@globex.test",
        "Map the custom 'gift note' field to NetSuite",
        "configuration_request",
        "normal",
        40,
        "solved",
    ),
    (
        "Globex Retail",
        "gina@globex.test",
        "Split shipments between two warehouses",
        "configuration_request",
        "normal",
        3,
        None,
    ),
    ("Initech Supply", "ian@initech.test", "Amazon orders stuck in 'pending'", "incident", "urgent", 0.25, None),
    ("Initech Supply", "ian@initech.test", "Routing rule ignores the priority flag", "incident", "high", 30, "met"),
    (
        "Umbrella Goods",
        "uma@umbrella.test",
        "ERP migration: item master import",
        "configuration_request",
        "normal",
        6,
        None,
    ),
    ("Umbrella Goods", "uma@umbrella.test", "Label printer prints blank pages", "incident", "normal", 18, "breached"),
]


def _business_hours_ago(hours: float, now: datetime.datetime) -> datetime.datetime:
    """A moment that lies `hours` business hours before `now` (close enough for demo data)."""
    calendar = support_calendar()
    want = datetime.timedelta(hours=hours)
    moment = now
    step = datetime.timedelta(minutes=15)
    while calendar.elapsed(moment, now) < want:
        moment -= step
    return moment


# (title, text, status it sets, tags it adds): the team's canned replies.
DEMO_MACROS = [
    (
        "Ask for an order export",
        "Hello {customer_name},\n\nthank you for ticket {ticket_number}. To find where the orders stop, please send "
        "us an export of the affected orders (order number, channel, time) from the last 24 hours.\n\n"
        "{agent_name}, support team",
        "pending_customer",
        "needs-export",
    ),
    (
        "We are on it",
        "Hello {customer_name},\n\nwe are looking into {ticket_number} now and will write again as soon as we know "
        "more. Our first answer is due by {deadline}.\n\n{agent_name}, support team",
        "open",
        "",
    ),
    (
        "Fixed, please confirm",
        "Hello {customer_name},\n\nwe applied a fix for {ticket_number}. Could you check that everything works as "
        "expected? If we hear nothing, the ticket closes by itself in 7 days.\n\n{agent_name}, support team",
        "solved",
        "fixed",
    ),
]


def seed_macros(agent: User) -> None:
    for title, body, status, tags in DEMO_MACROS:
        if not Macro.objects.filter(title=title).exists():
            macros.macro_save(actor=agent, title=title, body=body, set_status=status, add_tags=tags)


def _description(subject: str, kind: str) -> str:
    """What the demo customer wrote: a question asks, a problem report says what was seen."""
    if kind == "question":
        return f"{subject}\n\nI could not find it in the help articles."
    return f"{subject.rstrip('.?!')}.\n\nSeen since this morning on our production account; details in the thread."


def seed(*, today, out) -> None:
    seed_macros(User.objects.get(email="agent@demo.test"))
    if Ticket.objects.exists():
        return
    now = timezone.now()
    agent = User.objects.get(email="agent@demo.test")
    for org_name, email, subject, kind, priority, ago, outcome in DEMO_TICKETS:
        organization = Organization.objects.get(name=org_name)
        requester = User.objects.get(email=email)
        received = _business_hours_ago(ago, now) if ago >= 1 else now - datetime.timedelta(hours=ago)
        ticket = services.ticket_open(
            organization=organization,
            requester=requester,
            subject=subject,
            kind=kind,
            priority=priority,
            description=_description(subject, kind),
            now=received,
        )
        if outcome == "answered":  # answered; now it waits on the customer
            services.comment_add(
                ticket=ticket,
                author=agent,
                now=received + H,
                body="Reports > Returns > Export: choose last month and CSV. Does that give you what you need?",
            )
        if outcome in ("met", "solved"):
            answered = (
                received + H
                if ticket.first_response_due_at is None
                else min(received + (ticket.first_response_due_at - received) / 3, now)
            )
            services.comment_add(
                ticket=ticket,
                author=agent,
                now=answered,
                body="Thanks for the report. We found the cause and applied a fix; please check.",
            )
            services.comment_add(ticket=ticket, author=requester, now=answered + H, body="Confirmed, it works now.")
            if outcome == "solved":
                services.ticket_change_status(ticket=ticket, actor=agent, status="solved", now=answered + 2 * H)
                solved.satisfaction_rate(
                    ticket=ticket,
                    rater=requester,
                    rating="good",
                    comment="Mapped exactly as we asked, thank you.",
                    via="portal",
                    now=answered + 3 * H,
                )
        elif outcome == "breached":
            services.comment_add(
                ticket=ticket,
                author=agent,
                public=False,
                now=received + H,
                body="Internal: waiting for the warehouse logs before we answer.",
            )
        if outcome in ("at_risk", None) and priority in ("high", "urgent"):
            services.ticket_assign(ticket=ticket, actor=agent, assignee=agent, now=received)
        if kind == "incident" and "orders" in subject.lower():
            workspace.ticket_tags_set(ticket=ticket, actor=agent, names=["orders"], now=received)
    services.sla_sweep(now=now)
