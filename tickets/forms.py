from django import forms
from django.db.models import Exists, OuterRef
from django.forms.models import ModelChoiceIterator

from contracts.models import Priority, Tier
from portal.forms import RowsChoiceField
from portal.formstyle import BootstrapFormMixin
from portal.models import Organization, User
from portal.text import OneLineField
from tickets.macros import PLACEHOLDERS
from tickets.models import Kind, Rating, Status, Ticket, attachment_size_problem
from tickets.selectors import SORT_CHOICES, QueueView, staff_users, tag_names

# Each level's meaning and examples, in the portal's own words (SPEC, Priorities).
PRIORITY_HELP = {
    Priority.URGENT: (
        "Business has stopped and there is no way around it.",
        "Orders cannot be placed or shipped; order data is corrupted and cannot be recovered; a security "
        "breach; the system is too slow to use.",
    ),
    Priority.HIGH: (
        "A major function is lost, but you can still operate in a limited way.",
        "Orders are delayed by processing errors you can fix by hand; sales channels and the ERP are out of "
        "sync for longer than usual; part of the system does not respond.",
    ),
    Priority.NORMAL: (
        "A minor problem with a workaround, or a change of normal impact.",
        "Small inventory discrepancies; an enhancement; a change to a custom mapping; a layout glitch.",
    ),
    Priority.LOW: (
        "No effect on your operations.",
        "How-to questions; setup that is not critical; questions about messages; advice on a mapping.",
    ),
}

