"""Solved, and how it went: customers mark their ticket solved, the requester rates it (signed one-time link,
portal, API), and a solved ticket closes by itself after 7 days without a reply."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail, signing
from django.urls import reverse

from portal import outbox
from tests.clock import pt
from tickets import notifications, services, solved
from tickets.models import SatisfactionRating, Status, Ticket, TicketEvent
from tickets.selectors import satisfaction_report

pytestmark = pytest.mark.django_db
MORNING = pt(2026, 12, 1, 8, 0)


@pytest.fixture
def ticket(enterprise, support_engineer):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization, requester=customer, subject="Labels print blank", description="d", now=MORNING
    )
    services.comment_add(ticket=ticket, author=support_engineer, body="Update the driver.", now=MORNING)
    return Ticket.objects.get(pk=ticket.pk)


def _solve(ticket, actor, when=MORNING):
    return services.ticket_change_status(ticket=ticket, actor=actor, status=Status.SOLVED, now=when)


# Marking solved -----------------------------------------------------------------------------------------


def test_the_customer_marks_their_ticket_solved(client, ticket, enterprise):
    _, customer = enterprise
    client.force_login(customer)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Mark as solved" in page
    response = client.post(reverse("tickets:solve", args=[ticket.pk]), follow=True)
    assert "Marked solved. Thank you! How did we do?" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "solved" and ticket.solved_at is not None and ticket.waiting_on == ""
    event = TicketEvent.objects.filter(ticket=ticket, kind="status_changed").order_by("pk").last()
    assert event.message == f"Status: Open → Solved (marked solved by {customer})."
    assert event.actor == customer and event.public
    # Twice: a clear answer, nothing changes.
    again = client.post(reverse("tickets:solve", args=[ticket.pk]), follow=True).content.decode()
    assert "This ticket is solved already." in again


def test_only_people_of_the_ticket_mark_it_solved(client, ticket, enterprise, make_user, gina):
    member = make_user("member@enterprise.test", organization=enterprise[0], role="member")
    client.force_login(member)
    assert "Mark as solved" not in client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert client.post(reverse("tickets:solve", args=[ticket.pk])).status_code == 403
    client.force_login(gina)
    assert client.post(reverse("tickets:solve", args=[ticket.pk])).status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


# The survey ---------------------------------------------------------------------------------------------


def _survey_links(message) -> dict[str, str]:
    return dict(re.findall(r"https?://[^/\s]+(/tickets/satisfaction/[^/\s]+/)\?rating=(good|bad)", message.body))


def test_solving_sends_the_requester_a_one_click_survey_through_the_outbox(
    ticket, support_engineer, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _solve(ticket, support_engineer)
    [survey] = [m for m in mail.outbox if "How did we do?" in m.subject]
    assert survey.to == [ticket.requester.email]
    assert survey.subject == f"[#{ticket.reference}] How did we do? Labels print blank"
    links = re.findall(r"(https?://\S+/tickets/satisfaction/\S+/\?rating=(good|bad))", survey.body)
    assert [rating for _, rating in links] == ["good", "bad"]
    assert all(url.startswith(settings.SITE_URL) for url, _ in links)
    assert "closes by itself 7 days after it was solved" in survey.body
    # Solved again after a reopening: one survey per ticket.
    services.comment_add(ticket=ticket, author=ticket.requester, body="Back again")
    with django_capture_on_commit_callbacks(execute=True):
        _solve(Ticket.objects.get(pk=ticket.pk), support_engineer)
    assert len([m for m in mail.outbox if "How did we do?" in m.subject]) == 1


def test_the_survey_is_not_sent_when_the_ticket_was_reopened_or_rated_before_it_left(ticket, support_engineer):
    _solve(ticket, support_engineer)
    services.comment_add(ticket=ticket, author=ticket.requester, body="Not fixed")
    assert notifications.satisfaction_request(ticket.pk) is None


def test_the_signed_link_rates_once(client, ticket, support_engineer):
    _solve(ticket, support_engineer)
    url = reverse("tickets:satisfaction", args=[notifications.satisfaction_token(ticket)])
    page = client.get(url, {"rating": "bad"})
    assert page.status_code == 200
    assert page.context["form"].initial["rating"] == "bad"
    response = client.post(url, {"rating": "bad", "comment": "Took two days."})
    assert response.status_code == 200
    assert "Thank you! Your rating: <strong>Bad, I&#x27;m unsatisfied</strong>." in response.content.decode()
    answer = SatisfactionRating.objects.get(ticket=ticket)
    assert (answer.rating, answer.comment, answer.via, answer.rated_by) == (
        "bad",
        "Took two days.",
        "link",
        ticket.requester,
    )
    # One-time: the same link cannot rate again, nor change the answer.
    again = client.post(url, {"rating": "good"})
    assert again.status_code == 409
    assert "This request has been rated already." in again.content.decode()
    assert SatisfactionRating.objects.get(ticket=ticket).rating == "bad"
    assert TicketEvent.objects.get(ticket=ticket, kind="rated").message == (
        f"Rated bad by {ticket.requester}: “Took two days.”"
    )


def test_a_tampered_expired_or_foreign_token_is_refused(client, ticket, support_engineer, time_machine, gina):
    _solve(ticket, support_engineer)
    token = notifications.satisfaction_token(ticket)
    assert client.get(reverse("tickets:satisfaction", args=[token[:-2] + "xx"])).status_code == 404
    forged = signing.dumps({"t": ticket.pk, "u": gina.pk}, salt=notifications.SATISFACTION_SALT)
    assert client.get(reverse("tickets:satisfaction", args=[forged])).status_code == 404
    unsalted = signing.dumps({"t": ticket.pk, "u": ticket.requester_id})
    assert client.post(reverse("tickets:satisfaction", args=[unsalted]), {"rating": "good"}).status_code == 404
    time_machine.move_to(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=notifications.SATISFACTION_LINK_DAYS + 1))
    assert client.post(reverse("tickets:satisfaction", args=[token]), {"rating": "good"}).status_code == 404
    assert not SatisfactionRating.objects.exists()


def test_an_invalid_rating_by_link_is_a_400_and_records_nothing(client, ticket, support_engineer):
    _solve(ticket, support_engineer)
    url = reverse("tickets:satisfaction", args=[notifications.satisfaction_token(ticket)])
    response = client.post(url, {"rating": "meh"})
    assert response.status_code == 400
    assert "Select a valid choice. meh is not one of the available choices." in response.content.decode()
    assert not SatisfactionRating.objects.exists()


def test_the_requester_rates_in_the_portal_and_everyone_sees_it(client, ticket, enterprise, support_engineer):
    _, customer = enterprise
    client.force_login(customer)
    assert 'data-testid="rate-form"' not in client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    refused = client.post(reverse("tickets:rate", args=[ticket.pk]), {"rating": "good"}, follow=True)
    assert "A ticket can be rated once it is solved." in refused.content.decode()
    _solve(ticket, support_engineer)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'data-testid="rate-form"' in page
    client.post(reverse("tickets:rate", args=[ticket.pk]), {"rating": "good", "comment": "Quick and clear."})
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Good, I&#x27;m satisfied" in page and "Quick and clear." in page
    # Staff see it on the ticket, in the queue of solved tickets and in the reports.
    client.force_login(support_engineer)
    workspace_page = client.get(reverse("tickets:staff_detail", args=[ticket.pk])).content.decode()
    assert 'data-testid="satisfaction">Rated <span class="badge text-bg-success">good</span>' in workspace_page
    queue = client.get(reverse("tickets:queue"), {"status": "solved"}).content.decode()
    row = queue[queue.index(f'data-ticket="{ticket.pk}"') :]
    assert 'title="Quick and clear.">good</span>' in row[: row.index("</tr>")]
    reports = client.get(reverse("tickets:reports")).content.decode()
    month = SatisfactionRating.objects.get().created_at.astimezone(dt.UTC).strftime("%Y-%m")
    assert f"<tr><td>{month}</td><td>1</td><td>0</td><td>100.0%</td></tr>" in reports
    assert "“Quick and clear.”" in reports


def test_only_the_requester_rates(client, ticket, enterprise, make_user, support_engineer, gina):
    _solve(ticket, support_engineer)
    client.force_login(gina)
    assert client.post(reverse("tickets:rate", args=[ticket.pk]), {"rating": "good"}).status_code == 404
    admin = make_user("boss@enterprise.test", organization=enterprise[0], role="admin")
    client.force_login(admin)
    response = client.post(reverse("tickets:rate", args=[ticket.pk]), {"rating": "good"}, follow=True)
    assert "Only the person who opened the ticket rates it." in response.content.decode()
    assert not SatisfactionRating.objects.exists()


def test_satisfaction_report_counts_by_month(ticket, enterprise, support_engineer):
    organization, customer = enterprise
    _solve(ticket, support_engineer)
    solved.satisfaction_rate(ticket=ticket, rater=customer, rating="good", via="portal", now=pt(2026, 12, 2, 9, 0))
    other = services.ticket_open(organization=organization, requester=customer, subject="B", description="d")
    _solve(other, support_engineer)
    solved.satisfaction_rate(ticket=other, rater=customer, rating="bad", comment="Slow", via="api", now=pt(2026, 12, 3))
    report = satisfaction_report()
    assert report["months"] == [{"month": "2026-12", "good": 1, "bad": 1, "score": 50.0}]
    assert [r.comment for r in report["latest"]] == ["Slow"]


# Closing by itself --------------------------------------------------------------------------------------


def test_a_solved_ticket_closes_after_seven_days_without_a_reply(ticket, enterprise, support_engineer):
    organization, customer = enterprise
    _solve(ticket, support_engineer, when=MORNING)
    recent = services.ticket_open(organization=organization, requester=customer, subject="Recent", description="d")
    _solve(recent, support_engineer, when=MORNING + dt.timedelta(days=2))
    reopened = services.ticket_open(organization=organization, requester=customer, subject="Again", description="d")
    _solve(reopened, support_engineer, when=MORNING)
    services.comment_add(ticket=reopened, author=customer, body="Still broken", now=MORNING + dt.timedelta(days=1))

    assert solved.solved_tickets_close(now=MORNING + dt.timedelta(days=7) - dt.timedelta(minutes=1)) == 0
    later = MORNING + dt.timedelta(days=7, hours=1)
    assert solved.solved_tickets_close(now=later) == 1
    assert solved.solved_tickets_close(now=later) == 0  # a second run does nothing new
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert (statuses[ticket.pk], statuses[recent.pk], statuses[reopened.pk]) == ("closed", "solved", "open")
    event = TicketEvent.objects.filter(ticket=ticket).order_by("pk").last()
    assert event.message == "Status: Solved → Closed (closed automatically 7 days after it was solved)."
    assert event.actor is None


def test_a_staff_reply_on_a_solved_ticket_restarts_the_seven_days(ticket, support_engineer):
    _solve(ticket, support_engineer, when=MORNING)
    services.comment_add(
        ticket=ticket, author=support_engineer, body="One more tip.", now=MORNING + dt.timedelta(days=5)
    )
    assert solved.solved_tickets_close(now=MORNING + dt.timedelta(days=8)) == 0
    assert solved.solved_tickets_close(now=MORNING + dt.timedelta(days=12, hours=1)) == 1


def test_the_periodic_task_closes_them(ticket, support_engineer, time_machine):
    from tickets import tasks

    _solve(ticket, support_engineer, when=MORNING)
    time_machine.move_to(MORNING + dt.timedelta(days=8), tick=False)
    assert tasks.solved_tickets_close.delay().get() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    schedule = settings.CELERY_BEAT_SCHEDULE["solved-tickets-close"]
    assert schedule["task"] == "tickets.tasks.solved_tickets_close"


def test_the_rating_survives_the_close_and_can_still_be_given(client, ticket, support_engineer):
    _solve(ticket, support_engineer, when=MORNING)
    solved.solved_tickets_close(now=MORNING + dt.timedelta(days=8))
    url = reverse("tickets:satisfaction", args=[notifications.satisfaction_token(ticket)])
    assert client.post(url, {"rating": "good"}).status_code == 200
    assert SatisfactionRating.objects.get(ticket=ticket).rating == "good"


def test_outbox_flush_sends_the_survey_when_delivery_after_commit_failed(ticket, support_engineer):
    mail.outbox.clear()
    _solve(ticket, support_engineer)  # no on-commit delivery in this test transaction
    outbox.flush()
    assert [m.to for m in mail.outbox if "How did we do?" in m.subject] == [[ticket.requester.email]]


def test_the_reports_keep_their_query_count_as_ratings_grow(
    client, enterprise, support_engineer, django_assert_max_num_queries
):
    organization, customer = enterprise

    def rated(n, rating):
        for i in range(n):
            ticket = services.ticket_open(
                organization=organization, requester=customer, subject=f"r{i}", description="d"
            )
            _solve(ticket, support_engineer)
            solved.satisfaction_rate(ticket=ticket, rater=customer, rating=rating, comment=f"c{i}", via="portal")

    rated(1, "good")
    client.force_login(support_engineer)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("tickets:reports"))
    rated(12, "bad")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("tickets:reports"))
    assert response.context["satisfaction"]["months"][0]["bad"] == 12
    assert len(response.context["satisfaction"]["latest"]) == 10


def test_admins_read_ratings_and_tags_in_the_django_admin(client, ticket, support_engineer, admin_user):
    _solve(ticket, support_engineer)
    solved.satisfaction_rate(ticket=ticket, rater=ticket.requester, rating="bad", via="portal")
    client.force_login(admin_user)
    for name in ("tickets_satisfactionrating", "tickets_tag", "tickets_ticket"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    rating = SatisfactionRating.objects.get()
    assert client.get(reverse("admin:tickets_satisfactionrating_change", args=[rating.pk])).status_code == 200
    assert (
        client.post(
            reverse("admin:tickets_satisfactionrating_change", args=[rating.pk]), {"rating": "good"}
        ).status_code
        == 403
    )
    assert SatisfactionRating.objects.get().rating == "bad"
