"""Fills the new columns of the tickets that exist: whose turn it is and since when, Premium at arrival, the
escalation and solve moments, and (on PostgreSQL) the stored search document."""

from django.db import migrations

OPEN = ("new", "open", "pending_customer", "on_hold")
BATCH = 500

SEARCH_SQL = """
UPDATE tickets_ticket AS t SET search_vector =
    setweight(to_tsvector('english', left(coalesce(t.subject, ''), 100000)), 'A')
 || setweight(to_tsvector('english', left(coalesce(t.description, ''), 100000)), 'B')
 || setweight(to_tsvector('english', left(coalesce((
        SELECT string_agg(c.body, E'\\n') FROM tickets_comment c
        WHERE c.ticket_id = t.id AND c.public AND NOT c.is_automatic), ''), 100000)), 'C')
 || setweight(to_tsvector('english', left(coalesce((
        SELECT string_agg(c.body, E'\\n') FROM tickets_comment c
        WHERE c.ticket_id = t.id AND NOT c.public AND NOT c.is_automatic), ''), 100000)), 'D')
"""


def _turn(ticket, comments):
    """(waiting_on, waiting_since) from the public thread: after the last staff reply, whose turn it is."""
    if ticket.status not in OPEN:
        return "", ticket.updated_at
    last_staff = None
    first_customer_after = None
    for comment in comments:
        if comment.is_staff_reply:
            last_staff, first_customer_after = comment.created_at, None
        elif first_customer_after is None:
            first_customer_after = comment.created_at
    if last_staff is None:
        return "us", ticket.received_at
    if first_customer_after is not None:
        return "us", first_customer_after
    return "customer", last_staff


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Comment = apps.get_model("tickets", "Comment")
    SlaAlert = apps.get_model("tickets", "SlaAlert")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    escalated = dict(SlaAlert.objects.filter(kind="escalated").values_list("ticket_id", "created_at"))
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        tickets = list(Ticket.objects.filter(pk__in=chunk))
        threads = {}
        for comment in (
            Comment.objects.filter(ticket_id__in=chunk, public=True, is_automatic=False)
            .only("ticket_id", "is_staff_reply", "created_at")
            .order_by("created_at", "pk")
        ):
            threads.setdefault(comment.ticket_id, []).append(comment)
        solved = {}
        for event in TicketEvent.objects.filter(ticket_id__in=chunk, kind="status_changed").order_by("created_at"):
            if (event.data or {}).get("new") == "solved":
                solved[event.ticket_id] = event.created_at
        for ticket in tickets:
            ticket.waiting_on, ticket.waiting_since = _turn(ticket, threads.get(ticket.pk, []))
            ticket.premium = any(c.get("policy") == "premium" for c in ticket.sla_candidates or [])
            ticket.escalated_at = escalated.get(ticket.pk)
            if ticket.status == "solved":
                ticket.solved_at = solved.get(ticket.pk, ticket.updated_at)
        Ticket.objects.bulk_update(tickets, ["waiting_on", "waiting_since", "premium", "escalated_at", "solved_at"])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_queue_and_workspace"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
