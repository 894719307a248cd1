"""`manage.py mailgate`: the mail server pipes one message to standard input.

Exit codes follow sysexits.h, which mail servers understand:
  0   the message is stored (and processed: a ticket, a comment, a refusal or the quarantine);
  65  EX_DATAERR: the input is empty or over the size limit (the mail server bounces it, with our reason);
  75  EX_TEMPFAIL: the database is unavailable, nothing was stored (the mail server tries again later).
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from portal.refusals import Refusal
from tickets.channels import services
from tickets.channels.models import InboundEmail

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Stores and processes one RFC 5322 message read from standard input (for the mail server's pipe)."
    # Mail must not wait on system checks, nor fail on a check unrelated to mail.
    requires_system_checks: list[str] = []
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "--pending",
            action="store_true",
            help="Instead of reading a message, process the stored messages that were never processed.",
        )

    def handle(self, *args, **options):
        try:
            if options["pending"]:
                count = services.inbound_email_process_pending()
                self.stdout.write(f"{count} pending message(s) processed.")
                return
            stream = options.get("stdin") or sys.stdin.buffer
            raw = stream.read(services.max_message_bytes() + 1)
            intake = services.inbound_email_receive(raw=raw, source=InboundEmail.Source.MAILGATE)
        except Refusal as rejected:
            raise CommandError(rejected.message, returncode=EX_DATAERR) from rejected
        except services.TRANSIENT_DB_ERRORS as exc:
            raise CommandError(
                f"The message could not be stored: the database is unavailable ({type(exc).__name__}: "
                f"{str(exc).strip()}). Try again later.",
                returncode=EX_TEMPFAIL,
            ) from exc
        email = intake.email
        note = " (duplicate: already stored)" if intake.duplicate else ""
        self.stdout.write(f"<{email.message_id}>: {email.status} {email.reason_code}{note}".rstrip())
