"""Reads about contracts that views and the API share."""

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db.models import Prefetch, QuerySet
from django.utils.text import capfirst

from contracts.models import AddOn, Connector, Contract, Priority, describe_target
from portal.models import Organization


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    subject: str  # "Contract", "Add-on Premium Support", ...
    action: str  # created, changed, deleted
    changes: list[str]


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
        entries.append(HistoryEntry(item["when"], item["who"], item["subject"], item["action"], changes))
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
    return sorted(entries, key=lambda e: e.when, reverse=True)


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
