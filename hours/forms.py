"""Forms of the hours pages; they only parse input: the rules live in hours.services."""

from django import forms
from django.db.models import Q

from contracts.models import Connector, Engagement
from hours import rules
from hours.models import MAX_ENTRY_MINUTES, Category, WorkMode
from portal.formstyle import BootstrapFormMixin
from portal.models import Organization
from tickets.models import Kind as TicketKind
from tickets.models import Ticket


class WholeMinutesField(forms.IntegerField):
    """Whole minutes as hours.rules reads them (IntegerField alone would take "2.0" as 2)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return rules.whole_minutes(value, signed=True)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class MinutesField(WholeMinutesField):
    default_error_messages = {
        "invalid": rules.WHOLE_MINUTES,
        "min_value": "Minutes must be at least 1.",
        "max_value": f"One entry holds at most {MAX_ENTRY_MINUTES} minutes (16 hours); split longer work by day.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ENTRY_MINUTES)
        super().__init__(**kwargs)


class OrganizationSelect(forms.Select):
    """Options carry their organization's id, so the page's script can narrow tickets and engagements."""

    def __init__(self, *args, organization_of=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_of = organization_of or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        key = getattr(value, "value", value)
        if key in self.organization_of:
            option["attrs"]["data-organization"] = str(self.organization_of[key])
        return option


def _ticket_label(ticket: Ticket) -> str:
    return f"#{ticket.pk} {ticket.organization.name}: {ticket.subject[:60]}"


class TimeEntryForm(BootstrapFormMixin, forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.filter(contracts__isnull=False).distinct().order_by("name"),
        required=False,
        help_text="Narrows the tickets and engagements below.",
    )
    ticket = forms.ModelChoiceField(
        queryset=Ticket.objects.none(), required=False, help_text="A configuration request."
    )
    engagement = forms.ModelChoiceField(
        queryset=Engagement.objects.none(),
        required=False,
        help_text="For Integration Support, only when the work belongs to an engagement (a connector's onboarding).",
    )
    category = forms.ChoiceField(choices=Category.choices)
    work_mode = forms.ChoiceField(
        choices=[("", "—"), *WorkMode.choices],
        required=False,
        label="Online call or offline work",
        help_text="Work on an engagement says which it was.",
    )
    connector = forms.ModelChoiceField(
        queryset=Connector.objects.filter(is_active=True), required=False, help_text="For Integration Support."
    )
    work_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    minutes = MinutesField(help_text="Whole minutes; rounded up to the contract's increment when debited.")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def __init__(self, *args, extra_ticket: Ticket | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        wanted = Q(kind=TicketKind.CONFIGURATION_REQUEST) | Q(engagement__isnull=False)
        tickets = Ticket.objects.filter(Q(pk__in=Ticket.objects.open().filter(wanted).values("pk")))
        if extra_ticket is not None:
            tickets = Ticket.objects.filter(Q(pk__in=tickets.values("pk")) | Q(pk=extra_ticket.pk))
        tickets = tickets.select_related("organization").order_by("organization__name", "-pk")
        engagements = Engagement.objects.filter(status=Engagement.Status.ACTIVE).select_related(
            "contract__organization"
        )
        self.fields["ticket"].queryset = tickets
        self.fields["ticket"].label_from_instance = _ticket_label
        self.fields["ticket"].widget = OrganizationSelect(
            organization_of={t.pk: t.organization_id for t in tickets}, attrs={"class": "form-select"}
        )
        self.fields["ticket"].widget.choices = self.fields["ticket"].choices
        self.fields["engagement"].queryset = engagements
        self.fields["engagement"].label_from_instance = lambda e: f"{e.contract.organization.name}: {e.name}"
        self.fields["engagement"].widget = OrganizationSelect(
            organization_of={e.pk: e.contract.organization_id for e in engagements}, attrs={"class": "form-select"}
        )
        self.fields["engagement"].widget.choices = self.fields["engagement"].choices

    def clean(self):
        data = super().clean()
        if not data.get("ticket") and not data.get("engagement") and not self.errors:
            raise forms.ValidationError("Choose the configuration ticket or the engagement worked on.")
        organization, ticket = data.get("organization"), data.get("ticket")
        if organization and ticket and ticket.organization_id != organization.pk:
            self.add_error("ticket", f"Ticket #{ticket.pk} belongs to {ticket.organization}, not {organization}.")
        return data


class EditEntryForm(TimeEntryForm):
    """The same fields as logging; the entry's current values are its initial data."""


class VoidForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(max_length=300, required=False, label="Why (optional)")


class AdjustForm(BootstrapFormMixin, forms.Form):
    minutes = WholeMinutesField(
        min_value=-60000,
        max_value=60000,
        error_messages={"invalid": rules.WHOLE_SIGNED_MINUTES},
        help_text="Positive to credit hours, negative to debit them (whole minutes: 90 = 1.5 h).",
    )
    reason = forms.CharField(max_length=300, help_text="The customer reads it on their statement.")
    engagement = forms.ModelChoiceField(
        queryset=Engagement.objects.none(), required=False, help_text="Leave empty to adjust the contract year."
    )

    def __init__(self, *args, contract=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contract is not None:
            self.fields["engagement"].queryset = contract.engagements.all()

    def clean_minutes(self):
        minutes = self.cleaned_data["minutes"]
        if minutes == 0:
            raise forms.ValidationError("Enter a non-zero number of minutes.")
        return minutes
