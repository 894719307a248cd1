"""Thin Celery wrappers: take ids, fetch again, call a service; a unique row per notice makes a retry harmless."""

import datetime

from celery import shared_task

from contracts.models import Contract

RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 8}}


@shared_task(**RETRY)
def usage_notices_check(contract_id: int, period_start: str) -> int:
    from hours import services

    contract = Contract.objects.select_related("organization").filter(pk=contract_id).first()
    if contract is None:
        return 0
    return services.usage_notices_check(contract=contract, period_start=datetime.date.fromisoformat(period_start))


@shared_task(**RETRY)
def usage_notices_sweep() -> int:
    from hours import services

    return services.usage_notices_sweep()
