"""The ticket workspace: one form and one submit, whose turn it is, macros, tags, merge, people copied,
the customer's context and the collision notice."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from portal.models import Article, Category, Organization
from portal.refusals import Refusal
from portal.services import article_save
from tests.clock import pt
from tickets import macros, selectors, services, workspace
from tickets.models import Attachment, Comment, Macro, Tag, Ticket, TicketEvent, TicketPresence, WaitingOn

pytestmark = pytest.mark.django_db
MORNING = pt(2026, 12, 1, 8, 0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ticket(enterprise):
    organization, customer = enterprise
    return services.ticket_open(
        organization=organization,
        requester=customer,
        subject="NetSuite sync stopped",
        description="Since 9am no order reached NetSuite.",
        kind="incident",
        priority="high",
        now=MORNING,
    )


def _form(ticket, **changes):
    data = {
        "visibility": "public",
        "body": "",
        "status": ticket.status,
        "assignee": ticket.assignee_id or "",
        "priority": ticket.priority,
        "priority_reason": "",
        "tags": "",
    }
    data.update(changes)
    return data


# One form, one submit -----------------------------------------------------------------------------------


def test_reply_status_assignee_priority_and_tags_in_one_submit(client, ticket, support_engineer):
    client.force_login(support_engineer)
    url = reverse("tickets:staff_detail", args=[ticket.pk])
    response = client.post(
        url,
        _form(
            ticket,
            body="We restarted the connector; orders flow again.",
            assignee=support_engineer.pk,
            priority="urgent",
            priority_reason="Every order is blocked",
            tags="netsuite, Sync-Outage",
            then="pending_customer",
        ),
        follow=True,
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.priority) == ("pending_customer", support_engineer, "urgent")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["netsuite", "sync-outage"]
    reply = Comment.objects.get(ticket=ticket, is_staff_reply=True)
    assert reply.public and ticket.first_response_at == reply.created_at
    assert ticket.waiting_on == WaitingOn.CUSTOMER
    assert (
        "Tags saved. Assigned to Sam Agent. Priority changed; the deadline follows. Reply sent to the customer. "
        "Status: Pending customer." in response.content.decode()
    )
    kinds = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        "created",
        "tags_changed",
        "assigned",
        "priority_changed",
        "deadline_recomputed",
        "first_response",
        "status_changed",  # the reply opened the new ticket
        "status_changed",  # then it waits on the customer
    ]


def test_a_refused_part_undoes_the_whole_submit_and_keeps_what_was_typed(client, ticket, support_engineer):
    client.force_login(support_engineer)
    url = reverse("tickets:staff_detail", args=[ticket.pk])
    # A new ticket cannot become "new" again after the reply opened it? It can stay; but closed -> open cannot.
    response = client.post(
        url, _form(ticket, body="Draft answer", priority="low", tags="later", assignee=support_engineer.pk)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Say why the priority changes: the customer reads the reason." in page
    assert "Draft answer" in page  # nothing typed is lost
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee_id, ticket.first_response_at) == ("high", None, None)
    assert not ticket.tags.exists() and not Comment.objects.filter(body="Draft answer").exists()
    # A status the ticket cannot take: the reply, sent first, is undone with it.
    services.ticket_change_status(ticket=ticket, actor=support_engineer, status="solved")
    response = client.post(url, _form(ticket, status="solved", body="One more thing", then="on_hold"))
    assert response.status_code == 400
    assert "A solved ticket cannot become on hold." in response.content.decode()
    assert not Comment.objects.filter(body="One more thing").exists()


def test_an_internal_note_keeps_the_clock_and_the_turn(client, ticket, support_engineer):
    client.force_login(support_engineer)
    response = client.post(
        reverse("tickets:staff_detail", args=[ticket.pk]),
        _form(ticket, visibility="internal", body="Looks like a token rotation."),
        follow=True,
    )
    assert "Internal note added." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.waiting_on == WaitingOn.US
    assert ticket.waiting_since == MORNING


def test_nothing_to_save_says_so(client, ticket, support_engineer):
    client.force_login(support_engineer)
    response = client.post(reverse("tickets:staff_detail", args=[ticket.pk]), _form(ticket), follow=True)
    assert "Nothing to save: write a reply or change a field." in response.content.decode()


def test_the_workspace_has_a_keyboard_shortcut_in_a_static_file(client, ticket, support_engineer):
    client.force_login(support_engineer)
    page = client.get(reverse("tickets:staff_detail", args=[ticket.pk])).content.decode()
    assert '<script src="/static/tickets/workspace.js"></script>' in page
    assert 'data-shortcut="send"' in page and 'data-shortcut="send-pending"' in page
    assert "<script>" not in page  # nothing inline: the content security policy forbids it
    from django.contrib.staticfiles import finders

    script = open(finders.find("tickets/workspace.js")).read()  # noqa: PTH123, SIM115
    assert 'event.key !== "Enter" || !(event.ctrlKey || event.metaKey)' in script


# Whose turn it is ---------------------------------------------------------------------------------------


def test_waiting_on_us_and_on_the_customer_follow_the_public_messages(ticket, enterprise, support_engineer, client):
    _, customer = enterprise
    assert (ticket.waiting_on, ticket.waiting_since) == (WaitingOn.US, MORNING)
    services.comment_add(ticket=ticket, author=support_engineer, body="Checking.", now=MORNING + dt.timedelta(hours=1))
    ticket.refresh_from_db()
    assert (ticket.waiting_on, ticket.waiting_since) == (WaitingOn.CUSTOMER, MORNING + dt.timedelta(hours=1))
    assert ticket.sla_state(now=MORNING + dt.timedelta(hours=2)) == "met"
    # The customer writes twice: the waiting runs from the first message.
    services.comment_add(ticket=ticket, author=customer, body="Still down.", now=MORNING + dt.timedelta(hours=2))
    services.comment_add(ticket=ticket, author=customer, body="Any news?", now=MORNING + dt.timedelta(hours=3))
    ticket.refresh_from_db()
    assert (ticket.waiting_on, ticket.waiting_since) == (WaitingOn.US, MORNING + dt.timedelta(hours=2))
    assert ticket.queue_rank == 1 and ticket.queue_at == MORNING + dt.timedelta(hours=2)
    services.comment_add(ticket=ticket, author=support_engineer, body="Note", public=False)
    ticket.refresh_from_db()
    assert ticket.waiting_on == WaitingOn.US
    # Solved: nobody's turn; the customer's reply opens it again, waiting on us.
    services.ticket_change_status(
        ticket=ticket, actor=support_engineer, status="solved", now=MORNING + dt.timedelta(hours=4)
    )
    ticket.refresh_from_db()
    assert (ticket.waiting_on, ticket.solved_at) == ("", MORNING + dt.timedelta(hours=4))
    services.comment_add(ticket=ticket, author=customer, body="It broke again.", now=MORNING + dt.timedelta(hours=5))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.waiting_on, ticket.waiting_since) == ("open", "us", MORNING + dt.timedelta(hours=5))
    assert ticket.solved_at is None


def test_the_customers_list_shows_which_tickets_wait_on_them(client, ticket, enterprise, support_engineer):
    organization, customer = enterprise
    other = services.ticket_open(organization=organization, requester=customer, subject="Other", description="d")
    services.comment_add(ticket=ticket, author=support_engineer, body="Which store?")
    client.force_login(customer)
    page = client.get(reverse("tickets:list")).content.decode()
    row = page[page.index("NetSuite sync stopped") :]
    assert "Waiting on you" in row[: row.index("</tr>")]
    row = page[page.index(">Other<") :]
    assert "Waiting on you" not in row[: row.index("</tr>")]
    waiting = client.get(reverse("tickets:list"), {"status": "waiting"})
    assert [t.pk for t in waiting.context["tickets"]] == [ticket.pk]
    assert other.pk not in [t.pk for t in waiting.context["tickets"]]
    detail = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "We answered and are waiting for your reply." in detail


def test_the_customers_list_is_paginated_with_a_constant_query_count(client, enterprise, django_assert_max_num_queries):
    organization, customer = enterprise
    for i in range(3):
        services.ticket_open(organization=organization, requester=customer, subject=f"t{i}", description="d")
    client.force_login(customer)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("tickets:list"), {"status": "all", "q": "t1"})
    for i in range(55):
        services.ticket_open(organization=organization, requester=customer, subject=f"u{i}", description="d")
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = client.get(reverse("tickets:list"), {"status": "all"})
    assert len(first.context["tickets"]) == 50
    second = client.get(reverse("tickets:list"), {"status": "all", "page": 2})
    assert len(second.context["tickets"]) == 8
    assert not {t.pk for t in first.context["tickets"]} & {t.pk for t in second.context["tickets"]}
    assert client.get(reverse("tickets:list"), {"status": "everything"}).status_code == 400


# Macros -------------------------------------------------------------------------------------------------


@pytest.fixture
def macro(support_engineer):
    return macros.macro_save(
        actor=support_engineer,
        title="Need logs",
        body=(
            "Hello {customer_name},\nabout {ticket_number}: please send the export. "
            "We answer by {deadline}.\n{agent_name}"
        ),
        set_status="pending_customer",
        add_tags="needs-logs, Waiting",
    )


def test_a_macros_placeholders_are_filled_from_the_ticket(macro, ticket, enterprise, support_engineer):
    _, customer = enterprise
    customer.full_name = "Erin Enterprise"
    customer.time_zone = "Europe/Berlin"
    customer.save()
    ticket.refresh_from_db()
    text = macros.macro_text(macro, ticket=ticket, agent=support_engineer)
    # High, Enterprise: 8 business hours from Tue 08:00 Pacific = Tue 16:00 PST = Wed 01:00 in Berlin.
    assert text == (
        f"Hello Erin Enterprise,\nabout #{ticket.pk}: please send the export. "
        "We answer by Wed 02 Dec 2026, 01:00 CET.\nSam Agent"
    )
    assert macro.tag_list == ["needs-logs", "waiting"]


def test_a_macro_with_an_unknown_placeholder_or_tag_is_refused(support_engineer, client):
    with pytest.raises(Refusal) as refused:
        macros.macro_save(actor=support_engineer, title="Bad", body="Hi {name}")
    assert refused.value.errors == {
        "body": [
            "Unknown placeholder {name}. The placeholders are {customer_name}, {ticket_number}, {deadline}, "
            "{agent_name}."
        ]
    }
    client.force_login(support_engineer)
    response = client.post(
        reverse("tickets:macro_new"), {"title": "Bad", "body": "ok", "add_tags": "two words", "is_active": "on"}
    )
    assert response.status_code == 400
    assert "cannot be a tag" in response.content.decode()
    assert not Macro.objects.exists()


def test_staff_keep_macros_and_customers_cannot(client, support_engineer, enterprise, macro):
    client.force_login(support_engineer)
    assert "Need logs" in client.get(reverse("tickets:macros")).content.decode()
    response = client.post(
        reverse("tickets:macro_edit", args=[macro.pk]),
        {"title": "Need logs", "body": "Hi {customer_name}", "set_status": "", "add_tags": "", "is_active": "on"},
    )
    assert response.status_code == 302
    macro.refresh_from_db()
    assert (macro.body, macro.set_status, macro.updated_by) == ("Hi {customer_name}", "", support_engineer)
    client.force_login(enterprise[1])
    assert client.get(reverse("tickets:macros")).status_code == 403
    assert client.post(reverse("tickets:macro_delete", args=[macro.pk])).status_code == 403
    client.force_login(support_engineer)
    client.post(reverse("tickets:macro_delete", args=[macro.pk]))
    assert not Macro.objects.exists()


def test_applying_a_macro_fills_the_form_without_sending(client, macro, ticket, support_engineer):
    client.force_login(support_engineer)
    response = client.post(
        reverse("tickets:macro_apply", args=[ticket.pk]),
        {**_form(ticket, body="Thanks for the details.", tags="netsuite"), "macro": macro.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["body"].startswith("Thanks for the details.\n\nHello ")
    assert f"about #{ticket.pk}" in form.initial["body"]
    assert (form.initial["status"], form.initial["tags"]) == ("pending_customer", "netsuite, needs-logs, waiting")
    assert 'id="workspace-fields"' in response.content.decode()
    assert "<html" not in response.content.decode()  # a fragment for htmx
    assert not Comment.objects.filter(ticket=ticket, is_staff_reply=True).exists()
    # Without JavaScript the whole page comes back, filled in.
    page = client.post(
        reverse("tickets:macro_apply", args=[ticket.pk]), {**_form(ticket), "macro": macro.pk}
    ).content.decode()
    assert "<html" in page and "please send the export" in page
    assert client.post(reverse("tickets:macro_apply", args=[ticket.pk]), {"macro": "x"}).status_code == 404


# Tags ---------------------------------------------------------------------------------------------------


def test_tags_are_staff_only_and_filter_the_queue(client, ticket, enterprise, support_engineer):
    organization, customer = enterprise
    other = services.ticket_open(organization=organization, requester=customer, subject="Other", description="d")
    workspace.ticket_tags_set(ticket=ticket, actor=support_engineer, names="vip-account, netsuite")
    assert TicketEvent.objects.get(ticket=ticket, kind="tags_changed").public is False
    client.force_login(support_engineer)
    rows = client.get(reverse("tickets:queue"), {"tag": "vip-account"}).context["tickets"]
    assert [t.pk for t in rows] == [ticket.pk]
    assert other.pk in [t.pk for t in client.get(reverse("tickets:queue")).context["tickets"]]
    client.force_login(customer)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "vip-account" not in page and "Tags" not in page
    with pytest.raises(Exception):  # noqa: B017 -- PermissionDenied
        workspace.ticket_tags_set(ticket=ticket, actor=customer, names="mine")
    with pytest.raises(Refusal):
        workspace.ticket_tags_set(ticket=ticket, actor=support_engineer, names="no spaces please")
    assert set(Tag.objects.values_list("name", flat=True)) == {"vip-account", "netsuite"}


def test_a_ticket_read_with_its_tag_names_has_them_in_name_order(ticket, enterprise, support_engineer):
    """The tags read in the ticket's own query are the ticket's tags, in `Tag`'s order, on each database."""
    organization, customer = enterprise
    bare = services.ticket_open(organization=organization, requester=customer, subject="Bare", description="d")
    workspace.ticket_tags_set(ticket=ticket, actor=support_engineer, names="zeta, vip-account, alpha-2, netsuite")
    rows = {t.pk: t for t in selectors.with_tag_names(Ticket.objects.filter(pk__in=[ticket.pk, bare.pk]))}
    expected = list(Tag.objects.filter(tickets=ticket).values_list("name", flat=True))
    assert expected == ["alpha-2", "netsuite", "vip-account", "zeta"]
    assert rows[ticket.pk].tag_names == expected and selectors.tag_names(rows[ticket.pk]) == expected
    assert rows[bare.pk].tag_names == [] and selectors.tag_names(bare) == []
    # A ticket read without them asks its tags.
    assert selectors.tag_names(Ticket.objects.get(pk=ticket.pk)) == expected


