"""Changing support level: the customer's admin asks, the account manager answers, a contract edit applies it."""

import pytest
from django.core import mail
from django.urls import reverse

from contracts import services
from contracts.models import ChangeRequest
from portal import outbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

URL = "/api/v1/change-requests/"


@pytest.fixture
def acme_contract(acme, make_contract):
    return make_contract(acme)


@pytest.fixture
def asked(acme_contract, alice):
    return services.change_request_open(actor=alice, change="enterprise_support", note="We now run three connectors.")


def sent_mail():
    outbox.flush()
    return [(sorted(m.to), m.subject) for m in mail.outbox]


# Asking ---------------------------------------------------------------------------------------------------


def test_an_admin_asks_and_the_account_manager_is_told(api, alice, acme_contract):
    mail.outbox.clear()
    response = api(alice).post(URL, {"change": "enterprise_support", "note": "More connectors."}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("change", "status", "note", "response", "decided_at")} == {
        "change": "enterprise_support",
        "status": "requested",
        "note": "More connectors.",
        "response": "",
        "decided_at": None,
    }
    assert set(body) >= {"id", "created_at"}
    request = ChangeRequest.objects.get(pk=body["id"])
    assert (request.organization, request.contract, request.requested_by) == (alice.organization, acme_contract, alice)
    assert sent_mail() == [(["am@vendor.test"], f"Acme Outfitters asks for enterprise support (request #{request.pk})")]
    assert "More connectors." in mail.outbox[0].body
    assert f"/contracts/changes/{request.pk}/" in mail.outbox[0].body


@pytest.mark.parametrize("change", ["premium_support", "slack_channel", "configuration_support", "more_sa_hours"])
def test_every_change_can_be_asked_for(api, alice, acme_contract, change):
    assert api(alice).post(URL, {"change": change}, format="json").status_code == 201


def test_members_and_staff_may_not_ask(api, bob, account_manager, support_engineer, acme_contract):
    assert api(bob).post(URL, {"change": "enterprise_support"}, format="json").status_code == 403
    assert api(bob).get(URL).status_code == 403
    assert api(account_manager).post(URL, {"change": "enterprise_support"}, format="json").status_code == 403
    assert api(support_engineer).post(URL, {"change": "enterprise_support"}, format="json").status_code == 403
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"change": "platinum"}, "change"), ({"change": "other", "note": ""}, "note"), ({}, "change")],
)
def test_bad_input_is_a_400_and_stores_nothing(api, alice, acme_contract, body, field):
    response = api(alice).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert not ChangeRequest.objects.exists()


# Scope ----------------------------------------------------------------------------------------------------


def test_another_organizations_request_is_a_404(api, asked, gina, globex, make_contract):
    make_contract(globex)
    client = api(gina)
    assert client.get(f"{URL}{asked.pk}/").status_code == 404
    assert client.patch(f"{URL}{asked.pk}/", {"status": "withdrawn"}, format="json").status_code == 404
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}?organization={asked.organization_id}").status_code == 400
    asked.refresh_from_db()
    assert asked.status == "requested"


def test_the_list_is_paginated_and_its_queries_do_not_grow(api, alice, acme_contract, django_assert_max_num_queries):
    for _ in range(3):
        services.change_request_open(actor=alice, change="more_sa_hours")
    client = api(alice)
    with django_assert_max_num_queries(6):
        assert client.get(URL).json()["count"] == 3
    for _ in range(30):
        services.change_request_open(actor=alice, change="more_sa_hours")
    with django_assert_max_num_queries(6):
        assert len(client.get(URL).json()["results"]) == 33


# Answering ------------------------------------------------------------------------------------------------


def test_the_account_manager_answers_and_the_customer_is_emailed_each_time(api, asked, account_manager, alice):
    outbox.flush()
    mail.outbox.clear()
    client = api(account_manager)
    response = client.patch(
        f"{URL}{asked.pk}/", {"status": "in_discussion", "response": "Let's talk on Tuesday."}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["response"]) == ("in_discussion", "Let's talk on Tuesday.")
    response = client.patch(
        f"{URL}{asked.pk}/", {"status": "accepted", "response": "Enterprise from Monday."}, format="json"
    )
    assert response.json()["status"] == "accepted"
    assert response.json()["decided_at"] is not None
    assert sent_mail() == [
        (["alice@acme.test"], "Your request for enterprise support: in discussion"),
        (["alice@acme.test"], "Your request for enterprise support: accepted"),
    ]
    assert "Let's talk on Tuesday." in mail.outbox[0].body
    assert "Enterprise from Monday." in mail.outbox[1].body
    # The customer reads the answer.
    assert api(alice).get(f"{URL}{asked.pk}/").json()["response"] == "Enterprise from Monday."


