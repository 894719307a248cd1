"""The portal end to end in headless chromium, on the demo data, against the live server.

Each journey starts from `seed_demo` (the `demo` fixture) and ends with a screenshot of its last page in
test-artifacts/. Assertions read what a person sees; the database is read only to learn ids and stored deadlines
(never to stand in for a page), and expected values come from the app's own code, not hard-coded dates.
"""

import datetime
import re
import time
import zoneinfo

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")
SUBJECT = "Shopify orders stopped reaching the warehouse"
DESCRIPTION = "Since 08:00 no Shopify order has been sent to ShipBob; about 120 orders are waiting. Order #1042."


def _pt(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(PACIFIC)


def _by(moment: datetime.datetime) -> str:
    """How the portal states a deadline's moment to a reader in Pacific time: 'by Tue 01 Dec 2026, 10:00 PST.'"""
    local = _pt(moment)
    return f"by {local:%a %d %b %Y, %H:%M} {local.tzname()}."


def _datetime_attr(locator) -> datetime.datetime:
    return datetime.datetime.fromisoformat(locator.get_attribute("datetime"))


# 1 ---------------------------------------------------------------------------------------------------------------


def test_customer_reads_an_article_opens_a_ticket_sees_its_deadline_and_replies(portal):
    from tickets.forms import PRIORITY_HELP
    from tickets.models import Ticket

    page = portal.sign_in("alice@acme.test")
    expect(page.get_by_test_id("current-organization")).to_have_text("Acme Outfitters")

    # Self-help first: the search answers as she types (htmx), then she reads the article.
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Knowledge base").click()
    page.get_by_label("Search the help articles").fill("which priority")
    results = page.locator("#kb-results")
    expect(results.get_by_role("heading", name=re.compile("articles? for “which priority”"))).to_be_visible()
    results.get_by_role("link", name="Choosing the right priority for a support request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choosing the right priority for a support request")
    expect(page.locator(".article-body")).to_contain_text("Requests sent by plain email are handled as Normal")

    # Still stuck: the article leads to the Support Request Form.
    page.get_by_role("link", name="Open a support request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New support request")
    expect(page.locator("main")).to_contain_text("Acme Outfitters · Standard support")
    with page.expect_response(re.compile(r"/tickets/new/targets/")):
        page.locator("#kind-incident").check()  # the targets are fetched again for the kind
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Description").fill(DESCRIPTION)

    # Before sending: every priority explains itself and states the deadline a request sent now would get.
    options = page.get_by_test_id("priority-options")
    for value, (meaning, examples) in PRIORITY_HELP.items():
        label = options.locator(f"label[for='priority-{value}']")
        expect(label).to_be_visible()
        expect(label).to_contain_text(meaning)
        expect(label).to_contain_text(f"For example: {examples}")
    targets = {"urgent": 6, "high": 10, "normal": 16, "low": 24}  # SPEC, Standard column
    for value, hours in targets.items():
        expect(page.get_by_test_id(f"target-{value}")).to_have_text(
            re.compile(
                rf"^We answer within {hours} business hours: by \w{{3}} \d\d \w{{3}} \d{{4}}, \d\d:\d\d P[SD]T\.$"
            )
        )
    page.locator("#priority-urgent").check()
    preview = page.get_by_test_id("target-urgent").inner_text()
    portal.screenshot(page, "journey1a-support-request-form")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert")).to_contain_text("received.")

    ticket = Ticket.objects.get(subject=SUBJECT)
    due = ticket.first_response_due_at
    assert (ticket.priority, ticket.kind, ticket.tier) == ("urgent", "incident", "standard")
    expect(page.get_by_role("alert")).to_have_text(
        f"Request #{ticket.pk} received. We answer within 6 business hours: {_by(due)}"
    )
    # The form's promise is the deadline the ticket got (it was shown a few seconds before the ticket arrived).
    assert preview in {
        f"We answer within 6 business hours: {_by(due - datetime.timedelta(minutes=m))}" for m in (0, 1, 2)
    }

    # Her tickets list the new one with its deadline, still running.
    page.get_by_role("link", name="My tickets").click()
    row = page.get_by_test_id("ticket-list").locator("tbody tr", has_text=SUBJECT)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text("Urgent")
    deadline = row.locator("td").nth(5)
    assert _datetime_attr(deadline.locator("time")) == due
    expect(deadline).to_contain_text(f"{_pt(due):%a %d %b %Y, %H:%M}")
    expect(deadline).to_contain_text("business hours")
    expect(row.locator("td").nth(6)).to_contain_text(
        re.compile(r"\d+ (business (hours?|minutes?)( \d+ min)?|min|h( \d\d min)?|d( \d+ h)?) left")
    )

    # She adds a detail; her own message does not stop the clock.
    row.get_by_role("link", name=SUBJECT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{ticket.pk} {SUBJECT}")
    page.get_by_label("Your reply").fill("It also affects orders from our wholesale store.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("alert")).to_have_text("Your reply was added.")
    expect(page.locator("article", has_text="It also affects orders from our wholesale store.")).to_contain_text(
        "Alice Acme"
    )
    expect(page.get_by_test_id("deadline-state")).to_contain_text("left")
    expect(page.get_by_test_id("deadline-state")).to_contain_text(f"Due {_pt(due):%a %d %b %Y, %H:%M}")
    portal.screenshot(page, "journey1-customer-ticket")


# 2 ---------------------------------------------------------------------------------------------------------------


def test_support_engineer_signs_in_with_mfa_and_answers_the_ticket_at_the_top_of_the_queue(portal, settings):
    from allauth.mfa import app_settings as mfa_settings
    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

    from portal.models import User
    from tickets import services as ticket_services

    # Journey 1's ticket, opened the way the form opens it: Acme (Standard), urgent, through the portal.
    alice = User.objects.get(email="alice@acme.test")
    ticket = ticket_services.ticket_open(
        organization=alice.organization,
        requester=alice,
        subject=SUBJECT,
        description=DESCRIPTION,
        kind="incident",
        priority="urgent",
        channel="portal",
    )
    # Support staff must use a second factor (the production setting); the engineer has enrolled an authenticator.
    settings.MFA_REQUIRED_FOR_STAFF = True
    secret = generate_totp_secret()
    TOTP.activate(User.objects.get(email="agent@demo.test"), secret)

    page = portal.sign_in("agent@demo.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    # The code of the current 30-second step, as the engineer's authenticator app shows it; allauth accepts only the
    # current step by default, so a step about to end is waited out.
    left_in_step = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left_in_step < 3:
        time.sleep(left_in_step)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
    page.get_by_label("Code").fill(code)
    portal.screenshot(page, "journey2a-second-factor")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support workspace")

    # The queue runs soonest deadline first (breached demo tickets lead it). New urgent work nobody has taken
    # yet is what the engineer picks up: with that filter the new ticket is at the top.
    page.get_by_role("link", name="Queue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")
    queue = page.get_by_test_id("queue")
    waiting = [  # (deadline, ticket) of the rows whose clock runs: the part of the queue ordered by deadline
        (_datetime_attr(row.locator("td time").first), int(row.get_attribute("data-ticket")))
        for row in queue.locator("tbody tr").all()
        if re.search(r"breached|left", row.locator("[data-col=state]").inner_text())
    ]
    assert [d for d, _ in waiting] == sorted(d for d, _ in waiting)
    assert (ticket.first_response_due_at, ticket.pk) in waiting
    page.get_by_label("Priority").select_option(label="Urgent")
    page.get_by_label("Assignee").select_option(label="Unassigned")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"priority=urgent.*assignee=none"))
    top = queue.locator("tbody tr").first
    expect(top).to_have_attribute("data-ticket", str(ticket.pk))
    expect(top).to_contain_text("Acme Outfitters")
    expect(top.locator("[data-col=state]")).to_contain_text("left")
    top.get_by_role("link", name=SUBJECT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{ticket.pk} {SUBJECT}")
    state = page.get_by_test_id("deadline-state")
    expect(state).to_contain_text("left")

    # An internal note: the clock keeps running.
    form = page.get_by_test_id("reply-form")
    form.get_by_label("Internal note (staff only)").check()
    form.get_by_label("Your reply").fill("Webhook deliveries from Shopify fail with 401 since 07:58: token rotated?")
    form.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Internal note added.")
    expect(page.locator("article", has_text="token rotated?")).to_contain_text("internal note")
    expect(state).to_contain_text("left")
    expect(page.locator("aside")).not_to_contain_text("Answered")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None

    # The public reply is the first response: the clock stops within the target.
    form.get_by_label("Public reply to the customer").check()
    form.get_by_label("Your reply").fill(
        "Shopify rotated your access token; we reconnected it and the orders flow again."
    )
    form.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Reply sent to the customer.")
    expect(state).to_have_text("met")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None and ticket.first_response_at <= ticket.first_response_due_at
    expect(page.locator("aside")).to_contain_text(f"Answered {_pt(ticket.first_response_at):%a %d %b %Y, %H:%M}")
    portal.screenshot(page, "journey2-support-engineer")


# 3 ---------------------------------------------------------------------------------------------------------------


def test_solution_architect_logs_hours_the_customer_sees_the_balance_and_a_foreign_connector_is_quoted(portal):
    from contracts.models import Connector
    from hours.models import TimeEntry
    from hours.selectors import hours_summary
    from portal.models import Organization
    from portal.templatetags.portal_format import hours
    from tickets.models import Ticket

    globex = Organization.objects.get(name="Globex Retail")
    before = hours_summary(globex)
    ticket = Ticket.objects.get(organization=globex, subject="Split shipments between two warehouses")
    assert ticket.kind == "configuration_request"

    page = portal.sign_in("sa@demo.test")
    portal.menu(page).get_by_role("link", name="Queue", exact=True).click()
    page.get_by_label("Organization").select_option(label="Globex Retail")
    page.get_by_label("Kind").select_option(label="Configuration request")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_test_id("queue").get_by_role("link", name=ticket.subject).click()
    page.get_by_test_id("log-time").click()
    expect(page.locator("main")).to_contain_text(f"For ticket #{ticket.pk} of Globex Retail: {ticket.subject}")
    page.get_by_label("Category").select_option(label="Custom Field Mapping")
    page.get_by_label("Minutes").fill("90")
    page.get_by_label("Note").fill("Mapped the warehouse split flag to a NetSuite custom field.")
    page.get_by_role("button", name="Log time").click()
    remaining = before["remaining"] - 90
    expect(page.get_by_role("alert")).to_have_text(
        f"Logged 90 minutes for Globex Retail (90 debited). {hours(remaining)} h left this contract year."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{ticket.pk} {ticket.subject}")  # back on the ticket

    # Integration Support for a connector the contract does not include: refused, and a quote is offered.
    entries = TimeEntry.objects.filter(organization=globex).count()
    page.get_by_test_id("log-time").click()
    page.get_by_label("Category").select_option(label="Integration Support")
    page.get_by_label("Connector").select_option(label="Amazon")
    page.get_by_label("Minutes").fill("60")
    page.get_by_role("button", name="Log time").click()
    refusal = page.get_by_test_id("refusal")
    expect(refusal).to_have_attribute("data-code", "connector_not_in_contract")
    expect(refusal).to_contain_text(
        "Not logged: The Amazon connector is not in Globex Retail's contract: Integration Support covers the "
        "contract's connectors only. A new connector is a new project: request a quote instead."
    )
    assert TimeEntry.objects.filter(organization=globex).count() == entries
    # The page is still one working form (the offer's own form is not nested in it): its script shows what
    # Integration Support uses (the connector, an engagement if the work is an onboarding's) and hides it for
    # another category.
    expect(page.locator("[data-field=connector]")).to_be_visible()
    expect(page.locator("[data-field=engagement]")).to_be_visible()
    expect(page.get_by_label("Connector")).to_have_value(str(Connector.objects.get(name="Amazon").pk))
    page.get_by_label("Category").select_option(label="System Setup")
    expect(page.locator("[data-field=connector]")).to_be_hidden()
    expect(page.locator("[data-field=engagement]")).to_be_hidden()
    expect(page.locator("[data-field=work_mode]")).to_be_hidden()
    portal.screenshot(page, "journey3a-refused-connector")
    page.get_by_test_id("quote-request").click()
    expect(page.get_by_role("alert")).to_contain_text("Quote request #")
    quote = Ticket.objects.get(organization=globex, kind="connector_quote")
    expect(page.get_by_role("alert")).to_have_text(
        f"Quote request #{quote.pk} is open for Globex Retail: Amazon connector."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"#{quote.pk} ")
    assert TimeEntry.objects.filter(organization=globex).count() == entries

    # The customer admin sees the new balance on her statement and on her dashboard.
    used = before["used"] + 90
    percent = min(100, round(used * 100 / before["allotted"]))
    customer = portal.sign_in("gina@globex.test")
    customer.get_by_role("link", name="Hours", exact=True).click()
    expect(customer.get_by_test_id("used")).to_have_text(f"{hours(used)} h")
    expect(customer.get_by_test_id("remaining")).to_have_text(f"{hours(remaining)} h")
    latest = customer.get_by_test_id("entries").locator("tbody tr", has_text="Mapped the warehouse split flag")
    expect(latest).to_contain_text("Custom Field Mapping")
    expect(latest).to_contain_text("1.5")
    expect(customer.get_by_test_id("entries")).not_to_contain_text("Amazon")
    customer.get_by_role("link", name="Dashboard").click()
    progress = customer.get_by_test_id("hours-progress")
    expect(progress).to_contain_text(f"{hours(used)} of {hours(before['allotted'])} h used")
    expect(progress).to_contain_text(f"{hours(remaining)} h left")
    expect(progress.get_by_role("progressbar")).to_have_attribute("aria-valuenow", str(percent))
    portal.screenshot(customer, "journey3-customer-hours")


# 4 ---------------------------------------------------------------------------------------------------------------


def test_account_manager_adds_premium_the_customer_sees_24_7_targets_and_the_history_names_the_change(portal):
    page = portal.sign_in("am@demo.test")
    page.get_by_role("link", name="Accounts").click()
    page.get_by_test_id("account-acme-outfitters").get_by_role("link", name=re.compile("Growth")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contract of Acme Outfitters")
    page.get_by_role("link", name="Edit contract").click()
    page.get_by_label("Premium Support").check()
    page.get_by_label("Escalation channel").fill("phone +1 555 0142 (Acme on-call)")
    page.get_by_role("button", name="Save contract").click()
    expect(page.get_by_role("alert")).to_have_text("The contract of Acme Outfitters was saved.")
    contract_url = page.url

    # Acme's dashboard: 24/7 coverage and the Premium targets next to the Standard ones.
    customer = portal.sign_in("alice@acme.test")
    expect(customer.get_by_test_id("tier")).to_contain_text("Premium 24/7")
    expect(customer.get_by_test_id("coverage")).to_have_text("around the clock, every day of the year")
    targets = customer.get_by_test_id("targets")
    for priority, premium in (("Urgent", "30 minutes"), ("High", "12 hours"), ("Normal", "3 days"), ("Low", "3 days")):
        expect(targets.locator("tr", has_text=priority)).to_contain_text(f"{premium} (premium)")
    expect(targets.locator("tr", has_text="Urgent")).to_contain_text("6 business hours (standard)")
    expect(customer.get_by_test_id("channels")).to_contain_text("phone +1 555 0142 (Acme on-call)")

    # The contract's history: what changed, when, and the account manager's name.
    page.goto(contract_url)
    history = page.get_by_test_id("history")
    added = history.locator("tbody tr", has_text="Add-on Premium Support created")
    expect(added).to_have_count(1)
    expect(added).to_contain_text("Morgan Manager")
    changed = history.locator("tbody tr", has_text="Escalation channel")
    expect(changed.first).to_contain_text("Morgan Manager")
    expect(changed.first).to_contain_text("Contract changed")
    expect(changed.first).to_contain_text("Escalation channel: — → phone +1 555 0142 (Acme on-call)")
    portal.screenshot(page, "journey4-contract-history")


# 5 ---------------------------------------------------------------------------------------------------------------


def test_organization_admin_invites_a_colleague_who_accepts_sets_a_password_and_signs_in(portal, mailoutbox):
    new_password = "Warehouse-window-42"
    page = portal.sign_in("alice@acme.test")
    page.get_by_role("link", name="Members").click()
    invite = page.locator("section", has=page.get_by_role("heading", name="Invite a colleague"))
    invite.get_by_label("Email").fill("carol@acme.test")
    invite.get_by_label("Role").select_option(label="Member")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Invitation sent to carol@acme.test.")
    expect(page.locator("section", has_text="Pending invitations")).to_contain_text("carol@acme.test")

    # The live server runs in this process: its mail lands in the locmem outbox (after the demo's notifications).
    [message] = [m for m in mailoutbox if m.to == ["carol@acme.test"]]
    assert message.subject == "[Support] Alice Acme invites you to the support portal of Acme Outfitters"
    # The link is absolute to SITE_URL; the path is what matters on the live server.
    path = re.search(r"https?://[^/\s]+(/invitations/[\w-]+/)", message.body).group(1)

    colleague = portal.new_page()
    colleague.goto(portal.url(path))
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(colleague.get_by_role("alert")).to_contain_text("You are invited to join Acme Outfitters as member.")
    expect(colleague.get_by_label("Email")).to_have_value("carol@acme.test")
    expect(colleague.get_by_label("Email")).to_have_attribute("readonly", "")
    colleague.get_by_label("Your name").fill("Carol Colleague")
    colleague.get_by_label("Password", exact=True).fill(new_password)
    colleague.get_by_label("Password (again)").fill(new_password)
    portal.screenshot(colleague, "journey5a-create-account")
    colleague.get_by_role("button", name="Create my account").click()
    expect(colleague.get_by_test_id("current-organization")).to_have_text("Acme Outfitters")

    # She signs out and back in with the password she chose.
    colleague.get_by_role("button", name="Sign out").click()
    expect(colleague).to_have_url(re.compile(r"/accounts/login/"))
    portal.sign_in("carol@acme.test", new_password, page=colleague)
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Acme Outfitters")
    expect(colleague.get_by_test_id("current-user")).to_contain_text("Carol Colleague")
    expect(colleague.get_by_role("link", name="Members")).to_have_count(0)  # a member, not an admin
    portal.screenshot(colleague, "journey5-new-colleague")


# 6 ---------------------------------------------------------------------------------------------------------------


def test_customer_compares_levels_asks_for_enterprise_the_am_accepts_and_applies_it_and_the_targets_change(
    portal, mailoutbox
):
    from contracts.models import ChangeRequest

    note = "Our ERP goes live in March: we need faster answers and help with the setup."
    page = portal.sign_in("alice@acme.test")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Contract").click()
    page.get_by_test_id("compare-levels").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare support levels")
    expect(page.get_by_test_id("current-level")).to_have_text("Standard support")
    levels = page.get_by_test_id("levels")
    expect(levels.locator("thead")).to_contain_text("your tier")
    expect(levels.locator("tr", has_text="Not included")).to_contain_text("Configuration assistance")
    targets = page.get_by_test_id("level-targets")
    expect(targets.locator("tr", has_text="Urgent")).to_contain_text("6 business hours")
    expect(targets.locator("tr", has_text="Urgent")).to_contain_text("4 business hours")
    expect(targets.locator("tr", has_text="Urgent")).to_contain_text("30 minutes")
    # Her own requests of the last 90 days, each with the deadline it had and the one Enterprise would have given.
    expect(page.get_by_test_id("what-if-summary")).to_contain_text("would have had an earlier deadline")
    row = page.get_by_test_id("what-if").locator("tbody tr", has_text="Shopify orders not reaching the warehouse")
    expect(row.locator("td").nth(3)).to_contain_text("10 business hours")
    expect(row.locator("td").nth(4)).to_contain_text("8 business hours")
    portal.screenshot(page, "journey6a-compare-levels")

    # She asks for Enterprise support.
    page.get_by_label("Enterprise support", exact=True).check()
    page.get_by_label("Tell us more").fill(note)
    page.get_by_role("button", name="Send to my account manager").click()
    request = ChangeRequest.objects.filter(note=note).get()
    expect(page.get_by_role("alert")).to_have_text(
        f"Your request for enterprise support was sent to your account manager (request #{request.pk})."
    )
    expect(page.get_by_test_id("change-status")).to_have_text("Requested")
    assert [m.subject for m in mailoutbox if m.to == ["am@demo.test"]][-1] == (
        f"Acme Outfitters asks for enterprise support (request #{request.pk})"
    )

    # The account manager lands on their home, finds the request and accepts it.
    manager = portal.sign_in("am@demo.test")
    expect(manager).to_have_url(re.compile(r"/manager/$"))
    expect(manager.get_by_role("heading", level=1)).to_have_text("Your accounts")
    expect(manager.get_by_test_id("home-requests")).to_contain_text("Acme Outfitters: Enterprise support")
    expect(manager.get_by_test_id("attainment-acme-outfitters")).to_be_visible()
    portal.screenshot(manager, "journey6a-manager-home")
    manager.get_by_test_id("home-requests").locator(f"a[href='/contracts/changes/{request.pk}/']").click()
    expect(manager.get_by_test_id("change-note")).to_have_text(note)
    manager.get_by_label("Accepted").check()
    manager.get_by_label("Your answer to the customer").fill("Enterprise support starts today; I'll add your SA hours.")
    manager.get_by_role("button", name="Send the answer").click()
    expect(manager.get_by_role("alert")).to_have_text("Answered: accepted. The customer was emailed.")

    # Accepting leads to the contract edit, which opens with the change in place.
    manager.get_by_test_id("apply-change").click()
    expect(manager.get_by_test_id("applying")).to_contain_text(f"Applying change request #{request.pk}")
    expect(manager.get_by_label("Enterprise Support")).to_be_checked()
    manager.get_by_label("Solution Architect hours a year").fill("20")
    manager.get_by_role("button", name="Save contract").click()
    expect(manager.get_by_role("alert")).to_have_text("The contract of Acme Outfitters was saved.")
    history = manager.get_by_test_id("history")
    expect(history.locator("tbody tr", has_text="Add-on Enterprise Support created")).to_contain_text(
        f"Applies change request #{request.pk} (Enterprise support)"
    )
    expect(
        history.locator("tbody tr", has_text=f"Change request #{request.pk} (Enterprise support) answered")
    ).to_contain_text("Status: Requested → Accepted")
    portal.screenshot(manager, "journey6b-contract-history")

    # Acme's admin sees the answer and her new targets.
    page.reload()
    expect(page.get_by_test_id("change-status")).to_have_text("Accepted")
    expect(page.get_by_test_id("change-applied")).to_have_text("applied")
    expect(page.get_by_test_id("change-response")).to_contain_text("Enterprise support starts today")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Contract").click()
    expect(page.get_by_test_id("tier")).to_contain_text("Enterprise")
    targets = page.get_by_test_id("targets")
    for priority, target in (("Urgent", "4"), ("High", "8"), ("Normal", "12"), ("Low", "24")):
        expect(targets.locator("tr", has_text=priority)).to_contain_text(f"{target} business hours (enterprise)")
    customer_mail = [m.subject for m in mailoutbox if m.to == ["alice@acme.test"]]
    assert "Your request for enterprise support: accepted" in customer_mail
    assert "Your contract now includes enterprise support" in customer_mail
    portal.screenshot(page, "journey6-new-targets")
