"""Display helpers: minutes as hours, and moments in the one format people read (portal.clock)."""

import re
from decimal import Decimal

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from portal import clock

register = template.Library()


@register.filter
def hours(minutes) -> str:
    """120 -> '2', 90 -> '1.5', 100 -> '1.67': minutes shown as hours, exact to the hundredth."""
    if minutes in (None, ""):
        return "—"
    value = (Decimal(int(minutes)) / Decimal(60)).quantize(Decimal("0.01"))
    return f"{value.normalize():f}"


@register.filter
def duration(delta) -> str:
    """A timedelta as '3 h 20 min', '45 min' or '2 d 4 h'."""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days, rest = divmod(minutes, 60 * 24)
    hours_part, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours_part} h"
    if hours_part:
        return f"{sign}{hours_part} h {mins:02d} min"
    return f"{sign}{mins} min"


@register.filter
def when(moment) -> str:
    """A moment in the reader's time zone: 'Fri 27 Nov 2026, 14:45 PST'."""
    return clock.when(moment)


@register.filter
def pacific(moment) -> str:
    """A moment in the support time zone, where business hours are counted: 'Tue 01 Dec 2026, 10:00 PST'."""
    return clock.when_support(moment)


@register.filter
def pacific_elsewhere(moment) -> str:
    """The moment in the support time zone when the reader's clock shows another time; '' when they agree."""
    if moment is None or clock.reads_as_support_time(moment):
        return ""
    return clock.when_support(moment)


@register.filter
def day(value) -> str:
    """A day: 'Fri 27 Nov 2026'."""
    return clock.day(value)


@register.filter
def addon_label(kind: str) -> str:
    """'premium_support' -> 'Premium Support'."""
    from contracts.models import AddOn

    try:
        return AddOn.Kind(kind).label
    except ValueError:
        return kind


@register.simple_tag(takes_context=True)
def with_param(context, name: str, value) -> str:
    """The current page's query string with `name` set to `value` (for pagination links): '?status=open&page=2'."""
    query = context["request"].GET.copy()
    query[name] = value
    return "?" + query.urlencode()


@register.filter
def quote_status(quote, today) -> str:
    """A quote's status as of `today` (a sent quote past its validity reads as expired)."""
    return quote.status_on(today)


@register.filter
def highlight(text, terms) -> str:
    """`text` escaped, with each word that starts with one of `terms` in <mark> (the knowledge base's results)."""
    text = escape(text or "")
    if not terms:
        return mark_safe(text)  # noqa: S308 - escaped above
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(escape(t)) for t in terms) + r")\w*", re.IGNORECASE)
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", text))  # noqa: S308 - escaped above


@register.filter
def sentence(text) -> str:
    """`text` ending in one full stop: 'No target applies' and 'No target applies.' both read 'No target applies.'"""
    text = str(text or "").rstrip()
    return text if not text or text[-1] in ".?!" else f"{text}."
