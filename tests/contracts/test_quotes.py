"""Connector quote to onboarding: the AM quotes a quote request, the customer's admin accepts it, and the connector
joins the contract with its onboarding engagement in one transaction."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from contracts import services
from contracts.models import Connector, Engagement, Quote
from hours import services as hours_services
from portal import outbox
from tests.clock import NOW, TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

URL = "/api/v1/quotes/"


@pytest.fixture
def globex_contract(globex, make_contract):
    return make_contract(globex, plan="enterprise", sa_hours=Decimal("40"), connectors=["shopify", "netsuite"])


@pytest.fixture
def quote_request(globex_contract, solution_architect, gina):
    return hours_services.connector_quote_request(
        architect=solution_architect,
        organization=globex_contract.organization,
        connector=Connector.objects.get(slug="woocommerce"),
        now=NOW,
    )


def body(ticket, **extra):
    data = {
        "ticket": ticket.pk,
        "hours": "12.00",
        "price": "2400.00",
        "currency": "USD",
        "valid_until": (TODAY + datetime.timedelta(days=30)).isoformat(),
        "scope": "WooCommerce store connection, order and inventory flows, go-live check.",
    }
    data.update(extra)
    return data


@pytest.fixture
def sent_quote(quote_request, account_manager):
    quote = services.quote_create(
        actor=account_manager,
        ticket=quote_request,
        hours=Decimal("12"),
        price=Decimal("2400.00"),
        currency="USD",
        valid_until=TODAY + datetime.timedelta(days=30),
        scope="WooCommerce store connection and order flows.",
        now=NOW,
    )
    return services.quote_send(actor=account_manager, quote=quote, now=NOW)


def test_the_am_quotes_sends_and_the_customer_reads_it(api, quote_request, account_manager, gina):
    client = api(account_manager)
    response = client.post(URL, body(quote_request), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert {k: data[k] for k in ("connector", "hours", "price", "currency", "status")} == {
        "connector": "woocommerce",
        "hours": "12.00",
        "price": "2400.00",
        "currency": "USD",
        "status": "draft",
    }
    # A draft is not the customer's yet.
    assert api(gina).get(f"{URL}{data['id']}/").status_code == 404
    assert client.patch(f"{URL}{data['id']}/", {"price": "2200.00"}, format="json").json()["price"] == "2200.00"
    outbox.flush()
    mail.outbox.clear()
    response = client.post(f"{URL}{data['id']}/send/")
    assert response.json()["status"] == "sent"
    outbox.flush()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["gina@globex.test"], f"Your quote for the WooCommerce connector (#{data['id']})")
    ]
    assert "Price: 2200.00 USD" in mail.outbox[0].body
    assert api(gina).get(f"{URL}{data['id']}/").json()["status"] == "sent"
    # Sent is final.
    response = client.patch(f"{URL}{data['id']}/", {"price": "1.00"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "quote_not_draft")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"price": "-1"}, "price"),
        ({"price": "12.345"}, "price"),
        ({"currency": "BTC"}, "currency"),
        ({"hours": "0"}, "hours"),
        ({"valid_until": "2026-11-01"}, "valid_until"),
        ({"valid_until": "tomorrow"}, "valid_until"),
        ({"scope": ""}, "scope"),
    ],
)
def test_bad_quotes_are_a_400_and_store_nothing(api, quote_request, account_manager, extra, field):
    response = api(account_manager).post(URL, body(quote_request, **extra), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not Quote.objects.exists()


def test_a_quote_answers_a_quote_request_only(api, globex_contract, gina, account_manager):
    from tickets.services import ticket_open

    other = ticket_open(organization=globex_contract.organization, requester=gina, subject="s", description="d")
    response = api(account_manager).post(URL, body(other, connector="woocommerce"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"ticket": [f"Ticket #{other.pk} is not a quote request for a new connector."]}


def test_accepting_adds_the_connector_and_starts_the_onboarding(api, sent_quote, gina, account_manager, client):
    outbox.flush()
    mail.outbox.clear()
    response = api(gina).post(f"{URL}{sent_quote.pk}/accept/", {"note": "Go ahead."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    contract = sent_quote.contract
    assert contract.connectors.filter(slug="woocommerce").exists()
    engagement = Engagement.objects.get(pk=response.json()["engagement"])
    assert (engagement.name, engagement.quoted_hours, engagement.status, engagement.contract) == (
        "WooCommerce onboarding",
        Decimal("12.00"),
        "active",
        contract,
    )
    assert contract.add_ons.get(kind="configuration_support").is_active
    outbox.flush()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["am@vendor.test"], f"Globex Retail accepted quote #{sent_quote.pk} (WooCommerce)")
    ]
    # The contract's history names the customer and the quote.
    client.force_login(account_manager)
    page = client.get(reverse("contracts:contract_detail", args=[contract.pk])).content.decode()
    assert "Engagement WooCommerce onboarding created" in page
    assert f"Accepting quote #{sent_quote.pk}" in page
    assert "NetSuite, Shopify, WooCommerce" in page
    assert "Gina Globex" in page


def test_accepting_is_one_transaction(api, sent_quote, gina):
    with (
        mock.patch("contracts.services.quotes.engagement_write", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        api(gina).post(f"{URL}{sent_quote.pk}/accept/", {}, format="json")
    sent_quote.refresh_from_db()
    assert sent_quote.status == "sent"
    assert not sent_quote.contract.connectors.filter(slug="woocommerce").exists()
    assert not Engagement.objects.exists()


def test_a_second_accept_is_refused(api, sent_quote, gina):
    client = api(gina)
    assert client.post(f"{URL}{sent_quote.pk}/accept/", {}, format="json").status_code == 200
    response = client.post(f"{URL}{sent_quote.pk}/accept/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "quote_decided")
    assert Engagement.objects.count() == 1
    response = client.post(f"{URL}{sent_quote.pk}/decline/", {}, format="json")
    assert response.status_code == 409


def test_an_expired_quote_cannot_be_accepted(api, sent_quote, gina, time_machine):
    time_machine.move_to(NOW + datetime.timedelta(days=31), tick=False)
    client = api(gina)
    assert client.get(f"{URL}{sent_quote.pk}/").json()["status"] == "expired"  # before the sweep records it
    response = client.post(f"{URL}{sent_quote.pk}/accept/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "quote_expired")
    assert "expired after Sun 27 Dec 2026" in response.json()["detail"]
    assert not Engagement.objects.exists()
    assert services.quotes_expire() == 1
    sent_quote.refresh_from_db()
    assert sent_quote.status == "expired"
    assert services.quotes_expire() == 0


def test_declining_changes_nothing_in_the_contract(api, sent_quote, gina):
    mail.outbox.clear()
    outbox.flush()
    mail.outbox.clear()
    response = api(gina).post(f"{URL}{sent_quote.pk}/decline/", {"note": "Too early for us."}, format="json")
    assert response.json()["status"] == "declined"
    assert not sent_quote.contract.connectors.filter(slug="woocommerce").exists()
    outbox.flush()
    assert "Too early for us." in mail.outbox[0].body


def test_who_may_do_what(api, sent_quote, make_user, solution_architect, account_manager, globex):
    member = make_user("gus@globex.test", organization=globex, role="member")
    assert api(member).get(URL).status_code == 403
    assert api(member).post(f"{URL}{sent_quote.pk}/accept/").status_code == 403
    assert api(solution_architect).post(f"{URL}{sent_quote.pk}/accept/").status_code == 403
    assert api(account_manager).post(f"{URL}{sent_quote.pk}/accept/").status_code == 403
    assert api(solution_architect).post(URL, body(sent_quote.ticket), format="json").status_code == 403
    sent_quote.refresh_from_db()
    assert sent_quote.status == "sent"


def test_another_organizations_quote_is_a_404(api, sent_quote, alice, acme, make_contract):
    make_contract(acme)
    client = api(alice)
    assert client.get(f"{URL}{sent_quote.pk}/").status_code == 404
    assert client.post(f"{URL}{sent_quote.pk}/accept/").status_code == 404
    assert client.get(URL).json()["results"] == []
    sent_quote.refresh_from_db()
    assert sent_quote.status == "sent"


def test_the_sa_logs_integration_support_for_the_connector_against_the_onboarding(
    api, sent_quote, gina, solution_architect
):
    from hours.models import TimeEntry
    from hours.selectors import engagement_usage

    api(gina).post(f"{URL}{sent_quote.pk}/accept/", {}, format="json")
    engagement = Engagement.objects.get()
    response = api(solution_architect).post(
        "/api/v1/time-entries/",
        {
            "engagement": engagement.pk,
            "category": "integration_support",
            "connector": "woocommerce",
            "work_mode": "online_call",
            "work_date": TODAY.isoformat(),
            "minutes": 90,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    entry = TimeEntry.objects.get()
    assert (entry.engagement, entry.category, entry.connector.slug, entry.work_mode) == (
        engagement,
        "integration_support",
        "woocommerce",
        "online_call",
    )
    usage = engagement_usage(engagement)
    assert (usage.allotted, usage.used) == (12 * 60, 90)
    # A connector the contract still lacks is refused against the engagement too, with the quote offer.
    response = api(solution_architect).post(
        "/api/v1/time-entries/",
        {
            "engagement": engagement.pk,
            "category": "integration_support",
            "connector": "magento",
            "work_mode": "offline_work",
            "work_date": TODAY.isoformat(),
            "minutes": 30,
        },
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "connector_not_in_contract")


def test_the_quote_pages(client, sent_quote, gina, account_manager):
    client.force_login(gina)
    page = client.get(reverse("contracts:quote_detail", args=[sent_quote.pk])).content.decode()
    assert "2400.00 USD" in page and "Accept the quote" in page
    response = client.post(reverse("contracts:quote_accept", args=[sent_quote.pk]), {"accept-note": "Yes"})
    assert response.status_code == 302
    sent_quote.refresh_from_db()
    assert (sent_quote.status, sent_quote.customer_note) == ("accepted", "Yes")
    page = client.get(reverse("contracts:quote_detail", args=[sent_quote.pk])).content.decode()
    assert "Accept the quote" not in page
    assert "WooCommerce onboarding" in page


def test_the_am_writes_a_quote_from_the_request_page(client, quote_request, account_manager):
    client.force_login(account_manager)
    ticket_page = client.get(reverse("tickets:staff_detail", args=[quote_request.pk])).content.decode()
    create_url = reverse("contracts:quote_create") + f"?ticket={quote_request.pk}"
    assert create_url in ticket_page
    response = client.post(
        create_url,
        {
            "connector": Connector.objects.get(slug="woocommerce").pk,
            "hours": "12",
            "price": "2400",
            "currency": "USD",
            "valid_until": (TODAY + datetime.timedelta(days=30)).isoformat(),
            "scope": "Store connection.",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    quote = Quote.objects.get()
    assert (quote.ticket, quote.status, quote.price) == (quote_request, "draft", Decimal("2400.00"))
    response = client.post(reverse("contracts:quote_send", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_the_quote_list_is_paginated_and_its_queries_stay_flat(
    api, quote_request, account_manager, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            services.quote_create(
                actor=account_manager,
                ticket=quote_request,
                hours=Decimal("1"),
                price=Decimal("100"),
                currency="EUR",
                valid_until=TODAY,
                scope="s",
                now=NOW,
            )

    make(3)
    client = api(account_manager)
    with django_assert_max_num_queries(6):
        assert client.get(URL).json()["count"] == 3
    make(60)
    with django_assert_max_num_queries(6):
        assert len(client.get(URL).json()["results"]) == 50
