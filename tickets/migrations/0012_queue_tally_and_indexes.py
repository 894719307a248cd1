"""The queue's tally (open tickets counted by the keys of the queue's views, kept by a trigger on PostgreSQL,
see tickets.tally), counted once from the tickets that exist; and the indexes of the queue's views and sorts."""

from django.conf import settings
from django.db import migrations, models

# Frozen copies of tickets.tally's TRIGGER_SQL and REBUILD_SQL as they were when this migration was written.
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION tickets_queue_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_open boolean := TG_OP <> 'INSERT' AND OLD.status IN ('new', 'open', 'pending_customer', 'on_hold');
    new_open boolean := TG_OP <> 'DELETE' AND NEW.status IN ('new', 'open', 'pending_customer', 'on_hold');
BEGIN
    IF TG_OP = 'UPDATE' AND old_open = new_open AND ROW(OLD.organization_id, OLD.assignee_id, OLD.premium, OLD.waiting_on, OLD.escalated_at IS NOT NULL, (OLD.first_response_at IS NULL AND OLD.breached_at IS NOT NULL)) IS NOT DISTINCT FROM ROW(NEW.organization_id, NEW.assignee_id, NEW.premium, NEW.waiting_on, NEW.escalated_at IS NOT NULL, (NEW.first_response_at IS NULL AND NEW.breached_at IS NOT NULL)) THEN
        RETURN NULL;
    END IF;
    IF old_open THEN
        INSERT INTO tickets_queuetally (organization_id, assignee_id, premium, waiting_on, escalated, breached, n) VALUES (OLD.organization_id, OLD.assignee_id, OLD.premium, OLD.waiting_on, OLD.escalated_at IS NOT NULL, (OLD.first_response_at IS NULL AND OLD.breached_at IS NOT NULL), -1);
    END IF;
    IF new_open THEN
        INSERT INTO tickets_queuetally (organization_id, assignee_id, premium, waiting_on, escalated, breached, n) VALUES (NEW.organization_id, NEW.assignee_id, NEW.premium, NEW.waiting_on, NEW.escalated_at IS NOT NULL, (NEW.first_response_at IS NULL AND NEW.breached_at IS NOT NULL), 1);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tickets_queue_tally ON tickets_ticket;
CREATE TRIGGER tickets_queue_tally AFTER INSERT OR UPDATE OR DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_queue_tally();
"""
DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS tickets_queue_tally ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_queue_tally();
"""
REBUILD_SQL = """
INSERT INTO tickets_queuetally (organization_id, assignee_id, premium, waiting_on, escalated, breached, n)
SELECT t.organization_id, t.assignee_id, t.premium, t.waiting_on, t.escalated_at IS NOT NULL, (t.first_response_at IS NULL AND t.breached_at IS NOT NULL), count(*) FROM tickets_ticket t WHERE t.status IN ('new', 'open', 'pending_customer', 'on_hold')
GROUP BY 1, 2, 3, 4, 5, 6
"""


def trigger_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)
        schema_editor.execute(REBUILD_SQL)


def trigger_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0004_change_requests_quotes_and_plans'),
        ('portal', '0005_outbox'),
        ('tickets', '0011_report_rollups'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='QueueTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('organization_id', models.BigIntegerField()),
                ('assignee_id', models.BigIntegerField(null=True)),
                ('premium', models.BooleanField()),
                ('waiting_on', models.CharField(blank=True, max_length=10)),
                ('escalated', models.BooleanField()),
                ('breached', models.BooleanField(help_text='Unanswered, with a breach recorded.')),
                ('n', models.IntegerField()),
            ],
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'open', 'pending_customer', 'on_hold')), ('breached_at__isnull', True), ('first_response_at__isnull', True), ('first_response_due_at__isnull', False)), fields=['first_response_due_at'], name='ticket_deadline_pending'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'open', 'pending_customer', 'on_hold'))), fields=['assignee', 'queue_rank', 'queue_at', 'id'], name='ticket_open_assignee'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'open', 'pending_customer', 'on_hold'))), fields=['waiting_on', 'queue_rank', 'queue_at', 'id'], name='ticket_open_waiting_on'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'open', 'pending_customer', 'on_hold')), ('escalated_at__isnull', False)), fields=['queue_rank', 'queue_at', 'id'], name='ticket_open_escalated'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'open', 'pending_customer', 'on_hold'))), fields=['priority_rank', 'queue_rank', 'queue_at', 'id'], name='ticket_open_priority'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'open', 'pending_customer', 'on_hold'))), fields=['updated_at', 'id'], name='ticket_open_updated'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'open', 'pending_customer', 'on_hold'))), fields=['waiting_since', 'id'], name='ticket_open_waiting'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['organization', 'received_at', 'id'], name='ticket_org_received'),
        ),
        migrations.RunPython(trigger_create, trigger_drop),
    ]
