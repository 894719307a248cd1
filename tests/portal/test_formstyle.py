"""The quick widget renderer draws exactly what Django's widget templates draw, for every widget it draws."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from portal.formstyle import BootstrapFormMixin, QuickWidgetRenderer

TEMPLATES = DjangoTemplates()
CHOICES = [("a", "Apple & <pear>"), ("b", 'Say "b"'), ("", "None")]
GROUPED = [("Fruit", [("a", "Apple"), ("b", "Banana")]), ("c", "Cherry")]


class Everything(BootstrapFormMixin, forms.Form):
    text = forms.CharField(max_length=20, help_text="Help", widget=forms.TextInput(attrs={"placeholder": "<x>"}))
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    email = forms.EmailField(required=False, disabled=True)
    area = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    pick = forms.ChoiceField(choices=CHOICES)
    grouped = forms.ChoiceField(choices=GROUPED, required=False)
    many = forms.MultipleChoiceField(choices=CHOICES, required=False)
    radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
    boxes = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple, required=False)
    upload = forms.FileField(required=False)


DATA = {
    "text": 'a "quoted" <b>value</b> & more',
    "hidden": "h&1",
    "area": "line one\n<two>\n",
    "pick": "b",
    "grouped": "b",
    "many": ["a", ""],
    "radio": "a",
    "boxes": ["b"],
}


QUICK = QuickWidgetRenderer()


def _drawn(form, renderer) -> list[str]:
    form.renderer = renderer
    drawn = []
    for field in form:
        drawn.append(str(field))
        drawn.extend(str(choice.tag()) for choice in field.subwidgets)
        drawn.extend(str(choice) for choice in field.subwidgets)
    return drawn


@pytest.mark.parametrize(
    "form",
    [
        lambda: Everything(),
        lambda: Everything(initial={"text": mark_safe("<i>safe</i>"), "area": "", "hidden": 0}),
        lambda: Everything(DATA),
        lambda: Everything({"pick": "nope", "text": "x" * 30}),
        lambda: Everything(DATA, auto_id=False),
        lambda: Everything(DATA, prefix="p", auto_id="f_%s"),
    ],
)
def test_the_quick_renderer_draws_what_the_templates_draw(form):
    assert _drawn(form(), QUICK) == _drawn(form(), TEMPLATES)


def test_a_widget_it_does_not_know_is_drawn_by_its_template():
    class Other(forms.Form):
        when = forms.SplitDateTimeField()
        count = forms.IntegerField()

    assert "django/forms/widgets/number.html" not in QuickWidgetRenderer.WIDGETS
    assert _drawn(Other({"count": "3"}), QUICK) == _drawn(Other({"count": "3"}), TEMPLATES)


def test_every_form_draws_with_the_quick_renderer():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), QuickWidgetRenderer)
