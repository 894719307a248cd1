"""With MFA_REQUIRED_FOR_STAFF, the API holds staff to it too; a password change revokes API tokens."""

import datetime

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.clock import PASSWORD

URL = "/api/v1/tickets/"


@pytest.fixture(autouse=True)
def _mfa_on(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


def enrol(user, *, at=None) -> Authenticator:
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "x"}, created_at=at or timezone.now()
    )


def token_client(token: Token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_a_staff_session_without_an_authenticator_gets_403_with_a_code(client, support_engineer):
    client.force_login(support_engineer)
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_a_staff_session_with_an_authenticator_is_served(client, support_engineer):
    enrol(support_engineer)
    client.force_login(support_engineer)
    assert client.get(URL).status_code == 200


def test_customers_are_not_held_to_it(client, alice):
    client.force_login(alice)
    assert client.get(URL).status_code == 200


def test_a_staff_token_needs_enrolment_and_to_be_newer_than_it(support_engineer):
    token = Token.objects.create(user=support_engineer)
    response = token_client(token).get(URL)
    assert (response.status_code, response.json()["code"]) == (403, "mfa_required")

    now = timezone.now()
    Token.objects.filter(pk=token.pk).update(created=now - datetime.timedelta(hours=1))
    enrol(support_engineer, at=now - datetime.timedelta(minutes=30))  # enrolled after the token was made
    response = token_client(token).get(URL)
    assert (response.status_code, response.json()["code"]) == (403, "token_before_mfa")

    token.delete()
    fresh = Token.objects.create(user=support_engineer)
    assert token_client(fresh).get(URL).status_code == 200


def test_with_mfa_not_required_staff_tokens_work(settings, support_engineer):
    settings.MFA_REQUIRED_FOR_STAFF = False
    token = Token.objects.create(user=support_engineer)
    assert token_client(token).get(URL).status_code == 200


def test_changing_the_password_revokes_api_tokens(client, alice):
    token = Token.objects.create(user=alice)
    assert token_client(token).get(URL).status_code == 200
    client.force_login(alice)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-passphrase-2027", "password2": "a-new-passphrase-2027"},
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=alice).exists()
    response = token_client(token).get(URL)
    assert response.status_code == 401
