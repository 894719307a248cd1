"""Reports from the rollups: hand-computed figures, rollups equal to a direct count, scope, filters, queries."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.clock import pt
from tickets import services, solved
from tickets.models import EngineerRollup, ReportRollup, ResponseRollup, Status, Ticket
from tickets.reports import charts
from tickets.reports.figures import ReportFilter
from tickets.reports.rollups import rebuild_report_rollups

pytestmark = pytest.mark.django_db

NOVEMBER = {"start": "2026-10-01", "end": "2026-11-30"}


def _open(organization, customer, when, **fields):
    fields.setdefault("priority", "high")
    return services.ticket_open(
        organization=organization, requester=customer, subject="s", description="d", now=when, **fields
    )


def _reply(ticket, engineer, when):
    services.comment_add(ticket=ticket, author=engineer, body="On it.", now=when)


@pytest.fixture
def fixture_tickets(enterprise, enterprise_premium, standard, support_engineer):
    """Five tickets whose figures are worked out by hand in the tests below."""
    ent, ent_customer = enterprise
    a = _open(ent, ent_customer, pt(2026, 11, 3, 8, 0))  # Tue: answered after 1 business hour, in time
    _reply(a, support_engineer, pt(2026, 11, 3, 9, 0))
    b = _open(ent, ent_customer, pt(2026, 11, 3, 8, 0))  # answered the next day: 13 business hours, late
    _reply(b, support_engineer, pt(2026, 11, 4, 9, 0))
    c = _open(ent, ent_customer, pt(2026, 10, 15, 8, 0), priority="normal")  # October: 30 min, in time
    _reply(c, support_engineer, pt(2026, 10, 15, 8, 30))
    prem, prem_customer = enterprise_premium
    d = _open(prem, prem_customer, pt(2026, 11, 7, 10, 0), priority="urgent", kind="incident")  # a Saturday
    _reply(d, support_engineer, pt(2026, 11, 7, 10, 30))
    std, std_customer = standard
    e = _open(std, std_customer, pt(2026, 11, 10, 8, 0), priority="normal")  # never answered: swept as breached
    services.sla_sweep(now=pt(2026, 11, 30, 8, 0))
    for ticket, rating in ((a, "good"), (b, "bad")):
        services.ticket_change_status(ticket=ticket, actor=support_engineer, status=Status.SOLVED, now=pt(2026, 11, 5))
        solved.satisfaction_rate(ticket=ticket, rater=ent_customer, rating=rating, via="portal", now=pt(2026, 11, 6))
    return a, b, c, d, e


def test_figures_match_the_hand_computed_ones(client, fixture_tickets, support_engineer):
    a, b, c, d, e = (Ticket.objects.get(pk=t.pk) for t in fixture_tickets)
    assert (a.first_response_minutes, b.first_response_minutes, c.first_response_minutes) == (60, 780, 30)
    assert (d.sla_calendar, d.first_response_minutes) == ("24/7", 30)
    assert e.breached_at is not None
    client.force_login(support_engineer)
    response = client.get(reverse("tickets:reports"), NOVEMBER)
    assert response.status_code == 200
    rows = {(r["month"], r["tier"], r["priority"]): r for r in response.context["rows"]}
    high = rows[("2026-11", "enterprise", "high")]
    assert (high["met"], high["breached"], high["attainment"], high["median_minutes"]) == (1, 1, 50.0, 420.0)
    assert high["median_text"] == "7 business hours"
    urgent = rows[("2026-11", "enterprise", "urgent")]
    assert (urgent["met"], urgent["attainment"], urgent["median_text"]) == (1, 100.0, "30 min")
    normal = rows[("2026-11", "standard", "normal")]
    assert (normal["met"], normal["breached"], normal["attainment"], normal["median_minutes"]) == (0, 1, 0.0, None)
    assert rows[("2026-10", "enterprise", "normal")]["median_text"] == "30 business minutes"
    charts_by_slug = {chart.slug: chart for chart in response.context["charts"]}
    assert charts_by_slug["attainment-by-tier"].rows == [
        ["2026-10", "Enterprise", 1, 1, 0, 100.0],
        ["2026-11", "Standard", 1, 0, 1, 0.0],
        ["2026-11", "Enterprise", 3, 2, 1, 66.7],
    ]
    assert charts_by_slug["satisfaction"].rows == [["2026-11", 1, 1, 50.0]]
    assert charts_by_slug["engineers"].rows == [["Sam Agent", 4, 4, 3, 75.0]]
    assert sum(row[2] for row in charts_by_slug["response-times"].rows) == 4
    page = response.content.decode()
    assert page.count("<svg") == len(charts_by_slug) and "Table view" in page
    assert "<script" not in page.split("<main", 1)[-1].split("</main>", 1)[0]


def test_the_tier_filter_and_the_range_apply_to_every_figure(client, fixture_tickets, support_engineer):
    client.force_login(support_engineer)
    response = client.get(reverse("tickets:reports"), {**NOVEMBER, "tier": "standard"})
    assert {(r["month"], r["tier"]) for r in response.context["rows"]} == {("2026-11", "standard")}
    charts_by_slug = {chart.slug: chart for chart in response.context["charts"]}
    assert charts_by_slug["engineers"].rows == []
    assert charts_by_slug["volume"].rows == [["Question", "Portal", 1]]
    october = client.get(reverse("tickets:reports"), {"start": "2026-10-01", "end": "2026-10-31"})
    assert [(r["month"], r["priority"]) for r in october.context["rows"]] == [("2026-10", "normal")]


def test_each_chart_has_its_csv(client, fixture_tickets, support_engineer):
    client.force_login(support_engineer)
    response = client.get(reverse("tickets:reports"), {**NOVEMBER, "csv": "attainment-by-priority"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "month,priority,with_target,met,breached,attainment_percent"
    assert "2026-11,High,2,1,1,50.0" in lines
    page = client.get(reverse("tickets:reports"), NOVEMBER).content.decode()
    assert "?start=2026-10-01&amp;end=2026-11-30&amp;tier=&amp;csv=volume" in page


def test_a_bad_range_is_refused_with_a_reason_and_the_default_figures(client, fixture_tickets, support_engineer):
    client.force_login(support_engineer)
    response = client.get(reverse("tickets:reports"), {"start": "2026-11-30", "end": "2026-10-01"})
    assert response.status_code == 400
    assert "The end of the range comes before its start." in response.content.decode()
    response = client.get(reverse("tickets:reports"), {"start": "yesterday", "end": "2026-10-01", "tier": "gold"})
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    assert "Select a valid choice." in response.content.decode()


def test_an_account_manager_sees_only_their_accounts(client, fixture_tickets, make_user, globex, standard):
    from portal import roles

    other_manager = make_user("am2@vendor.test", group=roles.ACCOUNT_MANAGER)
    organization = standard[0]
    organization.account_manager = other_manager
    organization.save()
    client.force_login(other_manager)
    response = client.get(reverse("tickets:reports"), NOVEMBER)
    assert {r["tier"] for r in response.context["rows"]} == {"standard"}
    assert "Your accounts only." in response.content.decode()


def test_customers_cannot_open_the_reports(client, enterprise):
    client.force_login(enterprise[1])
    assert client.get(reverse("tickets:reports"), NOVEMBER).status_code == 403


def test_the_reports_query_count_does_not_grow_with_the_tickets(
    client, enterprise, support_engineer, django_assert_max_num_queries
):
    organization, customer = enterprise

    def add(n, day):
        for i in range(n):
            ticket = _open(organization, customer, pt(2026, 11, day, 8, i), priority=("high", "normal", "low")[i % 3])
            _reply(ticket, support_engineer, pt(2026, 11, day, 9 + i % 5, i))

    add(2, 3)
    client.force_login(support_engineer)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("tickets:reports"), NOVEMBER)
    for day in (4, 5, 6, 9, 10):
        add(4, day)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("tickets:reports"), NOVEMBER)
    assert sum(r["met"] + r["breached"] for r in response.context["rows"]) == 22


# The rollups equal a direct count over the tickets ------------------------------------------------------------


def _direct_counts() -> Counter:
    """What the rollups must hold, counted straight from the tickets (independently of the rollup module)."""
    expected = Counter()
    for t in Ticket.objects.select_related("satisfaction"):
        day = t.received_at.astimezone(pt(2026, 1, 1).tzinfo).date()
        key = (t.organization_id, day, t.tier, t.premium, t.priority, t.channel, t.kind, t.sla_calendar)
        has_target = t.first_response_due_at is not None
        answered = has_target and t.first_response_at is not None
        late = answered and t.first_response_at > t.first_response_due_at
        rating = getattr(getattr(t, "satisfaction", None), "rating", None)
        for name, value in (
            ("tickets", 1),
            ("with_target", has_target),
            ("responded", answered),
            ("met", answered and not late and t.breached_at is None),
            ("breached", has_target and (t.breached_at is not None or late)),
            ("rated_good", rating == "good"),
            ("rated_bad", rating == "bad"),
        ):
            expected[(*key, name)] += int(value)
    return +expected


def _rolled_counts() -> Counter:
    found = Counter()
    for r in ReportRollup.objects.all():
        key = (r.organization_id, r.day, r.tier, r.premium, r.priority, r.channel, r.kind, r.calendar)
        for name in ("tickets", "with_target", "responded", "met", "breached", "rated_good", "rated_bad"):
            found[(*key, name)] += getattr(r, name)
    return +found


def _direct_minutes() -> Counter:
    return Counter(
        (t.organization_id, t.priority, t.sla_calendar, t.sla_target_minutes, t.first_response_minutes)
        for t in Ticket.objects.filter(first_response_due_at__isnull=False, first_response_minutes__isnull=False)
    )


def _rolled_minutes() -> Counter:
    found = Counter()
    for r in ResponseRollup.objects.all():
        found[(r.organization_id, r.priority, r.calendar, r.target_minutes, r.minutes)] += r.tickets
    return found


def _engineer_rows():
    return sorted(EngineerRollup.objects.values_list("engineer_id", "day", "tier", "replies", "first_responses", "met"))


ACTION = st.one_of(
    st.tuples(
        st.just("open"), st.integers(0, 2), st.integers(0, 20), st.sampled_from(["urgent", "high", "normal", "low"])
    ),
    st.tuples(st.just("reply"), st.integers(0, 30), st.integers(1, 60 * 40)),
    st.tuples(st.just("priority"), st.integers(0, 30), st.sampled_from(["urgent", "high", "normal", "low"])),
    st.tuples(st.just("sweep"), st.integers(0, 24 * 30)),
    st.tuples(st.just("rate"), st.integers(0, 30), st.sampled_from(["good", "bad"])),
)


@pytest.fixture
def three_organizations(enterprise, enterprise_premium, standard):
    return [enterprise, enterprise_premium, standard]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, min_size=1, max_size=14))
def test_rollups_equal_a_direct_count_after_random_changes(three_organizations, support_engineer, actions):
    start = pt(2026, 11, 2, 7, 0)
    with transaction.atomic():
        opened: list[Ticket] = []
        for action in actions:
            kind = action[0]
            if kind == "open":
                _, org_index, hours, priority = action
                organization, customer = three_organizations[org_index]
                opened.append(_open(organization, customer, start + dt.timedelta(hours=hours), priority=priority))
            elif not opened:
                continue
            elif kind == "reply":
                ticket = opened[action[1] % len(opened)]
                ticket.refresh_from_db()
                _reply(ticket, support_engineer, ticket.received_at + dt.timedelta(minutes=action[2]))
            elif kind == "priority":
                ticket = opened[action[1] % len(opened)]
                services.ticket_change_priority(
                    ticket=ticket, actor=support_engineer, priority=action[2], reason="r", now=ticket.received_at
                )
            elif kind == "sweep":
                services.sla_sweep(now=start + dt.timedelta(hours=action[1]))
            elif kind == "rate":
                ticket = Ticket.objects.get(pk=opened[action[1] % len(opened)].pk)
                if ticket.status != Status.SOLVED and not hasattr(ticket, "satisfaction"):
                    services.ticket_change_status(
                        ticket=ticket, actor=support_engineer, status=Status.SOLVED, now=ticket.received_at
                    )
                    solved.satisfaction_rate(
                        ticket=ticket, rater=ticket.requester, rating=action[2], via="portal", now=ticket.received_at
                    )
        assert _rolled_counts() == _direct_counts()
        assert _rolled_minutes() == _direct_minutes()
        kept = _engineer_rows()
        rebuild_report_rollups()
        assert _rolled_counts() == _direct_counts()
        assert _rolled_minutes() == _direct_minutes()
        assert _engineer_rows() == kept
        transaction.set_rollback(True)


def test_the_rebuild_command_is_idempotent_and_equals_the_kept_rollups(fixture_tickets, capsys):
    kept = (_rolled_counts(), _rolled_minutes(), _engineer_rows())
    ReportRollup.objects.all().delete()
    call_command("rebuild_report_rollups")
    assert "Report rollups rebuilt:" in capsys.readouterr().out
    first = (_rolled_counts(), _rolled_minutes(), _engineer_rows())
    call_command("rebuild_report_rollups")
    assert (_rolled_counts(), _rolled_minutes(), _engineer_rows()) == first == kept
    assert _rolled_counts() == _direct_counts()


def test_months_between_covers_the_range():
    assert charts.months_between(dt.date(2026, 11, 15), dt.date(2027, 1, 2)) == [
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 1),
    ]
    report = ReportFilter(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), organization_ids=())
    assert charts.attainment_rows(report) == []
