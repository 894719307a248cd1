from django import forms
from django.db.models import Q

from contracts.models import AddOn, ChangeRequest, Connector, Contract, Engagement, Milestone, Quote
from portal import roles
from portal.forms import RowsChoiceField
from portal.formstyle import BootstrapFormMixin
from portal.models import User

# What an accepted change request turns on in the contract edit that applies it.
ADD_ON_OF_CHANGE = {
    ChangeRequest.Change.ENTERPRISE_SUPPORT: AddOn.Kind.ENTERPRISE_SUPPORT,
    ChangeRequest.Change.PREMIUM_SUPPORT: AddOn.Kind.PREMIUM_SUPPORT,
    ChangeRequest.Change.SLACK_CHANNEL: AddOn.Kind.SLACK_CHANNEL,
}


class ContractForm(BootstrapFormMixin, forms.ModelForm):
    add_ons = forms.MultipleChoiceField(
        choices=AddOn.Kind.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Add-ons"
    )
    connectors = RowsChoiceField(
        queryset=Connector.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Integration Support covers only these; any other connector is quoted as a new project.",
    )
    slack_channel_ids = forms.CharField(
        required=False,
        label="Slack channel ids",
        help_text="Comma-separated, e.g. C0GLOBEX01. Mapped channels are answered only when Slack is included.",
    )

    class Meta:
        model = Contract
        fields = [
            "plan",
            "status",
            "term_start",
            "term_end",
            "add_ons",
            "sa_hours_per_year",
            "rounding_increment_minutes",
            "rollover",
            "overage_approved",
            "connectors",
            "escalation_channel",
            "slack_channel_ids",
            "notes",
        ]
        widgets = {
            "term_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "term_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    change_request = forms.ModelChoiceField(
        queryset=ChangeRequest.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, organization, applying: ChangeRequest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["change_request"].queryset = ChangeRequest.objects.filter(organization=organization)
        if self.instance.pk:
            self.fields["add_ons"].initial = [a.kind for a in self.instance.add_ons.all() if a.is_active]
        if applying is not None:
            # The edit starts with the requested change in place; the account manager reviews it and saves.
            self.fields["change_request"].initial = applying.pk
            wanted = ADD_ON_OF_CHANGE.get(applying.change)
            current = list(self.fields["add_ons"].initial or [])
            if wanted and wanted not in current:
                self.fields["add_ons"].initial = [*current, wanted]
        self.fields["slack_channel_ids"].initial = ", ".join(
            organization.slack_channels.values_list("channel_id", flat=True)
        )

    def clean_slack_channel_ids(self) -> list[str]:
        raw = self.cleaned_data.get("slack_channel_ids", "")
        ids = [part.strip().upper() for part in raw.replace(";", ",").split(",") if part.strip()]
        for channel_id in ids:
            if not (channel_id[:1] in "CG" and channel_id.isalnum() and 9 <= len(channel_id) <= 12):
                raise forms.ValidationError(f"{channel_id} is not a Slack channel id (like C0GLOBEX01).")
        return ids

    def _post_clean(self):
        # Validation of the whole contract happens in the service, where add-ons are known too.
        pass


class EngagementForm(BootstrapFormMixin, forms.ModelForm):
    board_url = forms.URLField(required=False, assume_scheme="https", label="Project board")
    asana_project_gid = forms.RegexField(
        regex=r"^\d{1,40}$",
        required=False,
        label="Asana project",
        help_text="The number in the project's Asana address. With ASANA_TOKEN set, the plan is synced from it.",
        error_messages={"invalid": "An Asana project gid is a number, like 1209000000000001."},
    )

    class Meta:
        model = Engagement
        fields = [
            "name",
            "scope",
            "quoted_hours",
            "status",
            "via_ticket",
            "via_email",
            "via_slack",
            "board_url",
            "asana_project_gid",
        ]
        widgets = {"scope": forms.Textarea(attrs={"rows": 4})}

    change_request = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, applying: ChangeRequest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if applying is not None:
            self.fields["change_request"].initial = applying.pk
        if applying is not None and not self.instance.pk:
            self.fields["status"].initial = Engagement.Status.QUOTED
            self.fields["scope"].initial = applying.note


class ChangeRequestForm(BootstrapFormMixin, forms.Form):
    change = forms.ChoiceField(
        choices=ChangeRequest.Change.choices, widget=forms.RadioSelect, label="What would you like to change?"
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        label="Tell us more",
        help_text="What you need it for, and from when. Your account manager reads it.",
    )


class AnswerForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(
        choices=[
            (ChangeRequest.Status.IN_DISCUSSION, "In discussion"),
            (ChangeRequest.Status.ACCEPTED, "Accepted"),
            (ChangeRequest.Status.DECLINED, "Declined"),
        ],
        widget=forms.RadioSelect,
        label="Answer",
    )
    response = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        label="Your answer to the customer",
        help_text="The customer reads it and is emailed. Required to decline.",
    )


class QuoteForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Quote
        fields = ["connector", "hours", "price", "currency", "valid_until", "scope"]
        labels = {"hours": "Quoted onboarding hours", "price": "Price"}
        help_texts = {
            "price": "The amount, in the currency below.",
            "valid_until": "The customer can accept it until the end of this day.",
        }
        widgets = {
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "scope": forms.Textarea(attrs={"rows": 5}),
        }

    def _post_clean(self):
        # The quote's rules (a sent quote is final, the validity) are checked by the service.
        pass


class DecisionForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label="A note for your account manager (optional)",
    )


class MilestoneForm(BootstrapFormMixin, forms.ModelForm):
    owner = forms.ModelChoiceField(queryset=None, required=False, help_text="Who moves it forward.")

    class Meta:
        model = Milestone
        fields = ["title", "section", "due_on", "status", "owner"]
        labels = {"section": "Phase", "due_on": "Due"}
        help_texts = {"section": "Optional: the phase of the plan it belongs to."}
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, engagement: Engagement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            User.objects.filter(is_active=True)
            .filter(
                Q(is_superuser=True)
                | Q(groups__name__in=roles.STAFF_GROUPS)
                | Q(membership__organization=engagement.contract.organization_id)
            )
            .distinct()
            .order_by("full_name", "email")
        )

    def _post_clean(self):
        # The milestone's rules (a synced plan, the owner) are checked by the service.
        pass
