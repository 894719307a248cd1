"""A second Celery beat started by mistake sends every periodic task twice: no notice may go out twice."""

import threading

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils.module_loading import import_string

from portal.models import OutboxMessage
from tests.clock import pt
from tickets import services
from tickets.models import SlaAlert

on_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="row locks across connections"
)


def _run_every_periodic_task() -> None:
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        import_string(entry["task"]).delay()


def _late_tickets(org_with, count=3):
    organization, customer = org_with("Late Co", plan="enterprise")
    return [
        services.ticket_open(
            organization=organization,
            requester=customer,
            subject=f"Late {n}",
            description="d",
            priority="urgent",
            now=pt(2026, 12, 1, 8, n),
        )
        for n in range(count)
    ]


@pytest.mark.django_db
def test_every_periodic_task_run_twice_sends_nothing_new_the_second_time(org_with, time_machine):
    tickets = _late_tickets(org_with)
    time_machine.move_to(pt(2026, 12, 2, 9, 0), tick=False)
    _run_every_periodic_task()  # the real beat
    alerts = set(SlaAlert.objects.values_list("ticket_id", "kind"))
    assert alerts == {(t.pk, kind) for t in tickets for kind in ("at_risk", "breached")}
    messages = set(OutboxMessage.objects.values_list("key", "status"))
    sent = [(m.subject, tuple(m.to)) for m in mail.outbox]

    _run_every_periodic_task()  # the one started by mistake, in the same minute

    assert set(SlaAlert.objects.values_list("ticket_id", "kind")) == alerts
    assert set(OutboxMessage.objects.values_list("key", "status")) == messages
    assert [(m.subject, tuple(m.to)) for m in mail.outbox] == sent
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists()


@on_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_beats_sweeping_at_the_same_moment_alert_once(org_with, time_machine):
    tickets = _late_tickets(org_with, count=6)
    time_machine.move_to(pt(2026, 12, 2, 9, 0), tick=True)
    mail.outbox.clear()
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        from tickets import tasks

        try:
            barrier.wait(timeout=10)
            tasks.sla_sweep.delay()
            import portal.tasks

            portal.tasks.outbox_flush.delay()
        except Exception as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert SlaAlert.objects.count() == 2 * len(tickets)  # at risk and breached, once each
    breach_notices = OutboxMessage.objects.filter(key__endswith=":breached")
    assert breach_notices.count() == len(tickets)
    assert set(breach_notices.values_list("status", flat=True)) == {"sent"}
    # No message went out twice: each person gets their own copy (with their own reply address), once.
    sent = [(tuple(m.to), m.subject) for m in mail.outbox]
    assert len(sent) == len(set(sent)), sent
