"""An engagement's plan in the portal: the API, the customer's engagement page, and who may edit it."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts import services
from contracts.models import Engagement, Milestone
from hours import services as hours_services
from portal.models import Organization
from tests.clock import NOW, TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def umbrella(account_manager):
    return Organization.objects.create(name="Umbrella Goods", account_manager=account_manager)


@pytest.fixture
def uma(make_user, umbrella):
    return make_user("uma@umbrella.test", organization=umbrella, role="admin", full_name="Uma Umbrella")


@pytest.fixture
def engagement(umbrella, make_contract, account_manager):
    contract = make_contract(umbrella)
    return services.engagement_save(
        actor=account_manager,
        contract=contract,
        name="ERP migration",
        scope="Move order and inventory flows to NetSuite.",
        quoted_hours=Decimal("60"),
        status=Engagement.Status.ACTIVE,
    )


def url(engagement, pk=None):
    base = f"/api/v1/engagements/{engagement.pk}/milestones/"
    return f"{base}{pk}/" if pk else base


def test_an_sa_plans_and_the_customer_reads(api, engagement, solution_architect, uma):
    client = api(solution_architect)
    first = client.post(url(engagement), {"title": "Mapping workshop", "due_on": "2026-12-01"}, format="json")
    assert first.status_code == 201, first.json()
    assert (first.json()["status"], first.json()["position"], first.json()["is_synced"]) == ("planned", 0, False)
    second = client.post(
        url(engagement),
        {"title": "Cut-over", "due_on": "2026-12-15", "owner_id": solution_architect.pk, "section": "Go-live"},
        format="json",
    )
    assert second.json()["owner"] == {"id": solution_architect.pk, "name": "Sasha Architect"}
    done = client.patch(url(engagement, first.json()["id"]), {"status": "done"}, format="json").json()
    assert done["status"] == "done" and done["completed_at"] is not None
    listed = api(uma).get(url(engagement)).json()
    assert [m["title"] for m in listed["results"]] == ["Mapping workshop", "Cut-over"]
    # The customer reads only.
    assert api(uma).post(url(engagement), {"title": "Mine"}, format="json").status_code == 403
    assert api(uma).patch(url(engagement, first.json()["id"]), {"status": "planned"}, format="json").status_code == 403
    assert api(uma).delete(url(engagement, first.json()["id"])).status_code == 403
    assert client.delete(url(engagement, second.json()["id"])).status_code == 204
    assert Milestone.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x", "due_on": "soon"}, "due_on"),
        ({"title": "x", "status": "late"}, "status"),
    ],
)
def test_bad_milestones_are_a_400(api, engagement, solution_architect, body, field):
    response = api(solution_architect).post(url(engagement), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Milestone.objects.exists()


def test_an_owner_from_another_organization_is_refused(api, engagement, solution_architect, gina):
    response = api(solution_architect).post(url(engagement), {"title": "x", "owner_id": gina.pk}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()["errors"]


def test_another_organizations_plan_is_a_404(api, client, engagement, solution_architect, alice, acme, make_contract):
    make_contract(acme)
    milestone = services.milestone_save(actor=solution_architect, engagement=engagement, title="Workshop", now=NOW)
    rest = api(alice)
    assert rest.get(url(engagement)).status_code == 404
    assert rest.get(url(engagement, milestone.pk)).status_code == 404
    assert rest.patch(url(engagement, milestone.pk), {"title": "mine"}, format="json").status_code == 404
    client.force_login(alice)
    assert client.get(reverse("contracts:engagement_detail", args=[engagement.pk])).status_code == 404
    milestone.refresh_from_db()
    assert milestone.title == "Workshop"


def test_the_milestone_list_is_paginated_with_flat_queries(
    api, engagement, solution_architect, django_assert_max_num_queries
):
    for i in range(3):
        services.milestone_save(actor=solution_architect, engagement=engagement, title=f"Step {i}", now=NOW)
    client = api(solution_architect)
    with django_assert_max_num_queries(5):
        assert client.get(url(engagement)).json()["count"] == 3
    for i in range(60):
        services.milestone_save(
            actor=solution_architect, engagement=engagement, title=f"More {i}", owner=solution_architect, now=NOW
        )
    with django_assert_max_num_queries(5):
        assert len(client.get(url(engagement)).json()["results"]) == 50


def test_the_customers_engagement_page_shows_progress_timeline_and_hours(
    client, engagement, solution_architect, uma, django_assert_max_num_queries
):
    for title, due, status in (
        ("Kick-off", TODAY - datetime.timedelta(days=20), "done"),
        ("Mapping", TODAY - datetime.timedelta(days=2), "in_progress"),
        ("Cut-over", TODAY + datetime.timedelta(days=14), "planned"),
    ):
        services.milestone_save(
            actor=solution_architect, engagement=engagement, title=title, due_on=due, status=status, now=NOW
        )
    hours_services.time_entry_log(
        architect=solution_architect,
        engagement=engagement,
        category="engagement_work",
        work_mode="online_call",
        minutes=90,
        work_date=TODAY,
        now=NOW,
    )
    client.force_login(uma)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("contracts:engagement_detail", args=[engagement.pk]))
    page = response.content.decode()
    assert "1 of 3 milestones done, 1 in progress." in page
    assert "1 milestone past its due date." in page
    assert 'data-testid="timeline"' in page
    assert page.count('<circle cx="') == 3
    assert '<span data-testid="engagement-used">1.5</span> of 60 quoted hours used' in page
    assert "58.5 h left" in page
    assert "Add a milestone" not in page  # customers read the plan
    entries = response.context["entries"]
    assert [(e.minutes_debited, e.get_work_mode_display()) for e in entries] == [(90, "Online call")]
    assert "<td>Online call</td>" in page
    assert (
        reverse("contracts:engagement_detail", args=[engagement.pk])
        in client.get(reverse("contracts:my_contract")).content.decode()
    )


def test_staff_edit_the_plan_on_its_page(client, engagement, solution_architect):
    client.force_login(solution_architect)
    response = client.post(
        reverse("contracts:milestone_create", args=[engagement.pk]),
        {"title": "Workshop", "due_on": "2026-12-03", "status": "planned", "section": ""},
    )
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    response = client.post(
        reverse("contracts:milestone_edit", args=[engagement.pk, milestone.pk]),
        {"title": "Workshop", "due_on": "", "status": "done", "section": "Discovery"},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.status, milestone.due_on, milestone.section) == ("done", None, "Discovery")
    response = client.post(reverse("contracts:milestone_create", args=[engagement.pk]), {"title": "", "status": "x"})
    assert response.status_code == 400
    client.post(reverse("contracts:milestone_delete", args=[engagement.pk, milestone.pk]))
    assert not Milestone.objects.exists()


def test_the_page_shows_the_last_sync_and_its_error_to_staff(client, engagement, settings, solution_architect, uma):
    settings.ASANA_TOKEN = "0/token"
    Engagement.objects.filter(pk=engagement.pk).update(
        asana_project_gid="1209",
        asana_synced_at=NOW,
        asana_sync_error="the token was refused: Not Authorized",
        asana_sync_failed_at=NOW + datetime.timedelta(minutes=15),
    )
    client.force_login(solution_architect)
    page = client.get(reverse("contracts:engagement_detail", args=[engagement.pk])).content.decode()
    assert "Kept in Asana; last synced Fri 27 Nov 2026, 12:00 PST." in page
    assert "The last sync failed Fri 27 Nov 2026, 12:15 PST: the token was refused: Not Authorized." in page
    assert "Add a milestone" not in page and "Sync now" in page
    client.force_login(uma)
    page = client.get(reverse("contracts:engagement_detail", args=[engagement.pk])).content.decode()
    assert "last synced Fri 27 Nov 2026, 12:00 PST" in page
    assert "Not Authorized" not in page
