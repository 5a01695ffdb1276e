"""Small formatting filters of the progress pages."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import number_format

from reports.dashboard import value_of

register = template.Library()


@register.filter
def signed(value):
    """A change as +3 / −2 / 0 (true minus sign), grouped like the counts beside it (+1.234),
    empty when there is nothing to compare with."""
    if value is None:
        return ""
    if value > 0:
        return f"+{number_format(value)}"
    if value < 0:
        return f"\u2212{number_format(-value)}"
    return "0"


@register.filter
def percent(value):
    """A percentage with one decimal in the active language's format, or a dash."""
    if value is None:
        return "\u2014"
    return f"{floatformat(value, 1)} %"


@register.filter
def field(obj, name):
    """getattr for templates: the count named `name` of a Counts."""
    return getattr(obj, name, None)


@register.filter
def pct(value):
    """A compact percentage for tables and figures: 13,3% / 25% (no needless ",0"), or a dash."""
    if value is None:
        return "\u2014"
    return f"{floatformat(value, -1)}%"


@register.filter
def cell(line, column):
    """The figure of a progress line in a column (reports.dashboard.Column)."""
    return value_of(line, column)
