"""Every date is shown in the viewer's own time zone; deadlines also in Pacific business-hours terms."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.clock import pt
from tickets import services

pytestmark = pytest.mark.django_db


def test_ticket_dates_follow_the_viewers_time_zone_with_pacific_context(client, enterprise, time_machine):
    time_machine.move_to(pt(2026, 12, 1, 7, 0), tick=False)
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization, requester=customer, subject="s", description="d", kind="incident", priority="urgent"
    )  # due Tue 11:00 PT = 20:00 in Paris
    customer.time_zone = "Europe/Paris"
    customer.save()
    client.force_login(customer)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Tue 01 Dec 2026, 20:00 CET" in page
    assert "Tue 01 Dec 2026, 11:00 PST, business hours" in page
    customer.time_zone = "Asia/Tokyo"
    customer.save()
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Wed 02 Dec 2026, 04:00 JST" in page


def test_api_answers_in_utc_whatever_the_profile(enterprise, time_machine):
    from rest_framework.test import APIClient

    time_machine.move_to(pt(2026, 12, 1, 7, 0), tick=False)
    organization, customer = enterprise
    customer.time_zone = "Asia/Tokyo"
    customer.save()
    ticket = services.ticket_open(
        organization=organization, requester=customer, subject="s", description="d", kind="incident", priority="urgent"
    )
    api = APIClient()
    api.force_authenticate(customer)
    assert api.get(f"/api/v1/tickets/{ticket.pk}/").json()["first_response_due_at"] == "2026-12-01T19:00:00Z"
    assert ticket.first_response_due_at == dt.datetime(2026, 12, 1, 19, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/Paris", "Asia/Kolkata", "UTC", "Australia/Sydney"])
def test_moments_read_exactly_as_the_date_format_says_in_every_zone_and_season(zone):
    """clock.when writes DATETIME_FORMAT out by hand for speed: it must agree with Django's formatter, DST days
    and single-digit days included; another language falls back to the formatter."""
    import zoneinfo

    from django.utils import timezone, translation
    from django.utils.formats import date_format

    from portal import clock

    tz = zoneinfo.ZoneInfo(zone)
    moment = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
    while moment.year == 2026:
        expected = date_format(timezone.localtime(moment, tz), "DATETIME_FORMAT")
        assert clock.when(moment, tz=tz) == expected
        moment += dt.timedelta(hours=37, minutes=13)
    with translation.override("fr"):
        local = timezone.localtime(moment, tz)
        assert clock.when(moment, tz=tz) == date_format(local, "DATETIME_FORMAT")
