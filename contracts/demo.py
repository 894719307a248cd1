"""Demo contracts for `manage.py seed_demo`: one per organization, the term starting 100 days ago."""

import datetime
from decimal import Decimal

from contracts import services
from contracts.models import AddOn, Connector, Contract, Engagement
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
