"""Demo hours for `manage.py seed_demo`: Globex has used about a quarter of its year, Initech about 80%,
and Umbrella part of its ERP migration engagement. Idempotent: an organization with entries is left alone."""

import datetime

from contracts.models import Connector, Engagement
from hours import services
from hours.models import Category, TimeEntry, WorkMode
from portal import clock
from portal.models import Organization, User
from tickets.models import Kind as TicketKind
from tickets.models import Ticket
from tickets.services import comment_add, ticket_open

# (days ago, category, connector slug, minutes, note) per organization; the ticket each entry goes on.
DEMO_HOURS = {
    "Globex Retail": (
        "gina@globex.test",
        "Set up order routing between Shopify and NetSuite",
        [  # 600 of 2,400 minutes: 25%
            (80, Category.SYSTEM_SETUP, None, 120, "Kick-off and initial tenant setup."),
            (61, Category.INTEGRATION_SUPPORT, "shopify", 90, "Shopify webhooks and order import."),
            (44, Category.CUSTOM_FIELD_MAPPING, None, 105, "Mapped custom order fields to NetSuite."),
            (23, Category.INTEGRATION_SUPPORT, "netsuite", 60, "NetSuite fulfilment sync."),
            (9, Category.WORKFLOW_OPTIMIZATION, None, 45, "Tuned the back-order workflow."),
            (2, Category.SYSTEM_SETUP, None, 180, "Warehouse locations and shipping rules."),
        ],
    ),
    "Initech Supply": (
        "ian@initech.test",
        "Configure the Amazon listing workflow",
        [  # 960 of 1,200 minutes: 80%
            (92, Category.SYSTEM_SETUP, None, 240, "Account structure and user roles."),
            (70, Category.INTEGRATION_SUPPORT, "amazon", 180, "Amazon listing sync."),
            (51, Category.CUSTOM_FIELD_MAPPING, None, 150, "Product attribute mapping."),
            (30, Category.WORKFLOW_OPTIMIZATION, None, 120, "Order approval workflow."),
            (12, Category.INTEGRATION_SUPPORT, "amazon", 90, "Returns feed from Amazon."),
            (3, Category.CUSTOM_FIELD_MAPPING, None, 180, "Price list fields."),
        ],
    ),
}
UMBRELLA = [
    (60, 240, WorkMode.ONLINE_CALL, "Inventory flow mapping workshop."),
    (35, 300, WorkMode.OFFLINE_WORK, "Order flow cut-over rehearsal."),
    (6, 180, WorkMode.OFFLINE_WORK, "Item master migration scripts."),
]


def _noon(day: datetime.date) -> datetime.datetime:
    return clock.support_noon(day)


def seed(*, today: datetime.date, out) -> None:
    architect = User.objects.get(email="sa@demo.test")
    for name, (requester_email, subject, rows) in DEMO_HOURS.items():
        organization = Organization.objects.get(name=name)
        if TimeEntry.objects.filter(organization=organization).exists():
            continue
        first_day = today - datetime.timedelta(days=rows[0][0])
        ticket = ticket_open(
            organization=organization,
            requester=User.objects.get(email=requester_email),
            subject=subject,
            description="Please help us configure this; details in the attached notes.",
            kind=TicketKind.CONFIGURATION_REQUEST,
            now=_noon(first_day),
        )
        # The Solution Architect answered the same day; the project then ran over the following weeks.
        comment_add(
            ticket=ticket,
            author=architect,
            body="Thanks, I have what I need and will start on the configuration; I'll log the hours here.",
            now=_noon(first_day) + datetime.timedelta(hours=1),
        )
        for days_ago, category, connector_slug, minutes, note in rows:
            day = today - datetime.timedelta(days=days_ago)
            # Logged on the day the work was done, so the lock window does not apply to the history.
            services.time_entry_log(
                architect=architect,
                ticket=ticket,
                category=category,
                connector=Connector.objects.get(slug=connector_slug) if connector_slug else None,
                minutes=minutes,
                work_date=day,
                note=note,
                now=_noon(day),
            )
        out.write(f"  {name}: {len(rows)} time entries\n")
    umbrella = Organization.objects.get(name="Umbrella Goods")
    engagement = Engagement.objects.filter(contract__organization=umbrella, status=Engagement.Status.ACTIVE).first()
    if engagement is None or TimeEntry.objects.filter(organization=umbrella).exists():
        return
    ticket = Ticket.objects.filter(organization=umbrella, engagement=engagement).first()
    for days_ago, minutes, work_mode, note in UMBRELLA:
        day = today - datetime.timedelta(days=days_ago)
        services.time_entry_log(
            architect=architect,
            engagement=engagement,
            ticket=ticket,
            category=Category.ENGAGEMENT_WORK,
            work_mode=work_mode,
            minutes=minutes,
            work_date=day,
            note=note,
            now=_noon(day),
        )
    out.write(f"  Umbrella Goods: {len(UMBRELLA)} entries on the engagement {engagement}\n")
