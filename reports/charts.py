"""The trend chart, drawn on the server as inline SVG (no script, no CDN, prints as is)."""

import math

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 34, 30
COLOURS = ("#1f6fb2", "#2b8a3e")


def _f(value):
    # format_html escapes its arguments into strings before formatting: format numbers first.
    return f"{value:.1f}"


def nice_ceiling(value):
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 times a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(math.ceil(step * magnitude))
    return int(10 * magnitude)


def trend_svg(days, series, *, title, labels):
    """SVG markup of one line per series over `days`.

    days:   list of dates (x axis, in order, gaps allowed: points sit at their own day).
    series: list of lists of ints (or None for a missing point), one list per line.
    labels: legend text of each series.
    """
    if not days:
        return ""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)
    highest = max((v for line in series for v in line if v is not None), default=0)
    # Four grid steps of a round whole size: counts never get fractional ticks.
    top = 4 * nice_ceiling(highest / 4)

    def x(day):
        return LEFT + plot_w * ((day - first).days / span if len(days) > 1 else 0.5)

    def y(value):
        return TOP + plot_h * (1 - value / top)

    grid = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" class="tick" text-anchor="end">{}</text>',
        (
            (
                LEFT,
                _f(y(top * i / 4)),
                WIDTH - RIGHT,
                _f(y(top * i / 4)),
                LEFT - 6,
                _f(y(top * i / 4) + 4),
                f"{top * i / 4:g}",
            )
            for i in range(5)
        ),
    )
    every = max(1, math.ceil(len(days) / 8))
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" class="tick" text-anchor="middle">{}</text>',
        (
            (_f(x(day)), HEIGHT - BOTTOM + 18, day.strftime("%d/%m"))
            for i, day in enumerate(days)
            if i % every == 0 or i == len(days) - 1
        ),
    )
    lines = []
    for colour, line, label in zip(COLOURS, series, labels, strict=False):
        points = [(x(day), y(v)) for day, v in zip(days, line, strict=True) if v is not None]
        lines.append(
            format_html(
                '<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"><title>{}</title>'
                "</polyline>{}",
                colour,
                " ".join(f"{px:.1f},{py:.1f}" for px, py in points),
                label,
                format_html_join(
                    "",
                    '<circle cx="{}" cy="{}" r="3" fill="{}"/>',
                    ((_f(px), _f(py), colour) for px, py in points),
                ),
            )
        )
    legend = format_html_join(
        "",
        '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
        '<text x="{}" y="{}" class="legend">{}</text>',
        (
            (LEFT + 10 + 260 * i, 6, colour, LEFT + 28 + 260 * i, 16, label)
            for i, (colour, label) in enumerate(zip(COLOURS, labels, strict=False))
        ),
    )
    return format_html(
        '<svg class="trend" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        title,
        grid,
        ticks,
        mark_safe("".join(lines)),  # noqa: S308 - each piece is built by format_html above
        legend,
    )
