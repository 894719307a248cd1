"""The account manager's home: each list, its links, its paging, and queries that do not grow with the accounts."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.urls import reverse

from contracts import services as contract_services
from contracts.models import Connector
from hours import services as hours_services
from portal.manager_home import quarter_start
from portal.models import Organization
from tests.clock import NOW, TODAY, pt
from tickets.services import comment_add, ticket_open

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

HOME = "/manager/"


@pytest.fixture
def world(account_manager, make_contract, make_user, solution_architect, support_engineer, gina, alice):
    """Acme asks for Enterprise; Globex has used 80% of its hours and asked for a quote; Initech's contract ends soon
    and its hours are used up; Hooli has no contract and a ticket."""
    acme, globex = alice.organization, gina.organization
    make_contract(acme)
    globex_contract = make_contract(globex, plan="enterprise", sa_hours=Decimal("10"), connectors=["shopify"])
    initech = Organization.objects.create(name="Initech Supply", account_manager=account_manager)
    # A short year (the term ends in 45 days): 2.5 h a year prorated to 146 of 365 days is one hour.
    initech_contract = make_contract(
        initech, plan="enterprise", sa_hours=Decimal("2.5"), term_end=TODAY + datetime.timedelta(days=45)
    )
    hooli = Organization.objects.create(name="Hooli", account_manager=account_manager)
    hank = make_user("hank@hooli.test", organization=hooli, role="admin")
    request = contract_services.change_request_open(actor=alice, change="enterprise_support", now=NOW)
    ticket = ticket_open(
        organization=globex, requester=gina, subject="Map fields", description="d", kind="configuration_request"
    )
    hours_services.time_entry_log(
        architect=solution_architect, ticket=ticket, category="system_setup", minutes=480, work_date=TODAY, now=NOW
    )
    quote = hours_services.connector_quote_request(
        architect=solution_architect, organization=globex, connector=Connector.objects.get(slug="amazon"), now=NOW
    )
    initech_ticket = ticket_open(
        organization=initech,
        requester=None,
        subject="Configure",
        description="d",
        kind="configuration_request",
        raised_by=support_engineer,
    )
    hours_services.time_entry_log(
        architect=solution_architect,
        ticket=initech_ticket,
        category="system_setup",
        minutes=60,
        work_date=TODAY,
        now=NOW,
    )
    orphan = ticket_open(organization=hooli, requester=hank, subject="Who do we talk to?", description="d")
    # Attainment this quarter: Acme met one of two urgent tickets.
    met = ticket_open(
        organization=acme, requester=alice, subject="a", description="d", priority="urgent", now=pt(2026, 11, 24, 8, 0)
    )
    comment_add(ticket=met, author=support_engineer, body="On it.", now=pt(2026, 11, 24, 9, 0))
    missed = ticket_open(
        organization=acme, requester=alice, subject="b", description="d", priority="urgent", now=pt(2026, 11, 24, 8, 0)
    )
    comment_add(ticket=missed, author=support_engineer, body="Sorry.", now=pt(2026, 11, 25, 9, 0))
    ticket_open(organization=acme, requester=alice, subject="old", description="d", now=pt(2026, 9, 1, 8, 0))
    return {
        "request": request,
        "quote": quote,
        "initech_contract": initech_contract,
        "globex_contract": globex_contract,
        "orphan": orphan,
    }


def test_account_managers_land_on_their_home_after_signing_in(client, account_manager, support_engineer):
    from allauth.account.models import EmailAddress

    from tests.clock import PASSWORD

    for user in (account_manager, support_engineer):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post(reverse("account_login"), {"login": account_manager.email, "password": PASSWORD})
    assert response.url == HOME
    client.logout()
    response = client.post(reverse("account_login"), {"login": support_engineer.email, "password": PASSWORD})
    assert response.url == "/"


def test_each_list_of_the_home_and_where_it_leads(client, world, account_manager):
    client.force_login(account_manager)
    response = client.get(HOME)
    context = response.context
    page = response.content.decode()
    assert [r.pk for r in context["requests"]] == [world["request"].pk]
    assert reverse("contracts:change_request_detail", args=[world["request"].pk]) in page
    assert [t.pk for t in context["quote_requests"]] == [world["quote"].pk]
    assert f"{reverse('contracts:quote_create')}?ticket={world['quote'].pk}" in page
    assert [c.pk for c in context["ending"]] == [world["initech_contract"].pk]
    assert [(s["organization"].name, s["percent"]) for s in context["high_use"]] == [
        ("Initech Supply", 100),
        ("Globex Retail", 80),
    ]
    assert [s["organization"].name for s in context["overage"]] == ["Initech Supply"]
    assert reverse("hours:ledger", args=[world["initech_contract"].pk]) in page
    assert [t.pk for t in context["uncovered"]] == [world["orphan"].pk]
    rows = {a["organization"].name: a for a in context["attainment"]}
    assert (rows["Acme Outfitters"]["met"], rows["Acme Outfitters"]["breached"]) == (1, 1)
    assert rows["Acme Outfitters"]["attainment"] == 50.0
    assert rows["Hooli"]["attainment"] is None
    assert context["quarter_start"] == quarter_start(TODAY) == datetime.date(2026, 10, 1)
    assert 'data-testid="attainment-acme-outfitters"' in page


def test_approving_overage_or_answering_takes_a_line_off(client, world, account_manager):
    hours_services.overage_set(actor=account_manager, contract=world["initech_contract"], approved=True)
    contract_services.change_request_answer(
        actor=account_manager, request=world["request"], status="declined", response="Not this year."
    )
    client.force_login(account_manager)
    context = client.get(HOME).context
    assert list(context["overage"]) == []
    assert list(context["requests"]) == []


def test_the_attainment_counts_as_the_ticket_clock_does(world, alice):
    from tickets.models import Ticket
    from tickets.selectors import attainment_by_organization, with_clock

    acme = alice.organization
    counted = attainment_by_organization([acme.pk], since=datetime.date(2026, 10, 1), now=NOW)[acme.pk]
    tickets = with_clock(
        Ticket.objects.filter(
            organization=acme, received_at__gte=pt(2026, 10, 1, 0, 0), first_response_due_at__isnull=False
        ),
        now=NOW,
    )
    states = [t.state for t in tickets]
    assert (counted["met"], counted["breached"], counted["waiting"]) == (
        states.count("met"),
        states.count("breached"),
        states.count("running") + states.count("at_risk"),
    )


def test_only_my_accounts_unless_asked(client, world, make_user, account_manager):
    from portal import roles

    other_manager = make_user("am2@vendor.test", group=roles.ACCOUNT_MANAGER)
    mine = Organization.objects.create(name="Zeta Corp", account_manager=other_manager)
    client.force_login(other_manager)
    context = client.get(HOME).context
    assert [a["organization"] for a in context["attainment"]] == [mine]
    assert list(context["requests"]) == []
    everyone = client.get(HOME + "?scope=all").context
    assert len(everyone["requests"]) == 1


def test_the_home_is_for_account_managers(client, support_engineer, alice):
    client.force_login(support_engineer)
    assert client.get(HOME).status_code == 403
    client.force_login(alice)
    assert client.get(HOME).status_code == 403


def test_lists_are_paged(client, world, account_manager, alice):
    for _ in range(12):
        contract_services.change_request_open(actor=alice, change="more_sa_hours", now=NOW)
    client.force_login(account_manager)
    first = client.get(HOME).context["requests"]
    assert (len(first), first.paginator.count, first.paginator.num_pages) == (10, 13, 2)
    second = client.get(HOME + "?requests=2").context["requests"]
    assert len(second) == 3


def test_the_queries_do_not_grow_with_the_accounts(
    client, world, account_manager, make_contract, django_assert_max_num_queries
):
    client.force_login(account_manager)
    client.get(HOME)  # warm caches (the session, the user's groups)
    caches["entitlements"].clear()  # both counts with no entitlements kept: the most the page can cost
    with django_assert_max_num_queries(40) as before:
        client.get(HOME)
    for n in range(10):
        organization = Organization.objects.create(name=f"Extra {n}", account_manager=account_manager)
        make_contract(
            organization, plan="enterprise", sa_hours=Decimal("5"), term_end=TODAY + datetime.timedelta(days=30)
        )
    caches["entitlements"].clear()
    with django_assert_max_num_queries(len(before.captured_queries)) as after:
        response = client.get(HOME)
    assert response.context["ending"].paginator.count == 11
    print(f"manager home: {len(before.captured_queries)} queries for 4 accounts, {len(after.captured_queries)} for 14")