# Merge --------------------------------------------------------------------------------------------------


def test_merge_moves_messages_and_files_keeps_the_earlier_deadline_and_closes_the_duplicate(
    client, enterprise, make_user, support_engineer
):
    organization, customer = enterprise
    colleague = make_user("dan@enterprise.test", organization=organization, full_name="Dan Colleague")
    # The survivor arrived later with a lower priority: the duplicate's deadline is the earlier one.
    duplicate = services.ticket_open(
        organization=organization,
        requester=colleague,
        subject="Orders stuck",
        description="Orders stuck since 7.",
        priority="urgent",
        attachments=[SimpleUploadedFile("log.txt", b"log")],
        now=MORNING,
    )
    services.comment_add(
        ticket=duplicate, author=colleague, body="Order 77 too.", now=MORNING + dt.timedelta(minutes=5)
    )
    services.comment_add(
        ticket=duplicate,
        author=support_engineer,
        body="Checking logs",
        public=False,
        now=MORNING + dt.timedelta(minutes=9),
    )
    survivor = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="NetSuite sync stopped",
        description="Sync down.",
        priority="normal",
        now=MORNING + dt.timedelta(minutes=30),
    )
    assert duplicate.first_response_due_at < survivor.first_response_due_at
    client.force_login(support_engineer)
    confirm = client.post(reverse("tickets:merge", args=[duplicate.pk]), {"merge-into": f"#{survivor.pk}"})
    assert confirm.status_code == 200 and "This cannot be undone." in confirm.content.decode()
    assert Ticket.objects.get(pk=duplicate.pk).status == "new"  # nothing yet
    client.post(reverse("tickets:merge", args=[duplicate.pk]), {"merge-into": survivor.pk, "confirm": "yes"})

    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("closed", survivor.pk)
    bodies = list(survivor.comments.filter(is_automatic=False).values_list("body", flat=True))
    assert bodies == [f"#{duplicate.pk} Orders stuck\n\nOrders stuck since 7.", "Order 77 too.", "Checking logs"]
    assert duplicate.comments.filter(is_automatic=False).count() == 0
    log = Attachment.objects.get(filename="log.txt")
    assert log.ticket_id == survivor.pk and log.comment.body.startswith(f"#{duplicate.pk} Orders stuck")
    assert survivor.first_response_due_at == duplicate.first_response_due_at
    assert survivor.sla_clock_start == duplicate.sla_clock_start
    assert (survivor.waiting_on, survivor.waiting_since) == ("us", MORNING)
    assert list(survivor.ccs.all()) == [colleague]
    assert TicketEvent.objects.get(ticket=duplicate, kind="merged").message == (
        f"Merged into #{survivor.pk} (NetSuite sync stopped): 3 messages and 1 attachment moved there."
    )
    assert TicketEvent.objects.get(ticket=survivor, kind="merged").message == (
        f"#{duplicate.pk} (Orders stuck) was merged into this ticket: 3 messages and 1 attachment moved here; "
        "Dan Colleague copied."
    )
    assert TicketEvent.objects.filter(ticket=survivor, kind="deadline_recomputed").exists()
    # The customer reads, on the duplicate, where the conversation went.
    client.force_login(colleague)
    page = client.get(reverse("tickets:detail", args=[duplicate.pk])).content.decode()
    assert "This request was merged into" in page and f"#{survivor.pk}" in page


