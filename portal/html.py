"""HTML written in Python for the pages that draw many rows (the queue: fifty rows, some thirty values each).

The same escaping as Django's `format_html` and `conditional_escape`: a value that is HTML already (it has
`__html__`, as `mark_safe` and other `format_html` results do) goes in as it is, anything else through
`html.escape`, quotes included. What these skip is Django's check of every argument for a lazy translation,
made by a decorator on each call to `escape()`: a thousand and more calls a queue page. Lazy translations are
still translated first, as Django does.
"""

import html

from django.utils.functional import Promise
from django.utils.safestring import SafeString


def escape(value) -> str:
    """`conditional_escape(value)`, as text."""
    if isinstance(value, Promise):
        value = str(value)  # a lazy translation, perhaps of safe text: as Django does, translated first
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def format_html(template: str, /, *args, **kwargs) -> SafeString:
    """`django.utils.html.format_html`: the template as it is, each value escaped unless it is HTML already."""
    return SafeString(template.format(*map(escape, args), **{name: escape(v) for name, v in kwargs.items()}))


def format_html_join(separator: str, template: str, rows) -> SafeString:
    """`django.utils.html.format_html_join` for rows of positional values: `template` formatted with each, joined."""
    return SafeString(escape(separator).join(format_html(template, *row) for row in rows))
