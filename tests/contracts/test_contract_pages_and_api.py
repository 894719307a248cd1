from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contracts import services
from contracts.models import Contract, Engagement

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_contract(acme, make_contract):
    return make_contract(acme)


@pytest.fixture
def globex_contract(globex, make_contract):
    return make_contract(
        globex,
        plan="enterprise",
        add_ons=["slack_channel"],
        sa_hours=Decimal("40"),
        connectors=["shopify", "netsuite"],
        slack_channel_ids=["C0GLOBEX01"],
    )


def _form_data(contract, **overrides):
    data = {
        "plan": contract.plan,
        "status": contract.status,
        "term_start": contract.term_start.isoformat(),
        "term_end": contract.term_end.isoformat(),
        "add_ons": [a.kind for a in contract.add_ons.all() if a.is_active],
        "sa_hours_per_year": str(contract.sa_hours_per_year),
        "rounding_increment_minutes": "15",
        "connectors": [c.pk for c in contract.connectors.all()],
        "escalation_channel": contract.escalation_channel,
        "slack_channel_ids": ", ".join(contract.organization.slack_channels.values_list("channel_id", flat=True)),
        "notes": "",
    }
    data.update(overrides)
    return data


def test_am_edit_records_history_with_who_and_what(client, account_manager, acme_contract):
    client.force_login(account_manager)
    response = client.post(
        reverse("contracts:contract_edit", args=[acme_contract.pk]),
        _form_data(acme_contract, add_ons=["premium_support"], escalation_channel="phone +1 555 0199"),
    )
    assert response.status_code == 302, response.content.decode()
    assert acme_contract.add_ons.get(kind="premium_support").is_active
    page = client.get(reverse("contracts:contract_detail", args=[acme_contract.pk])).content.decode()
    assert "Add-on Premium Support created" in page
    assert "Escalation channel: — → phone +1 555 0199" in page.replace("&gt;", ">")
    assert "Morgan Manager" in page
    record = acme_contract.history.first()
    assert record.history_user == account_manager


def test_history_records_connector_changes(account_manager, globex_contract):
    from contracts.models import Connector
    from contracts.selectors import contract_history

    services.contract_update_fields(
        actor=account_manager, contract=globex_contract, connectors=list(Connector.objects.filter(slug="amazon"))
    )
    changes = [c for entry in contract_history(globex_contract) for c in entry.changes]
    assert "Connectors: NetSuite, Shopify → Amazon" in changes


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"term_end": "2026-01-01"}, "term_end", "The term must end on or after its start."),
        ({"sa_hours_per_year": "-5"}, "sa_hours_per_year", "greater than or equal to 0"),
        ({"connectors": ["99999"]}, "connectors", "Select a valid choice"),
        ({"add_ons": ["slack_channel"]}, "add_ons", "needs Enterprise support"),
        ({"add_ons": ["premium_support"]}, "escalation_channel", "escalation channel"),
        ({"sa_hours_per_year": "10"}, "sa_hours_per_year", "Enterprise support only"),
        ({"slack_channel_ids": "not-a-channel"}, "slack_channel_ids", "is not a Slack channel id"),
    ],
)
def test_contract_edit_validation(client, account_manager, acme_contract, overrides, field, message):
    client.force_login(account_manager)
    before = Contract.history.count()
    response = client.post(
        reverse("contracts:contract_edit", args=[acme_contract.pk]), _form_data(acme_contract, **overrides)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert Contract.history.count() == before


def test_slack_channel_of_another_organization_is_refused(client, account_manager, acme_contract, globex_contract):
    client.force_login(account_manager)
    response = client.post(
        reverse("contracts:contract_edit", args=[acme_contract.pk]),
        _form_data(acme_contract, slack_channel_ids="C0GLOBEX01"),
    )
    assert "belongs to Globex Retail" in " ".join(response.context["form"].errors["slack_channel_ids"])


USERS = ["alice", "bob", "support_engineer", "solution_architect", "account_manager", "admin_user"]


@pytest.mark.parametrize(
    ("who", "view_status", "edit_status"),
    [
        ("alice", 403, 403),
        ("bob", 403, 403),
        ("support_engineer", 200, 403),
        ("solution_architect", 200, 403),
        ("account_manager", 200, 200),
        ("admin_user", 200, 200),
    ],
)
def test_permission_matrix_pages(request, client, acme_contract, who, view_status, edit_status):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("contracts:contract_detail", args=[acme_contract.pk])).status_code == view_status
    assert client.get(reverse("contracts:contract_edit", args=[acme_contract.pk])).status_code == edit_status
    post = client.post(
        reverse("contracts:contract_edit", args=[acme_contract.pk]), _form_data(acme_contract, notes="changed")
    )
    assert post.status_code == (302 if edit_status == 200 else 403)
    acme_contract.refresh_from_db()
    assert (acme_contract.notes == "changed") is (edit_status == 200)


