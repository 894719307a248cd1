import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.urls import reverse

from portal import roles
from portal.models import User
from tests.clock import PASSWORD

pytestmark = pytest.mark.django_db


def test_user_signs_in_with_email_and_has_no_username():
    user = User.objects.create_user("Carol@Example.TEST", PASSWORD)
    assert user.email == "Carol@example.test"  # the domain is normalised, the local part kept
    assert not hasattr(user, "username")
    assert User.USERNAME_FIELD == "email"


def test_email_is_unique_whatever_its_case():
    User.objects.create_user("dave@example.test", PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="DAVE@example.test")
    assert User.objects.count() == 1


def test_user_without_email_is_refused():
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user("", PASSWORD)


def test_model_backend_finds_user_whatever_the_case(client):
    User.objects.create_user("erin@example.test", PASSWORD)
    assert client.login(username="ERIN@example.test", password=PASSWORD)


def test_sign_in_page_with_verified_email_lands_on_dashboard(client, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    response = client.post(reverse("account_login"), {"login": "ALICE@acme.test", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.wsgi_request.user == alice
    assert "Acme Outfitters" in response.content.decode()


def test_unverified_email_cannot_sign_in(client, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=False, primary=True)
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD}, follow=True)
    assert not response.wsgi_request.user.is_authenticated
    assert "Verify Your Email Address" in response.content.decode()


def test_wrong_password_is_refused(client, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    response = client.post(reverse("account_login"), {"login": alice.email, "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_open_sign_up_is_closed(client):
    page = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in page.content.decode()
    client.post(
        reverse("account_signup"),
        {"email": "stranger@example.test", "password1": "a-fine-password-9", "password2": "a-fine-password-9"},
    )
    assert not User.objects.filter(email="stranger@example.test").exists()


def test_staff_groups_exist_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.STAFF_GROUPS)


def test_roles(make_user, acme, support_engineer, solution_architect, account_manager, admin_user):
    customer = make_user("c@acme.test", organization=acme)
    assert not roles.is_support_staff(customer)
    assert customer.organization == acme
    assert roles.is_support_staff(support_engineer)
    assert roles.is_support_engineer(support_engineer)
    assert not roles.is_account_manager(support_engineer)
    assert roles.is_solution_architect(solution_architect)
    assert not roles.is_solution_architect(account_manager)
    assert roles.is_account_manager(account_manager)
    assert roles.is_support_staff(admin_user) and roles.is_account_manager(admin_user)
    assert support_engineer.organization is None


def test_organization_admin_flag(alice, bob):
    assert alice.is_organization_admin
    assert not bob.is_organization_admin


def test_staff_must_enrol_mfa_when_required(client, settings, support_engineer, alice):
    settings.MFA_REQUIRED_FOR_STAFF = True
    client.force_login(support_engineer)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    client.force_login(alice)  # customers are not forced
    assert client.get(reverse("portal:home")).status_code == 200


def test_profile_time_zone_is_saved(client, alice):
    client.force_login(alice)
    response = client.post(reverse("portal:profile"), {"full_name": "Alice A.", "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/Paris"


def test_profile_rejects_unknown_time_zone(client, alice):
    client.force_login(alice)
    response = client.post(reverse("portal:profile"), {"full_name": "Alice", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.time_zone == "America/Los_Angeles"
