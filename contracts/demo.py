"""Demo contracts for `manage.py seed_demo`: one per organization, the term starting 100 days ago; then a change
request, a quote and an engagement plan."""

import datetime
from decimal import Decimal

from contracts import services
from contracts.models import AddOn, ChangeRequest, Connector, Contract, Engagement, Milestone, Quote
from contracts.periods import anniversary
from portal.models import Organization, User

DEMO_CONTRACTS = {
    "Acme Outfitters": {"plan": "growth", "add_ons": [], "slack": []},
    "Globex Retail": {
        "plan": "enterprise",
        "add_ons": [AddOn.Kind.SLACK_CHANNEL],
        "sa_hours_per_year": Decimal("40"),
        "connectors": ["shopify", "netsuite"],
        "slack": ["C0GLOBEX01"],
    },
    "Initech Supply": {
        "plan": "growth",
        "add_ons": [AddOn.Kind.ENTERPRISE_SUPPORT, AddOn.Kind.PREMIUM_SUPPORT],
        "sa_hours_per_year": Decimal("20"),
        "connectors": ["amazon"],
        "escalation_channel": "phone +1 555 0100",
        "slack": [],
    },
    "Umbrella Goods": {"plan": "growth", "add_ons": [], "slack": ["C0UMBRELLA1"]},
}


def seed(*, today: datetime.date, out) -> None:
    actor = User.objects.get(email="am@demo.test")
    start = today - datetime.timedelta(days=100)
    end = anniversary(start, 1) - datetime.timedelta(days=1)
    for name, spec in DEMO_CONTRACTS.items():
        organization = Organization.objects.get(name=name)
        if Contract.objects.filter(organization=organization).exists():
            continue
        contract = services.contract_save(
            actor=actor,
            organization=organization,
            plan=spec["plan"],
            term_start=start,
            term_end=end,
            add_ons=spec["add_ons"],
            sa_hours_per_year=spec.get("sa_hours_per_year", Decimal("0")),
            connectors=Connector.objects.filter(slug__in=spec.get("connectors", [])),
            escalation_channel=spec.get("escalation_channel", ""),
            slack_channel_ids=[] if name == "Acme Outfitters" else spec["slack"],
        )
        if name == "Acme Outfitters":
            # Mapped during an earlier Slack trial; the add-on is not active, so Slack messages are refused.
            organization.slack_channels.get_or_create(channel_id="C0ACME0001", defaults={"name": "acme-trial"})
        if name == "Umbrella Goods":
            services.engagement_save(
                actor=actor,
                contract=contract,
                name="ERP migration",
                scope="Move order and inventory flows from the legacy ERP to NetSuite: mappings, workflows, cut-over.",
                quoted_hours=Decimal("60"),
                status=Engagement.Status.ACTIVE,
                via_ticket=True,
                via_email=True,
                via_slack=True,
                board_url="https://projects.demo.test/umbrella/erp-migration",
            )


# The contract's life (runs after the tickets and hours: the quote answers a ticket) ------------------------------

ACME_REQUEST_NOTE = (
    "We now sell on Shopify and Amazon and ship through a 3PL, and our ERP goes live in March. We would like faster "
    "answers and a Solution Architect's help with the setup."
)
INITECH_SCOPE = (
    "Connect the WooCommerce store: products and prices, order import, inventory sync to the store, fulfilment and "
    "tracking back to WooCommerce; a test run with sample orders, then go-live."
)
# (title, phase, days from today, status, owner's email)
UMBRELLA_PLAN = [
    ("Kick-off and access to the legacy ERP", "Discovery", -62, Milestone.Status.DONE, "sa@demo.test"),
    ("Inventory and order flow mapping", "Discovery", -34, Milestone.Status.DONE, "sa@demo.test"),
    ("Item master migration", "Build", 7, Milestone.Status.IN_PROGRESS, "sa@demo.test"),
    ("Cut-over rehearsal with test orders", "Cut-over", 21, Milestone.Status.PLANNED, "uma@umbrella.test"),
    ("Go-live on NetSuite", "Cut-over", 35, Milestone.Status.PLANNED, "sa@demo.test"),
]


def seed_life(*, today: datetime.date, out) -> None:
    """An open request from Acme for Enterprise support, a sent quote for Initech (WooCommerce, 12 h), and the plan
    of Umbrella's ERP migration. Each is left alone when it exists."""
    from hours.services import connector_quote_request

    manager = User.objects.get(email="am@demo.test")
    architect = User.objects.get(email="sa@demo.test")
    acme = Organization.objects.get(name="Acme Outfitters")
    if not ChangeRequest.objects.filter(organization=acme).exists():
        services.change_request_open(
            actor=User.objects.get(email="alice@acme.test"),
            change=ChangeRequest.Change.ENTERPRISE_SUPPORT,
            note=ACME_REQUEST_NOTE,
        )
        out.write("  Acme Outfitters: a request for Enterprise support\n")
    initech = Organization.objects.get(name="Initech Supply")
    woocommerce = Connector.objects.get(slug="woocommerce")
    if not Quote.objects.filter(organization=initech, connector=woocommerce).exists():
        request = connector_quote_request(architect=architect, organization=initech, connector=woocommerce)
        quote = services.quote_create(
            actor=manager,
            ticket=request,
            hours=Decimal("12"),
            price=Decimal("3600.00"),
            currency="USD",
            valid_until=today + datetime.timedelta(days=30),
            scope=INITECH_SCOPE,
        )
        services.quote_send(actor=manager, quote=quote)
        out.write("  Initech Supply: a sent quote for the WooCommerce connector (12 h)\n")
    engagement = Engagement.objects.filter(contract__organization__name="Umbrella Goods", name="ERP migration").first()
    if engagement is not None and not engagement.milestones.exists():
        for title, section, days, status, owner in UMBRELLA_PLAN:
            services.milestone_save(
                actor=architect,
                engagement=engagement,
                title=title,
                section=section,
                due_on=today + datetime.timedelta(days=days),
                status=status,
                owner=User.objects.get(email=owner),
            )
        out.write(f"  Umbrella Goods: a plan of {len(UMBRELLA_PLAN)} milestones for {engagement}\n")
