from importlib import import_module

from django.conf import settings
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from portal.demo import DEMO_PASSWORD

# Each app seeds its own part, in dependency order.
SEEDERS = [
    "portal.demo.seed_accounts",
    "contracts.demo.seed",
    "tickets.demo.seed",
    "hours.demo.seed",
    "contracts.demo.seed_life",
    # Keep last: the knowledge base comes after every other app's data.
    "portal.demo.seed_articles",
]


class Command(BaseCommand):
    help = "Creates the demo accounts and data. Safe to run twice: a second run changes nothing."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo refuses to run in production mode (DJANGO_ENV=production).")
        today = timezone.localdate(timezone=timezone.get_default_timezone())
        accounts = []
        # The demo's notifications are sent to memory, not printed: `make run` ends with the accounts, not with
        # a thousand lines of demo email.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            with transaction.atomic():
                for dotted in SEEDERS:
                    module_name, func_name = dotted.rsplit(".", 1)
                    rows = getattr(import_module(module_name), func_name)(today=today, out=self.stdout)
                    if dotted == "portal.demo.seed_accounts":
                        accounts = rows
            sent = len(mail.outbox)
        if sent:
            self.stdout.write(f"{sent} demo notification email{'s' if sent != 1 else ''} sent quietly (not shown).")
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Every account's password: " + DEMO_PASSWORD))
        width = max(len(email) for email, _, _ in accounts)
        for email, role, org in accounts:
            self.stdout.write(f"  {email.ljust(width)}  {role:<28} {org}")
