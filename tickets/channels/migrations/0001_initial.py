# The intake channels' models moved from the tickets app into their own app. Their tables stay
# where they are (db_table): this migration changes Django's state only, the database not at all.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('portal', '0002_staff_groups'),
        ('tickets', '0003_intake_channels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='InboundEmail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('raw', models.BinaryField(help_text='The message exactly as the mail server handed it over.')),
                ('raw_size', models.PositiveIntegerField()),
                ('raw_sha256', models.CharField(db_index=True, max_length=64)),
                ('message_id', models.CharField(help_text="The Message-ID without angle brackets; derived from the raw bytes' sha256 when missing.", max_length=255, unique=True)),
                ('message_id_derived', models.BooleanField(default=False)),
                ('source', models.CharField(choices=[('mailgate', 'Mail server pipe'), ('http', 'HTTP inbound')], default='mailgate', max_length=10)),
                ('sender', models.CharField(blank=True, help_text='The From address, when there is one.', max_length=254)),
                ('subject', models.CharField(blank=True, max_length=300)),
                ('received_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('processed_at', models.DateTimeField(blank=True, null=True)),
                ('status', models.CharField(choices=[('received', 'Received, not processed yet'), ('ticket_created', 'Ticket created'), ('comment_added', 'Comment added'), ('quarantined', 'Quarantined'), ('refused', 'Refused (channel not in the contract)'), ('accepted', 'Accepted by staff'), ('discarded', 'Discarded by staff')], db_index=True, default='received', max_length=20)),
                ('reason_code', models.CharField(blank=True, max_length=40)),
                ('reason', models.CharField(blank=True, max_length=500)),
                ('refusal_sent_at', models.DateTimeField(blank=True, null=True)),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('comment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='inbound_emails', to='tickets.comment')),
                ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='portal.organization')),
                ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='inbound_emails', to='tickets.ticket')),
            ],
            options={
                'ordering': ['-received_at', '-pk'],
                'db_table': 'tickets_inboundemail',
            },
        ),
        migrations.CreateModel(
            name='SlackEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_id', models.CharField(max_length=64, unique=True)),
                ('event_type', models.CharField(blank=True, max_length=64)),
                ('team', models.CharField(blank=True, max_length=32)),
                ('channel', models.CharField(blank=True, max_length=32)),
                ('user', models.CharField(blank=True, max_length=32)),
                ('ts', models.CharField(blank=True, max_length=32)),
                ('thread_ts', models.CharField(blank=True, help_text="The thread's first message; blank on it.", max_length=32)),
                ('payload', models.JSONField()),
                ('received_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('status', models.CharField(choices=[('received', 'Received, not processed yet'), ('ticket_created', 'Ticket created'), ('comment_added', 'Comment added'), ('refused', 'Refused (Slack not in the contract)'), ('ignored', 'Ignored'), ('error', 'Processing error')], db_index=True, default='received', max_length=20)),
                ('reason', models.CharField(blank=True, max_length=500)),
                ('refusal_replied_at', models.DateTimeField(blank=True, null=True)),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('comment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='slack_events', to='tickets.comment')),
                ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='portal.organization')),
                ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='slack_events', to='tickets.ticket')),
            ],
            options={
                'ordering': ['-received_at', '-pk'],
                'indexes': [models.Index(fields=['channel', 'thread_ts'], name='slackevent_thread')],
                'db_table': 'tickets_slackevent',
            },
        ),
        migrations.CreateModel(
            name='SlackThread',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel_id', models.CharField(max_length=32)),
                ('thread_ts', models.CharField(max_length=32)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='slack_threads', to='tickets.ticket')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('channel_id', 'thread_ts'), name='one_ticket_per_slack_thread')],
                'db_table': 'tickets_slackthread',
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
