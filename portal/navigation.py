"""The navigation each role sees: one list of entries, each shown to the roles its predicate admits."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from portal import roles


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    shown_to: Callable[[object], bool]


NAV_ITEMS: list[NavItem] = [
    NavItem("Dashboard", "portal:home", lambda u: u.is_authenticated),
    NavItem("Manager home", "portal:manager_home", roles.may_edit_contracts),
    NavItem("My tickets", "tickets:list", roles.is_customer),
    NavItem("New request", "tickets:create", roles.is_customer),
    NavItem("Queue", "tickets:queue", roles.is_support_staff),
    NavItem("Quarantine", "channels:quarantine", roles.is_support_staff),
    NavItem("Log time", "hours:log", roles.is_solution_architect),
    NavItem("Timesheet", "hours:week", roles.is_solution_architect),
    NavItem("Accounts", "contracts:account_list", roles.is_support_staff),
    NavItem("SA hours", "hours:customers", lambda u: roles.is_solution_architect(u) or roles.is_account_manager(u)),
    NavItem("Contract", "contracts:my_contract", roles.is_customer),
    NavItem("Hours", "hours:statement", roles.is_customer_admin),
    NavItem("Members", "portal:members", roles.is_customer_admin),
    NavItem("Reports", "tickets:reports", roles.is_support_staff),
    NavItem("Knowledge base", "portal:kb", lambda u: True),
]


def nav_for(user) -> list[dict]:
    items = []
    for item in NAV_ITEMS:
        if item.shown_to(user):
            items.append({"label": item.label, "url": reverse(item.url_name), "name": item.url_name})
    return items
