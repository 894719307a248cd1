"""Reports from the rollups: hand-computed figures, rollups equal to a direct count, scope, filters, queries."""

import dataclasses
import datetime as dt
import statistics
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.clock import pt
from tickets import services, solved
from tickets.models import (
    EngineerRollup,
    ReportMonthRollup,
    ReportRollup,
    ResponseMonthRollup,
    ResponseMonthTotal,
    ResponseRollup,
    Status,
    Ticket,
)
from tickets.reports import charts, figures
from tickets.reports.figures import ReportFilter
from tickets.reports.rollups import bucket_width, minute_bucket, rebuild_report_rollups

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
    # 60 and 780 minutes: in the buckets 60–64 and 780–794, each placed mid-bucket: (62 + 787) / 2.
    assert (high["met"], high["breached"], high["attainment"], high["median_minutes"]) == (1, 1, 50.0, 424.5)
    assert high["median_text"] == "7 business hours 4 min"
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
    assert charts_by_slug["response-times"].rows == [
        # a: 60 business minutes and c: 30, within a quarter of their targets; b: 780, late; d: 30 wall-clock
        # minutes, the whole of its Premium urgent target.
        ["Business hours", "Within 25% of the target", 2],
        ["Business hours", "25–50%", 0],
        ["Business hours", "50–75%", 0],
        ["Business hours", "75–100%", 0],
        ["Business hours", "Over the target", 1],
        ["24/7", "Within 25% of the target", 0],
        ["24/7", "25–50%", 0],
        ["24/7", "50–75%", 0],
        ["24/7", "75–100%", 1],
        ["24/7", "Over the target", 0],
    ]
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


def _timed(t) -> bool:
    """A first response the medians and the share of the target count: with a target in a calendar, timed."""
    return (
        t.first_response_due_at is not None
        and t.first_response_at is not None
        and t.first_response_minutes is not None
        and t.sla_target_minutes is not None
        and t.sla_calendar != ""
    )


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
        share = None
        if _timed(t):
            minutes, target = t.first_response_minutes, t.sla_target_minutes
            share = next(
                name
                for name, within in (
                    ("quarter", minutes * 4 <= target),
                    ("half", minutes * 2 <= target),
                    ("three_quarters", minutes * 4 <= target * 3),
                    ("in_time", minutes <= target),
                    ("late", True),
                )
                if within
            )
        for name, value in (
            ("tickets", 1),
            ("with_target", has_target),
            ("responded", answered),
            ("met", answered and not late and t.breached_at is None),
            ("breached", has_target and (t.breached_at is not None or late)),
            ("rated_good", rating == "good"),
            ("rated_bad", rating == "bad"),
            *((f"share_{bucket}", share == bucket) for bucket, _ in figures.SHARE_BUCKETS),
        ):
            expected[(*key, name)] += int(value)
    return +expected


COUNTED = ("tickets", "with_target", "responded", "met", "breached", "rated_good", "rated_bad") + tuple(
    f"share_{bucket}" for bucket, _ in figures.SHARE_BUCKETS
)


def _rolled_counts() -> Counter:
    found = Counter()
    for r in ReportRollup.objects.all():
        key = (r.organization_id, r.day, r.tier, r.premium, r.priority, r.channel, r.kind, r.calendar)
        for name in COUNTED:
            found[(*key, name)] += getattr(r, name)
    return +found


def _direct_minutes() -> Counter:
    """The day response rollup straight from the tickets: per day and bucket of minutes."""
    return Counter(
        (
            t.organization_id,
            t.received_at.astimezone(pt(2026, 1, 1).tzinfo).date(),
            t.tier,
            t.priority,
            t.sla_calendar,
            minute_bucket(t.first_response_minutes),
        )
        for t in Ticket.objects.all()
        if _timed(t)
    )


def _rolled_minutes() -> Counter:
    found = Counter()
    for r in ResponseRollup.objects.all():
        found[(r.organization_id, r.day, r.tier, r.priority, r.calendar, r.bucket)] += r.tickets
    return +found


def _by_month(counter: Counter) -> Counter:
    """A counter keyed (organization, day, ...) re-keyed by the day's month."""
    found = Counter()
    for (organization_id, day, *rest), n in counter.items():
        found[(organization_id, day.replace(day=1), *rest)] += n
    return +found


