from django import forms
from django.core.exceptions import ValidationError

from portal.models import Article, Membership, User
from portal.text import OneLineField

_KEY_RANGE = range(-(2**63), 2**63)


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """Django's ModelMultipleChoiceField that refuses a number no row's key can be before asking the database:
    SQLite cannot bind an integer past 64 bits (OverflowError: a 500 where a refusal belongs), and PostgreSQL has
    no such key either. A single choice needs none of this: Django's exact lookup already answers "no row"."""

    def clean(self, value):
        value = self.prepare_value(value)  # rows given as instances become their keys, as Django's clean does
        for item in value if isinstance(value, list | tuple) else ():
            try:
                number = int(str(item))  # as an integer key reads it: signs, spaces and underscores too
            except ValueError:
                continue  # no number at all: Django refuses it as it does
            if number not in _KEY_RANGE:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
        return super().clean(value)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "time_zone"]
        widgets = {
            "full_name": forms.TextInput(attrs={"class": "form-control"}),
            "time_zone": forms.Select(attrs={"class": "form-select"}),
        }
        help_texts = {"time_zone": "Every date in the portal is shown in this time zone."}
        field_classes = {"full_name": OneLineField}


class ArticleForm(forms.ModelForm):
    """Staff's article editor; saving goes through `services.article_save`."""

    slug = forms.SlugField(
        required=False,
        max_length=200,
        help_text="The article's address. Left empty, it is made from the title.",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    class Meta:
        model = Article
        fields = ["title", "slug", "category", "tags", "visibility", "status", "body_markdown"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control"}),
            "category": forms.Select(attrs={"class": "form-select"}),
            "tags": forms.TextInput(attrs={"class": "form-control"}),
            "visibility": forms.Select(attrs={"class": "form-select"}),
            "status": forms.Select(attrs={"class": "form-select"}),
            "body_markdown": forms.Textarea(attrs={"class": "form-control font-monospace", "rows": 18}),
        }
        help_texts = {
            "visibility": "Customers-only articles are shown to signed-in customers and staff.",
            "status": "Drafts are seen by staff only.",
            "body_markdown": "Markdown: # headings, **bold**, lists, `code`, [links](https://example.com). "
            "HTML and scripts are removed.",
        }

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug and Article.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another article already has this address.")
        return slug


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("yes", "Yes"), ("no", "No")], coerce=lambda value: value == "yes")


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "off"})
    )
    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        initial=Membership.Role.MEMBER,
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="Administrators manage the organization's members.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices, widget=forms.Select(attrs={"class": "form-select"}))


class SignupDetailsForm(forms.Form):
    """What allauth's sign-up asks beyond email and password: the name colleagues and support see."""

    full_name = OneLineField(
        max_length=150,
        label="Your name",
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])
