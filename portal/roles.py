"""Who may do what: staff roles (Django groups made by a data migration) and every role predicate the code asks.

Pages, the API and services ask these; none of them re-derives a role.
"""

SUPPORT_ENGINEER = "Support Engineer"
SOLUTION_ARCHITECT = "Solution Architect"
ACCOUNT_MANAGER = "Account Manager"
STAFF_GROUPS = (SUPPORT_ENGINEER, SOLUTION_ARCHITECT, ACCOUNT_MANAGER)
CUSTOMER_ADMIN = "admin"  # Membership.Role.ADMIN, named here so this module imports no model


def _group_names(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_portal_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._portal_group_names = cached
    return cached


def has_role(user, role: str) -> bool:
    """True for members of the role's group; superusers hold every role."""
    return bool(user.is_authenticated and (user.is_superuser or role in _group_names(user)))


def is_support_staff(user) -> bool:
    """True for admins and anyone in a staff group: they work for the vendor, not a customer."""
    return bool(user.is_authenticated and (user.is_superuser or _group_names(user) & set(STAFF_GROUPS)))


def is_support_engineer(user) -> bool:
    return has_role(user, SUPPORT_ENGINEER)


def is_solution_architect(user) -> bool:
    return has_role(user, SOLUTION_ARCHITECT)


def is_account_manager(user) -> bool:
    return has_role(user, ACCOUNT_MANAGER)


# Customers ------------------------------------------------------------------------------------


def _membership(user):
    return getattr(user, "membership", None) if user.is_authenticated and user.pk else None


def organization_id(user) -> int | None:
    """The id of the customer organization `user` belongs to; None for staff and strangers."""
    membership = _membership(user)
    return membership.organization_id if membership else None


def is_customer(user) -> bool:
    return user.is_authenticated and not is_support_staff(user) and organization_id(user) is not None


def is_organization_admin(user) -> bool:
    membership = _membership(user)
    return bool(membership and membership.role == CUSTOMER_ADMIN)


def is_customer_admin(user) -> bool:
    return is_customer(user) and is_organization_admin(user)


# What each role may do -----------------------------------------------------------------------


def may_edit_contracts(user) -> bool:
    """Account managers (and admins) change contracts, engagements and Slack mappings."""
    return is_account_manager(user)


def may_manage_hours(user) -> bool:
    """Account managers adjust hours, approve overage and change any time entry, locked or not."""
    return is_account_manager(user)


def may_log_time(user) -> bool:
    return is_solution_architect(user)


def may_read_time_entries(user) -> bool:
    """Account managers, Solution Architects and customer admins read time entries (each their own share)."""
    return is_account_manager(user) or is_solution_architect(user) or is_customer_admin(user)


def may_read_statement(user, organization) -> bool:
    """Staff read any organization's hours statement; a customer admin only their own."""
    if is_support_staff(user):
        return True
    return is_customer_admin(user) and organization_id(user) == organization.pk


def may_manage_members(user, organization) -> bool:
    """Support staff, and the organization's own administrators, manage its members and invitations."""
    if is_support_staff(user):
        return True
    return is_organization_admin(user) and organization_id(user) == organization.pk
