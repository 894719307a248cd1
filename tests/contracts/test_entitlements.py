import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from contracts.entitlements import entitlements_for, support_tier
from contracts.models import AddOn, Contract, Engagement, ResponseTarget, SlackChannel
from tests.clock import TERM_END, TERM_START

pytestmark = pytest.mark.django_db
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
