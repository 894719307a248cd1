"""Thin Celery wrappers of the outbox: take ids, fetch again, safe to run twice."""

from celery import shared_task

from portal import outbox


@shared_task
def outbox_deliver(message_id: int) -> str:
    return outbox.deliver(message_id)


@shared_task
def outbox_flush() -> int:
    return outbox.flush()
