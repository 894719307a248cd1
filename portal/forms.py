from django import forms

from portal.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "time_zone"]
        widgets = {
            "full_name": forms.TextInput(attrs={"class": "form-control"}),
            "time_zone": forms.Select(attrs={"class": "form-select"}),
        }
        help_texts = {"time_zone": "Every date in the portal is shown in this time zone."}
