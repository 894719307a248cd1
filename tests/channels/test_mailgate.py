import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connections

from tests.channels import corpus
from tests.channels.helpers import database_down
from tickets.channels import services
from tickets.channels.models import InboundEmail
from tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]


def mailgate(raw: bytes) -> str:
    out = io.StringIO()
    call_command("mailgate", stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue()


def test_mailgate_stores_and_processes_one_message(world):
    output = mailgate(corpus.plain(world))
    email = InboundEmail.objects.get()
    assert output == f"<{email.message_id}>: ticket_created new_ticket\n"
    assert email.source == "mailgate"
    assert email.ticket.channel == "email"


def test_mailgate_twice_creates_nothing_new(world):
    raw = corpus.plain(world)
    mailgate(raw)
    output = mailgate(raw)
    assert output.endswith("ticket_created new_ticket (duplicate: already stored)\n")
    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.filter(channel="email").count() == 1


def test_mailgate_exits_75_when_the_database_is_down(world):
    raw = corpus.plain(world)
    with database_down(), pytest.raises(CommandError) as failure:
        mailgate(raw)
    assert failure.value.returncode == 75
    assert "the database is unavailable (OperationalError" in str(failure.value)
    assert not InboundEmail.objects.exists()
    assert not Ticket.objects.filter(channel="email").exists()


def test_mailgate_exits_75_and_writes_nothing_half_when_the_database_goes_away_while_processing(world, monkeypatch):
    raw = corpus.plain(world)
    real = services.ticket_open

    def open_then_fail(**kwargs):
        real(**kwargs)
        raise OperationalError("terminating connection due to administrator command")

    with monkeypatch.context() as patch:
        patch.setattr(services, "ticket_open", open_then_fail)
        with pytest.raises(CommandError) as failure:
            mailgate(raw)
    assert failure.value.returncode == 75
    assert not Ticket.objects.filter(channel="email").exists()
    assert InboundEmail.objects.get().status == "received"

    # The mail server delivers it again: the stored message is processed, once.
    assert mailgate(raw).endswith("ticket_created new_ticket (duplicate: already stored)\n")
    assert Ticket.objects.filter(channel="email").count() == 1


@pytest.mark.parametrize(("raw", "message"), [(b"", "The input is empty"), (b"x" * 2000, "over the 1000 bytes limit")])
def test_mailgate_refuses_input_that_is_not_a_message(db, settings, raw, message):
    settings.EMAIL_INBOUND_MAX_BYTES = 1000
    with pytest.raises(CommandError) as failure:
        mailgate(raw)
    assert failure.value.returncode == 65
    assert message in str(failure.value)
    assert not InboundEmail.objects.exists()


def test_mailgate_pending_processes_what_was_left(world):
    services.inbound_email_store(raw=corpus.plain(world))
    out = io.StringIO()
    call_command("mailgate", "--pending", stdout=out)
    assert out.getvalue() == "1 pending message(s) processed.\n"
    assert InboundEmail.objects.get().status == "ticket_created"


def test_mailgate_process_exit_code_with_the_database_down(tmp_path):
    """The real pipe: the mail server runs the command and reads its exit status."""
    url = "postgres://postgres@127.0.0.1:1/portal"
    if connections["default"].vendor == "sqlite":
        url = "sqlite:////nonexistent-folder/portal.sqlite3"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("REDIS_URL", None)
    done = subprocess.run(  # noqa: S603 -- our own interpreter and manage.py, no shell
        [sys.executable, str(ROOT / "manage.py"), "mailgate"],
        input=b"From: alice@acme.test\nSubject: hi\n\nbody\n",
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 75, done.stderr.decode()
    assert b"the database is unavailable" in done.stderr