def test_the_survivor_keeps_its_own_deadline_when_it_is_earlier(enterprise, support_engineer):
    organization, customer = enterprise
    survivor = services.ticket_open(
        organization=organization, requester=customer, subject="A", description="d", priority="urgent", now=MORNING
    )
    duplicate = services.ticket_open(
        organization=organization, requester=customer, subject="B", description="d", priority="low", now=MORNING
    )
    due = survivor.first_response_due_at
    workspace.ticket_merge(duplicate=duplicate, into=survivor, actor=support_engineer)
    survivor.refresh_from_db()
    assert survivor.first_response_due_at == due
    assert not survivor.ccs.exists()  # the same requester is not copied on their own ticket


def test_merge_is_refused_across_organizations_into_itself_or_a_closed_ticket(
    client, ticket, standard, enterprise, support_engineer
):
    other = services.ticket_open(organization=standard[0], requester=standard[1], subject="X", description="d")
    with pytest.raises(Refusal) as refused:
        workspace.ticket_merge(duplicate=ticket, into=other, actor=support_engineer)
    assert refused.value.code == "other_organization"
    with pytest.raises(Refusal) as refused:
        workspace.ticket_merge(duplicate=ticket, into=ticket, actor=support_engineer)
    assert refused.value.code == "merge_into_itself"
    closed = services.ticket_open(organization=enterprise[0], requester=enterprise[1], subject="C", description="d")
    services.ticket_change_status(ticket=closed, actor=support_engineer, status="closed")
    client.force_login(support_engineer)
    page = client.post(
        reverse("tickets:merge", args=[ticket.pk]), {"merge-into": closed.pk, "confirm": "yes"}, follow=True
    ).content.decode()
    assert f"#{closed.pk} is closed: merge into an open ticket." in page
    page = client.post(reverse("tickets:merge", args=[ticket.pk]), {"merge-into": "abc"}, follow=True).content.decode()
    assert "Write the number of a ticket, such as 1042." in page
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.merged_into_id is None


