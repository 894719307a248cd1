"""Pages and endpoints that list several organizations cost the same whatever the number of organizations.

Each is measured with 3 organizations and with 30: the count of queries must not move. A page that asks
`entitlements_for()` once per organization would grow by several queries per organization.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from contracts import services as contract_services
from contracts.models import Connector, Engagement
from hours import services as hours_services
from portal.models import Organization
from tickets.models import Kind
from tickets.services import ticket_open

NOW = datetime.datetime(2026, 11, 27, 20, 0, tzinfo=datetime.UTC)


def _organizations(indexes, *, account_manager, solution_architect, make_contract):
    """Customers in turn: Enterprise with SA hours and time used, Premium with Slack, and one with an engagement."""
    for index in indexes:
        organization = Organization.objects.create(name=f"Customer {index:02d}", account_manager=account_manager)
        if index % 3 == 0:
            contract = make_contract(
                organization, plan="enterprise", sa_hours=Decimal("40"), connectors=["shopify"], rollover=True
            )
            ticket = ticket_open(
                organization=organization,
                requester=solution_architect,
                subject="Configure the order sync",
                description="Details.",
                kind=Kind.CONFIGURATION_REQUEST,
                now=NOW - datetime.timedelta(days=2),
            )
            hours_services.time_entry_log(
                architect=solution_architect,
                category="system_setup",
                minutes=90,
                work_date=NOW.date() - datetime.timedelta(days=1),
                ticket=ticket,
                now=NOW,
            )
        elif index % 3 == 1:
            make_contract(organization, add_ons=["premium_support", "slack_channel", "enterprise_support"],
                          escalation="phone +1 555 0100")  # fmt: skip
        else:
            contract = make_contract(organization)
            contract_services.engagement_save(
                actor=account_manager,
                contract=contract,
                name=f"Onboarding {index}",
                scope="Set up the order flows.",
                quoted_hours=Decimal("20"),
                status=Engagement.Status.ACTIVE,
            )


def _count(request) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code == 200, response.content[:500]
    return len(queries)


@pytest.fixture
def grow(account_manager, solution_architect, make_contract, time_machine):
    time_machine.move_to(NOW, tick=False)
    assert Connector.objects.filter(slug="shopify").exists()

    made = []

    def add(count: int) -> None:
        start = len(made)
        made.extend(range(start, start + count))
        _organizations(range(start, start + count), account_manager=account_manager,
                       solution_architect=solution_architect, make_contract=make_contract)  # fmt: skip

    return add


def _measure(grow, request) -> tuple[int, int]:
    grow(3)
    request()  # warm the caches that live for the process (the calendar, content types)
    caches["entitlements"].clear()  # both counts with no entitlements kept: the most a page can cost
    small = _count(request)
    grow(27)
    caches["entitlements"].clear()
    return small, _count(request)


def test_account_list_costs_the_same_for_3_and_30_organizations(client, account_manager, grow):
    client.force_login(account_manager)
    small, large = _measure(grow, lambda: client.get(reverse("contracts:account_list")))
    assert small == large, f"3 organizations: {small} queries, 30: {large}"


def test_sa_customers_page_costs_the_same_for_3_and_30_organizations(client, solution_architect, grow):
    client.force_login(solution_architect)
    small, large = _measure(grow, lambda: client.get(reverse("hours:customers")))
    assert small == large, f"3 organizations: {small} queries, 30: {large}"


def test_contracts_api_costs_the_same_for_3_and_30_organizations(account_manager, grow):
    api = APIClient()
    api.force_authenticate(account_manager)
    small, large = _measure(grow, lambda: api.get("/api/v1/contracts/"))
    assert small == large, f"3 organizations: {small} queries, 30: {large}"


def test_support_request_form_costs_the_same_for_3_and_30_organizations(client, alice, make_contract, grow):
    make_contract(alice.organization, plan="enterprise", add_ons=["premium_support"], escalation="phone")
    client.force_login(alice)
    small, large = _measure(grow, lambda: client.get(reverse("tickets:create")))
    assert small == large, f"3 organizations: {small} queries, 30: {large}"
    # One look at the contract for the whole form, not one per priority shown.
    assert large <= 25, f"the Support Request Form took {large} queries"
