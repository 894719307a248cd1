"""Macros: canned replies staff keep, with placeholders filled from the ticket, a status and tags to set."""

import re

from django.core.exceptions import PermissionDenied
from django.db import transaction

from portal import clock, roles
from portal.models import User
from portal.refusals import Refusal
from tickets.models import TAG_PATTERN, Macro, Status, Ticket

PLACEHOLDERS = {
    "customer_name": "the requester's name",
    "ticket_number": "the ticket's number, such as #123",
    "deadline": "the first-response deadline, in the customer's time zone",
    "agent_name": "the name of the engineer who sends it",
}
_PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
_TAG = re.compile(TAG_PATTERN)


def tag_names(text_or_names) -> list[str]:
    """Tags from "a, b" (or a list): lower case, in order, each once; a name tags cannot have is refused."""
    parts = text_or_names.split(",") if isinstance(text_or_names, str) else list(text_or_names)
    names: list[str] = []
    for part in parts:
        name = str(part).strip().lower()
        if not name:
            continue
        if not _TAG.fullmatch(name):
            raise Refusal.on_field(
                "invalid_tag",
                "tags",
                f"“{name[:50]}” cannot be a tag: use up to 40 lower-case letters, digits, - or _, without spaces.",
            )
        if name not in names:
            names.append(name)
    return names


def placeholders_problem(body: str) -> str | None:
    """Why a macro's text cannot be filled in (an unknown placeholder), or None."""
    unknown = sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})
    if not unknown:
        return None
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    return f"Unknown placeholder {', '.join(f'{{{name}}}' for name in unknown)}. The placeholders are {known}."


def macro_text(macro: Macro, *, ticket: Ticket, agent: User) -> str:
    """The macro's text with the ticket's values in its placeholders."""
    requester = ticket.requester
    if ticket.first_response_due_at:
        deadline = clock.when(ticket.first_response_due_at, tz=clock.zone_of(requester))
    else:
        deadline = "no response target applies"
    values = {
        "customer_name": requester.get_full_name() if requester else (ticket.requester_label or "there"),
        "ticket_number": f"#{ticket.pk}",
        "deadline": deadline,
        "agent_name": agent.get_full_name(),
    }
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), macro.body)


@transaction.atomic
def macro_save(
    *,
    actor: User,
    title: str,
    body: str,
    set_status: str = "",
    add_tags: str = "",
    is_active: bool = True,
    macro: Macro | None = None,
) -> Macro:
    """Creates or changes a macro; refuses unknown placeholders, a status that is no status and bad tags."""
    if not roles.is_support_staff(actor):
        raise PermissionDenied("Only support staff keep macros.")
    problem = placeholders_problem(body)
    if problem:
        raise Refusal.on_field("unknown_placeholder", "body", problem)
    if set_status and set_status not in Status.values:
        raise Refusal.on_field("invalid_status", "set_status", f"Unknown status {set_status!r}.")
    if Macro.objects.filter(title__iexact=title.strip()).exclude(pk=macro.pk if macro else None).exists():
        raise Refusal.on_field("duplicate_title", "title", "Another macro has this title.")
    macro = macro or Macro(created_by=actor)
    macro.title = title.strip()
    macro.body = body
    macro.set_status = set_status
    macro.add_tags = ", ".join(tag_names(add_tags))
    macro.is_active = is_active
    macro.updated_by = actor
    macro.full_clean()
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, actor: User, macro: Macro) -> None:
    if not roles.is_support_staff(actor):
        raise PermissionDenied("Only support staff keep macros.")
    macro.delete()