@pytest.mark.parametrize(
    ("who", "sees", "patch_status"),
    [
        ("alice", {"Acme Outfitters"}, 403),
        ("bob", {"Acme Outfitters"}, 403),
        ("support_engineer", {"Acme Outfitters", "Globex Retail"}, 403),
        ("solution_architect", {"Acme Outfitters", "Globex Retail"}, 403),
        ("account_manager", {"Acme Outfitters", "Globex Retail"}, 200),
        ("admin_user", {"Acme Outfitters", "Globex Retail"}, 200),
    ],
)
def test_permission_matrix_api(request, acme_contract, globex_contract, who, sees, patch_status):
    api = APIClient()
    api.force_authenticate(request.getfixturevalue(who))
    listed = api.get("/api/v1/contracts/").json()["results"]
    assert {c["organization"]["name"] for c in listed} == sees
    response = api.patch(f"/api/v1/contracts/{acme_contract.pk}/", {"plan": "enterprise"}, format="json")
    assert response.status_code == patch_status
    acme_contract.refresh_from_db()
    assert (acme_contract.plan == "enterprise") is (patch_status == 200)


def test_customer_never_sees_another_organizations_contract(client, alice, globex_contract):
    api = APIClient()
    api.force_authenticate(alice)
    assert api.get(f"/api/v1/contracts/{globex_contract.pk}/").status_code == 404
    assert api.patch(f"/api/v1/contracts/{globex_contract.pk}/", {"plan": "growth"}, format="json").status_code == 404
    client.force_login(alice)
    assert client.get(reverse("contracts:contract_detail", args=[globex_contract.pk])).status_code == 403
    page = client.get(reverse("contracts:my_contract")).content.decode()
    assert "Acme Outfitters" in page and "Globex" not in page


def test_api_contract_fields(gina, globex_contract):
    api = APIClient()
    api.force_authenticate(gina)
    body = api.get(f"/api/v1/contracts/{globex_contract.pk}/").json()
    assert body["organization"] == {"id": globex_contract.organization_id, "name": "Globex Retail"}
    assert body["plan"] == "enterprise" and body["tier"] == "enterprise"
    assert body["add_ons"] == ["slack_channel"]
    assert body["term_start"] == "2026-08-19" and body["term_end"] == "2027-08-18"
    assert body["sa_hours_per_year"] == "40.00"
    assert body["channels"] == ["portal", "email", "slack"]
    assert {"priority": "urgent", "target_minutes": 240, "calendar": "business", "source": "enterprise"} in body[
        "response_targets"
    ]
    assert len(body["response_targets"]) == 4


def test_api_patch_validates_and_records_history(account_manager, acme_contract):
    api = APIClient()
    api.force_authenticate(account_manager)
    bad = api.patch(f"/api/v1/contracts/{acme_contract.pk}/", {"term_end": "2020-01-01"}, format="json")
    assert bad.status_code == 400 and "term_end" in bad.json()["errors"] and bad.json()["code"] == "invalid"
    bad = api.patch(f"/api/v1/contracts/{acme_contract.pk}/", {"connectors": ["no-such"]}, format="json")
    assert bad.status_code == 400 and "connectors" in bad.json()["errors"]
    bad = api.patch(f"/api/v1/contracts/{acme_contract.pk}/", {"sa_hours_per_year": "-1"}, format="json")
    assert bad.status_code == 400
    ok = api.patch(
        f"/api/v1/contracts/{acme_contract.pk}/",
        {"add_ons": ["enterprise_support", "premium_support"], "escalation_channel": "pager"},
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["tier"] == "enterprise" and ok.json()["add_ons"] == ["enterprise_support", "premium_support"]
    assert "escalation" in ok.json()["channels"]
    assert acme_contract.history.first().history_user == account_manager


def test_token_authentication(gina, globex_contract, capsys):
    call_command("drf_create_token", gina.email)
    key = Token.objects.get(user=gina).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/contracts/").json()["count"] == 1
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert api.get("/api/v1/contracts/").status_code == 401


def test_engagement_page_and_history(client, account_manager, acme_contract):
    client.force_login(account_manager)
    response = client.post(
        reverse("contracts:engagement_create", args=[acme_contract.pk]),
        {
            "name": "ERP migration",
            "scope": "Move it",
            "quoted_hours": "60",
            "status": "active",
            "via_ticket": "on",
            "via_email": "on",
            "via_slack": "on",
            "board_url": "https://board.test/x",
        },
    )
    assert response.status_code == 302
    engagement = Engagement.objects.get()
    assert engagement.agreed_channels == ["ticket", "email", "slack"]
    assert acme_contract.add_ons.get(kind="configuration_support").is_active
    page = client.get(reverse("contracts:contract_detail", args=[acme_contract.pk])).content.decode()
    assert "Engagement ERP migration created" in page


def test_account_list_for_staff_only(client, alice, support_engineer, acme_contract, globex_contract):
    client.force_login(alice)
    assert client.get(reverse("contracts:account_list")).status_code == 403
    client.force_login(support_engineer)
    page = client.get(reverse("contracts:account_list")).content.decode()
    assert "Acme Outfitters" in page and "Globex Retail" in page
    assert "40 h allotted" in page


def test_customer_contract_summary(client, gina, globex_contract):
    client.force_login(gina)
    page = client.get(reverse("contracts:my_contract")).content.decode()
    assert "Enterprise" in page
    assert "4 business hours" in page
    assert "C0GLOBEX01" in page
    assert "business hours, 06:00–18:00 Pacific time" in page
