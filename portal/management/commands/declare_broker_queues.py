"""Declares the task queues on the broker once, before `make run` starts its web server, worker and beat.

On a new SQLite broker (Kombu's SQLAlchemy transport) each process creates a queue's row on first use by a read
then an insert: a worker and a beat starting together can both insert "celery", and the loser stops with
"UNIQUE constraint failed: kombu_queue.name". Declared here first, the row is there before any of them looks.
"""

from django.core.management.base import BaseCommand
from kombu import Connection

from config.celery import app


class Command(BaseCommand):
    help = "Declare the Celery task queues on the broker (CELERY_BROKER_URL, or --broker)."

    def add_arguments(self, parser):
        parser.add_argument("--broker", default="", help="the broker's URL (default: CELERY_BROKER_URL)")

    def handle(self, *args, broker: str = "", **options):
        url = broker or app.conf.broker_url
        if not url or url.startswith("memory://"):
            self.stdout.write("No broker: tasks run inline, there is no queue to declare.")
            return
        with Connection(url, transport_options=app.conf.broker_transport_options or {}) as connection:
            channel = connection.default_channel
            names = []
            for queue in app.amqp.queues.values():
                queue(channel).declare()
                names.append(queue.name)
        self.stdout.write(f"Declared on the broker: {', '.join(sorted(names))}.")