# People copied ------------------------------------------------------------------------------------------


def test_the_requester_and_staff_change_who_is_copied_within_the_organization(
    client, ticket, enterprise, make_user, gina, support_engineer
):
    organization, customer = enterprise
    dan = make_user("dan@enterprise.test", organization=organization, full_name="Dan")
    eve = make_user("eve@enterprise.test", organization=organization, full_name="Eve")
    client.force_login(customer)
    client.post(reverse("tickets:ccs", args=[ticket.pk]), {"ccs": [dan.pk, eve.pk]})
    assert set(ticket.ccs.all()) == {dan, eve}
    client.force_login(support_engineer)
    client.post(reverse("tickets:ccs", args=[ticket.pk]), {"cc-ccs": [eve.pk]})
    assert list(ticket.ccs.all()) == [eve]
    event = TicketEvent.objects.filter(ticket=ticket, kind="ccs_changed").last()
    assert event.message == "People copied: removed Dan." and event.public
    # Someone of another organization is refused, whoever asks.
    with pytest.raises(Refusal) as refused:
        workspace.ticket_ccs_set(ticket=ticket, actor=support_engineer, users=[eve, gina])
    assert refused.value.errors == {
        "ccs": ["Only active members of Enterprise Co can be copied on this ticket, not gina@globex.test."]
    }
    response = client.post(reverse("tickets:ccs", args=[ticket.pk]), {"cc-ccs": [gina.pk]}, follow=True)
    assert "Select a valid choice." in response.content.decode()
    assert list(ticket.ccs.all()) == [eve]
    # A member who is neither the requester nor an admin may not.
    client.force_login(dan)
    assert client.post(reverse("tickets:ccs", args=[ticket.pk]), {"ccs": [dan.pk]}).status_code == 403
    client.force_login(gina)
    assert client.post(reverse("tickets:ccs", args=[ticket.pk]), {"ccs": []}).status_code == 404
    assert list(ticket.ccs.all()) == [eve]


