"""Reports, customers' own attainment and the API documentation in headless chromium, at 1366 px and on a phone
(390 px), with screenshots in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _page(portal, viewport):
    return portal.new_page(viewport)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "1366"), (PHONE, "390")])
def test_staff_read_the_reports_charts_and_their_tables(portal, viewport, name):
    page = portal.sign_in("admin@demo.test", page=_page(portal, viewport))
    page.goto(portal.url("/tickets/reports/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    charts = page.locator("figure.chart")
    expect(charts).to_have_count(8)
    expect(page.get_by_test_id("chart-volume").locator("svg[role=img] rect").first).to_be_attached()
    volume = page.get_by_test_id("chart-volume")
    volume.get_by_text("Table view").click()
    expect(volume.locator("table")).to_contain_text("Kind")
    expect(volume.get_by_role("link", name=re.compile("CSV"))).to_have_attribute("href", re.compile(r"csv=volume"))
    page.get_by_label("Tier", exact=True).select_option("enterprise")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"tier=enterprise"))
    assert _no_sideways_scroll(page)
    portal.screenshot(page, f"reports-{name}")


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "1366"), (PHONE, "390")])
def test_a_customer_admin_reads_their_own_response_times(portal, viewport, name):
    page = portal.sign_in("alice@acme.test", page=_page(portal, viewport))
    page.get_by_test_id("attainment-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Outfitters: how we answered you")
    expect(page.get_by_test_id("quarters")).to_contain_text("Q")
    expect(page.get_by_test_id("chart-attainment").locator("svg[role=img]")).to_be_visible()
    expect(page.get_by_test_id("missed")).to_be_visible()
    assert _no_sideways_scroll(page)
    portal.screenshot(page, f"customer-attainment-{name}")


def test_a_member_is_told_who_their_admins_are(portal):
    page = portal.sign_in("bob@acme.test", page=_page(portal, DESKTOP))
    page.goto(portal.url("/tickets/attainment/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("This page is not available to you")
    expect(page.get_by_test_id("your-admins")).to_contain_text("alice@acme.test")
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    portal.screenshot(page, "member-refused-1366")


def test_the_api_documentation_shows_the_operations(portal):
    page = _page(portal, DESKTOP)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(portal.url("/api/docs/"))
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator("#swagger-ui")).to_contain_text("/api/v1/tickets/")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    portal.screenshot(page, "api-docs-1366")


def test_redoc_shows_the_operations_under_the_policy(portal):
    """ReDoc from our own static files: it may draw its own styles, but no script from elsewhere or inline."""
    page = _page(portal, DESKTOP)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(portal.url("/api/redoc/"))
    expect(page.locator(".api-content")).to_contain_text("/api/v1/tickets/", timeout=20000)
    # ReDoc's "powered by" logo comes from its CDN: the policy blocks that image, as it should. No script or
    # style of ReDoc's may be refused.
    refused = [e for e in errors if "Content Security Policy" in e and "Loading the image" not in e]
    assert not refused, errors
    # ReDoc draws the whole reference as one page, tens of thousands of pixels tall: its first screen is the
    # picture a person checks (a full-page capture takes chromium longer than the screenshot's 10 s here).
    portal.screenshot(page, "api-redoc-1366", full_page=False)


def test_the_queue_and_the_ticket_list_read_on_a_phone(portal):
    staff = portal.sign_in("agent@demo.test", page=_page(portal, PHONE))
    staff.goto(portal.url("/tickets/queue/"))
    first = staff.get_by_test_id("queue").locator("tbody tr").first
    expect(first.locator("[data-col=deadline]")).to_have_attribute("data-label", "Deadline")
    assert _no_sideways_scroll(staff)
    portal.screenshot(staff, "queue-390")
    customer = portal.sign_in("alice@acme.test", page=_page(portal, PHONE))
    customer.goto(portal.url("/tickets/"))
    expect(customer.get_by_test_id("ticket-list").locator("tbody tr").first.locator("td").first).to_have_attribute(
        "data-label", "#"
    )
    assert _no_sideways_scroll(customer)
    portal.screenshot(customer, "ticket-list-390")


def test_the_hours_statement_and_the_ledger_read_on_a_phone(portal):
    from contracts.models import Contract

    customer = portal.sign_in("gina@globex.test", page=_page(portal, PHONE))
    customer.goto(portal.url("/hours/statement/"))
    expect(customer.get_by_role("heading", level=1)).to_be_visible()
    assert _no_sideways_scroll(customer)
    portal.screenshot(customer, "hours-statement-390")
    contract = Contract.objects.get(organization__name="Globex Retail")
    manager = portal.sign_in("am@demo.test", page=_page(portal, PHONE))
    manager.goto(portal.url(f"/hours/contracts/{contract.pk}/ledger/"))
    expect(manager.get_by_role("heading", level=1)).to_be_visible()
    expect(manager.locator("table tbody tr").first).to_be_visible()
    assert _no_sideways_scroll(manager)
    portal.screenshot(manager, "ledger-390")
