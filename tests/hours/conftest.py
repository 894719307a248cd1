import datetime
from decimal import Decimal

import pytest

from contracts import services as contract_services
from contracts.models import Engagement
from hours import services
from portal.models import Organization
from tests.clock import NOW, TODAY
from tickets.models import Kind
from tickets.services import ticket_open


@pytest.fixture
def globex_contract(globex, make_contract):
    return make_contract(globex, plan="enterprise", sa_hours=Decimal("40"), connectors=["shopify", "netsuite"])


@pytest.fixture
def acme_contract(acme, make_contract):
    return make_contract(acme)


@pytest.fixture
def initech(db, account_manager):
    return Organization.objects.create(name="Initech Supply", account_manager=account_manager)


@pytest.fixture
def premium_only_contract(initech, make_contract):
    return make_contract(initech, add_ons=["premium_support"], escalation="phone +1 555 0100")


@pytest.fixture
def umbrella(db, account_manager):
    return Organization.objects.create(name="Umbrella Goods", account_manager=account_manager)


@pytest.fixture
def umbrella_contract(umbrella, make_contract):
    return make_contract(umbrella)


@pytest.fixture
def engagement(umbrella_contract, account_manager):
    return contract_services.engagement_save(
        actor=account_manager,
        contract=umbrella_contract,
        name="ERP migration",
        scope="Move order and inventory flows to NetSuite.",
        quoted_hours=Decimal("60"),
        status=Engagement.Status.ACTIVE,
    )


@pytest.fixture
def make_ticket(solution_architect):
    def make(organization, *, kind=Kind.CONFIGURATION_REQUEST, engagement=None, subject="Configure order sync"):
        return ticket_open(
            organization=organization,
            requester=solution_architect,
            subject=subject,
            description="Details.",
            kind=kind,
            engagement=engagement,
            now=NOW - datetime.timedelta(days=60),
        )

    return make


@pytest.fixture
def globex_ticket(globex_contract, make_ticket):
    return make_ticket(globex_contract.organization)


@pytest.fixture
def log(solution_architect):
    """Logs time as the SA on a fixed day: `log(ticket=..., minutes=...)`."""

    def do(*, architect=None, category="system_setup", minutes=60, work_date=TODAY, now=NOW, **extra):
        return services.time_entry_log(
            architect=architect or solution_architect,
            category=category,
            minutes=minutes,
            work_date=work_date,
            now=now,
            **extra,
        )

    return do
