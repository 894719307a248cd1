import contextlib
import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from contracts import entitlements as entitlements_module
from contracts.entitlements import contracts_stamp, entitlements_for, entitlements_for_many, support_tier
from contracts.models import AddOn, Connector, Contract, Engagement, ResponseTarget, SlackChannel
from portal.clock import support_date
from tests.clock import TERM_END, TERM_START

pytestmark = pytest.mark.django_db
# The contracts' change stamp is kept by PostgreSQL's triggers; SQLite (the demo) keeps none and reads each time.
with_stamp = pytest.mark.skipif(connection.vendor != "postgresql", reason="the stamp's triggers are PostgreSQL's")
AT = dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC)
KINDS = list(AddOn.Kind.values)
COMBINATIONS = [
    (plan, combo)
    for plan in ["starter", "growth", "enterprise"]
    for n in range(len(KINDS) + 1)
    for combo in itertools.combinations(KINDS, n)
]


@pytest.mark.parametrize(("plan", "add_ons"), COMBINATIONS)
def test_entitlement_table_for_every_plan_and_add_on_combination(acme, plan, add_ons):
    # Built directly, so even combinations the edit form refuses are answered consistently.
    contract = Contract.objects.create(
        organization=acme, plan=plan, term_start=TERM_START, term_end=TERM_END, sa_hours_per_year=Decimal("10")
    )
    for kind in add_ons:
        AddOn.objects.create(contract=contract, kind=kind)
    SlackChannel.objects.create(organization=acme, channel_id="C0ACME0001")

    ent = entitlements_for(acme, at=AT)

    enterprise = plan == "enterprise" or "enterprise_support" in add_ons
    premium = "premium_support" in add_ons
    assert ent.tier == ("enterprise" if enterprise else "standard")
    assert ent.premium is premium
    expected_channels = {"portal", "email"}
    if enterprise and "slack_channel" in add_ons:
        expected_channels.add("slack")
    if premium:
        expected_channels.add("escalation")
    assert ent.channels == expected_channels
    expected_sources = {"enterprise" if enterprise else "standard"} | ({"premium"} if premium else set())
    assert {r.source for r in ent.response_targets} == expected_sources
    assert len(ent.response_targets) == 4 * len(expected_sources)
    assert (ent.allotment is not None) is enterprise
    assert ent.configuration_support is ("configuration_support" in add_ons)


def test_support_tier_rule():
    assert support_tier("enterprise", set()) == "enterprise"
    assert support_tier("growth", {"enterprise_support"}) == "enterprise"
    assert support_tier("growth", {"premium_support"}) == "standard"
    assert support_tier("starter", set()) == "standard"


def test_inactive_add_on_does_not_count(acme, make_contract):
    contract = make_contract(acme, add_ons=["enterprise_support", "premium_support"], escalation="phone")
    contract.add_ons.filter(kind="premium_support").update(is_active=False)
    ent = entitlements_for(acme, at=AT)
    assert ent.tier == "enterprise" and not ent.premium
    assert "escalation" not in ent.channels


def test_targets_come_from_the_table_with_spec_values(acme, make_contract):
    make_contract(acme, add_ons=["enterprise_support", "premium_support"], escalation="phone +1 555 0100")
    ent = entitlements_for(acme, at=AT)
    table = {(r.source, r.priority): (r.target_minutes, r.calendar) for r in ent.response_targets}
    assert table == {
        ("enterprise", "urgent"): (240, "business"),
        ("enterprise", "high"): (480, "business"),
        ("enterprise", "normal"): (720, "business"),
        ("enterprise", "low"): (1440, "business"),
        ("premium", "urgent"): (30, "24/7"),
        ("premium", "high"): (720, "24/7"),
        ("premium", "normal"): (4320, "24/7"),
        ("premium", "low"): (4320, "24/7"),
    }
    assert ent.escalation_channel == "phone +1 555 0100"


def test_no_active_contract_means_no_tier_and_no_targets(acme, make_contract):
    make_contract(acme, term_start=dt.date(2024, 1, 1), term_end=dt.date(2024, 12, 31))
    ent = entitlements_for(acme, at=AT)
    assert ent.contract is None and ent.tier is None
    assert ent.response_targets == ()
    assert ent.channels == {"portal", "email"}


def test_draft_contract_is_not_in_force(acme, make_contract):
    make_contract(acme, status=Contract.Status.DRAFT)
    assert entitlements_for(acme, at=AT).contract is None


