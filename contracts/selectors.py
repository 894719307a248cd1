"""Reads about contracts that views and the API share."""

import dataclasses
import datetime
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Prefetch, QuerySet
from django.utils.text import capfirst

from contracts.models import AddOn, ChangeRequest, Connector, Contract, Milestone, Priority, describe_target
from portal import clock
from portal.models import Organization


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime.datetime
    who: str
    subject: str  # "Contract", "Add-on Premium Support", ...
    action: str  # created, changed, deleted
    changes: list[str]
    note: str = ""  # why: the change request a contract edit applied, the quote its acceptance came from
    batch: str = ""  # the id every record of one save shares


def _describe(value, field_name: str) -> str:
    if field_name == "connectors" and isinstance(value, list):
        ids = [row.get("connector") for row in value]
        names = dict(Connector.objects.filter(pk__in=ids).values_list("pk", "name"))
        return ", ".join(sorted(names.get(i, str(i)) for i in ids)) or "none"
    if value in (None, ""):
        return "—"
    return str(value)


def _entries(records, subject_of) -> list[HistoryEntry]:
    merged: list[dict] = []
    for record in records:
        who = str(record.history_user) if record.history_user else "system"
        action = {"+": "created", "~": "changed", "-": "deleted"}[record.history_type]
        fields: dict[str, list] = {}
        previous = record.prev_record
        if record.history_type == "~" and previous is not None:
            for change in record.diff_against(previous).changes:
                fields[change.field] = [change.old, change.new]
            if not fields:
                continue
        last = merged[-1] if merged else None
        # One save can write several records (a connector list is set as a remove, then an add).
        if (
            last
            and action == last["action"] == "changed"
            and record.history_change_reason
            and (record.history_change_reason == last["batch"])
        ):
            for name, (old, new) in fields.items():
                last["fields"].setdefault(name, [old, new])[1] = new
            continue
        merged.append(
            {
                "when": record.history_date,
                "who": who,
                "action": action,
                "fields": fields,
                "subject": subject_of(record),
                "model": record.instance._meta,
                "batch": record.history_change_reason,
            }
        )
    entries = []
    for item in merged:
        changes = [
            f"{capfirst(item['model'].get_field(name).verbose_name)}: {_describe(old, name)} → {_describe(new, name)}"
            for name, (old, new) in item["fields"].items()
            if old != new
        ]
        if item["action"] == "changed" and not changes:
            continue
        entries.append(
            HistoryEntry(item["when"], item["who"], item["subject"], item["action"], changes, batch=item["batch"] or "")
        )
    return entries


def contract_history(contract: Contract) -> list[HistoryEntry]:
    """Every recorded change to the contract, its add-ons, engagements and the organization's Slack channels."""
    entries = _entries(contract.history.select_related("history_user").order_by("history_date"), lambda r: "Contract")
    add_on_model = AddOn.history.model
    entries += _entries(
        add_on_model.objects.filter(contract_id=contract.pk).select_related("history_user").order_by("history_date"),
        lambda r: f"Add-on {AddOn.Kind(r.kind).label}",
    )
    engagement_model = contract.engagements.model.history.model
    entries += _entries(
        engagement_model.objects.filter(contract_id=contract.pk)
        .select_related("history_user")
        .order_by("history_date"),
        lambda r: f"Engagement {r.name}",
    )
    slack_model = contract.organization.slack_channels.model.history.model
    entries += _entries(
        slack_model.objects.filter(organization_id=contract.organization_id).select_related("history_user"),
        lambda r: f"Slack channel {r.channel_id}",
    )
    entries += _allotment_changes(contract)
    requests = list(ChangeRequest.objects.filter(contract=contract).order_by("pk"))
    entries += _change_request_entries(contract, requests)
    notes = {
        r.applied_batch: f"Applies change request #{r.pk} ({r.get_change_display()})"
        for r in requests
        if r.applied_batch
    }
    for quote_id in {e.batch.removeprefix("quote ") for e in entries if e.batch.startswith("quote ")}:
        notes[f"quote {quote_id}"] = f"Accepting quote #{quote_id}"
    entries = [dataclasses.replace(e, note=notes[e.batch]) if e.batch in notes else e for e in entries]
    return sorted(entries, key=lambda e: e.when, reverse=True)


