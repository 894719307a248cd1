"""An invitation is accepted by whoever holds the link and proves the address; nobody can block it."""

import re
import threading

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal.models import Invitation, User
from portal.services import invitation_create

PASSWORD = "a-brand-new-password-7"


def _key(message) -> str:
    return re.search(r"/invitations/([\w-]+)/", message.body).group(1)


def _signup_data():
    return {"email": "carol@acme.test", "full_name": "Carol", "password1": PASSWORD, "password2": PASSWORD}


@pytest.mark.django_db
def test_an_unverified_address_on_someone_elses_account_does_not_block_the_invitation(
    client, alice, bob, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=alice, organization=acme, email="carol@acme.test", role="member")
    # Bob squats the invited address as an unverified second address of his own account.
    EmailAddress.objects.create(user=bob, email="carol@acme.test", verified=False, primary=False)
    key = _key(mail.outbox[0])
    mail.outbox.clear()
    client.get(reverse("portal:invitation_accept", args=[key]))
    response = client.post(reverse("account_signup"), _signup_data())
    assert response.status_code == 302
    carol = User.objects.get(email="carol@acme.test")
    assert carol.membership.organization == acme
    assert EmailAddress.objects.get(email__iexact="carol@acme.test").user == carol
    assert not EmailAddress.objects.filter(user=bob, email__iexact="carol@acme.test").exists()
    assert not any("already" in m.subject.lower() or "already" in m.body.lower() for m in mail.outbox)


@pytest.mark.django_db
def test_a_verified_address_of_another_account_is_its_holders_to_accept(client, alice, bob, acme, make_user):
    dave = make_user("dave@elsewhere.test")
    EmailAddress.objects.create(user=dave, email="carol@acme.test", verified=True, primary=False)
    invitation = invitation_create(actor=alice, organization=acme, email="carol@acme.test", role="member")
    link = reverse("portal:invitation_accept", args=[invitation.key])
    client.force_login(dave)
    assert client.post(link).status_code == 302
    dave.refresh_from_db()
    assert dave.membership.organization == acme


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="Row locks (SELECT ... FOR UPDATE) need PostgreSQL; CI runs the suite on PostgreSQL.",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_submissions_of_one_invitation_create_one_account(alice, acme):
    invitation = invitation_create(actor=alice, organization=acme, email="carol@acme.test", role="member")
    link = reverse("portal:invitation_accept", args=[invitation.key])
    clients = [Client(raise_request_exception=False) for _ in range(4)]
    for c in clients:
        assert c.get(link).status_code == 302
    start = threading.Barrier(len(clients))
    statuses = []

    def submit(c):
        try:
            start.wait()
            statuses.append(c.post(reverse("account_signup"), _signup_data()).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert User.objects.filter(email="carol@acme.test").count() == 1
    assert 500 not in statuses, statuses
    # One submission signs in. The others are refused (410), shown the form again, or, when the account already
    # existed as they were validated, sent to allauth's enumeration-safe "check your email" page without a session.
    signed_in = [c for c in clients if c.session.get("_auth_user_id")]
    assert len(signed_in) == 1, statuses
    assert set(statuses) <= {200, 302, 409, 410}, statuses
    assert Invitation.objects.get().accepted_by == User.objects.get(email="carol@acme.test")
