"""Thin Celery wrappers of the intake channels: take ids, fetch again, safe to retry.

Answers to refused messages go through the outbox (portal.outbox), like every outgoing message.
"""

from celery import shared_task

RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 8}}


@shared_task(name="tickets.channels.tasks.slack_files_fetch", **RETRY)
def slack_files_fetch(event_id: int) -> int:
    from tickets.channels.services import slack_files_store

    return slack_files_store(event_id=event_id)