# The customer's context ---------------------------------------------------------------------------------


def test_the_side_panel_tells_the_customers_context(
    client, make_contract, make_user, account_manager, support_engineer, django_assert_max_num_queries
):
    organization = Organization.objects.create(name="Hooli", account_manager=account_manager)
    make_contract(
        organization, plan="enterprise", add_ons=["premium_support"], sa_hours=Decimal("40"), escalation="phone"
    )
    customer = make_user("gavin@hooli.test", organization=organization, full_name="Gavin", time_zone="Asia/Tokyo")
    older = services.ticket_open(organization=organization, requester=customer, subject="Older", description="d")
    services.ticket_change_status(ticket=older, actor=support_engineer, status="solved")
    other = services.ticket_open(organization=organization, requester=customer, subject="Other open", description="d")
    ticket = services.ticket_open(organization=organization, requester=customer, subject="This one", description="d")
    client.force_login(support_engineer)
    url = reverse("tickets:staff_detail", args=[ticket.pk])
    with django_assert_max_num_queries(60) as few:
        response = client.get(url)
    page = response.content.decode()
    context = response.context["customer"]
    assert [t.pk for t in context["other_open"]] == [other.pk] and context["other_open_count"] == 1
    assert [t.pk for t in context["recent"]] == [other.pk, older.pk]
    assert context["account_manager"] == account_manager
    assert context["hours"]["remaining"] == context["hours"]["allotted"] > 0
    assert 'data-testid="context-tier">Enterprise <span class="badge text-bg-warning">Premium 24/7</span>' in page
    assert "Premium Support" in page and "around the clock, every day" in page and "Morgan Manager" in page
    assert "(Asia/Tokyo)" in page and " JST" in context["local_time"]
    for i in range(15):
        services.ticket_open(organization=organization, requester=customer, subject=f"more {i}", description="d")
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # the tally, for more than ten to count
        response = client.get(url)
    assert len(response.context["customer"]["other_open"]) == 10
    assert response.context["customer"]["other_open_count"] == 16
    assert response.context["customer"]["other_open_more"] is True