def test_contract_days_are_pacific_days(acme, make_contract):
    # 2026-08-19 07:30 UTC is still 18 August in Los Angeles: the term has not begun there.
    make_contract(acme)
    assert entitlements_for(acme, at=dt.datetime(2026, 8, 19, 6, 30, tzinfo=dt.UTC)).contract is None
    assert entitlements_for(acme, at=dt.datetime(2026, 8, 19, 7, 30, tzinfo=dt.UTC)).contract is not None


def test_allotment_of_the_contract_year_containing_the_moment(globex, make_contract):
    make_contract(globex, plan="enterprise", sa_hours=Decimal("40"), term_end=dt.date(2028, 8, 18))
    first = entitlements_for(globex, at=dt.datetime(2027, 8, 18, 20, 0, tzinfo=dt.UTC)).allotment
    second = entitlements_for(globex, at=dt.datetime(2027, 8, 19, 20, 0, tzinfo=dt.UTC)).allotment
    assert (first.period_start, first.period_end, first.minutes) == (dt.date(2026, 8, 19), dt.date(2027, 8, 18), 2400)
    assert (second.period_start, second.period_end) == (dt.date(2027, 8, 19), dt.date(2028, 8, 18))
    assert first.increment_minutes == 15


def test_slack_allowed_by_an_engagement_that_agreed_it(acme, make_contract, account_manager):
    from contracts import services

    contract = make_contract(acme)
    assert "slack" not in entitlements_for(acme, at=AT).channels
    services.engagement_save(
        actor=account_manager,
        contract=contract,
        name="ERP",
        scope="Move",
        quoted_hours=Decimal("60"),
        status=Engagement.Status.ACTIVE,
        via_slack=True,
    )
    ent = entitlements_for(acme, at=AT)
    assert "slack" in ent.channels
    assert ent.tier == "standard" and ent.configuration_support
    assert [e.name for e in ent.engagements] == ["ERP"]


def test_a_quoted_engagement_is_not_active(acme, make_contract, account_manager):
    from contracts import services

    contract = make_contract(acme)
    services.engagement_save(
        actor=account_manager,
        contract=contract,
        name="Quote",
        scope="x",
        quoted_hours=Decimal("5"),
        status=Engagement.Status.QUOTED,
        via_slack=True,
    )
    ent = entitlements_for(acme, at=AT)
    assert ent.engagements == () and "slack" not in ent.channels


def test_naive_moment_is_refused(acme):
    with pytest.raises(ValueError, match="aware"):
        entitlements_for(acme, at=dt.datetime(2026, 11, 27, 10, 0))  # noqa: DTZ001


def test_response_target_validation():
    target = ResponseTarget.objects.get(source="premium", priority="urgent")
    target.calendar = "business"
    with pytest.raises(ValidationError, match="around the clock"):
        target.full_clean()
    target = ResponseTarget.objects.get(source="standard", priority="low")
    target.target_minutes = 0
    with pytest.raises(ValidationError):
        target.full_clean()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="where no stamp is kept")
def test_without_a_stamp_every_reading_is_worked_out_again(acme, make_contract, django_assert_num_queries):
    make_contract(acme, add_ons=["enterprise_support"])
    first = entitlements_for(acme, at=AT)
    assert contracts_stamp() is None
    with django_assert_num_queries(6):  # nothing kept: contracts, add-ons, connectors, engagements, Slack, targets
        again = entitlements_for(acme, at=AT)
    assert again == first


# The process cache: a second reading costs the stamp alone, and any write to what entitlements are made of,
# by any route (a service, a bulk update, a raw delete), is seen by the very next reading.


@with_stamp
def test_a_second_reading_of_the_same_day_is_one_query(acme, make_contract, django_assert_num_queries):
    make_contract(acme, add_ons=["enterprise_support"])
    first = entitlements_for(acme, at=AT)
    with django_assert_num_queries(1):
        again = entitlements_for(acme, at=AT)
    assert again == first and again.organization is acme
    assert again.contract is not first.contract  # a copy: the kept answer cannot be changed through a reader


@with_stamp
def test_every_write_gives_a_stamp_never_given_before(acme, make_contract):
    before = contracts_stamp()
    make_contract(acme)
    after = contracts_stamp()
    assert None not in (before, after) and before != after
    with contextlib.suppress(RuntimeError), transaction.atomic():
        SlackChannel.objects.create(organization=acme, channel_id="C0ROLLBACK")
        rolled_back = contracts_stamp()
        raise RuntimeError("undo")
    assert contracts_stamp() == after and rolled_back not in (before, after)
    ResponseTarget.objects.filter(pk=-1).update(target_minutes=1)  # a write that changes no row moves it too
    assert contracts_stamp() not in (before, after, rolled_back)


