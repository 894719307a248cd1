"""The navigation each role sees. Apps add entries here; an entry whose URL is not built yet is left out."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from portal import roles


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    shown_to: Callable[[object], bool]


def _customer(user) -> bool:
    return user.is_authenticated and not roles.is_support_staff(user) and user.organization is not None


def _customer_admin(user) -> bool:
    return _customer(user) and user.is_organization_admin


NAV_ITEMS: list[NavItem] = [
    NavItem("Dashboard", "portal:home", lambda u: u.is_authenticated),
    NavItem("My tickets", "tickets:list", _customer),
    NavItem("New request", "tickets:create", _customer),
    NavItem("Queue", "tickets:queue", roles.is_support_staff),
    NavItem("Quarantine", "channels:quarantine", roles.is_support_staff),
    NavItem("Log time", "hours:log", roles.is_solution_architect),
    NavItem("Timesheet", "hours:week", roles.is_solution_architect),
    NavItem("Accounts", "contracts:account_list", roles.is_support_staff),
    NavItem("SA hours", "hours:customers", lambda u: roles.is_solution_architect(u) or roles.is_account_manager(u)),
    NavItem("Contract", "contracts:my_contract", _customer),
    NavItem("Hours", "hours:statement", _customer_admin),
    NavItem("Members", "portal:members", _customer_admin),
    NavItem("Reports", "tickets:reports", roles.is_support_staff),
    NavItem("Knowledge base", "portal:kb", lambda u: True),
]


def nav_for(user) -> list[dict]:
    items = []
    for item in NAV_ITEMS:
        if not item.shown_to(user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "name": item.url_name})
    return items