def _change_request_entries(contract: Contract, requests: list[ChangeRequest]) -> list[HistoryEntry]:
    """Each request to change the support level: when it was asked for, answered and applied."""
    labels = {r.pk: r.get_change_display() for r in requests}
    records = (
        ChangeRequest.history.filter(contract_id=contract.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    entries, previous = [], {}
    for record in records:
        who = str(record.history_user) if record.history_user else "system"
        subject = f"Change request #{record.id} ({labels.get(record.id, record.change)})"
        before = previous.get(record.id)
        previous[record.id] = record
        if before is None:
            entries.append(HistoryEntry(record.history_date, who, subject, "requested", [record.note or "—"]))
            continue
        if record.applied_at and not before.applied_at:
            entries.append(HistoryEntry(record.history_date, who, subject, "applied", ["The contract was changed."]))
            continue
        changes = []
        if record.status != before.status:
            old, new = ChangeRequest.Status(before.status).label, ChangeRequest.Status(record.status).label
            changes.append(f"Status: {old} → {new}")
        if record.response != before.response and record.response:
            changes.append(f"Answer: {record.response}")
        if changes:
            entries.append(HistoryEntry(record.history_date, who, subject, "answered", changes))
    return entries


def _allotment_changes(contract: Contract) -> list[HistoryEntry]:
    """The hours ledger's allotment changes: what a change of hours or tier did to the contract year."""
    from portal.templatetags.portal_format import hours

    ledger = apps.get_model("hours", "LedgerEntry")  # hours builds on contracts: no import of it at load time
    rows = ledger.objects.filter(
        contract=contract, engagement__isnull=True, kind=ledger.Kind.ALLOTMENT_CHANGE
    ).select_related("actor")
    return [
        HistoryEntry(
            when=row.created_at,
            who=str(row.actor) if row.actor else "system",
            subject="Hours ledger",
            action="allotment changed",
            changes=[f"{'+' if row.minutes > 0 else '-'}{hours(abs(row.minutes))} h this contract year: {row.reason}"],
        )
        for row in rows
    ]


def organizations_with_contracts() -> QuerySet[Organization]:
    return Organization.objects.prefetch_related(
        Prefetch(
            "contracts",
            queryset=Contract.objects.prefetch_related("add_ons", "connectors").order_by("-term_start"),
        )
    ).order_by("name")


def entitlement_summary(entitlements) -> dict:
    """What pages show of entitlements: targets as rows of priority × policy, described in words."""
    rows = {}
    for rule in entitlements.response_targets:
        rows.setdefault(rule.priority, []).append(
            {
                "source": rule.source,
                "text": describe_target(rule.target_minutes, rule.calendar),
                "calendar": rule.calendar,
            }
        )
    ordered = [(p, rows[p]) for p in Priority.values if p in rows]  # most urgent first
    return {"entitlements": entitlements, "target_rows": ordered}


# An engagement's plan ---------------------------------------------------------------------------------------


def plan_summary(engagement, *, today: datetime.date) -> dict:
    """The plan's milestones in order, its progress, and the points of its timeline chart (an SVG, no script)."""
    milestones = list(engagement.milestones.select_related("owner").in_plan_order())
    done = sum(1 for m in milestones if m.status == Milestone.Status.DONE)
    overdue = [m for m in milestones if m.due_on and m.due_on < today and m.status != Milestone.Status.DONE]
    return {
        "milestones": milestones,
        "total": len(milestones),
        "done": done,
        "in_progress": sum(1 for m in milestones if m.status == Milestone.Status.IN_PROGRESS),
        "percent": round(100 * done / len(milestones)) if milestones else 0,
        "overdue": overdue,
        "next": next((m for m in milestones if m.status != Milestone.Status.DONE), None),
        "chart": _timeline(milestones, start=clock.support_date(engagement.created_at), today=today),
    }


TIMELINE_COLOURS = {"done": "#198754", "in_progress": "#0d6efd", "planned": "#6c757d"}


def _timeline(milestones, *, start: datetime.date, today: datetime.date) -> dict | None:
    """One row per dated milestone on a time axis from the engagement's start to the last due date (or today)."""
    dated = [m for m in milestones if m.due_on]
    if not dated:
        return None
    first = min([start, today, *(m.due_on for m in dated)])
    last = max([today, *(m.due_on for m in dated)])
    span = max((last - first).days, 1)
    left, label_width, right_pad, row_height, top = 10, 230, 20, 26, 24
    width = 760
    plot_left, plot_right = left + label_width, width - right_pad

    def x(day: datetime.date) -> float:
        return round(plot_left + (plot_right - plot_left) * (day - first).days / span, 1)

    rows = []
    for index, milestone in enumerate(dated):
        y = top + index * row_height + row_height / 2
        rows.append(
            {
                "milestone": milestone,
                "y": y,
                "x": x(milestone.due_on),
                "colour": TIMELINE_COLOURS[milestone.status],
                "label": milestone.title if len(milestone.title) <= 34 else milestone.title[:33] + "…",
                "late": milestone.due_on < today and milestone.status != Milestone.Status.DONE,
            }
        )
    bottom = top + len(dated) * row_height
    return {
        "width": width,
        "height": bottom + 28,
        "top": top,
        "bottom": bottom,
        "label_x": left,
        "plot_left": plot_left,
        "plot_right": plot_right,
        "today_x": x(today),
        "start_label": clock.day(first),
        "end_label": clock.day(last),
        "label_y": bottom + 18,
        "rows": rows,
    }
