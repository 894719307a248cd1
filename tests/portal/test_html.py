"""portal.html writes what Django's format_html writes, for any value: the queue's rows depend on it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import html as django_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from portal import html

VALUES = [
    "plain",
    '<script>alert("x")</script>',
    'Tom & Jerry\'s "quote"',
    "",
    None,
    0,
    -12,
    Decimal("1.50"),
    dt.date(2026, 11, 29),
    mark_safe("<b>kept</b>"),
    django_html.format_html("<i>{}</i>", "<already escaped>"),
    gettext_lazy("Open"),
    gettext_lazy(mark_safe("<b>safe, and lazy</b>")),
    "ünïcødé ✉ 📎",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_each_value_is_escaped_as_django_escapes_it(value):
    template = '<a title="{}" href="/x?{}">{name}</a>'
    mine = html.format_html(template, value, value, name=value)
    assert mine == django_html.format_html(template, value, value, name=value)
    assert isinstance(mine, SafeString)


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_any_text_comes_out_as_with_django(texts):
    template = "".join("<td>{}</td>" for _ in texts)
    assert html.format_html(template, *texts) == django_html.format_html(template, *texts)


def test_join_as_django_joins():
    rows = [("/a?<b>", "x & y"), ("/c", mark_safe("<em>z</em>"))]
    template = '<a href="{}">{}</a>'
    assert html.format_html_join(" & ", template, rows) == django_html.format_html_join(" & ", template, rows)
    assert html.format_html_join("", template, []) == ""
