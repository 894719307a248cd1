"""Text from outside made safe for one-line places: email headers, subjects, names."""

import unicodedata

from django import forms
from rest_framework import serializers

from portal.refusals import Refusal


def one_line(value) -> str:
    """The value on one line: every line break and run of whitespace one space, control characters (NUL too) gone."""
    text = "" if value is None else str(value)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    return " ".join(text.split())


def size_text(size: int) -> str:
    """A size in bytes for people: 4.9 KB, 25.0 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


MAX_JSON_DEPTH = 64


def json_clean(value, *, max_depth: int = MAX_JSON_DEPTH, strip_nul: bool = True):
    """A copy of parsed JSON with NUL characters removed from every string (PostgreSQL refuses them), walked without
    recursion; refuses (`too_deep`) JSON nested more than `max_depth` levels, deeper than any message of ours."""

    def clean(item):
        if isinstance(item, str):
            return item.replace("\x00", "") if strip_nul else item
        if isinstance(item, dict):
            return {}
        if isinstance(item, list):
            return []
        return item

    root = clean(value)
    stack = [(value, root, 1)]
    while stack:
        source, target, depth = stack.pop()
        if not isinstance(source, dict | list):
            continue
        if depth > max_depth:
            raise Refusal("too_deep", f"The JSON is nested more than {max_depth} levels deep.")
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in pairs:
            copy = clean(item)
            if isinstance(target, dict):
                target[clean(key)] = copy
            else:
                target.append(copy)
            if isinstance(item, dict | list):
                stack.append((item, copy, depth + 1))
    return root


class OneLineField(forms.CharField):
    """A form field whose value reaches one-line places (an email subject, a name): line breaks become spaces."""

    def to_python(self, value):
        return one_line(super().to_python(value))


class OneLineSerializerField(serializers.CharField):
    """The API's one-line text field (see OneLineField)."""

    def to_internal_value(self, data):
        return one_line(super().to_internal_value(data))
