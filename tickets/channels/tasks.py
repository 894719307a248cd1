"""Thin Celery wrappers for the intake channels' answers: take ids, fetch again, safe to retry."""

from celery import shared_task

RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 8}}


@shared_task(name="tickets.channels.tasks.slack_refusal_reply", **RETRY)
def slack_refusal_reply(event_id: int) -> bool:
    from tickets.channels.services import slack_refusal_send

    return slack_refusal_send(event_id=event_id)


@shared_task(name="tickets.channels.tasks.email_refusal_reply", **RETRY)
def email_refusal_reply(email_id: int) -> bool:
    from tickets.channels.services import email_refusal_send

    return email_refusal_send(email_id=email_id)
