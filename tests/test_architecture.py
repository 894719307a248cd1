"""Each rule has one home: checks over the source that fail when a second home appears."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("config", "portal", "contracts", "tickets", "hours")


def _sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_the_support_time_zone_is_read_in_one_module_outside_settings():
    readers = {
        path.relative_to(ROOT).as_posix()
        for path in _sources()
        if "SUPPORT_TIME_ZONE" in path.read_text() and path.name != "settings.py"
    }
    assert readers == {"portal/clock.py"}


def test_a_zoneinfo_of_the_support_zone_is_built_only_by_the_clock():
    builders = {
        path.relative_to(ROOT).as_posix()
        for path in _sources()
        if re.search(r"ZoneInfo\(", path.read_text()) and path.name not in ("business_hours.py",)
    }
    # The business-hours calendar is pure Python: it is handed the zone's name, never reads settings.
    assert builders == {"portal/clock.py"}


def test_hours_selectors_never_import_the_services():
    tree = ast.parse((ROOT / "hours" / "selectors.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name and name.startswith("hours.services")}
    assert not any(
        isinstance(node, ast.ImportFrom) and node.module == "hours" and any(a.name == "services" for a in node.names)
        for node in ast.walk(tree)
    )


def test_no_refusal_class_outside_the_shared_base():
    """Services refuse with portal.refusals.Refusal; no module defines an exception of its own for that."""
    homemade = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
                if bases & {"Exception", "PermissionError", "ValueError", "Refusal"}:
                    homemade.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert homemade == ["portal/refusals.py:Refusal"]


def test_every_customer_reachable_model_answers_visible_to():
    from django.apps import apps

    from portal.tenancy import VisibleToQuerySet

    reachable = [
        "tickets.Ticket",
        "tickets.Comment",
        "tickets.Attachment",
        "tickets.TicketEvent",
        "tickets.SatisfactionRating",
        "tickets.ReportRollup",
        "tickets.ResponseRollup",
        "tickets.ReportMonthRollup",
        "tickets.ResponseMonthRollup",
        "contracts.Contract",
        "contracts.Engagement",
        "portal.Membership",
        "portal.Invitation",
        "portal.Article",
        "portal.Organization",
        "hours.TimeEntry",
        "hours.LedgerEntry",
        "contracts.ChangeRequest",
        "contracts.Quote",
        "contracts.Milestone",
    ]
    for label in reachable:
        model = apps.get_model(label)
        assert isinstance(model.objects.all(), VisibleToQuerySet), label
        assert hasattr(model, "tenant_path"), label