def test_the_article_search_links_what_the_requester_can_read(client, ticket, support_engineer):
    category = Category.objects.create(name="Connectors")
    article_save(
        actor=support_engineer,
        title="Reconnecting NetSuite",
        body_markdown="Create a new token.",
        category=category,
        status=Article.Status.PUBLISHED,
    )
    article_save(
        actor=support_engineer,
        title="NetSuite draft",
        body_markdown="Not yet.",
        category=category,
        status=Article.Status.DRAFT,
    )
    client.force_login(support_engineer)
    page = client.get(reverse("tickets:article_lookup", args=[ticket.pk]), {"q": "netsuite"}).content.decode()
    assert 'data-insert-text="Reconnecting NetSuite: http://127.0.0.1:8000/kb/reconnecting-netsuite/"' in page
    assert "NetSuite draft" not in page


# Collision notice ---------------------------------------------------------------------------------------


def test_two_engineers_on_one_ticket_see_each_other(client, ticket, support_engineer, solution_architect, enterprise):
    url = reverse("tickets:presence", args=[ticket.pk])
    client.force_login(support_engineer)
    assert "is viewing" not in client.post(url, {"state": "viewing"}).content.decode()
    client.force_login(solution_architect)
    answer = client.post(url, {"state": "typing"}).content.decode()
    assert "<strong>Sam Agent</strong> is viewing this ticket too." in answer
    client.force_login(support_engineer)
    assert "<strong>Sasha Architect</strong> is typing a reply on this ticket." in client.post(url).content.decode()
    client.force_login(solution_architect)
    client.post(url, {"state": "gone"})
    client.force_login(support_engineer)
    assert "Sasha" not in client.post(url).content.decode()
    client.force_login(enterprise[1])
    assert client.post(url).status_code == 403


