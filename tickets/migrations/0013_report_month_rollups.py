"""The reports' month rollups (the sum of each organization's day rows per month), the share of the target in
the day counts, and the response rollup's minutes in buckets; then every rollup counted again."""

import django.db.models.deletion
from django.db import migrations, models


def forget_response_rows(apps, schema_editor):
    """The day response rows are counted again at the end (their old key, exact minutes, does not fit the new one)."""
    apps.get_model("tickets", "ResponseRollup").objects.all().delete()


def rebuild(apps, schema_editor):
    # This runs the current code (tickets.reports.rollups), not a frozen copy: a later migration that changes
    # these tables runs it again, and this one then counts with the tables as they are at that point.
    from tickets.reports.rollups import rebuild_report_rollups

    rebuild_report_rollups()


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0008_heartbeat'),
        ('tickets', '0012_queue_tally_and_indexes'),
    ]

    operations = [
        migrations.RunPython(forget_response_rows, migrations.RunPython.noop),
        migrations.CreateModel(
            name='ReportMonthRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='The first day of the month.')),
                ('tier', models.CharField(blank=True, max_length=12)),
                ('premium', models.BooleanField(default=False)),
                ('priority', models.CharField(choices=[('urgent', 'Urgent'), ('high', 'High'), ('normal', 'Normal'), ('low', 'Low')], max_length=10)),
                ('channel', models.CharField(choices=[('portal', 'Portal'), ('email', 'Email'), ('slack', 'Slack'), ('api', 'API'), ('escalation', 'Escalation')], max_length=12)),
                ('kind', models.CharField(choices=[('question', 'Question'), ('incident', 'Incident or bug'), ('feature_request', 'Feature request'), ('configuration_request', 'Configuration request'), ('connector_quote', 'New connector (quote request)')], max_length=30)),
                ('calendar', models.CharField(blank=True, choices=[('business', 'Business hours (06:00–18:00 Pacific, Monday to Friday)'), ('24/7', 'Around the clock (24/7)')], max_length=10)),
                ('tickets', models.IntegerField(default=0)),
                ('with_target', models.IntegerField(default=0)),
                ('responded', models.IntegerField(default=0)),
                ('met', models.IntegerField(default=0)),
                ('breached', models.IntegerField(default=0)),
                ('rated_good', models.IntegerField(default=0)),
                ('rated_bad', models.IntegerField(default=0)),
                ('share_quarter', models.IntegerField(default=0)),
                ('share_half', models.IntegerField(default=0)),
                ('share_three_quarters', models.IntegerField(default=0)),
                ('share_in_time', models.IntegerField(default=0)),
                ('share_late', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='ResponseMonthRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('tier', models.CharField(blank=True, max_length=12)),
                ('priority', models.CharField(choices=[('urgent', 'Urgent'), ('high', 'High'), ('normal', 'Normal'), ('low', 'Low')], max_length=10)),
                ('calendar', models.CharField(choices=[('business', 'Business hours (06:00–18:00 Pacific, Monday to Friday)'), ('24/7', 'Around the clock (24/7)')], max_length=10)),
                ('bucket', models.PositiveIntegerField()),
                ('tickets', models.IntegerField(default=0)),
            ],
        ),
        migrations.RemoveIndex(
            model_name='responserollup',
            name='response_rollup_org_day',
        ),
        migrations.RemoveIndex(
            model_name='responserollup',
            name='response_rollup_median',
        ),
        migrations.RemoveField(
            model_name='responserollup',
            name='channel',
        ),
        migrations.RemoveField(
            model_name='responserollup',
            name='minutes',
        ),
        migrations.RemoveField(
            model_name='responserollup',
            name='premium',
        ),
        migrations.RemoveField(
            model_name='responserollup',
            name='target_minutes',
        ),
        migrations.AddField(
            model_name='reportrollup',
            name='share_half',
            field=models.PositiveIntegerField(default=0, help_text='Over 25%, within 50% of the target.'),
        ),
        migrations.AddField(
            model_name='reportrollup',
            name='share_in_time',
            field=models.PositiveIntegerField(default=0, help_text='Over 75%, within the target.'),
        ),
        migrations.AddField(
            model_name='reportrollup',
            name='share_late',
            field=models.PositiveIntegerField(default=0, help_text='Over the target.'),
        ),
        migrations.AddField(
            model_name='reportrollup',
            name='share_quarter',
            field=models.PositiveIntegerField(default=0, help_text='Within 25% of the target.'),
        ),
        migrations.AddField(
            model_name='reportrollup',
            name='share_three_quarters',
            field=models.PositiveIntegerField(default=0, help_text='Over 50%, within 75% of the target.'),
        ),
        migrations.AddField(
            model_name='responserollup',
            name='bucket',
            field=models.PositiveIntegerField(default=0, help_text="The lower bound, in minutes, of the minutes' bucket."),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name='responserollup',
            constraint=models.UniqueConstraint(fields=('organization', 'day', 'tier', 'priority', 'calendar', 'bucket'), name='one_response_rollup_per_key'),
        ),
        migrations.AddField(
            model_name='reportmonthrollup',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portal.organization'),
        ),
        migrations.AddField(
            model_name='responsemonthrollup',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portal.organization'),
        ),
        migrations.AddIndex(
            model_name='reportmonthrollup',
            index=models.Index(fields=['month'], name='report_month_rollup_month'),
        ),
        migrations.AddConstraint(
            model_name='reportmonthrollup',
            constraint=models.UniqueConstraint(fields=('organization', 'month', 'tier', 'premium', 'priority', 'channel', 'kind', 'calendar'), name='one_report_month_rollup_per_key'),
        ),
        migrations.AddIndex(
            model_name='responsemonthrollup',
            index=models.Index(fields=['month', 'tier', 'priority', 'calendar', 'bucket'], include=('organization', 'tickets'), name='response_month_rollup_median'),
        ),
        migrations.AddConstraint(
            model_name='responsemonthrollup',
            constraint=models.UniqueConstraint(fields=('organization', 'month', 'tier', 'priority', 'calendar', 'bucket'), name='one_response_month_rollup_per_key'),
        ),
        migrations.CreateModel(
            name='ResponseMonthTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('tier', models.CharField(blank=True, max_length=12)),
                ('priority', models.CharField(choices=[('urgent', 'Urgent'), ('high', 'High'), ('normal', 'Normal'), ('low', 'Low')], max_length=10)),
                ('calendar', models.CharField(choices=[('business', 'Business hours (06:00–18:00 Pacific, Monday to Friday)'), ('24/7', 'Around the clock (24/7)')], max_length=10)),
                ('bucket', models.PositiveIntegerField()),
                ('tickets', models.IntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('month', 'tier', 'priority', 'calendar', 'bucket'), name='one_response_month_total_per_key')],
                'indexes': [models.Index(fields=['month', 'tier', 'priority', 'calendar', 'bucket'], include=('tickets',), name='response_month_total_median')],
            },
        ),
        migrations.AlterField(
            model_name='reportmonthrollup',
            name='responded',
            field=models.IntegerField(default=0, help_text='With a target and a first response.'),
        ),
        migrations.AlterField(
            model_name='reportmonthrollup',
            name='share_half',
            field=models.IntegerField(default=0, help_text='Over 25%, within 50% of the target.'),
        ),
        migrations.AlterField(
            model_name='reportmonthrollup',
            name='share_in_time',
            field=models.IntegerField(default=0, help_text='Over 75%, within the target.'),
        ),
        migrations.AlterField(
            model_name='reportmonthrollup',
            name='share_late',
            field=models.IntegerField(default=0, help_text='Over the target.'),
        ),
        migrations.AlterField(
            model_name='reportmonthrollup',
            name='share_quarter',
            field=models.IntegerField(default=0, help_text='Within 25% of the target.'),
        ),
        migrations.AlterField(
            model_name='reportmonthrollup',
            name='share_three_quarters',
            field=models.IntegerField(default=0, help_text='Over 50%, within 75% of the target.'),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='breached',
            field=models.IntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='met',
            field=models.IntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='rated_bad',
            field=models.IntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='rated_good',
            field=models.IntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='responded',
            field=models.IntegerField(default=0, help_text='With a target and a first response.'),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='share_half',
            field=models.IntegerField(default=0, help_text='Over 25%, within 50% of the target.'),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='share_in_time',
            field=models.IntegerField(default=0, help_text='Over 75%, within the target.'),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='share_late',
            field=models.IntegerField(default=0, help_text='Over the target.'),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='share_quarter',
            field=models.IntegerField(default=0, help_text='Within 25% of the target.'),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='share_three_quarters',
            field=models.IntegerField(default=0, help_text='Over 50%, within 75% of the target.'),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='tickets',
            field=models.IntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='reportrollup',
            name='with_target',
            field=models.IntegerField(default=0),
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