def _assert_the_months_are_the_sum_of_the_days():
    """The month rollups equal the sum of the day rollups, and a direct (bucketed) count over the tickets."""
    months = Counter()
    for r in ReportMonthRollup.objects.all():
        key = (r.organization_id, r.month, r.tier, r.premium, r.priority, r.channel, r.kind, r.calendar)
        for name in COUNTED:
            months[(*key, name)] += getattr(r, name)
    assert +months == _by_month(_rolled_counts()) == _by_month(_direct_counts())
    response_months = Counter()
    for r in ResponseMonthRollup.objects.all():
        response_months[(r.organization_id, r.month, r.tier, r.priority, r.calendar, r.bucket)] += r.tickets
    assert +response_months == _by_month(_rolled_minutes()) == _by_month(_direct_minutes())
    # Over every organization: the month rows' sum; rows that fell to zero are gone, none negative.
    over_all = Counter()
    for (_, month, *rest), n in response_months.items():
        over_all[(month, *rest)] += n
    totals = Counter()
    for r in ResponseMonthTotal.objects.all():
        totals[(r.month, r.tier, r.priority, r.calendar, r.bucket)] += r.tickets
    assert totals == +over_all
    assert not ResponseMonthRollup.objects.filter(tickets__lte=0).exists()
    assert not ReportMonthRollup.objects.filter(tickets__lte=0).exists()


def _engineer_rows():
    return sorted(EngineerRollup.objects.values_list("engineer_id", "day", "tier", "replies", "first_responses", "met"))


ACTION = st.one_of(
    st.tuples(
        st.just("open"), st.integers(0, 2), st.integers(0, 24 * 5), st.sampled_from(["urgent", "high", "normal", "low"])
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
    start = pt(2026, 10, 29, 7, 0)  # the days and months around the end of October
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
        _assert_the_months_are_the_sum_of_the_days()
        kept = _engineer_rows()
        rebuild_report_rollups()
        assert _rolled_counts() == _direct_counts()
        assert _rolled_minutes() == _direct_minutes()
        _assert_the_months_are_the_sum_of_the_days()
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
    _assert_the_months_are_the_sum_of_the_days()


def test_months_between_covers_the_range():
    assert charts.months_between(dt.date(2026, 11, 15), dt.date(2027, 1, 2)) == [
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 1),
    ]
    report = ReportFilter(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), organization_ids=())
    assert charts.attainment_rows(report) == []


# Medians in buckets of minutes, and ranges read from the month and the day rollups -------------------------------


def test_minute_buckets_are_exact_under_an_hour_then_5_15_and_60_minutes_wide():
    examples = (0, 1, 59, 60, 64, 65, 479, 480, 494, 1439, 1440, 1499, 3001)
    found = {m: (minute_bucket(m), bucket_width(m)) for m in examples}
    assert found == {
        0: (0, 1),
        1: (1, 1),
        59: (59, 1),
        60: (60, 5),
        64: (60, 5),
        65: (65, 5),
        479: (475, 5),
        480: (480, 15),
        494: (480, 15),
        1439: (1425, 15),
        1440: (1440, 60),
        1499: (1440, 60),
        3001: (3000, 60),
    }
    for minutes in range(0, 3000):
        bucket = minute_bucket(minutes)
        assert bucket <= minutes < bucket + bucket_width(minutes) and minute_bucket(bucket) == bucket


def _month_rows(organization, minutes: list[int], month=dt.date(2026, 10, 1), calendar="business"):
    counted = Counter(minute_bucket(m) for m in minutes)
    ResponseMonthRollup.objects.bulk_create(
        ResponseMonthRollup(
            organization=organization, month=month, tier="", priority="high", calendar=calendar, bucket=b, tickets=n
        )
        for b, n in counted.items()
    )
    # And over every organization, as the refresh keeps them (the reports over every account read these).
    ResponseMonthTotal.objects.bulk_create(
        ResponseMonthTotal(month=month, tier="", priority="high", calendar=calendar, bucket=b, tickets=n)
        for b, n in counted.items()
    )


OCTOBER = ReportFilter(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))


