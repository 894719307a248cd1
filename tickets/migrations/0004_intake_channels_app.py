# The intake channels' models now belong to the `channels` app (tickets.channels), whose first migration
# takes them over with the same tables: here they leave the tickets app's state; the database is untouched.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0003_intake_channels'),
        ('channels', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='InboundEmail'),
                migrations.DeleteModel(name='SlackEvent'),
                migrations.DeleteModel(name='SlackThread'),
            ]
        )
    ]
