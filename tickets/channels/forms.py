from django import forms

from portal.formstyle import BootstrapFormMixin
from portal.models import Organization, User
from portal.text import OneLineField


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()} <{obj.email}> · {obj.membership.organization}"


class AcceptForm(BootstrapFormMixin, forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.all(), label="Organization")
    requester = MemberChoiceField(
        queryset=User.objects.filter(is_active=True, membership__isnull=False)
        .select_related("membership__organization")
        .order_by("membership__organization__name", "email"),
        required=False,
        help_text="A member of the organization; leave empty to open it with the sender's address as requester.",
    )
    subject = OneLineField(max_length=200)

    def clean(self):
        data = super().clean()
        organization, requester = data.get("organization"), data.get("requester")
        if organization and requester and requester.organization != organization:
            self.add_error("requester", f"{requester.email} is not a member of {organization}.")
        return data