def test_a_presence_not_renewed_expires(ticket, support_engineer, solution_architect):
    workspace.presence_ping(ticket=ticket, user=solution_architect, state="typing", now=MORNING)
    later = MORNING + dt.timedelta(seconds=workspace.PRESENCE_SECONDS - 1)
    assert [
        p.user for p in workspace.presence_ping(ticket=ticket, user=support_engineer, state="viewing", now=later)
    ] == [solution_architect]
    much_later = MORNING + dt.timedelta(seconds=workspace.PRESENCE_SECONDS + 1)
    assert workspace.presence_ping(ticket=ticket, user=support_engineer, state="viewing", now=much_later) == []
    assert list(TicketPresence.objects.values_list("user_id", flat=True)) == [support_engineer.pk]


def test_the_workspace_polls_presence_with_htmx(client, ticket, support_engineer):
    client.force_login(support_engineer)
    page = client.get(reverse("tickets:staff_detail", args=[ticket.pk])).content.decode()
    assert f'hx-post="/tickets/{ticket.pk}/work/presence/" hx-trigger="load, every 5s, presence-changed"' in page


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("tickets:staff_detail", "get"),
        ("tickets:macro_apply", "post"),
        ("tickets:article_lookup", "get"),
        ("tickets:presence", "post"),
        ("tickets:merge", "post"),
    ],
)
def test_the_workspace_tools_are_for_staff_only(client, ticket, enterprise, name, method):
    client.force_login(enterprise[1])  # the ticket's own requester
    before = (Comment.objects.count(), TicketPresence.objects.count(), Ticket.objects.get(pk=ticket.pk).status)
    assert getattr(client, method)(reverse(name, args=[ticket.pk]), {"macro": 1, "merge-into": 1}).status_code == 403
    assert (Comment.objects.count(), TicketPresence.objects.count(), Ticket.objects.get(pk=ticket.pk).status) == before


def test_the_ticket_pages_keep_their_query_count_as_the_thread_grows(
    client, ticket, enterprise, support_engineer, django_assert_max_num_queries
):
    _, customer = enterprise
    customer_url = reverse("tickets:detail", args=[ticket.pk])

    def grow(n):
        for i in range(n):
            services.comment_add(
                ticket=ticket, author=customer, body=f"m{i}", attachments=[SimpleUploadedFile(f"f{i}.txt", b"x")]
            )
            services.comment_add(ticket=ticket, author=support_engineer, body=f"r{i}", public=i % 2 == 0)

    grow(2)
    client.force_login(customer)
    with django_assert_max_num_queries(40) as customer_few:
        client.get(customer_url)
    grow(15)
    with django_assert_max_num_queries(len(customer_few.captured_queries)):
        page = client.get(customer_url).content.decode()
    assert page.count("📎") == 17  # each public message's file, none of the notes'


