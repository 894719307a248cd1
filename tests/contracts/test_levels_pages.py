"""The customer's pages for comparing levels and asking for a change, and the AM's answer page."""

import datetime

import pytest
from django.urls import reverse

from contracts import services
from contracts.models import ChangeRequest
from tests.clock import NOW, pt
from tickets.services import ticket_open

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def acme_contract(acme, make_contract):
    return make_contract(acme)


def open_ticket(organization, requester, received, *, priority="urgent", kind="incident", subject="Orders stopped"):
    return ticket_open(
        organization=organization,
        requester=requester,
        subject=subject,
        description="d",
        kind=kind,
        priority=priority,
        now=received,
    )


def test_the_comparison_shows_each_ticket_with_the_deadline_it_got_and_would_have_had(client, alice, acme_contract):
    urgent = open_ticket(acme_contract.organization, alice, pt(2026, 11, 24, 8, 0))  # a Tuesday morning
    open_ticket(acme_contract.organization, alice, NOW - datetime.timedelta(days=91), subject="Too old")
    client.force_login(alice)
    page = client.get(reverse("contracts:levels")).content.decode()
    assert 'data-testid="current-level">Standard support<' in page
    for level in ("Enterprise support", "Premium support", "Enterprise support with Premium"):
        assert level in page
    assert "Too old" not in page
    assert f"#{urgent.pk} Orders stopped" in page
    # Standard gave 6 business hours (14:00); Enterprise would have given 4 (12:00), 2 h sooner.
    assert "Tue 24 Nov 2026, 14:00 PST" in page
    assert "Tue 24 Nov 2026, 12:00 PST" in page
    assert "4 business hours, 2 h 00 min sooner" in page
    assert "Under Enterprise support, 1 of them would have had an earlier deadline" in page
    premium = client.get(reverse("contracts:levels") + "?level=premium").content.decode()
    assert "Tue 24 Nov 2026, 08:30 PST" in premium  # Premium's 30 minutes, 24/7
    # Premium never takes a configuration request: its deadline stays the tier's.
    config = open_ticket(acme_contract.organization, alice, pt(2026, 11, 24, 9, 0), kind="configuration_request")
    rows = client.get(reverse("contracts:levels") + "?level=premium").context["rows"]
    row = next(r for r in rows if r.ticket.pk == config.pk)
    assert (row.had.due_at, row.would_have.due_at) == (None, None)


def test_the_comparison_is_paginated_and_its_queries_stay_flat(
    client, alice, acme_contract, django_assert_max_num_queries
):
    organization = acme_contract.organization
    for hours in range(3):
        open_ticket(organization, alice, NOW - datetime.timedelta(hours=hours + 1))
    client.force_login(alice)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("contracts:levels"))
    for hours in range(40):
        open_ticket(organization, alice, NOW - datetime.timedelta(hours=hours + 5))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("contracts:levels"))
    assert len(response.context["rows"]) == 20
    assert response.context["summary"]["tickets"] == 43
    assert "Page 1 of 3" in response.content.decode()


def test_members_compare_but_only_admins_ask(client, bob, alice, acme_contract):
    client.force_login(bob)
    page = client.get(reverse("contracts:levels")).content.decode()
    assert "Send to my account manager" not in page
    assert client.get(reverse("contracts:change_request_list")).status_code == 403
    assert client.get(reverse("contracts:change_request_create")).status_code == 403
    assert client.post(reverse("contracts:change_request_create"), {"change": "premium_support"}).status_code == 403
    assert not ChangeRequest.objects.exists()


def test_staff_have_no_comparison_page(client, account_manager):
    client.force_login(account_manager)
    assert client.get(reverse("contracts:levels")).status_code == 404


def test_an_admin_asks_on_the_page_reads_the_answer_and_may_withdraw(client, alice, acme_contract, account_manager):
    client.force_login(alice)
    response = client.post(reverse("contracts:change_request_create"), {"change": "premium_support", "note": "24/7"})
    request = ChangeRequest.objects.get()
    assert response.url == reverse("contracts:change_request_detail", args=[request.pk])
    response = client.post(reverse("contracts:change_request_create"), {"change": "other", "note": ""})
    assert response.status_code == 400
    assert "Say what you would like to change." in response.content.decode()
    services.change_request_answer(
        actor=account_manager, request=request, status="in_discussion", response="I'll call you."
    )
    page = client.get(reverse("contracts:change_request_detail", args=[request.pk])).content.decode()
    assert "In discussion" in page and "I&#x27;ll call you." in page
    client.post(reverse("contracts:change_request_detail", args=[request.pk]), {"action": "withdraw"})
    request.refresh_from_db()
    assert request.status == "withdrawn"


def test_the_am_answers_on_the_page(client, alice, acme_contract, account_manager):
    request = services.change_request_open(actor=alice, change="slack_channel")
    client.force_login(account_manager)
    detail = reverse("contracts:change_request_detail", args=[request.pk])
    response = client.post(detail, {"action": "answer", "status": "declined", "response": ""})
    assert response.status_code == 400
    assert "Say why the request is declined" in response.content.decode()
    client.post(detail, {"action": "answer", "status": "declined", "response": "Slack needs Enterprise support."})
    request.refresh_from_db()
    assert (request.status, request.answered_by) == ("declined", account_manager)
    listing = client.get(reverse("contracts:change_request_list")).content.decode()
    assert "No request is waiting for an answer." in listing
    assert f"#{request.pk}" in client.get(reverse("contracts:change_request_list") + "?all=1").content.decode()


def test_another_organizations_request_page_is_a_404(client, alice, gina, acme_contract):
    request = services.change_request_open(actor=alice, change="premium_support")
    client.force_login(gina)
    detail = reverse("contracts:change_request_detail", args=[request.pk])
    assert client.get(detail).status_code == 404
    assert client.post(detail, {"action": "withdraw"}).status_code == 404
    request.refresh_from_db()
    assert request.status == "requested"
