"""The email quarantine's API (/api/v1/inbound-emails/): staff only, the same services as the pages."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.channels import corpus
from tests.channels.helpers import SUPPORT, contract_with_channels
from tickets.channels import services
from tickets.channels.models import InboundEmail
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db

LIST = "/api/v1/inbound-emails/"
STAFF = ["support_engineer", "solution_architect", "account_manager", "admin_user"]


@pytest.fixture(autouse=True)
def _channel_settings(settings, tmp_path):
    settings.SUPPORT_EMAIL = SUPPORT
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://support.example.test"


@pytest.fixture
def world(account_manager, alice, bob, gina, support_engineer):
    """Acme (Enterprise with Slack) and Globex (Standard) under contract, their people, and an Acme ticket."""
    contract_with_channels(account_manager, alice.organization, plan="enterprise", add_ons=["slack_channel"])
    contract_with_channels(account_manager, gina.organization, plan="growth")
    acme_ticket = ticket_open(
        organization=alice.organization,
        requester=alice,
        subject="Orders stuck in sync",
        description="Since Monday orders do not reach the ERP.",
        now=timezone.now() - datetime.timedelta(hours=2),
    )
    return {"alice": alice, "bob": bob, "gina": gina, "staff": support_engineer, "acme_ticket": acme_ticket}


@pytest.fixture
def people(world, solution_architect, account_manager, admin_user):
    return {
        "alice": world["alice"],
        "bob": world["bob"],
        "gina": world["gina"],
        "support_engineer": world["staff"],
        "solution_architect": solution_architect,
        "account_manager": account_manager,
        "admin_user": admin_user,
    }


@pytest.fixture
def held(world):
    """A stranger's message (quarantined, unknown sender), an automatic reply, and one that became a ticket."""
    stranger = services.inbound_email_receive(
        raw=corpus.message(
            frm="Dana Newcustomer <dana@newco.test>", subject="Help", body="Our orders stopped."
        ).as_bytes()
    ).email
    automatic = services.inbound_email_receive(raw=corpus.auto_submitted(world)).email
    ticketed = services.inbound_email_receive(raw=corpus.plain(world)).email
    return {"stranger": stranger, "automatic": automatic, "ticketed": ticketed}


def snapshot() -> tuple:
    return (
        sorted(map(repr, InboundEmail.objects.values_list("pk", "status", "ticket", "reviewed_by", "organization"))),
        Ticket.objects.count(),
        TicketEvent.objects.count(),
    )


@pytest.mark.parametrize("who", STAFF)
def test_staff_list_every_message_newest_first(api, people, held, who, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api(people[who]).get(LIST)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [held["ticketed"].pk, held["automatic"].pk, held["stranger"].pk]
    stranger = results[2]
    assert stranger == {
        "id": held["stranger"].pk,
        "message_id": held["stranger"].message_id,
        "message_id_derived": False,
        "source": "mailgate",
        "sender": "dana@newco.test",
        "subject": "Help",
        "authentication": "",
        "received_at": stranger["received_at"],
        "processed_at": stranger["processed_at"],
        "status": "quarantined",
        "reason_code": "unknown_sender",
        "reason": held["stranger"].reason,
        "organization": None,
        "ticket": None,
        "raw_size": held["stranger"].raw_size,
        "refusal_sent_at": None,
        "reviewed_by": None,
        "reviewed_at": None,
        "can_review": True,
    }
    assert "raw" not in stranger and "text" not in stranger and "headers" not in stranger
    assert results[0]["can_review"] is False


def test_staff_filter_by_status_and_reason(api, people, held):
    client = api(people["support_engineer"])
    quarantined = client.get(LIST, {"status": "quarantined"}).json()["results"]
    assert [r["id"] for r in quarantined] == [held["automatic"].pk, held["stranger"].pk]
    automatic = client.get(LIST, {"reason_code": "automatic"}).json()["results"]
    assert [r["id"] for r in automatic] == [held["automatic"].pk]
    bad = client.get(LIST, {"status": "lost"})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"status": ["Select a valid choice. lost is not one of the available choices."]}


def test_one_message_reads_with_headers_text_and_attachments(api, people, world):
    email = services.inbound_email_receive(raw=corpus.attachment_pdf(world)).email
    data = api(people["support_engineer"]).get(f"{LIST}{email.pk}/").json()
    assert {"name": "From", "value": "Alice Acme <alice@acme.test>"} in data["headers"]
    assert data["text"] == "The invoice is attached."
    assert (data["text_from_html"], data["text_truncated"]) == (False, False)
    assert data["attachments"] == [
        {"filename": "invoice-2026.pdf", "content_type": "application/pdf", "size": len(corpus.PDF), "inline": False}
    ]
    assert "raw" not in data


