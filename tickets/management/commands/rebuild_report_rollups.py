from django.core.management.base import BaseCommand

from tickets.reports.rollups import rebuild_report_rollups


class Command(BaseCommand):
    help = "Counts the report rollups again from the tickets (safe to run at any time: the result is the same)."

    def handle(self, *args, **options):
        rows = rebuild_report_rollups()
        self.stdout.write(
            f"Report rollups rebuilt: {rows['report']} ticket rows, {rows['response']} response-time rows, "
            f"{rows['report_month']} monthly ticket rows, {rows['response_month']} monthly response-time rows, "
            f"{rows['engineer']} engineer rows."
        )
