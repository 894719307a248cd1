import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.channels import corpus
from tickets.channels import services
from tickets.channels.models import InboundEmail, SlackEvent
from tickets.models import Ticket, TicketEvent

LIST = "/tickets/quarantine/"


def deliver(raw: bytes) -> InboundEmail:
    return services.inbound_email_receive(raw=raw).email


@pytest.fixture
def held(world):
    """A quarantined stranger, a refused Slack message, and an email that became a ticket (not held)."""
    stranger = deliver(
        corpus.message(
            frm="Dana Newcustomer <dana@newco.test>",
            subject="<script>alert('subject')</script> Help",
            body="<b>not bold</b> & <script>alert('body')</script>",
        ).as_bytes()
    )
    ticketed = deliver(corpus.plain(world))
    slack_refused = SlackEvent.objects.create(
        event_id="Ev0GLOBEX001",
        channel="C0GLOBEX01",
        user="U0GINA0001",
        ts="1764201600.000100",
        payload={"event": {"type": "message", "text": "Hello from Globex"}},
        status=SlackEvent.Status.REFUSED,
        reason="Globex Retail's support contract does not include Slack.",
        organization=world["gina"].organization,
    )
    return {"stranger": stranger, "ticketed": ticketed, "slack": slack_refused}


def test_url_names():
    assert reverse("channels:quarantine") == LIST
    assert reverse("channels:email_detail", args=[3]) == "/tickets/quarantine/email/3/"


def test_staff_see_held_messages_newest_first(client, world, held, django_assert_max_num_queries):
    older = deliver(corpus.message(frm="old@nowhere.test", subject="Older").as_bytes())
    InboundEmail.objects.filter(pk=older.pk).update(received_at=timezone.now() - datetime.timedelta(days=1))
    client.force_login(world["staff"])
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.status_code == 200
    emails = list(response.context["emails"])
    assert emails == [held["stranger"], older]
    assert list(response.context["slack_events"]) == [held["slack"]]
    page = response.content.decode()
    assert "dana@newco.test is not the address of a portal user." in page
    assert "Globex Retail&#x27;s support contract does not include Slack." in page
    assert "&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt; Help" in page
    assert "<script>alert" not in page


def test_quarantine_is_in_the_staff_navigation(client, world):
    client.force_login(world["staff"])
    assert f'href="{LIST}"' in client.get(reverse("portal:home")).content.decode()


def test_unprocessed_messages_show_after_a_while(client, world):
    stuck, _ = services.inbound_email_store(raw=corpus.plain(world))
    client.force_login(world["staff"])
    assert list(client.get(LIST).context["emails"]) == []
    InboundEmail.objects.filter(pk=stuck.pk).update(received_at=timezone.now() - datetime.timedelta(minutes=10))
    assert list(client.get(LIST).context["emails"]) == [stuck]


