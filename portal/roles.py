"""Staff roles: Django groups made by a data migration, and the predicates code asks."""

SUPPORT_ENGINEER = "Support Engineer"
SOLUTION_ARCHITECT = "Solution Architect"
ACCOUNT_MANAGER = "Account Manager"
STAFF_GROUPS = (SUPPORT_ENGINEER, SOLUTION_ARCHITECT, ACCOUNT_MANAGER)


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