@pytest.mark.parametrize(
    ("first", "then", "code"),
    [
        ("accepted", "declined", 409),
        ("declined", "in_discussion", 409),
        ("accepted", "requested", 400),
    ],
)
def test_decided_requests_do_not_move(api, asked, account_manager, first, then, code):
    client = api(account_manager)
    assert client.patch(f"{URL}{asked.pk}/", {"status": first, "response": "Answer."}, format="json").status_code == 200
    response = client.patch(f"{URL}{asked.pk}/", {"status": then, "response": "Again."}, format="json")
    assert response.status_code == code
    assert response.json()["code"] == "status_not_allowed"
    asked.refresh_from_db()
    assert (asked.status, asked.response) == (first, "Answer.")


def test_declining_needs_a_reason(api, asked, account_manager):
    response = api(account_manager).patch(f"{URL}{asked.pk}/", {"status": "declined"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "response": ["Say why the request is declined: the customer reads the answer."]
    }


def test_the_customer_may_only_withdraw(api, asked, alice, account_manager):
    client = api(alice)
    response = client.patch(f"{URL}{asked.pk}/", {"status": "accepted"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "status_not_allowed")
    outbox.flush()
    mail.outbox.clear()
    response = client.patch(f"{URL}{asked.pk}/", {"status": "withdrawn"}, format="json")
    assert response.json()["status"] == "withdrawn"
    assert sent_mail() == [(["am@vendor.test"], f"Acme Outfitters withdrew request #{asked.pk} (enterprise support)")]
    response = api(account_manager).patch(f"{URL}{asked.pk}/", {"status": "accepted"}, format="json")
    assert response.status_code == 409


def test_support_engineers_read_but_do_not_answer(api, asked, support_engineer):
    client = api(support_engineer)
    assert client.get(f"{URL}{asked.pk}/").status_code == 200
    assert client.patch(f"{URL}{asked.pk}/", {"status": "accepted"}, format="json").status_code == 403


# Applying -------------------------------------------------------------------------------------------------


def test_accepting_leads_to_the_contract_edit_that_applies_it_and_the_history_shows_both(
    client, asked, account_manager, alice, acme_contract
):
    services.change_request_answer(actor=account_manager, request=asked, status="accepted", response="Yes.")
    client.force_login(account_manager)
    page = client.get(reverse("contracts:change_request_detail", args=[asked.pk])).content.decode()
    apply_url = reverse("contracts:contract_edit", args=[acme_contract.pk]) + f"?change_request={asked.pk}"
    assert apply_url in page
    form_page = client.get(apply_url)
    form = form_page.context["form"]
    assert form["add_ons"].value() == ["enterprise_support"]  # the edit starts with the change in place
    data = {
        "plan": "growth",
        "status": "active",
        "term_start": acme_contract.term_start.isoformat(),
        "term_end": acme_contract.term_end.isoformat(),
        "add_ons": ["enterprise_support"],
        "sa_hours_per_year": "0",
        "rounding_increment_minutes": "15",
        "escalation_channel": "",
        "slack_channel_ids": "",
        "notes": "",
        "change_request": str(asked.pk),
    }
    outbox.flush()
    mail.outbox.clear()
    response = client.post(apply_url, data)
    assert response.status_code == 302, response.context["form"].errors
    asked.refresh_from_db()
    assert (asked.is_applied, asked.applied_by) == (True, account_manager)
    assert sent_mail() == [(["alice@acme.test"], "Your contract now includes enterprise support")]
    history = client.get(reverse("contracts:contract_detail", args=[acme_contract.pk])).content.decode()
    assert f"Change request #{asked.pk} (Enterprise support) requested" in history
    assert "Status: Requested → Accepted" in history.replace("&gt;", ">")
    assert f"Applies change request #{asked.pk} (Enterprise support)" in history
    assert "Add-on Enterprise Support created" in history
    # A request is applied once.
    response = client.post(apply_url, data)
    assert response.status_code == 200
    assert f"Request #{asked.pk} was applied already." in response.content.decode()


def test_a_request_not_accepted_cannot_be_applied(asked, account_manager, acme_contract):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Only an accepted request"):
        services.contract_update_fields(
            actor=account_manager, contract=acme_contract, add_ons=["enterprise_support"], change_request=asked
        )
    assert not acme_contract.add_ons.exists()


def test_the_api_patch_can_apply_an_accepted_request(api, asked, account_manager, acme_contract, globex, make_contract):
    services.change_request_answer(actor=account_manager, request=asked, status="accepted", response="Yes.")
    client = api(account_manager)
    other = make_contract(globex)
    response = client.patch(
        f"/api/v1/contracts/{other.pk}/", {"add_ons": ["enterprise_support"], "change_request": asked.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"change_request": ["This request belongs to another organization."]}
    response = client.patch(
        f"/api/v1/contracts/{acme_contract.pk}/",
        {"add_ons": ["enterprise_support"], "change_request": asked.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["tier"] == "enterprise"
    asked.refresh_from_db()
    assert asked.is_applied
