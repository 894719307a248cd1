"""The Asana sync: the official `asana` client against a local fake of the Asana API on 127.0.0.1."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied

from contracts import services as contract_services
from contracts import tasks
from contracts.models import Engagement, Milestone
from contracts.services import plans
from portal.refusals import Refusal
from tests.clock import NOW
from tests.contracts.asana_fake import serve, task

pytestmark = pytest.mark.django_db

TOKEN = "0/fake-asana-token"
PROJECT = "1209000000000001"


@pytest.fixture
def fake_asana(settings):
    fake, stop = serve(TOKEN)
    settings.ASANA_TOKEN = TOKEN
    settings.ASANA_API_URL = fake.url
    fake.add_project(
        PROJECT,
        [
            (
                "s1",
                "Discovery",
                [
                    task(
                        "t1", "Kick-off call", due_on="2026-11-02", completed=True, completed_at="2026-11-02T18:00:00Z"
                    ),
                    task(
                        "t2",
                        "Map order flows",
                        due_on="2026-11-20",
                        start_on="2026-11-10",
                        assignee=("Sasha Architect", "sa@vendor.test"),
                    ),
                ],
            ),
            (
                "s2",
                "Cut-over",
                [task("t3", "Go-live", due_on="2026-12-15", assignee=("Pat Outside", "pat@elsewhere.test"))],
            ),
        ],
    )
    yield fake
    stop()


@pytest.fixture
def linked(umbrella_engagement):
    Engagement.objects.filter(pk=umbrella_engagement.pk).update(asana_project_gid=PROJECT)
    umbrella_engagement.refresh_from_db()
    return umbrella_engagement


@pytest.fixture
def umbrella_engagement(make_contract, account_manager, db):
    from portal.models import Organization

    organization = Organization.objects.create(name="Umbrella Goods", account_manager=account_manager)
    contract = make_contract(organization)
    return contract_services.engagement_save(
        actor=account_manager,
        contract=contract,
        name="ERP migration",
        scope="Move order and inventory flows to NetSuite.",
        quoted_hours=Decimal("60"),
        status=Engagement.Status.ACTIVE,
    )


def plan_of(engagement):
    return list(
        engagement.milestones.in_plan_order().values_list(
            "asana_gid", "section", "title", "due_on", "status", "owner_name"
        )
    )


def test_the_sync_creates_a_milestone_per_task_section_by_section(fake_asana, linked, solution_architect):
    counts = plans.engagement_plan_sync(engagement=linked, now=NOW)
    assert counts == {"created": 3, "updated": 0, "deleted": 0, "unchanged": 0}
    assert plan_of(linked) == [
        ("t1", "Discovery", "Kick-off call", datetime.date(2026, 11, 2), "done", ""),
        ("t2", "Discovery", "Map order flows", datetime.date(2026, 11, 20), "in_progress", "Sasha Architect"),
        ("t3", "Cut-over", "Go-live", datetime.date(2026, 12, 15), "planned", "Pat Outside"),
    ]
    # An assignee with an account in the portal is its owner.
    assert linked.milestones.get(asana_gid="t2").owner == solution_architect
    assert linked.milestones.get(asana_gid="t1").completed_at == datetime.datetime(2026, 11, 2, 18, tzinfo=datetime.UTC)
    linked.refresh_from_db()
    assert (linked.asana_synced_at, linked.asana_sync_error) == (NOW, "")
    # Every request carried the token, through the real client.
    assert {auth for _, _, auth in fake_asana.requests} == {f"Bearer {TOKEN}"}
    assert fake_asana.requests[0][0] == f"/api/1.0/projects/{PROJECT}/sections"


def test_a_second_sync_updates_completes_and_deletes(fake_asana, linked):
    plans.engagement_plan_sync(engagement=linked, now=NOW)
    discovery, cutover = fake_asana.projects[PROJECT]
    discovery["tasks"][1].update(name="Map order and return flows", completed=True, completed_at="2026-11-27T19:00:00Z")
    cutover["tasks"].clear()
    cutover["tasks"].append(task("t4", "Rehearsal", due_on="2026-12-08"))
    later = NOW + datetime.timedelta(minutes=15)
    counts = plans.engagement_plan_sync(engagement=linked, now=later)
    assert counts == {"created": 1, "updated": 1, "deleted": 1, "unchanged": 1}
    assert plan_of(linked) == [
        ("t1", "Discovery", "Kick-off call", datetime.date(2026, 11, 2), "done", ""),
        ("t2", "Discovery", "Map order and return flows", datetime.date(2026, 11, 20), "done", "Sasha Architect"),
        ("t4", "Cut-over", "Rehearsal", datetime.date(2026, 12, 8), "planned", ""),
    ]
    assert not Milestone.objects.filter(asana_gid="t3").exists()
    # Nothing changed in Asana: nothing changes here.
    assert plans.engagement_plan_sync(engagement=linked, now=later)["unchanged"] == 3


def test_paging_follows_next_page(fake_asana, linked):
    many = [task(f"p{i}", f"Step {i}") for i in range(130)]
    fake_asana.add_project(PROJECT, [("s1", "Build", many)])
    assert plans.engagement_plan_sync(engagement=linked, now=NOW)["created"] == 130
    offsets = [query.get("offset") for path, query, _ in fake_asana.requests if path.endswith("/sections/s1/tasks")]
    assert offsets == [None, "100"]


@pytest.mark.parametrize(
    ("failure", "token", "reason"),
    [
        ((500, "Server Error"), TOKEN, "Asana answered 500"),
        (None, "0/wrong-token", "the token was refused: Not Authorized"),
        ((404, f"project: Unknown object: {PROJECT}"), TOKEN, "no such project: project: Unknown object"),
    ],
)
def test_an_api_error_is_kept_and_the_plan_stays(fake_asana, linked, settings, failure, token, reason):
    plans.engagement_plan_sync(engagement=linked, now=NOW)
    fake_asana.failure = failure
    settings.ASANA_TOKEN = token
    later = NOW + datetime.timedelta(hours=1)
    assert plans.engagement_plan_sync(engagement=linked, now=later) is None
    linked.refresh_from_db()
    assert reason in linked.asana_sync_error
    assert (linked.asana_sync_failed_at, linked.asana_synced_at) == (later, NOW)
    assert len(plan_of(linked)) == 3  # the plan as last synced
    # The next good sync clears the error.
    fake_asana.failure = None
    settings.ASANA_TOKEN = TOKEN
    plans.engagement_plan_sync(engagement=linked, now=later)
    linked.refresh_from_db()
    assert (linked.asana_sync_error, linked.asana_sync_failed_at, linked.asana_synced_at) == ("", None, later)


def test_an_unreachable_asana_is_an_error_kept_too(linked, settings):
    settings.ASANA_TOKEN = TOKEN
    settings.ASANA_API_URL = "http://127.0.0.1:9/api/1.0"  # the discard port: nothing listens
    assert plans.engagement_plan_sync(engagement=linked, now=NOW) is None
    linked.refresh_from_db()
    assert linked.asana_sync_error.startswith("Asana could not be reached")


def test_without_a_token_nothing_is_synced_and_the_plan_is_kept_in_the_portal(linked, settings, solution_architect):
    settings.ASANA_TOKEN = ""
    assert tasks.asana_sync.delay().get() == 0
    assert not linked.plan_is_synced
    milestone = plans.milestone_save(
        actor=solution_architect, engagement=linked, title="Workshop", due_on=datetime.date(2026, 12, 1), now=NOW
    )
    assert (milestone.position, milestone.status, milestone.asana_gid) == (0, "planned", "")


def test_a_synced_plan_is_read_only_in_the_portal(fake_asana, linked, solution_architect):
    plans.engagement_plan_sync(engagement=linked, now=NOW)
    with pytest.raises(Refusal) as refused:
        plans.milestone_save(actor=solution_architect, engagement=linked, title="Extra", now=NOW)
    assert refused.value.code == "plan_synced"
    with pytest.raises(Refusal):
        plans.milestone_delete(actor=solution_architect, milestone=linked.milestones.first())
    assert linked.milestones.count() == 3


def test_the_periodic_task_syncs_linked_engagements_and_is_scheduled(fake_asana, linked):
    assert tasks.asana_sync.delay().get() == 1
    assert linked.milestones.count() == 3
    schedule = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "contracts.tasks.asana_sync" in schedule


def test_a_sync_is_not_a_change_in_the_engagements_history(fake_asana, linked):
    before = linked.history.count()
    plans.engagement_plan_sync(engagement=linked, now=NOW)
    assert linked.history.count() == before


def test_customers_do_not_edit_plans(linked, make_user):
    customer = make_user("uma@umbrella.test", organization=linked.contract.organization, role="admin")
    with pytest.raises(PermissionDenied):
        plans.milestone_save(actor=customer, engagement=linked, title="Mine", now=NOW)