# The workspace's queries: the user and their groups (2; the session is in the cache), the ticket with its tags
# (1), the contracts' change stamp (1: the entitlements, worked out when the ticket was opened, are kept under it),
# the thread and its files (2), the closure days of the support calendar (1: its clock runs), the people who may
# be copied (1), the side panel's other open tickets, SA hours and last tickets (3; the tally is asked only when
# there are more than ten other open tickets to count), the macros (1), the assignees (1) and the timeline (1),
# which also names the tickets merged into this one; staff have no membership to read. Not one more for a longer
# thread, more files, tags, people copied, merged tickets or tickets. Where the database keeps no contracts' stamp
# (SQLite, as `make test` runs without DATABASE_URL) the entitlements are read each time, six queries for the
# stamp's one; without Redis the session is read from the database too.
WORKSPACE_QUERIES = (
    14
    + (0 if connection.vendor == "postgresql" else 6 - 1)
    + (1 if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db" else 0)
)


def test_the_workspace_reads_a_fixed_number_of_queries_whatever_the_data(
    client,
    make_contract,
    make_user,
    account_manager,
    support_engineer,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    organization = Organization.objects.create(name="Hooli", account_manager=account_manager)
    make_contract(organization, plan="enterprise", sa_hours=Decimal("40"))
    customer = make_user("gavin@hooli.test", organization=organization, full_name="Gavin", time_zone="Asia/Tokyo")
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="This one",
        description="d",
        attachments=[SimpleUploadedFile("first.txt", b"x")],
    )
    url = reverse("tickets:staff_detail", args=[ticket.pk])
    client.force_login(support_engineer)
    with django_assert_num_queries(WORKSPACE_QUERIES):
        page = client.get(url).content.decode()
    assert "first.txt" in page and 'data-testid="cc-form"' not in page and "Nobody else in Hooli to copy" in page

    colleagues = [
        make_user(f"c{i}@hooli.test", organization=organization, full_name=f"Colleague {i}") for i in range(4)
    ]
    for i in range(12):
        services.comment_add(
            ticket=ticket, author=customer, body=f"m{i}", attachments=[SimpleUploadedFile(f"f{i}.txt", b"x")]
        )
        services.comment_add(
            ticket=ticket,
            author=support_engineer,
            body=f"r{i}",
            public=i % 2 == 0,
            attachments=[SimpleUploadedFile(f"n{i}.txt", b"x")],
        )
    workspace.ticket_tags_set(ticket=ticket, actor=support_engineer, names=[f"t{i}" for i in range(8)])
    workspace.ticket_ccs_set(ticket=ticket, actor=support_engineer, users=colleagues[:2])
    for i in range(14):
        services.ticket_open(organization=organization, requester=customer, subject=f"other {i}", description="d")
    duplicates = [
        services.ticket_open(organization=organization, requester=customer, subject=f"Dup {i}", description="d")
        for i in range(3)
    ]
    for duplicate in duplicates:
        workspace.ticket_merge(duplicate=duplicate, into=ticket, actor=support_engineer)
    Macro.objects.create(title="Thanks", body="Thank you.")
    # Answered now: no clock, no closure days; fourteen other open tickets: the tally counts them.
    with django_assert_max_num_queries(WORKSPACE_QUERIES):
        page = client.get(url).content.decode()
    assert page.count("📎") == 1 + 12 + 12  # the first message's file, and each message's and note's
    assert all(f"f{i}.txt" in page and f"n{i}.txt" in page for i in range(12))
    assert all(f"?tag=t{i}" in page for i in range(8))
    assert page.count('name="cc-ccs"') == 4 and page.count("checked") >= 2
    assert all(f'href="/tickets/{d.pk}/work/">#{d.pk}</a>' in page for d in duplicates)
    assert '<option value="' in page and ">Thanks</option>" in page
