from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from contracts import services as contract_services
from contracts.models import Connector
from portal import roles
from portal.models import Membership, Organization, User
from tests.clock import NOW, PASSWORD, TERM_END, TERM_START


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run inline in tests, even when REDIS_URL is set; the Redis integration test turns this off."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: one test's rate-limit counts (the same user ids and the same
    address come back in every test) must not refuse another test's requests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MFA_REQUIRED_FOR_STAFF = False
    # Fast hashing: tests create many users; the production hasher is Django's default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api():
    """`api(user)`: a REST client authenticated as that user."""
    from rest_framework.test import APIClient

    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


@pytest.fixture
def frozen_clock(time_machine):
    """The clock stopped at tests.clock.NOW (Fri 27 Nov 2026, noon Pacific time); use it with `usefixtures`."""
    time_machine.move_to(NOW, tick=False)
    return NOW


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


@pytest.fixture
def org_with(account_manager, make_user):
    """Builds an organization with a contract of the given plan and add-ons, and an admin customer."""

    def make(name: str, *, plan="growth", add_ons=(), escalation="", email=None):
        organization = Organization.objects.create(name=name, account_manager=account_manager)
        contract_services.contract_save(
            actor=account_manager,
            organization=organization,
            plan=plan,
            term_start=TERM_START,
            term_end=TERM_END,
            add_ons=add_ons,
            escalation_channel=escalation or ("phone +1 555 0100" if "premium_support" in add_ons else ""),
        )
        customer = make_user(email or f"admin@{organization.slug}.test", organization=organization, role="admin")
        return organization, customer

    return make


@pytest.fixture
def standard(org_with):
    return org_with("Standard Co")


@pytest.fixture
def enterprise(org_with):
    return org_with("Enterprise Co", plan="enterprise")


@pytest.fixture
def enterprise_premium(org_with):
    return org_with("Premium Co", add_ons=["enterprise_support", "premium_support"])


@pytest.fixture
def standard_premium(org_with):
    return org_with("Standard Premium Co", add_ons=["premium_support"])


@pytest.fixture
def make_contract(account_manager):
    """Saves a contract through the contracts service (history included), the term around 27 Nov 2026."""

    def make(organization, *, plan="growth", add_ons=(), sa_hours=Decimal("0"), connectors=(), escalation="", **extra):
        return contract_services.contract_save(
            actor=account_manager,
            organization=organization,
            plan=plan,
            term_start=extra.pop("term_start", TERM_START),
            term_end=extra.pop("term_end", TERM_END),
            add_ons=add_ons,
            sa_hours_per_year=sa_hours,
            connectors=Connector.objects.filter(slug__in=connectors),
            escalation_channel=escalation,
            **extra,
        )

    return make
