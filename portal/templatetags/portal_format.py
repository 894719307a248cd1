"""Display helpers: minutes as hours, deadlines in the viewer's zone with their Pacific context."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def hours(minutes) -> str:
    """120 -> '2', 90 -> '1.5', 100 -> '1.67': minutes shown as hours, exact to the hundredth."""
    if minutes in (None, ""):
        return "—"
    value = (Decimal(int(minutes)) / Decimal(60)).quantize(Decimal("0.01"))
    return f"{value.normalize():f}"


@register.filter
def percent_of(part, whole) -> int:
    try:
        whole = int(whole)
        return max(0, min(100, round(int(part) * 100 / whole))) if whole else 0
    except (TypeError, ValueError):
        return 0