KIND_HELP = {
    Kind.QUESTION: "How something works, or advice.",
    Kind.INCIDENT: "Something is broken or behaves wrongly.",
    Kind.FEATURE_REQUEST: "An idea for the product.",
    Kind.CONFIGURATION_REQUEST: "Setup, integration, workflow or field-mapping work by a Solution Architect.",
    Kind.CONNECTOR_QUOTE: "Connect a system your contract does not include yet: we send a quote.",
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _check_sizes(files):
    for f in files:
        problem = attachment_size_problem(f.name, f.size)
        if problem:
            raise forms.ValidationError(problem)
    return files


class SupportRequestForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(
        choices=Kind.choices, widget=forms.RadioSelect, initial=Kind.QUESTION, label="What do you need?"
    )
    priority = forms.ChoiceField(choices=Priority.choices, widget=forms.RadioSelect, initial=Priority.NORMAL)
    subject = OneLineField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What happened, what you expected, and the order or SKU numbers involved.",
    )
    ccs = RowsChoiceField(
        queryset=User.objects.none(), required=False, label="Copy colleagues", widget=forms.CheckboxSelectMultiple
    )
    attachments = MultipleFileField(required=False, help_text="Screenshots, exports or logs; up to 10 MB each.")

    def __init__(self, *args, organization, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ccs"].queryset = User.objects.filter(membership__organization=organization).exclude(pk=user.pk)
        if not self.fields["ccs"].queryset.exists():
            del self.fields["ccs"]

    def clean_attachments(self):
        return _check_sizes(self.cleaned_data.get("attachments") or [])


class ReplyForm(BootstrapFormMixin, forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label="Your reply")
    attachments = MultipleFileField(required=False)

    def clean_attachments(self):
        return _check_sizes(self.cleaned_data.get("attachments") or [])


class StaffReplyForm(ReplyForm):
    visibility = forms.ChoiceField(
        choices=[("public", "Public reply to the customer"), ("internal", "Internal note (staff only)")],
        widget=forms.RadioSelect,
        initial="public",
        label="Send as",
    )
    # Choose who reads it before writing it: an internal note must not go to the customer by accident.
    field_order = ["visibility", "body", "attachments"]


class ListedChoiceIterator(ModelChoiceIterator):
    """Reads a model field's choices with one plain query, once for the form, rather than through a database
    cursor each time the field is drawn (Django's way: three round trips to PostgreSQL)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator


class WorkspaceForm(StaffReplyForm):
    """The workspace's one form: a reply or a note, and the ticket's status, assignee, priority and tags."""

    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 7}), label="Your reply", required=False)
    status = forms.ChoiceField(choices=Status.choices)
    assignee = ListedModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Unassigned")
    priority = forms.ChoiceField(choices=Priority.choices)
    priority_reason = forms.CharField(
        max_length=300,
        required=False,
        label="Why the priority changes",
        help_text="Needed with a change of priority: the customer reads it on the ticket.",
    )
    tags = forms.CharField(
        max_length=500, required=False, help_text="Separated by commas; staff only, never shown to the customer."
    )
    # What the ticket showed when the form was drawn: only a field the engineer changed is applied, so a stale
    # page never undoes a colleague's change (or the reply's own move of a new ticket to open).
    status_was = forms.CharField(required=False, widget=forms.HiddenInput)
    assignee_was = forms.CharField(required=False, widget=forms.HiddenInput)
    priority_was = forms.CharField(required=False, widget=forms.HiddenInput)
    tags_was = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)
    field_order = ["visibility", "body", "status", "assignee", "priority", "priority_reason", "tags", "attachments"]
    TRACKED = ("status", "assignee", "priority", "tags")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices show each person's name (or address): only those columns are read.
        self.fields["assignee"].queryset = staff_users().only("pk", "full_name", "email")

    def ticket_fields(self):
        """The ticket's own fields, side by side under the message."""
        return [self[name] for name in ("status", "assignee", "priority")]

    def change_fields(self):
        """Why the priority changes, and the tags."""
        return [self["priority_reason"], self["tags"]]

    @staticmethod
    def shown(ticket) -> dict:
        """The initial values of a ticket's form, with the values it showed."""
        values = {
            "status": ticket.status,
            "assignee": ticket.assignee_id or "",
            "priority": ticket.priority,
            "tags": ", ".join(tag_names(ticket)),
            "visibility": "public",
        }
        return {**values, **{f"{name}_was": values[name] for name in WorkspaceForm.TRACKED}}

    def changes(self, ticket) -> dict:
        """The tracked fields whose submitted value differs from what the form showed (or, when the form did
        not say, from the ticket)."""
        data, current = self.cleaned_data, self.shown(ticket)
        changed = {}
        for name in self.TRACKED:
            was_name = f"{name}_was"
            was = self.data.get(was_name, current[was_name]) if hasattr(self.data, "get") else current[was_name]
            value = data[name]
            text = str(value.pk if hasattr(value, "pk") else (value or ""))
            if name == "tags":
                text, was = _tag_text(text), _tag_text(was)
            if text != str(was or ""):
                changed[name] = value
        return changed


def _tag_text(text: str) -> str:
    return ",".join(sorted({part.strip().lower() for part in str(text or "").split(",") if part.strip()}))


class MergeForm(BootstrapFormMixin, forms.Form):
    into = forms.CharField(
        max_length=30, label="Merge this ticket into #", help_text="The number of the ticket that stays open."
    )

    def clean_into(self):
        text = self.cleaned_data["into"].strip().lstrip("#")
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise forms.ValidationError("Write the number of a ticket, such as 1042.")
        return int(text)


class CcForm(BootstrapFormMixin, forms.Form):
    ccs = RowsChoiceField(
        queryset=User.objects.none(), required=False, label="People copied", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        # Everyone active in the organization may be offered; the service refuses anyone else.
        self.fields["ccs"].queryset = (
            User.objects.filter(membership__organization_id=ticket.organization_id, is_active=True)
            .exclude(pk=ticket.requester_id)
            .order_by("full_name", "email")
        )

    @classmethod
    def drawn(cls, ticket, *, prefix: str | None = None) -> "CcForm":
        """The form as a page draws it, in one query: everyone who may be copied, those copied now checked."""
        form = cls(prefix=prefix, ticket=ticket)
        field = form.fields["ccs"]
        copied = Ticket.ccs.through.objects.filter(ticket_id=ticket.pk, user_id=OuterRef("pk"))
        people = list(field.queryset.annotate(is_copied=Exists(copied)))
        field.widget.choices = [(person.pk, field.label_from_instance(person)) for person in people]
        form.initial["ccs"] = [person.pk for person in people if person.is_copied]
        return form


class TicketNumbersField(forms.Field):
    """Ticket numbers posted as several values of one name (the queue's row checkboxes)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Select at least one ticket.", "invalid": "Ticket numbers are digits."}

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        numbers = []
        for item in values:
            text = str(item).strip()
            if not (text.isascii() and text.isdigit()) or len(text) > 18:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            numbers.append(int(text))
        return numbers


class BulkForm(BootstrapFormMixin, forms.Form):
    tickets = TicketNumbersField()
    assignee = forms.ChoiceField(required=False, label="Assign to")
    status = forms.ChoiceField(choices=[("", "Status unchanged"), *Status.choices], required=False, label="Status")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Internal note")

    def __init__(self, *args, staff: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Assignee unchanged"), ("none", "Unassigned")] + [
            (str(u.pk), str(u)) for u in (staff if staff is not None else staff_users())
        ]


class MacroForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(max_length=120)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Text",
        help_text="Placeholders: " + ", ".join(f"{{{name}}} ({meaning})" for name, meaning in PLACEHOLDERS.items()),
    )
    set_status = forms.ChoiceField(
        choices=[("", "Leave the status as it is"), *Status.choices], required=False, label="Then set the status to"
    )
    add_tags = forms.CharField(max_length=300, required=False, label="Add tags", help_text="Separated by commas.")
    is_active = forms.BooleanField(required=False, initial=True, label="Offered in the workspace")


class SatisfactionForm(BootstrapFormMixin, forms.Form):
    rating = forms.ChoiceField(choices=Rating.choices, widget=forms.RadioSelect, label="How did we do?")
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000, label="Anything to add? (optional)"
    )


class QueueFilterForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    view = forms.ChoiceField(choices=[("", "All open"), *QueueView.choices], required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)
    tag = forms.CharField(required=False, max_length=40)
    tier = forms.ChoiceField(
        choices=[("", "Any tier"), *Tier.choices, ("none", "No contract")],
        required=False,
    )
    priority = forms.ChoiceField(choices=[("", "Any priority"), *Priority.choices], required=False)
    status = forms.ChoiceField(choices=[("", "All open"), *Status.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Kind.choices], required=False)
    assignee = forms.ChoiceField(required=False)
    organization = forms.ChoiceField(required=False)

    def __init__(self, *args, staff: list | None = None, **kwargs):
        """`staff`: the staff users when the caller already read them (the queue shares them with BulkForm)."""
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Anyone"), ("me", "Me"), ("none", "Unassigned")] + [
            (str(u.pk), str(u)) for u in (staff if staff is not None else staff_users())
        ]
        self.fields["organization"].choices = [("", "Any organization")] + [
            (str(pk), name) for pk, name in Organization.objects.values_list("pk", "name")
        ]


class CustomerFilterForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(
        choices=[
            ("open", "Open"),
            ("waiting", "Waiting on you"),
            ("solved", "Solved or closed"),
            ("all", "All"),
            *Status.choices,
        ],
        required=False,
    )
    q = forms.CharField(required=False, label="Search", max_length=200)
