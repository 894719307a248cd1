"""Thin Celery wrappers: call a service; safe to run twice (a sync writes what Asana says, an expiry is a state)."""

from celery import shared_task


@shared_task
def asana_sync() -> int:
    """Every engagement linked to an Asana project takes its plan from there (nothing without ASANA_TOKEN)."""
    from contracts.services.plans import asana_sync_all

    return asana_sync_all()


@shared_task
def quotes_expire() -> int:
    from contracts.services.quotes import quotes_expire as expire

    return expire()
