"""Thin Celery wrappers: take ids, fetch again, call a service; safe to retry."""

from celery import shared_task


@shared_task
def sla_sweep() -> dict:
    from portal import heartbeat
    from tickets.services import sla_sweep as sweep

    counts = sweep()
    heartbeat.heartbeat_record(name=heartbeat.SWEEP_NAME, kind=heartbeat.JOB)  # /healthz's last_sweep_at
    return counts


@shared_task
def solved_tickets_close() -> int:
    from tickets.solved import solved_tickets_close as close

    return close()


@shared_task
def queue_tally_fold() -> int:
    from tickets.tally import tally_fold

    return tally_fold()
