"""`manage.py queue_tally_rebuild`: recounts the queue's tally from the tickets (after a bulk load, say)."""

from django.core.management.base import BaseCommand

from tickets.tally import tally_in_use, tally_rebuild


class Command(BaseCommand):
    help = "Recounts the open tickets into the queue's tally (PostgreSQL); tickets wait for it to finish."

    def handle(self, *args, **options):
        if not tally_in_use():
            self.stdout.write("Nothing to do: the queue's tally is kept on PostgreSQL only.")
            return
        keys = tally_rebuild()
        self.stdout.write(f"The queue's tally holds {keys} keys.")
