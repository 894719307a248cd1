"""The queue sorts by organization through an index: each ticket keeps its organization's name. And the
account manager's home finds open connector quotes through an index of their own, and counts each account's
running clocks from the index of pending deadlines alone (it carries the organization and the arrival). The
older index of unbreached deadlines goes: the pending one serves the sweep (which reads open tickets only). A
requester's latest tickets get an index: the workspace's side panel walked the arrival index back to find
them, which for a requester with a few old tickets read most of the table."""

from django.db import migrations, models


def copy_names(apps, schema_editor):
    Organization = apps.get_model("portal", "Organization")
    Ticket = apps.get_model("tickets", "Ticket")
    for organization_id, name in Organization.objects.values_list("pk", "name"):
        Ticket.objects.filter(organization_id=organization_id).update(organization_name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_heartbeat"),
        ("tickets", "0013_report_month_rollups"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="organization_name",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The organization's name, kept with the ticket so the queue sorts by it through an index "
                "(set when the ticket is saved; Organization.save() renames its tickets).",
                max_length=200,
            ),
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ("new", "open", "pending_customer", "on_hold"))),
                fields=["organization_name", "queue_rank", "queue_at", "id"],
                name="ticket_open_organization",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("new", "open", "pending_customer", "on_hold")), ("kind", "connector_quote")
                ),
                fields=["received_at", "id"],
                name="ticket_open_quotes",
            ),
        ),
        migrations.RemoveIndex(model_name="ticket", name="ticket_breach_due"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_deadline_pending"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("new", "open", "pending_customer", "on_hold")),
                    ("breached_at__isnull", True),
                    ("first_response_at__isnull", True),
                    ("first_response_due_at__isnull", False),
                ),
                fields=["first_response_due_at"],
                include=("organization_id", "received_at"),
                name="ticket_deadline_pending",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["requester", "received_at", "id"], name="ticket_requester_received"),
        ),
    ]
