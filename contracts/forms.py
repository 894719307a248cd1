from django import forms

from contracts.models import AddOn, Connector, Contract, Engagement
from portal.formstyle import BootstrapFormMixin


class ContractForm(BootstrapFormMixin, forms.ModelForm):
    add_ons = forms.MultipleChoiceField(
        choices=AddOn.Kind.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Add-ons"
    )
    connectors = forms.ModelMultipleChoiceField(
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

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        if self.instance.pk:
            self.fields["add_ons"].initial = [a.kind for a in self.instance.add_ons.all() if a.is_active]
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

    class Meta:
        model = Engagement
        fields = ["name", "scope", "quoted_hours", "status", "via_ticket", "via_email", "via_slack", "board_url"]
        widgets = {"scope": forms.Textarea(attrs={"rows": 4})}
