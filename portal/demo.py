"""Demo accounts for `manage.py seed_demo`. Every function here is idempotent."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from portal import roles
from portal.models import Membership, Organization, User

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 -- the published demo password; seed_demo refuses production

STAFF = [
    ("admin@demo.test", "Ada Admin", None),
    ("agent@demo.test", "Sam Agent", roles.SUPPORT_ENGINEER),
    ("sa@demo.test", "Sasha Architect", roles.SOLUTION_ARCHITECT),
    ("am@demo.test", "Morgan Manager", roles.ACCOUNT_MANAGER),
]

CUSTOMERS = [
    ("Acme Outfitters", "alice@acme.test", "Alice Acme", Membership.Role.ADMIN),
    ("Acme Outfitters", "bob@acme.test", "Bob Acme", Membership.Role.MEMBER),
    ("Globex Retail", "gina@globex.test", "Gina Globex", Membership.Role.ADMIN),
    ("Initech Supply", "ian@initech.test", "Ian Initech", Membership.Role.ADMIN),
    ("Umbrella Goods", "uma@umbrella.test", "Uma Umbrella", Membership.Role.ADMIN),
]


def _user(email: str, full_name: str, **extra) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name, **extra)
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def seed_accounts(*, today, out) -> list[tuple[str, str, str]]:
    """Creates the demo staff, organizations and customers; returns (email, role, organization) rows."""
    rows = []
    for email, name, group in STAFF:
        if group is None:
            user = _user(email, name, is_staff=True, is_superuser=True)
            rows.append((email, "Admin (superuser)", "—"))
        else:
            user = _user(email, name)
            user.groups.add(Group.objects.get(name=group))
            rows.append((email, group, "—"))
    account_manager = User.objects.get(email="am@demo.test")
    for org_name, email, name, role in CUSTOMERS:
        organization, _ = Organization.objects.get_or_create(
            name=org_name, defaults={"account_manager": account_manager}
        )
        user = _user(email, name)
        Membership.objects.get_or_create(user=user, defaults={"organization": organization, "role": role})
        rows.append((email, f"Customer {Membership.Role(role).label.lower()}", org_name))
    return rows