@with_stamp
def test_an_answer_read_while_a_write_lands_is_not_kept(acme, make_contract, monkeypatch, django_assert_num_queries):
    make_contract(acme, add_ons=["enterprise_support"])
    read = entitlements_module._entitlements_of

    def read_then_write(organizations, day):
        found = read(organizations, day)
        SlackChannel.objects.create(organization=acme, channel_id="C0MEANWHILE")  # lands between the two stamps
        return found

    monkeypatch.setattr(entitlements_module, "_entitlements_of", read_then_write)
    assert "C0MEANWHILE" not in entitlements_for(acme, at=AT).slack_channel_ids
    monkeypatch.setattr(entitlements_module, "_entitlements_of", read)
    with django_assert_num_queries(1 + 6 + 1):  # not kept: read again, and kept this time
        assert entitlements_for(acme, at=AT).slack_channel_ids == ("C0MEANWHILE",)
    with django_assert_num_queries(1):
        entitlements_for(acme, at=AT)


WRITES = {
    "add-on added": lambda c: AddOn.objects.create(contract=c, kind="premium_support"),
    "add-on switched off": lambda c: c.add_ons.update(is_active=False),
    "contract ended": lambda c: Contract.objects.filter(pk=c.pk).update(term_end=dt.date(2026, 11, 1)),
    "contract deleted": lambda c: Contract.objects.filter(pk=c.pk).delete(),
    "connector added": lambda c: c.connectors.add(Connector.objects.create(name="Cached", slug="cached")),
    "Slack channel mapped": lambda c: SlackChannel.objects.create(organization=c.organization, channel_id="C0NEW"),
    "engagement agreed": lambda c: Engagement.objects.create(
        contract=c, name="ERP", scope="Move", quoted_hours=Decimal("5"), status="active", via_slack=True
    ),
    "target changed": lambda c: ResponseTarget.objects.filter(source="enterprise", priority="urgent").update(
        target_minutes=60
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_any_write_is_seen_by_the_next_reading(acme, make_contract, write):
    contract = make_contract(acme, add_ons=["enterprise_support"])
    cached = entitlements_for(acme, at=AT)
    assert entitlements_for(acme, at=AT) == cached  # kept
    write(contract)
    assert entitlements_for(acme, at=AT) == _computed(acme)
    assert entitlements_for(acme, at=AT) != cached


def test_the_contracts_connectors_are_read_as_they_are_now(acme, make_contract):
    make_contract(acme, add_ons=["enterprise_support"], connectors=["shopify"])
    assert [c.name for c in entitlements_for(acme, at=AT).contract.connectors.all()] == ["Shopify"]
    Connector.objects.filter(slug="shopify").update(name="Shopify Plus")
    assert [c.name for c in entitlements_for(acme, at=AT).contract.connectors.all()] == ["Shopify Plus"]


def test_an_answer_read_inside_a_rolled_back_write_is_never_served(acme, make_contract):
    make_contract(acme, add_ons=["enterprise_support"])
    assert not entitlements_for(acme, at=AT).premium
    with contextlib.suppress(RuntimeError), transaction.atomic():
        AddOn.objects.create(contract=acme.contracts.get(), kind="premium_support")
        assert entitlements_for(acme, at=AT).premium  # the writer sees its own write, kept under its own stamp
        raise RuntimeError("undo")
    assert not entitlements_for(acme, at=AT).premium


def test_each_support_day_is_its_own_answer(acme, make_contract):
    make_contract(acme, term_end=dt.date(2026, 11, 27))
    assert entitlements_for(acme, at=AT).contract is not None  # 27 Nov, the last day
    assert entitlements_for(acme, at=AT + dt.timedelta(days=1)).contract is None


@with_stamp
def test_many_organizations_mix_kept_and_new_answers(acme, globex, make_contract, django_assert_num_queries):
    make_contract(acme, add_ons=["enterprise_support"])
    make_contract(globex)
    entitlements_for(acme, at=AT)
    with django_assert_num_queries(1 + 6 + 1):  # the stamp, one reading for Globex alone, the stamp again
        both = entitlements_for_many([acme, globex], at=AT)
    assert (both[acme.pk].tier, both[globex.pk].tier) == ("enterprise", "standard")
    assert both[acme.pk].organization is acme and both[globex.pk].organization is globex
    assert both == {acme.pk: _computed(acme), globex.pk: _computed(globex)}


def _computed(organization):
    """What the six queries give, whatever the cache holds."""
    return entitlements_module._entitlements_of([organization], support_date(AT))[organization.pk]
