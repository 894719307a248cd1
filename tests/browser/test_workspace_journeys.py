"""Journeys of the Support Engineer's day and of the end of a ticket, in headless chromium on the demo data.

As in test_journeys.py: assertions read what a person sees; the database is read only to learn ids and to
confirm what the page said.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SUBJECT = "Shopify orders not reaching the warehouse"  # a demo ticket of Alice (Acme), assigned to Sam Agent


def test_engineer_searches_opens_a_ticket_from_a_view_applies_a_macro_and_sends_and_sets_pending(portal):
    from tickets.models import Ticket

    ticket = Ticket.objects.get(subject=SUBJECT)
    page = portal.sign_in("agent@demo.test")
    page.get_by_role("link", name="Queue", exact=True).click()

    # A search: every word must match.
    page.get_by_test_id("queue-search").fill("warehouse shopify")
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_test_id("queue").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(SUBJECT)
    page.get_by_test_id("queue-search").fill("warehouse dashboard")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("queue")).to_contain_text("No open ticket matches “warehouse dashboard”.")

    # A view, with its count, one click away; the search box is cleared and the view stays.
    page.get_by_test_id("queue-search").fill("")
    page.get_by_role("button", name="Search").click()
    mine = page.get_by_test_id("queue-views").locator("[data-view=mine]")
    count = int(mine.locator(".count").inner_text())
    mine.click()
    expect(page).to_have_url(re.compile(r"view=mine"))
    expect(page.get_by_test_id("queue").locator("tbody tr")).to_have_count(count)
    row = page.get_by_test_id("queue").locator("tbody tr", has_text=SUBJECT)
    expect(row.locator("[data-col=waiting]")).to_contain_text("on us")
    expect(row.locator("[data-col=deadline]")).to_have_class(re.compile(r"urgency-[1-5]"))
    portal.screenshot(page, "journey16a-queue-view")
    row.get_by_role("link", name=SUBJECT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{ticket.pk} {SUBJECT}")
    expect(page.get_by_test_id("customer-context")).to_contain_text("Acme Outfitters")
    expect(page.get_by_test_id("customer-context")).to_contain_text("Morgan Manager")

    # A macro fills the reply, the status and the tags (htmx); nothing is sent yet.
    form = page.get_by_test_id("reply-form")
    form.get_by_label("Macro").select_option(label="Ask for an order export")
    with page.expect_response(re.compile(r"/work/macro/")):
        form.get_by_role("button", name="Apply macro").click()
    expect(page.get_by_test_id("macro-applied")).to_contain_text("“Ask for an order export” is filled in")
    body = form.get_by_label("Your reply")
    expect(body).to_have_value(re.compile(rf"^Hello Alice Acme,\n\nthank you for ticket #{ticket.pk}\. "))
    expect(form.get_by_label("Status")).to_have_value("pending_customer")
    expect(form.get_by_label("Tags")).to_have_value(re.compile(r"needs-export"))
    assert not ticket.comments.filter(is_staff_reply=True).exists()
    body.press("Control+End")
    body.type("\nThe export of this morning is enough.")
    portal.screenshot(page, "journey16b-macro-applied")

    # One submit answers and sets the ticket pending: the keyboard shortcut sends it.
    body.press("Control+Shift+Enter")
    expect(page.get_by_role("alert")).to_contain_text("Reply sent to the customer.")
    expect(page.get_by_role("alert")).to_contain_text("Status: Pending customer.")
    flags = page.get_by_test_id("ticket-flags")
    expect(flags).to_contain_text("Pending customer")
    expect(flags).to_contain_text("Waiting on the customer")
    expect(flags).to_contain_text("needs-export")
    expect(page.locator("article", has_text="The export of this morning is enough.")).to_contain_text("Sam Agent")
    expect(page.get_by_test_id("deadline-state")).to_have_text("met")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.waiting_on) == ("pending_customer", "customer")
    assert ticket.comments.filter(is_staff_reply=True, public=True).count() == 1
    portal.screenshot(page, "journey16c-sent-and-pending")


def test_a_second_engineer_sees_the_first_viewing_then_typing(portal):
    from tickets.models import Ticket

    ticket = Ticket.objects.get(subject=SUBJECT)
    sam = portal.sign_in("agent@demo.test")
    sam.goto(portal.url(f"/tickets/{ticket.pk}/work/"))
    expect(sam.get_by_role("heading", level=1)).to_have_text(f"#{ticket.pk} {SUBJECT}")

    ada = portal.sign_in("admin@demo.test")
    ada.goto(portal.url(f"/tickets/{ticket.pk}/work/"))
    notice = ada.get_by_test_id("presence")
    expect(notice).to_have_text("Sam Agent is viewing this ticket too.", timeout=15_000)
    # Sam sees Ada in turn (at his next poll).
    expect(sam.get_by_test_id("presence")).to_have_text("Ada Admin is viewing this ticket too.", timeout=15_000)

    # Sam starts typing: Ada is told before anything is sent.
    sam.get_by_test_id("reply-form").get_by_label("Your reply").type("Looking at the Shopify webhook log")
    expect(notice).to_have_text("Sam Agent is typing a reply on this ticket.", timeout=15_000)
    portal.screenshot(ada, "journey16d-collision-notice")

    # Sam leaves: the notice goes away.
    sam.goto(portal.url("/tickets/queue/"))
    expect(notice).to_have_text("", timeout=30_000)


def test_customer_marks_a_ticket_solved_and_rates_it(portal, mailoutbox):
    from tickets.models import Ticket

    ticket = Ticket.objects.get(subject=SUBJECT)
    page = portal.sign_in("alice@acme.test")
    page.get_by_role("link", name="My tickets").click()
    page.get_by_test_id("ticket-list").get_by_role("link", name=SUBJECT).click()
    page.get_by_role("button", name="Mark as solved").click()
    expect(page.get_by_role("alert")).to_have_text("Marked solved. Thank you! How did we do?")
    expect(page.locator("aside")).to_contain_text("Solved")

    rate = page.get_by_test_id("rate-form")
    rate.get_by_label("Good, I'm satisfied").check()
    rate.get_by_label("Anything to add? (optional)").fill("Orders flow again, thanks for the quick fix.")
    rate.get_by_role("button", name="Send my rating").click()
    expect(page.get_by_role("alert")).to_have_text("Thank you for your rating.")
    expect(page.get_by_test_id("satisfaction")).to_contain_text("Good, I'm satisfied")
    expect(page.get_by_test_id("satisfaction")).to_contain_text("Orders flow again, thanks for the quick fix.")
    portal.screenshot(page, "journey16e-rated")

    # The survey email went out on solving; its one-click link now says the ticket is rated (one time only).
    [survey] = [m for m in mailoutbox if m.to == ["alice@acme.test"] and "How did we do?" in m.subject]
    path = re.search(r"https?://[^/\s]+(/tickets/satisfaction/\S+/\?rating=bad)", survey.body).group(1)
    visitor = portal.new_page()
    visitor.goto(portal.url(path))
    expect(visitor.get_by_test_id("rated")).to_contain_text("Your rating: Good, I'm satisfied.")
    expect(visitor.get_by_test_id("rated")).to_contain_text("This request has been rated already.")

    # Staff read it on the ticket.
    staff = portal.sign_in("agent@demo.test")
    staff.goto(portal.url(f"/tickets/{ticket.pk}/work/"))
    expect(staff.get_by_test_id("satisfaction")).to_contain_text("good")
    expect(staff.get_by_test_id("satisfaction")).to_contain_text("Orders flow again")