def test_medians_are_exact_under_an_hour_and_interpolated_inside_a_bucket(enterprise):
    organization = enterprise[0]
    _month_rows(organization, [10, 20, 30, 59, 61, 62, 64, 63], calendar="business")  # 8: ranks 4 and 5
    _month_rows(organization, [5, 7, 30], calendar="24/7")
    found = figures.medians(OCTOBER, ("calendar",))
    assert found[("24/7",)] == {"median": 7, "responses": 3}  # exact under an hour
    # Rank 4 is the 59 (exact); rank 5 the first of the four responses in the bucket 60–64, placed at
    # 60 + 4 × (1 − ½) / 4 = 60.5 (the four spread evenly over the bucket's minutes 60 to 64).
    assert found[("business",)] == {"median": (59 + 60.5) / 2, "responses": 8}
    assert figures.median_in_bucket(480, 1, 1) == 487  # the middle of 480–494
    assert figures.median_in_bucket(42, 3, 7) == 42  # one-minute buckets are exact


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=st.lists(st.integers(0, 60 * 30), min_size=1, max_size=40))
def test_a_median_is_within_its_buckets_resolution(enterprise, minutes):
    with transaction.atomic():
        _month_rows(enterprise[0], minutes)
        found = figures.medians(OCTOBER, ("calendar",))[("business",)]
        exact = statistics.median(minutes)
        middle = sorted(minutes)[(len(minutes) - 1) // 2 : len(minutes) // 2 + 1]
        assert found["responses"] == len(minutes)
        assert abs(found["median"] - exact) <= max(bucket_width(m) for m in middle) - 1
        if all(m < 60 for m in middle):
            assert found["median"] == exact
        transaction.set_rollback(True)


def _bucketed_median(minutes: list[int]) -> float:
    """The documented median, worked out from the tickets' minutes: each middle response placed in its bucket."""
    ordered = sorted(minutes)

    def at(rank: int) -> float:
        bucket = minute_bucket(ordered[rank - 1])
        below = sum(1 for m in ordered if minute_bucket(m) < bucket)
        inside = sum(1 for m in ordered if minute_bucket(m) == bucket)
        return bucket + (bucket_width(bucket) - 1) * (rank - below - 0.5) / inside

    return (at((len(ordered) + 1) // 2) + at(len(ordered) // 2 + 1)) / 2


def test_a_range_with_partial_edge_months_counts_exactly_its_days(three_organizations, support_engineer, time_machine):
    time_machine.move_to(pt(2027, 1, 20, 12, 0), tick=False)
    first = pt(2026, 9, 28, 7, 0)
    for i in range(36):  # every other day from 28 September to 7 December, answered after 5 min to 2 days
        organization, customer = three_organizations[i % 3]
        when = first + dt.timedelta(days=2 * i, hours=i % 7)
        ticket = _open(organization, customer, when, priority=("high", "normal", "urgent")[i % 3])
        if i % 5:
            _reply(ticket, support_engineer, when + dt.timedelta(minutes=5 + (i * 97) % (60 * 48)))
    services.sla_sweep(now=pt(2026, 12, 31, 8, 0))
    report = ReportFilter(start=dt.date(2026, 10, 9), end=dt.date(2026, 12, 2))
    whole, days = report.parts()
    assert whole == [dt.date(2026, 11, 1)]
    assert days == [(dt.date(2026, 10, 9), dt.date(2026, 10, 31)), (dt.date(2026, 12, 1), dt.date(2026, 12, 2))]
    inside = [
        t
        for t in Ticket.objects.all()
        if report.start <= t.received_at.astimezone(pt(2026, 1, 1).tzinfo).date() <= report.end
    ]
    assert 0 < len(inside) < Ticket.objects.count()
    month_of = lambda t: t.received_at.astimezone(pt(2026, 1, 1).tzinfo).date().replace(day=1)  # noqa: E731
    expected = Counter()
    for t in inside:
        has_target = t.first_response_due_at is not None
        late = has_target and t.first_response_at is not None and t.first_response_at > t.first_response_due_at
        met = has_target and t.first_response_at is not None and not late and t.breached_at is None
        breached = has_target and (t.breached_at is not None or late)
        expected[(month_of(t), t.priority)] += 1
        expected[(month_of(t), t.priority, "met")] += met
        expected[(month_of(t), t.priority, "breached")] += breached
    found = Counter()
    for (month, priority), t in figures.fold(figures.counts(report), "month", "priority").items():
        found[(month, priority)] += t["tickets"]
        found[(month, priority, "met")] += t["met"]
        found[(month, priority, "breached")] += t["breached"]
    assert +found == +expected
    minutes: dict[tuple, list[int]] = {}
    for t in inside:
        if _timed(t):
            minutes.setdefault((month_of(t), t.priority, t.sla_calendar), []).append(t.first_response_minutes)
    medians = figures.medians(report, ("month", "priority", "calendar"))
    assert medians == {
        key: {"median": _bucketed_median(values), "responses": len(values)} for key, values in minutes.items()
    }
    assert {key[0] for key in medians} == {dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)}


def test_the_monthly_medians_over_every_account_equal_those_added_up_per_account(
    three_organizations, support_engineer, time_machine
):
    """The monthly chart's medians read the rows shared by every account as they are (one per month, tier,
    priority, calendar and bucket: nothing to add up); an account manager's report over the same accounts adds
    up the rows of each. Both give the tickets' own bucketed medians."""
    time_machine.move_to(pt(2027, 1, 20, 12, 0), tick=False)
    first = pt(2026, 10, 1, 7, 0)
    for i in range(30):  # October and November, three accounts, answered after 3 min to 30 h
        organization, customer = three_organizations[i % 3]
        when = first + dt.timedelta(days=2 * i, hours=i % 5)
        ticket = _open(organization, customer, when, priority=("high", "normal")[i % 2])
        _reply(ticket, support_engineer, when + dt.timedelta(minutes=3 + (i * 211) % (60 * 30)))
    dims = ("month", "tier", "priority", "calendar")
    everyone = ReportFilter(start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 30))
    assert everyone.parts() == ([dt.date(2026, 10, 1), dt.date(2026, 11, 1)], [])
    ids = tuple(organization.pk for organization, _ in three_organizations)
    minutes: dict[tuple, list[int]] = {}
    for t in Ticket.objects.all():
        if _timed(t):
            month = t.received_at.astimezone(pt(2026, 1, 1).tzinfo).date().replace(day=1)
            minutes.setdefault((month, t.tier, t.priority, t.sla_calendar), []).append(t.first_response_minutes)
    expected = {key: {"median": _bucketed_median(values), "responses": len(values)} for key, values in minutes.items()}
    assert len(expected) > 4
    assert figures.medians(everyone, dims) == expected
    assert figures.medians(dataclasses.replace(everyone, organization_ids=ids), dims) == expected


def test_the_current_month_is_whole_when_the_range_ends_today(enterprise, support_engineer, time_machine):
    time_machine.move_to(pt(2026, 11, 20, 12, 0), tick=False)
    november = dt.date(2026, 11, 1)
    assert ReportFilter(start=november, end=dt.date(2026, 11, 20)).parts() == ([november], [])
    assert ReportFilter(start=november, end=dt.date(2026, 11, 25)).parts() == ([november], [])
    assert ReportFilter(start=november, end=dt.date(2026, 11, 19)).parts() == ([], [(november, dt.date(2026, 11, 19))])
    assert ReportFilter(start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 20)).parts() == (
        [],
        [(dt.date(2026, 11, 2), dt.date(2026, 11, 20))],
    )
    organization, customer = enterprise
    for day in (3, 20):
        ticket = _open(organization, customer, pt(2026, 11, day, 8, 0))
        _reply(ticket, support_engineer, pt(2026, 11, day, 8, 45))
    for end in (dt.date(2026, 11, 20), dt.date(2026, 11, 19)):  # from the month rollup, then from the days
        report = ReportFilter(start=november, end=end)
        totals = figures.fold(figures.counts(report), "month")
        assert totals[(november,)]["tickets"] == (2 if end.day == 20 else 1)
        responses = totals[(november,)]["tickets"]
        assert figures.medians(report, ("calendar",)) == {("business",): {"median": 45, "responses": responses}}


@pytest.mark.skipif(
    __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="concurrent transactions need PostgreSQL's row locks (SQLite runs one writer at a time)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_refreshes_of_several_organizations_lose_no_count_and_never_deadlock(
    enterprise, enterprise_premium, standard, support_engineer
):
    """Each organization's refreshes add to the month rows shared by every organization at once: every
    addition must land, in whatever order the transactions commit, and none may wait on another forever."""
    import threading

    from django.db import connection

    customers = [enterprise, enterprise_premium, standard, enterprise, enterprise_premium, standard]
    barrier = threading.Barrier(len(customers))
    failures = []

    def work(index: int):
        organization, customer = customers[index]
        try:
            barrier.wait()
            for i in range(5):
                when = pt(2026, 10, 6 + i, 8, 0)  # the same days and buckets for everyone: shared rows
                ticket = _open(organization, customer, when, priority="urgent")
                _reply(ticket, support_engineer, when + dt.timedelta(minutes=20))
        except Exception as error:  # noqa: BLE001 - a deadlock or a lost row is what this test looks for
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(customers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    assert Ticket.objects.count() == 30
    _assert_the_months_are_the_sum_of_the_days()
    assert sum(ResponseMonthTotal.objects.values_list("tickets", flat=True)) == 30
