"""What the ticket lists draw on every row: the deadline, its state badge, and the queue's whole row.

They are written in Python with format_html, as Django's admin writes its change-list rows, rather than as
included templates: the queue draws fifty rows a page, and the template engine took most of its time. They
read the attributes `selectors.with_clock` adds (`state`, `time_left_text`, `share_left`, `urgency`, `waited`).
"""

import functools

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from contracts.models import CalendarKind, Priority
from portal import clock
from portal.html import format_html, format_html_join
from portal.templatetags.portal_format import duration
from tickets.models import Kind, SlaState, Status, TicketChannel, WaitingOn
from tickets.selectors import tag_names

register = template.Library()
register.filter("tag_names", tag_names)  # the workspace's tags, read where the selectors read them

# Labels by stored value (a model's get_FOO_display() rebuilds its choices on every call).
KIND_LABELS = dict(Kind.choices)
CHANNEL_LABELS = {value: label.lower() for value, label in TicketChannel.choices}
PRIORITY_LABELS = dict(Priority.choices)
STATUS_LABELS = dict(Status.choices)

MET = mark_safe('<span class="badge text-bg-success">met</span>')
BREACHED = mark_safe('<span class="badge text-bg-danger">breached</span>')
NO_DEADLINE = mark_safe('<span class="text-secondary">—</span>')
ESCALATED = mark_safe(' <span class="badge text-bg-danger" data-testid="escalated">Escalated</span>')
PREMIUM = mark_safe(' <span class="badge text-bg-warning">Premium</span>')


@register.simple_tag
def sla_badge(ticket) -> str:
    """The state of the first-response target: no target, met, breached, at risk or the time left."""
    state = ticket.state
    if state == SlaState.NONE:
        return format_html('<span class="badge text-bg-light border" title="{}">no target</span>', ticket.sla_note)
    if state == SlaState.MET:
        return MET
    if state == SlaState.BREACHED:
        return BREACHED
    due = clock.when(ticket.first_response_due_at)
    if state == SlaState.AT_RISK:
        return format_html(
            '<span class="badge text-bg-warning" title="Due {}">at risk · {}</span>', due, ticket.time_left_text
        )
    return format_html('<span class="badge text-bg-primary" title="Due {}">{}</span>', due, ticket.time_left_text)


@register.simple_tag
def deadline(ticket) -> str:
    """When the first response is due, in the reader's zone, with the support time when the reader's clock
    differs and the target's calendar."""
    due = ticket.first_response_due_at
    if due is None:
        return NO_DEADLINE
    elsewhere = "" if clock.reads_as_support_time(due) else clock.when_support(due) + ", "
    calendar = "business hours" if ticket.sla_calendar == CalendarKind.BUSINESS else "24/7"
    return format_html(
        '<time datetime="{}">{}</time> <span class="deadline-context">({}{})</span>',
        timezone.localtime(due).isoformat(),
        clock.when(due),
        elsewhere,
        calendar,
    )


@functools.lru_cache(maxsize=8)
def _work_url_parts(prefix: str) -> tuple[str, str]:
    marker = 4_242_424_242
    before, after = reverse("tickets:staff_detail", args=[marker]).split(str(marker))
    return before, after


@register.filter
def work_url(pk) -> str:
    """`reverse("tickets:staff_detail", args=[pk])`, with the address's pattern reversed once per script prefix:
    the queue links fifty tickets a page and the workspace sixteen, and each reverse() walks the URL resolver."""
    before, after = _work_url_parts(get_script_prefix())
    return f"{before}{int(pk)}{after}"


@register.simple_tag
def queue_row(ticket, query) -> str:
    """One row of the staff queue; `query` is the page's query string (a tag's link keeps it, minus the page)."""
    share = ticket.share_left
    share_title = format_html(' title="{}% of the target left"', round(share * 100)) if share is not None else ""
    tags = format_html_join(
        "", ' <a class="badge badge-tag text-decoration-none" href="{}">{}</a>', _tag_links(ticket, query)
    )
    rating = ticket.satisfaction if hasattr(ticket, "satisfaction") else None
    return format_html(
        '<tr data-ticket="{pk}">'
        '<td class="select-cell"><input class="form-check-input" type="checkbox" name="tickets" value="{pk}" '
        'aria-label="Select #{pk}"></td>'
        '<td class="small deadline-cell {urgency}" data-col="deadline"{share_title}>{deadline}</td>'
        '<td data-col="state">{badge}</td>'
        '<td data-col="number">{pk}</td>'
        '<td data-col="subject"><a href="{url}">{subject}</a>{escalated}'
        '<div class="small text-secondary">{kind} · via {channel}{tags}</div></td>'
        '<td data-col="organization">{organization}<div class="small text-secondary">{tier}{premium}</div></td>'
        '<td data-col="priority">{priority}</td>'
        '<td data-col="status">{status}</td>'
        '<td data-col="waiting" class="small">{waiting}</td>'
        '<td data-col="updated" class="small"><time datetime="{updated_iso}">{updated}</time></td>'
        '<td data-col="assignee">{assignee}</td>'
        '<td data-col="rating">{rating}</td>'
        "</tr>",
        pk=ticket.pk,
        urgency=ticket.urgency,
        share_title=share_title,
        deadline=deadline(ticket),
        badge=sla_badge(ticket),
        url=work_url(ticket.pk),
        subject=ticket.subject,
        escalated=ESCALATED if ticket.is_escalated else "",
        kind=KIND_LABELS.get(ticket.kind, ticket.kind),
        channel=CHANNEL_LABELS.get(ticket.channel, ticket.channel),
        tags=tags,
        organization=ticket.organization_name,
        tier=(ticket.tier or "no contract").title(),
        premium=PREMIUM if ticket.premium else "",
        priority=PRIORITY_LABELS.get(ticket.priority, ticket.priority),
        status=STATUS_LABELS.get(ticket.status, ticket.status),
        waiting=_waiting(ticket),
        updated_iso=timezone.localtime(ticket.updated_at).isoformat(),
        updated=clock.when(ticket.updated_at),
        assignee=ticket.assignee or "—",
        rating=_rating(rating),
    )


def _tag_links(ticket, query):
    for name in tag_names(ticket):
        params = query.copy()
        params["tag"] = name
        params.pop("page", None)
        yield "?" + params.urlencode(), name


def _waiting(ticket) -> str:
    if ticket.waited is None or not ticket.waiting_on:
        return "—"
    on_us = ticket.waiting_on == WaitingOn.US
    return format_html(
        '<span class="{}">{} · {}</span>',
        "fw-semibold" if on_us else "text-secondary",
        "on us" if on_us else "on customer",
        duration(ticket.waited),
    )


def _rating(rating) -> str:
    if rating is None:
        return "—"
    return format_html(
        '<span class="badge {}" title="{}">{}</span>',
        "text-bg-success" if rating.is_good else "text-bg-danger",
        rating.comment,
        rating.rating,
    )
