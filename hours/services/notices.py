"""Usage notices: the account manager and the customer's admins are told once at 75%, 90% and 100% use."""

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from contracts.entitlements import entitlements_for
from contracts.models import Contract
from contracts.periods import contract_year
from hours.models import HoursBalance, UsageNotice
from hours.selectors import Usage, year_usage
from hours.services import ledger
from portal import clock, outbox
from portal.models import Organization


def _recipients(organization: Organization) -> list[str]:
    addresses = [u.email for u in organization.admins().filter(is_active=True)]
    manager = organization.account_manager
    if manager is not None and manager.is_active:
        addresses.append(manager.email)
    return sorted(set(addresses))


@transaction.atomic
def usage_notices_check(*, contract: Contract, period_start: datetime.date, now=None) -> int:
    """Tells the AM and the customer's admins once when a contract year passes 75%, 90% and 100% use."""
    now = now or timezone.now()
    period = contract_year(contract.term_start, contract.term_end, period_start)
    if period is None:
        return 0
    usage = year_usage(contract, period)
    if usage is None or usage.allotted <= 0:
        return 0
    reached = [t for t in UsageNotice.THRESHOLDS if usage.used * 100 >= t * usage.allotted]
    created = []
    for threshold in reached:
        notice, is_new = UsageNotice.objects.get_or_create(
            contract=contract,
            period_start=period.start,
            threshold=threshold,
            defaults={"used_minutes": usage.used, "allotted_minutes": usage.allotted, "created_at": now},
        )
        if is_new:
            created.append(notice)
    if not created:
        return 0
    highest = max(n.threshold for n in created)
    recipients = _recipients(contract.organization)
    outbox.enqueue(
        "hours.services.notices.usage_notice_email",
        # The allotment is part of the key: after a change of the allotment, a threshold can be told again.
        key=f"usage:{contract.pk}:{period.start.isoformat()}:{highest}:{usage.allotted}",
        summary=f"{contract.organization}: {highest}% of the SA hours used",
        contract_id=contract.pk,
        period_start=period.start.isoformat(),
        threshold=highest,
        used=usage.used,
        allotted=usage.allotted,
        to=recipients,
    )
    # `sent_at`: when the notice went to the outbox, which sends it (and retries) after the commit.
    UsageNotice.objects.filter(pk__in=[n.pk for n in created]).update(sent_at=now, recipients=recipients)
    return len(created)


@transaction.atomic
def usage_notices_recheck(*, contract: Contract, period_start: datetime.date, now=None) -> int:
    """After the year's allotment changed: thresholds it no longer reaches can be told again, and those it now
    reaches are told (once). Returns how many notices were sent."""
    period = contract_year(contract.term_start, contract.term_end, period_start)
    usage = year_usage(contract, period) if period is not None else None
    if usage is None:
        return 0
    if usage.allotted > 0:
        below = [t for t in UsageNotice.THRESHOLDS if usage.used * 100 < t * usage.allotted]
        UsageNotice.objects.filter(contract=contract, period_start=period.start, threshold__in=below).delete()
    return usage_notices_check(contract=contract, period_start=period.start, now=now)


def usage_notice_email(
    *, contract_id: int, period_start: str, threshold: int, used: int, allotted: int, to: list[str]
) -> EmailMessage | None:
    """The outbox's builder of a usage notice: the year's usage when the threshold was passed."""
    contract = Contract.objects.select_related("organization").filter(pk=contract_id).first()
    if contract is None or not to:
        return None
    period = contract_year(contract.term_start, contract.term_end, datetime.date.fromisoformat(period_start))
    context = {
        "organization": contract.organization,
        "threshold": threshold,
        "usage": Usage(allotted, used, period_start=period.start, period_end=period.end),
        "period": period,
        "url": settings.SITE_URL + reverse("hours:statement"),
    }
    return EmailMessage(
        subject=render_to_string("hours/email/usage_notice_subject.txt", context).strip(),
        body=render_to_string("hours/email/usage_notice.txt", context),
        to=to,
    )


def usage_notices_sweep(*, now=None) -> int:
    """For every contract in force: writes the current year's grant if due, then sends any notice due."""
    now = now or timezone.now()
    today = clock.support_today(now)
    sent = 0
    recent = today - datetime.timedelta(days=settings.HOURS_LOCK_DAYS + 1)
    for contract in Contract.objects.active(on=today).select_related("organization"):
        ent = entitlements_for(contract.organization, at=clock.support_noon(today))
        if ent.allotment is None or ent.contract.pk != contract.pk:
            continue
        with transaction.atomic():
            ledger.lock_year(contract=contract, allotment=ent.allotment, now=now)
        sent += usage_notices_check(contract=contract, period_start=ent.allotment.period_start, now=now)
    # Late entries (within the lock window) can still push a year that has just ended over a threshold.
    for balance in HoursBalance.objects.filter(engagement__isnull=True, period_end__gte=recent, period_end__lt=today):
        sent += usage_notices_check(contract=balance.contract, period_start=balance.period_start, now=now)
    return sent