@pytest.mark.parametrize("who", ["alice", "bob", "gina"])
def test_customers_are_refused_everything(api, people, held, who):
    before = snapshot()
    client = api(people[who])
    forbidden = {"code": "permission_denied", "detail": "Only support staff review the quarantine."}
    assert client.get(LIST).json() == forbidden
    for method, url, body in [
        ("get", f"{LIST}{held['stranger'].pk}/", None),
        ("post", f"{LIST}{held['stranger'].pk}/discard/", {}),
        ("post", f"{LIST}{held['stranger'].pk}/accept/", {"organization": people[who].organization.pk}),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, url
    assert APIClient().get(LIST).status_code == 401
    assert snapshot() == before


@pytest.mark.parametrize("who", STAFF)
def test_staff_discard_a_held_message(api, people, held, who):
    email = held["stranger"]
    response = api(people[who]).post(f"{LIST}{email.pk}/discard/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["can_review"]) == ("discarded", False)
    assert response.json()["reviewed_by"]["id"] == people[who].pk
    email.refresh_from_db()
    assert (email.status, email.reviewed_by) == ("discarded", people[who])
    assert b"From: Dana Newcustomer" in email.raw_bytes


def test_a_handled_message_is_not_discarded(api, people, held):
    before = snapshot()
    response = api(people["support_engineer"]).post(f"{LIST}{held['ticketed'].pk}/discard/")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "This message was handled already (ticket created).",
        "errors": {"non_field_errors": ["This message was handled already (ticket created)."]},
    }
    assert api(people["support_engineer"]).post(f"{LIST}999999/discard/").status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("who", STAFF)
def test_staff_accept_a_message_into_an_organization(api, people, held, who):
    email = held["stranger"]
    acme = people["alice"].organization
    response = api(people[who]).post(
        f"{LIST}{email.pk}/accept/",
        {"organization": acme.pk, "requester": people["bob"].pk, "subject": "Dana's question"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    email.refresh_from_db()
    ticket = email.ticket
    assert response.json()["ticket"] == ticket.pk
    assert response.json()["status"] == "accepted"
    assert response.json()["organization"] == {"id": acme.pk, "name": "Acme Outfitters"}
    assert (ticket.organization, ticket.requester, ticket.channel, ticket.subject) == (
        acme,
        people["bob"],
        "email",
        "Dana's question",
    )
    assert TicketEvent.objects.get(ticket=ticket, public=False, data__inbound_email=email.pk).actor == people[who]


def test_accepting_without_a_requester_keeps_the_sender_as_label(api, people, held):
    email = held["stranger"]
    globex = people["gina"].organization
    response = api(people["support_engineer"]).post(f"{LIST}{email.pk}/accept/", {"organization": globex.pk})
    assert response.status_code == 200
    email.refresh_from_db()
    assert (email.ticket.requester, email.ticket.requester_label, email.ticket.subject) == (
        None,
        "dana@newco.test",
        "Help",
    )


def test_refused_accepts_change_nothing(api, people, held):
    client = api(people["support_engineer"])
    email = held["stranger"]
    before = snapshot()
    url = f"{LIST}{email.pk}/accept/"
    missing = client.post(url, {}, format="json")
    assert missing.json() == {
        "code": "invalid",
        "detail": "organization: This field is required.",
        "errors": {"organization": ["This field is required."]},
    }
    stranger = client.post(
        url, {"organization": people["gina"].organization.pk, "requester": people["alice"].pk}, format="json"
    )
    assert stranger.status_code == 400
    assert stranger.json()["errors"] == {"requester": ["alice@acme.test is not a member of Globex Retail."]}
    handled = client.post(
        f"{LIST}{held['ticketed'].pk}/accept/", {"organization": people["alice"].organization.pk}, format="json"
    )
    assert handled.status_code == 400
    assert handled.json()["detail"] == "This message was handled already (ticket created)."
    assert snapshot() == before


def test_a_refused_channel_answers_its_own_code(api, people, held, monkeypatch):
    from contracts.entitlements import entitlements_for
    from tickets.services import channel_refusal

    acme = people["alice"].organization

    def refuse(**kwargs):
        raise channel_refusal("email", entitlements_for(acme))

    monkeypatch.setattr(services, "ticket_open", refuse)
    before = snapshot()
    response = api(people["support_engineer"]).post(
        f"{LIST}{held['stranger'].pk}/accept/", {"organization": acme.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "channel_refused"
    assert response.json()["detail"] == (
        "Acme Outfitters's support contract does not include email. You can reach us through the portal and API, "
        "email and Slack: open a request at https://support.example.test/tickets/new/ or write to support@demo.test."
    )
    assert snapshot() == before
