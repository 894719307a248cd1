"""Time left in the target's own terms, with the moment it falls due; the footer's coverage; the calendar page."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.clock import pt
from tickets import selectors, services, sla
from tickets.models import ClosureDay, Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("minutes", "calendar", "text"),
    [
        (24 * 60, "business", "24 business hours left"),
        (8 * 60, "business", "8 business hours left"),
        (60, "business", "1 business hour left"),
        (7 * 60 + 30, "business", "7 business hours 30 min left"),
        (52, "business", "52 business minutes left"),
        (1, "business", "1 business minute left"),
        (20, "24/7", "20 min left"),
        (12 * 60 + 5, "24/7", "12 h 05 min left"),
        (72 * 60, "24/7", "3 d left"),
        (26 * 60, "24/7", "1 d 2 h left"),
    ],
)
def test_time_left_reads_in_the_calendar_of_its_target(minutes, calendar, text):
    assert sla.time_left(dt.timedelta(minutes=minutes), calendar) == text


def _open(organization, customer, when, **fields):
    return services.ticket_open(
        organization=organization, requester=customer, subject="s", description="d", now=when, **fields
    )


def test_a_business_deadline_over_a_weekend_reads_in_business_hours(standard):
    organization, customer = standard
    # Low priority on Standard: 24 business hours.
    ticket = _open(organization, customer, pt(2026, 12, 4, 14, 0), priority="low")  # Friday 14:00
    assert ticket.sla_calendar == "business"
    saturday = selectors.with_clock(Ticket.objects.filter(pk=ticket.pk), now=pt(2026, 12, 5, 10, 0))[0]
    # 4 business hours ran on Friday; the weekend counts nothing: 20 are left, three calendar days away.
    assert saturday.time_left_text == "20 business hours left"


def test_a_holiday_is_not_counted_in_business_time_left(standard):
    organization, customer = standard
    ticket = _open(organization, customer, pt(2026, 11, 25, 16, 0), priority="urgent")  # Wed before Thanksgiving
    thursday = selectors.with_clock(Ticket.objects.filter(pk=ticket.pk), now=pt(2026, 11, 26, 12, 0))[0]
    assert thursday.time_left_text == "4 business hours left"  # 2 of 6 ran on Wednesday; Thanksgiving counts none


def test_a_premium_deadline_reads_in_wall_clock_terms(enterprise_premium):
    organization, customer = enterprise_premium
    ticket = _open(organization, customer, pt(2026, 12, 5, 10, 0), priority="urgent", kind="incident")
    row = selectors.with_clock(Ticket.objects.filter(pk=ticket.pk), now=pt(2026, 12, 5, 10, 10))[0]
    assert ticket.sla_calendar == "24/7" and row.time_left_text == "20 min left"


def test_the_badge_says_when_it_falls_due_in_the_readers_zone(client, standard, time_machine):
    organization, customer = standard
    customer.time_zone = "Europe/Paris"
    customer.save()
    time_machine.move_to(pt(2026, 12, 4, 15, 0), tick=False)
    _open(organization, customer, pt(2026, 12, 4, 14, 0), priority="low")
    client.force_login(customer)
    page = client.get(reverse("tickets:list")).content.decode()
    assert "23 business hours left" in page
    assert 'title="Due Tue 08 Dec 2026, 23:00 CET"' in page  # Tue 14:00 Pacific


def test_the_footer_shows_the_customers_own_coverage(client, enterprise_premium, standard):
    client.force_login(enterprise_premium[1])
    client.get(reverse("portal:home"))
    page = client.get(reverse("tickets:list")).content.decode()
    assert "your Premium support answers around the clock, every day of the year" in page
    client.force_login(standard[1])
    client.get(reverse("portal:home"))
    page = client.get(reverse("tickets:list")).content.decode()
    assert "your Standard support: business hours, 06:00–18:00 Pacific, Monday to Friday" in page


# The support calendar -----------------------------------------------------------------------------------------


def test_customers_see_the_coming_closed_days_and_cannot_change_them(client, standard, time_machine):
    time_machine.move_to(pt(2026, 11, 27, 12, 0), tick=False)
    ClosureDay.objects.create(date=dt.date(2026, 12, 24), reason="Christmas Eve")
    ClosureDay.objects.create(date=dt.date(2026, 11, 1), reason="Long past")
    client.force_login(standard[1])
    response = client.get(reverse("tickets:calendar"))
    page = response.content.decode()
    assert "Christmas Eve" in page and "Christmas Day" in page and "Long past" not in page
    assert 'data-testid="closure-form"' not in page
    refused = client.post(reverse("tickets:calendar"), {"date": "2026-12-28", "action": "close", "reason": "x"})
    assert refused.status_code == 403
    assert not ClosureDay.objects.filter(date=dt.date(2026, 12, 28)).exists()


def test_an_admin_sees_how_many_deadlines_move_before_confirming(client, admin_user, standard, time_machine):
    time_machine.move_to(pt(2026, 12, 4, 9, 0), tick=False)
    organization, customer = standard
    waiting = [_open(organization, customer, pt(2026, 12, 4, 8, 0), priority="low") for _ in range(2)]
    due_before = [t.first_response_due_at for t in waiting]
    client.force_login(admin_user)
    form = {"date": "2026-12-07", "action": "close", "reason": "Office move"}
    preview = client.post(reverse("tickets:calendar"), form).content.decode()
    assert "moves <strong>2 open deadlines</strong>" in preview
    assert not ClosureDay.objects.exists()
    assert [Ticket.objects.get(pk=t.pk).first_response_due_at for t in waiting] == due_before  # nothing moved yet
    done = client.post(reverse("tickets:calendar"), {**form, "confirm": "yes"}, follow=True).content.decode()
    assert "2 open deadlines moved" in done
    closure = ClosureDay.objects.get()
    assert all(Ticket.objects.get(pk=t.pk).first_response_due_at > d for t, d in zip(waiting, due_before, strict=True))
    withdraw = client.post(reverse("tickets:closure_remove", args=[closure.pk])).content.decode()
    assert "moves <strong>2 open deadlines</strong>" in withdraw and ClosureDay.objects.exists()
    client.post(reverse("tickets:closure_remove", args=[closure.pk]), {"confirm": "yes"})
    assert not ClosureDay.objects.exists()
    assert [Ticket.objects.get(pk=t.pk).first_response_due_at for t in waiting] == due_before


def test_a_bad_calendar_change_is_refused_with_a_reason(client, admin_user, time_machine):
    time_machine.move_to(pt(2026, 12, 4, 9, 0), tick=False)
    client.force_login(admin_user)
    response = client.post(reverse("tickets:calendar"), {"date": "2026-01-05", "action": "close", "reason": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose today or a day to come: the past is not changed." in page
    assert "This field is required." in page
    assert not ClosureDay.objects.exists()


def test_the_calendar_page_keeps_its_query_count_as_closure_days_grow(
    client, standard, admin_user, time_machine, django_assert_max_num_queries
):
    time_machine.move_to(pt(2026, 11, 27, 12, 0), tick=False)
    ClosureDay.objects.create(date=dt.date(2026, 12, 24), reason="Christmas Eve")
    client.force_login(admin_user)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("tickets:calendar"))
    for day in range(1, 20):
        ClosureDay.objects.create(date=dt.date(2027, 2, day), reason=f"Inventory week {day}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("tickets:calendar")).content.decode()
    assert "Inventory week 19" in page