def test_detail_shows_headers_and_text_escaped(client, world, held):
    client.force_login(world["staff"])
    response = client.get(reverse("channels:email_detail", args=[held["stranger"].pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;script&gt;alert(&#x27;body&#x27;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "Dana Newcustomer &lt;dana@newco.test&gt;" in page  # the From header, escaped
    assert response.context["form"]["subject"].value() == "<script>alert('subject')</script> Help"


def test_raw_message_downloads(client, world, held):
    client.force_login(world["staff"])
    response = client.get(reverse("channels:email_raw", args=[held["stranger"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{held["stranger"].pk}.eml"'
    assert response.content == held["stranger"].raw_bytes


def test_accept_into_an_organization_with_a_member_as_requester(client, world, held):
    client.force_login(world["staff"])
    email = held["stranger"]
    acme = world["alice"].organization
    response = client.post(
        reverse("channels:email_accept", args=[email.pk]),
        {"organization": acme.pk, "requester": world["bob"].pk, "subject": "Dana's question"},
    )
    assert response.status_code == 302
    email.refresh_from_db()
    ticket = email.ticket
    assert (email.status, email.reviewed_by, email.organization) == ("accepted", world["staff"], acme)
    assert email.reviewed_at is not None
    assert email.reason_code == "unknown_sender"  # why it had been held stays on record
    assert (ticket.organization, ticket.requester, ticket.channel, ticket.priority) == (
        acme,
        world["bob"],
        "email",
        "normal",
    )
    assert ticket.subject == "Dana's question"
    assert ticket.description == "<b>not bold</b> & <script>alert('body')</script>"
    event = TicketEvent.objects.get(ticket=ticket, public=False, data__inbound_email=email.pk)
    assert event.actor == world["staff"]
    assert email not in client.get(LIST).context["emails"]


def test_accept_as_the_organization_keeps_the_sender_as_label(client, world, held):
    client.force_login(world["staff"])
    email = held["stranger"]
    client.post(
        reverse("channels:email_accept", args=[email.pk]),
        {"organization": world["gina"].organization.pk, "requester": "", "subject": "Help"},
    )
    email.refresh_from_db()
    assert email.ticket.requester is None
    assert email.ticket.requester_label == "dana@newco.test"
    assert email.ticket.organization == world["gina"].organization


def test_accept_refuses_a_requester_of_another_organization(client, world, held):
    client.force_login(world["staff"])
    email = held["stranger"]
    before = Ticket.objects.count()
    response = client.post(
        reverse("channels:email_accept", args=[email.pk]),
        {"organization": world["gina"].organization.pk, "requester": world["alice"].pk, "subject": "x"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["requester"] == ["alice@acme.test is not a member of Globex Retail."]
    assert Ticket.objects.count() == before
    email.refresh_from_db()
    assert email.status == "quarantined"


def test_a_message_is_accepted_once(client, world, held):
    client.force_login(world["staff"])
    url = reverse("channels:email_accept", args=[held["stranger"].pk])
    data = {"organization": world["alice"].organization.pk, "subject": "x"}
    client.post(url, data)
    before = Ticket.objects.count()
    response = client.post(url, data)
    assert response.status_code == 400
    assert "This message was handled already (accepted by staff)." in response.content.decode()
    assert Ticket.objects.count() == before


def test_discard_keeps_the_raw_message(client, world, held):
    client.force_login(world["staff"])
    email = held["stranger"]
    response = client.post(reverse("channels:email_discard", args=[email.pk]))
    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.status, email.reviewed_by) == ("discarded", world["staff"])
    assert b"\nFrom: Dana Newcustomer" in email.raw_bytes
    assert email not in client.get(LIST).context["emails"]


def test_handled_messages_cannot_be_discarded(client, world, held):
    client.force_login(world["staff"])
    email = held["ticketed"]
    client.post(reverse("channels:email_discard", args=[email.pk]))
    email.refresh_from_db()
    assert email.status == "ticket_created"


def test_refused_slack_message_detail_and_dismiss(client, world, held):
    client.force_login(world["staff"])
    event = held["slack"]
    page = client.get(reverse("channels:slack_detail", args=[event.pk])).content.decode()
    assert "Hello from Globex" in page
    client.post(reverse("channels:slack_dismiss", args=[event.pk]))
    event.refresh_from_db()
    assert event.reviewed_by == world["staff"]
    assert list(client.get(LIST).context["slack_events"]) == []


def _urls(held):
    email, event = held["stranger"].pk, held["slack"].pk
    return [
        ("get", LIST),
        ("get", reverse("channels:email_detail", args=[email])),
        ("get", reverse("channels:email_raw", args=[email])),
        ("post", reverse("channels:email_accept", args=[email])),
        ("post", reverse("channels:email_discard", args=[email])),
        ("get", reverse("channels:slack_detail", args=[event])),
        ("post", reverse("channels:slack_dismiss", args=[event])),
    ]


@pytest.mark.parametrize("who", ["alice", "gina"])
def test_customers_get_403_and_change_nothing(client, world, held, who):
    client.force_login(world[who])
    for method, url in _urls(held):
        data = {"organization": world["alice"].organization.pk, "subject": "x"} if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, url
    held["stranger"].refresh_from_db()
    held["slack"].refresh_from_db()
    assert held["stranger"].status == "quarantined"
    assert held["slack"].reviewed_at is None


def test_anonymous_is_sent_to_sign_in(client, world, held):
    for method, url in _urls(held):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_held_messages_page_with_their_total_none_cut(client, world):
    """More held messages than a page: the badge says how many, and the pages hold each one once."""
    organization = world["gina"].organization
    for i in range(55):
        SlackEvent.objects.create(
            event_id=f"EvPAGE{i:04d}", channel="C0GLOBEX01", user="U0GINA0001", ts=f"1764201600.{i:06d}",
            payload={"event": {"type": "message", "text": f"Hello {i}"}}, status=SlackEvent.Status.REFUSED,
            reason="No Slack in the contract.", organization=organization,
        )  # fmt: skip
    client.force_login(world["staff"])
    first = client.get(LIST)
    assert 'data-testid="slack-count">55</span>' in first.content.decode()
    assert "1–50 of 55" in first.content.decode()
    second = client.get(LIST, {"slack_page": 2})
    listed = [e.pk for e in first.context["slack_events"]] + [e.pk for e in second.context["slack_events"]]
    assert sorted(listed) == sorted(SlackEvent.objects.values_list("pk", flat=True))
