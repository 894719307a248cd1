"""A line break in a subject or a name never reaches an email header: it is one line at every boundary."""

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse

from portal import outbox
from portal.models import OutboxMessage
from portal.text import one_line
from tickets import services
from tickets.models import Ticket

HOSTILE = "orders down\nnow\r\nBcc: victim@evil.test"
FLAT = "orders down now Bcc: victim@evil.test"


@pytest.fixture
def premium(org_with):
    return org_with("Premium Co", plan="enterprise", add_ons=["premium_support"])


def _delivered(ticket: Ticket) -> dict[str, OutboxMessage]:
    return {row.builder.rsplit(".", 1)[1]: row for row in OutboxMessage.objects.filter(ticket_number=ticket.pk)}


@pytest.mark.parametrize(
    "value",
    ["a\nb", "a\r\nb", "a\rb", "a\u2028b", "a\u2029b", "a\x0bb", "a\x0cb", "a\x85b", "a\x00b", "a \t\n b"],
)
def test_one_line(value):
    assert one_line(value) in ("a b", "ab")
    assert "\n" not in one_line(value) and "\r" not in one_line(value)


def test_a_newline_subject_through_the_form_is_saved_on_one_line_and_its_notices_are_sent(
    client, premium, django_capture_on_commit_callbacks
):
    organization, customer = premium
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tickets:create"),
            {"kind": "incident", "priority": "urgent", "subject": HOSTILE, "description": "Nothing ships"},
        )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.subject == FLAT
    rows = _delivered(ticket)
    assert {name: row.status for name, row in rows.items()} == {
        "receipt": "sent",
        "team_new_ticket": "sent",
        "oncall_email": "sent",
    }
    assert rows["receipt"].recipients == [customer.email]
    for message in mail.outbox:
        assert "\n" not in message.subject and message.bcc == []
        message.message()  # builds: no header is refused


def test_a_newline_subject_through_the_api(api, premium, django_capture_on_commit_callbacks):
    organization, customer = premium
    with django_capture_on_commit_callbacks(execute=True):
        response = api(customer).post(
            "/api/v1/tickets/",
            {"subject": HOSTILE, "description": "d", "kind": "incident", "priority": "urgent"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == FLAT
    ticket = Ticket.objects.get()
    assert {row.status for row in _delivered(ticket).values()} == {"sent"}
    assert "oncall_email" in _delivered(ticket)


def test_a_ticket_saved_with_a_newline_before_the_fix_still_notifies(enterprise, support_engineer):
    organization, customer = enterprise
    ticket = services.ticket_open(organization=organization, requester=customer, subject="ok", description="d")
    Ticket.objects.filter(pk=ticket.pk).update(subject="orders down\nnow")  # as stored by the old code
    comment = services.comment_add(ticket=ticket, author=support_engineer, body="On it.", public=True)
    row = OutboxMessage.objects.get(key=f"comment:{comment.pk}")
    assert outbox.deliver(row.pk) == "sent"
    [message] = [m for m in mail.outbox if "On it." in m.body]
    assert "\n" not in message.subject and "orders down now" in message.subject


def test_an_email_that_cannot_be_built_is_a_retried_failure_not_an_error(enterprise, monkeypatch):
    organization, customer = enterprise
    ticket = services.ticket_open(organization=organization, requester=customer, subject="ok", description="d")
    row = OutboxMessage.objects.get(key=f"ticket:{ticket.pk}:receipt")

    def broken(self, *args, **kwargs):
        raise ValueError("Header values may not contain linefeed or carriage return characters")

    monkeypatch.setattr(EmailMessage, "send", broken)
    assert outbox.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert row.attempts == 1 and "linefeed" in row.last_error


def test_names_are_one_line(client, alice, api):
    response = api(alice).patch("/api/v1/me/", {"full_name": "Alice\nBcc: x@evil.test"}, format="json")
    assert response.status_code == 200, response.content
    alice.refresh_from_db()
    assert alice.full_name == "Alice Bcc: x@evil.test"
