import datetime
from decimal import Decimal

import pytest

from contracts import services
from contracts.models import Connector

TODAY = datetime.date(2026, 11, 27)
TERM_START = datetime.date(2026, 8, 19)
TERM_END = datetime.date(2027, 8, 18)


@pytest.fixture
def make_contract(account_manager):
    def make(organization, *, plan="growth", add_ons=(), sa_hours=Decimal("0"), connectors=(), escalation="", **extra):
        return services.contract_save(
            actor=account_manager,
            organization=organization,
            plan=plan,
            term_start=extra.pop("term_start", TERM_START),
            term_end=extra.pop("term_end", TERM_END),
            add_ons=add_ons,
            sa_hours_per_year=sa_hours,
            connectors=Connector.objects.filter(slug__in=connectors),
            escalation_channel=escalation,
            **extra,
        )

    return make
