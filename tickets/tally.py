"""The queue's counts at any size: open tickets tallied by the keys of the queue's views.

Counting 350,000 open tickets on every page view costs a scan of them all. Instead, on PostgreSQL, a trigger on
the ticket table writes a row of +1 under a ticket's new key and -1 under its old one whenever a change moves an
open ticket between keys (opened, closed, assigned, escalated, breach recorded, turn changed), in the
transaction of the change itself. Rows are only ever inserted, so concurrent changes never wait on one another
for a counter. A read sums the rows (a few hundred keys, plus the changes since the last fold); `tally_fold()`
(every minute, from the beat) folds them back into one row per key, and `tally_rebuild()` recounts from the
tickets (after a bulk load that bypassed triggers, say).

What depends on the clock is not tallied: a deadline passing without a recorded breach (the sweep records it
within the minute) and "breaching within 2 hours" are counted from the partial index of pending deadlines, which
holds only open, unanswered, unbreached tickets.
"""

import datetime

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from tickets.models import OPEN_STATUSES, QueueTally, Ticket

_OPEN_SQL = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
_KEY_COLUMNS = "organization_id, assignee_id, premium, waiting_on, escalated, breached"


def _key(row: str) -> str:
    return (
        f"{row}.organization_id, {row}.assignee_id, {row}.premium, {row}.waiting_on, {row}.escalated_at IS NOT NULL, "
        f"({row}.first_response_at IS NULL AND {row}.breached_at IS NOT NULL)"
    )


TRIGGER_SQL = f"""
CREATE OR REPLACE FUNCTION tickets_queue_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_open boolean := TG_OP <> 'INSERT' AND OLD.status IN ({_OPEN_SQL});
    new_open boolean := TG_OP <> 'DELETE' AND NEW.status IN ({_OPEN_SQL});
BEGIN
    IF TG_OP = 'UPDATE' AND old_open = new_open AND ROW({_key("OLD")}) IS NOT DISTINCT FROM ROW({_key("NEW")}) THEN
        RETURN NULL;
    END IF;
    IF old_open THEN
        INSERT INTO tickets_queuetally ({_KEY_COLUMNS}, n) VALUES ({_key("OLD")}, -1);
    END IF;
    IF new_open THEN
        INSERT INTO tickets_queuetally ({_KEY_COLUMNS}, n) VALUES ({_key("NEW")}, 1);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tickets_queue_tally ON tickets_ticket;
CREATE TRIGGER tickets_queue_tally AFTER INSERT OR UPDATE OR DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_queue_tally();
"""  # noqa: S608 -- built from constants only
DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS tickets_queue_tally ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_queue_tally();
"""
FOLD_SQL = f"""
WITH gone AS (DELETE FROM tickets_queuetally RETURNING {_KEY_COLUMNS}, n)
INSERT INTO tickets_queuetally ({_KEY_COLUMNS}, n)
SELECT {_KEY_COLUMNS}, sum(n) FROM gone GROUP BY {_KEY_COLUMNS} HAVING sum(n) <> 0
"""  # noqa: S608
REBUILD_SQL = f"""
INSERT INTO tickets_queuetally ({_KEY_COLUMNS}, n)
SELECT {_key("t")}, count(*) FROM tickets_ticket t WHERE t.status IN ({_OPEN_SQL})
GROUP BY 1, 2, 3, 4, 5, 6
"""  # noqa: S608


def tally_in_use() -> bool:
    """True where the trigger keeps the tally (PostgreSQL); elsewhere counts are taken from the tickets."""
    return connection.vendor == "postgresql"


def tally_fold() -> int:
    """Folds the tally's rows into one per key; returns how many rows remain."""
    if not tally_in_use():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FOLD_SQL)
        return cursor.rowcount


@transaction.atomic
def tally_rebuild() -> int:
    """Recounts the open tickets into the tally (tickets are locked against writes meanwhile); returns the keys."""
    if not tally_in_use():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE tickets_ticket IN SHARE MODE")
        cursor.execute("DELETE FROM tickets_queuetally")
        cursor.execute(REBUILD_SQL)
        return cursor.rowcount


def staff_counts(*, user, now: datetime.datetime, soon: datetime.timedelta) -> dict[str, int]:
    """Every view's count over all open tickets (what staff see), in two small queries."""
    totals = _tallied(user) if tally_in_use() else _counted(Ticket.objects.all(), user=user)
    live = _clock_counts(Ticket.objects.all(), now=now, soon=soon)
    totals["breached"] = totals.pop("recorded_breaches") + live["overdue"]
    totals["breaching_soon"] = live["breaching_soon"]
    return totals


def organization_open_count(organization_id: int) -> int:
    """How many open tickets the organization has (its share of the tally)."""
    if not tally_in_use():
        return Ticket.objects.filter(organization_id=organization_id, status__in=OPEN_STATUSES).count()
    return QueueTally.objects.filter(organization_id=organization_id).aggregate(n=Sum("n", default=0))["n"]


def _tallied(user) -> dict[str, int]:
    return QueueTally.objects.aggregate(
        all_open=Sum("n", default=0),
        mine=Sum("n", filter=Q(assignee_id=user.pk), default=0),
        unassigned=Sum("n", filter=Q(assignee_id__isnull=True), default=0),
        premium=Sum("n", filter=Q(premium=True), default=0),
        waiting_on_us=Sum("n", filter=Q(waiting_on="us"), default=0),
        waiting_on_customer=Sum("n", filter=Q(waiting_on="customer"), default=0),
        escalated=Sum("n", filter=Q(escalated=True), default=0),
        recorded_breaches=Sum("n", filter=Q(breached=True), default=0),
    )


def _clock_counts(tickets, *, now: datetime.datetime, soon: datetime.timedelta) -> dict[str, int]:
    """Open, unanswered tickets with no breach recorded yet: overdue ones, and those due within `soon`."""
    pending = tickets.filter(
        status__in=OPEN_STATUSES,
        first_response_at__isnull=True,
        breached_at__isnull=True,
        first_response_due_at__lte=now + soon,
    )
    return pending.aggregate(
        overdue=Count("pk", filter=Q(first_response_due_at__lte=now)),
        breaching_soon=Count("pk", filter=Q(first_response_due_at__gt=now)),
    )


def _counted(tickets, *, user) -> dict[str, int]:
    """The tally's answer computed from the tickets themselves (SQLite; and the tests' reference)."""
    unanswered = Q(first_response_at__isnull=True)
    return tickets.filter(status__in=OPEN_STATUSES).aggregate(
        all_open=Count("pk"),
        mine=Count("pk", filter=Q(assignee=user)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        premium=Count("pk", filter=Q(premium=True)),
        waiting_on_us=Count("pk", filter=Q(waiting_on="us")),
        waiting_on_customer=Count("pk", filter=Q(waiting_on="customer")),
        escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
        recorded_breaches=Count("pk", filter=unanswered & Q(breached_at__isnull=False)),
    )
