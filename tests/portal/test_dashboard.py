"""The page after sign-in shows each demo organization its own tier, targets, channels and hours."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123


def _page(client, email):
    client.force_login(User.objects.get(email=email))
    return client.get(reverse("portal:home")).content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize(
    ("email", "present", "absent"),
    [
        (
            "alice@acme.test",
            [
                "Acme Outfitters",
                "Standard",
                "6 business hours",
                "business hours, 06:00–18:00 Pacific",
                "support@demo.test",
            ],
            ["Slack:", "Escalation for critical", "Advanced Assistance hours", "Globex"],
        ),
        (
            "gina@globex.test",
            [
                "Globex Retail",
                "Enterprise",
                "4 business hours",
                "Slack: C0GLOBEX01",
                "Advanced Assistance hours",
                "of 40 h used",
            ],
            ["Premium 24/7", "Acme"],
        ),
        (
            "ian@initech.test",
            [
                "Initech Supply",
                "Enterprise",
                "Premium 24/7",
                "30 minutes",
                "around the clock",
                "Escalation for critical issues: phone +1 555 0100",
                "of 20 h used",
            ],
            ["Slack:"],
        ),
        (
            "uma@umbrella.test",
            ["Umbrella Goods", "Standard", "16 business hours", "Slack: C0UMBRELLA1"],
            ["Advanced Assistance hours", "Premium 24/7"],
        ),
    ],
)
def test_each_demo_organization_sees_its_own(client, demo, email, present, absent):
    text = _text(_page(client, email))
    for fragment in present:
        assert fragment in text, fragment
    for fragment in absent:
        assert fragment not in text, fragment


def test_dashboard_lists_only_own_open_tickets_with_state(client, demo):
    html = _page(client, "alice@acme.test")
    assert "Shopify orders not reaching the warehouse" in html
    assert "NetSuite sync delayed" not in html  # Globex's
    assert "left</span>" in html or "breached" in html


def test_hours_bar_matches_the_ledger(client, demo):
    from contracts.entitlements import entitlements_for
    from hours.selectors import allotment_used_minutes
    from portal.models import Organization
    from portal.templatetags.portal_format import hours

    globex = Organization.objects.get(name="Globex Retail")
    used = allotment_used_minutes(entitlements_for(globex).allotment)
    assert 0.2 * 2400 <= used <= 0.3 * 2400  # about a quarter of 40 hours
    assert f"{hours(used)} of 40 h used" in _text(_page(client, "gina@globex.test"))


def test_staff_home_is_the_workspace(client, demo):
    html = _page(client, "agent@demo.test")
    assert "Support workspace" in html and "Next up" in html
    assert "Shopify orders not reaching the warehouse" in html or "Amazon orders stuck" in html
