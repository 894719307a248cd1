"""Gives Django forms Bootstrap's classes, so templates can render any field the same way, and a quick renderer for
the widgets of busy pages."""

from django import forms
from django.forms.renderers import DjangoTemplates

from portal.html import escape


class BootstrapFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


_e = escape  # the widgets of a busy page: Django's escaping, without its per-call lazy check


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html: False leaves the attribute out, True writes its bare name.
    return "".join(
        f" {_e(name)}" if value is True else f' {_e(name)}="{_e(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_e(widget["value"])}"'
    return f'<input type="{_e(widget["type"])}" name="{_e(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _input_option(widget: dict) -> str:
    if not widget.get("wrap_label"):
        return _input(widget)
    label_for = f' for="{_e(widget["attrs"]["id"])}"' if widget["attrs"].get("id") else ""
    # The template includes input.html, whose last line ends: the label's text starts on a new line.
    return f"<label{label_for}>{_input(widget)}\n {_e(widget['label'])}</label>"


def _textarea(widget: dict) -> str:
    value = _e(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_e(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select_option(widget: dict) -> str:
    return f'<option value="{_e(widget["value"])}"{_attrs(widget["attrs"])}>{_e(widget["label"])}</option>'


def _select(widget: dict) -> str:
    parts = [f'<select name="{_e(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_e(group_name)}">')
        parts.extend(f"\n  {_select_option(option)}\n" for option in options)  # each option's template ends a line
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _file(widget: dict) -> str | None:
    if widget.get("is_initial"):
        return None  # the template says what the current file is
    return f'<input type="{_e(widget["type"])}" name="{_e(widget["name"])}"{_attrs(widget["attrs"])}>'


class QuickWidgetRenderer(DjangoTemplates):
    """Draws the common widgets (inputs, text areas, selects, radio buttons and checkboxes) in Python, exactly as
    Django's own widget templates do, and any other widget with its template. A busy page's form then costs a
    fraction of the time: each widget drawn through a template costs a fresh template context and its includes.
    It is every form's renderer (settings.FORM_RENDERER).
    tests/test_formstyle.py holds the output to the templates' for every widget drawn here."""

    WIDGETS = {
        "django/forms/widgets/input.html": _input,
        "django/forms/widgets/text.html": _input,
        "django/forms/widgets/hidden.html": _input,
        "django/forms/widgets/radio_option.html": _input_option,
        "django/forms/widgets/checkbox_option.html": _input_option,
        "django/forms/widgets/input_option.html": _input_option,
        "django/forms/widgets/textarea.html": _textarea,
        "django/forms/widgets/select.html": _select,
        "django/forms/widgets/select_option.html": _select_option,
        "django/forms/widgets/clearable_file_input.html": _file,
    }

    def render(self, template_name, context, request=None):
        draw = self.WIDGETS.get(template_name)
        html = draw(context["widget"]) if draw is not None else None
        return html if html is not None else super().render(template_name, context, request=request)
