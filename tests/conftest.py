import pytest
from django.contrib.auth.models import Group

from portal import roles
from portal.models import Membership, Organization, User

PASSWORD = "a-long-test-password-1"


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MFA_REQUIRED_FOR_STAFF = False


@pytest.fixture
def make_user(db):
    def make(
        email: str,
        *,
        organization: Organization | None = None,
        role: str = "member",
        group: str | None = None,
        superuser: bool = False,
        **extra,
    ) -> User:
        if superuser:
            user = User.objects.create_superuser(email, PASSWORD, **extra)
        else:
            user = User.objects.create_user(email, PASSWORD, **extra)
        if group:
            user.groups.add(Group.objects.get(name=group))
        if organization:
            Membership.objects.create(user=user, organization=organization, role=role)
        return user

    return make


@pytest.fixture
def account_manager(make_user):
    return make_user("am@vendor.test", group=roles.ACCOUNT_MANAGER, full_name="Morgan Manager")


@pytest.fixture
def support_engineer(make_user):
    return make_user("agent@vendor.test", group=roles.SUPPORT_ENGINEER, full_name="Sam Agent")


@pytest.fixture
def solution_architect(make_user):
    return make_user("sa@vendor.test", group=roles.SOLUTION_ARCHITECT, full_name="Sasha Architect")


@pytest.fixture
def admin_user(make_user):
    return make_user("admin@vendor.test", superuser=True)


@pytest.fixture
def acme(db, account_manager):
    return Organization.objects.create(name="Acme Outfitters", account_manager=account_manager)


@pytest.fixture
def globex(db, account_manager):
    return Organization.objects.create(name="Globex Retail", account_manager=account_manager)


@pytest.fixture
def alice(make_user, acme):
    return make_user("alice@acme.test", organization=acme, role="admin", full_name="Alice Acme")


@pytest.fixture
def bob(make_user, acme):
    return make_user("bob@acme.test", organization=acme, role="member", full_name="Bob Acme")


@pytest.fixture
def gina(make_user, globex):
    return make_user("gina@globex.test", organization=globex, role="admin", full_name="Gina Globex")
