import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from contracts.entitlements import entitlements_for
from contracts.models import Priority
from portal import clock
from portal.models import Organization
from tickets import sla
from tickets.models import Kind, TicketChannel


class Command(BaseCommand):
    help = (
        "Prints the first-response deadline a ticket would get, and why: each policy that applies, its target and "
        "deadline, which one wins, and the closed hours and closure days skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help='The organization\'s name, e.g. "Globex Retail".')
        parser.add_argument("--priority", required=True, choices=Priority.values)
        parser.add_argument("--at", help="When the ticket arrives (ISO 8601 with an offset); default: now.")
        parser.add_argument("--kind", default=Kind.INCIDENT, choices=Kind.values)
        parser.add_argument("--channel", default=TicketChannel.PORTAL, choices=TicketChannel.values)

    def handle(self, *args, org, priority, at, kind, channel, **options):
        organization = Organization.objects.filter(name__iexact=org).first()
        if organization is None:
            names = ", ".join(Organization.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No organization named {org!r}. Known: {names}.")
        if at:
            try:
                received = datetime.datetime.fromisoformat(at)
            except ValueError as error:
                raise CommandError(f"--at must be ISO 8601, like 2026-11-27T17:00:00-08:00 ({error}).") from error
            if timezone.is_naive(received):
                raise CommandError("--at needs a UTC offset, like 2026-11-27T17:00:00-08:00.")
        else:
            received = timezone.now()
        ent = entitlements_for(organization, at=received)
        priority = sla.intake_priority(channel, priority)
        deadline = sla.resolve_deadline(ent, kind=kind, channel=channel, priority=priority, received_at=received)
        tier = f"{ent.tier.title()}{' + Premium' if ent.premium else ''}" if ent.tier else "no active contract"
        self.stdout.write(f"{organization}: {tier}")
        self.stdout.write(
            f"Received {clock.when_support(received)}: {kind.replace('_', ' ')} via {channel}, {priority} priority"
        )
        for line in sla.explain(deadline):
            self.stdout.write(line)
