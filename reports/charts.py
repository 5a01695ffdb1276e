"""The trend chart, drawn on the server as inline SVG (no script, no CDN, prints as is).

A programme starts with one stored day, then two: the chart has to read well from the first day.
- one day: each series is a dot with its value written beside it, the date under it (a polyline
  of one point draws nothing, which left an empty frame);
- two or three days: lines, every point labelled with its value;
- more: lines, the last point (today's figure) labelled; every figure is in the table under the
  chart.
Numbers are grouped the way the active language writes them (1.234 in Vietnamese, 1,234 in
English) and dates are dd/mm, as on the rest of the page.
"""

import math

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 760, 260
# LEFT is the least room for the axis numbers; it grows with the longest of them.
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 34, 30
# Width of a character of the 11 px axis numbers (digits and separators), a little generous.
TICK_CHAR_WIDTH = 7
COLOURS = ("#1f6fb2", "#2b8a3e")
# Up to this many days every point carries its value; beyond it only the last one does.
LABEL_EVERY_POINT = 3
# Date labels are 5 characters (dd/mm) of 11 px type, about 32 px wide: keep 60 px between them.
TICK_SPACING = 60
# Height of a value label (12 px type) and the gap kept between two labels at one x.
LABEL_HEIGHT = 13


def _f(value):
    # format_html escapes its arguments into strings before formatting: format numbers first.
    return f"{value:.1f}"


def grouped(value):
    """An integer with the active language's thousand separator (1.234 in Vietnamese)."""
    return number_format(value, force_grouping=True)


def nice_ceiling(value):
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 times a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(math.ceil(step * magnitude))
    return int(10 * magnitude)


def tick_indexes(xs, spacing=TICK_SPACING):
    """Indexes of the points whose date is written: always the last, then backwards every
    point at least `spacing` px left of the previous label (days can be missing: by position,
    not by count), so no two dates overlap."""
    if not xs:
        return []
    chosen = [len(xs) - 1]
    for i in range(len(xs) - 2, -1, -1):
        if xs[chosen[-1]] - xs[i] >= spacing:
            chosen.append(i)
    return sorted(chosen)


def place_labels(points, bottom, *, beside=False):
    """[(y of the label's baseline, text, colour)] for the values of several series at one x.

    points: [(y of the point, text, colour)]. Equal values share one label.
    beside: labels to the right of their points (a lone day), moved apart when they would
    overlap. Otherwise the highest point's label sits above it and each lower one under its
    own point (at the bottom of the plot: above, the labels over it moved up a line).
    """
    merged = {}
    for y, text, colour in sorted(points):
        merged.setdefault(text, (y, text, colour))
    items = sorted(merged.values())
    placed = []
    if beside:
        for y, text, colour in items:
            baseline = y + 4
            if placed:
                baseline = max(baseline, placed[-1][0] + LABEL_HEIGHT)
            placed.append((baseline, text, colour))
        overflow = placed[-1][0] - bottom if placed else 0
        if overflow > 0:
            placed = [(baseline - overflow, text, colour) for baseline, text, colour in placed]
        return placed
    for y, text, colour in items:
        if not placed:
            placed.append((y - 8, text, colour))
        elif y + 16 <= bottom:
            # Under its point: above it would sit between this line and the one over it.
            placed.append((max(y + 16, placed[-1][0] + LABEL_HEIGHT), text, colour))
        else:
            # No room under it: the labels above move up one line, so they keep the order of
            # their values.
            slot = placed[-1][0]
            placed = [(py - LABEL_HEIGHT, t, c) for py, t, c in placed]
            placed.append((slot, text, colour))
    return placed


def trend_svg(days, series, *, title, labels):
    """SVG markup of one line per series over `days`, or "" without any day.

    days:   list of dates (x axis, in order, gaps allowed: points sit at their own day).
    series: list of lists of ints (or None for a missing point), one list per line.
    labels: legend text of each series.
    """
    if not days:
        return ""
    highest = max((v for line in series for v in line if v is not None), default=0)
    # Four grid steps of a round whole size: counts never get fractional ticks.
    step = nice_ceiling(highest / 4)
    top = 4 * step
    axis = [grouped(step * i) for i in range(5)]
    left = max(LEFT, 12 + TICK_CHAR_WIDTH * max(len(text) for text in axis))
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_h
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)
    single = len(days) == 1

    def x(day):
        return left + plot_w * (0.5 if single else (day - first).days / span)

    def y(value):
        return TOP + plot_h * (1 - value / top)

    grid = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" class="tick" text-anchor="end">{}</text>',
        (
            (
                left,
                _f(y(step * i)),
                WIDTH - RIGHT,
                _f(y(step * i)),
                left - 6,
                _f(y(step * i) + 4),
                text,
            )
            for i, text in enumerate(axis)
        ),
    )
    xs = [x(day) for day in days]

    def anchor(i):
        # The first and last date labels stay inside the plot's width.
        if single:
            return "middle"
        return "start" if i == 0 else "end" if i == len(days) - 1 else "middle"

    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" class="tick date" text-anchor="{}">{}</text>',
        (
            (_f(xs[i]), HEIGHT - BOTTOM + 18, anchor(i), days[i].strftime("%d/%m"))
            for i in tick_indexes(xs)
        ),
    )
    lines = []
    for colour, line, label in zip(COLOURS, series, labels, strict=False):
        points = [
            (x(day), y(v), day, v) for day, v in zip(days, line, strict=True) if v is not None
        ]
        polyline = ""
        if len(points) > 1:
            polyline = format_html(
                '<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}">'
                "<title>{}</title></polyline>",
                colour,
                " ".join(f"{px:.1f},{py:.1f}" for px, py, _day, _v in points),
                label,
            )
        dots = format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="{}" fill="{}"><title>{}: {} {}</title></circle>',
            (
                (
                    _f(px),
                    _f(py),
                    5 if single else 3,
                    colour,
                    label,
                    day.strftime("%d/%m/%Y"),
                    grouped(v),
                )
                for px, py, day, v in points
            ),
        )
        lines.append(format_html("{}{}", polyline, dots))
    labelled = range(len(days)) if len(days) <= LABEL_EVERY_POINT else [len(days) - 1]
    values = []
    for i in labelled:
        at_x = [
            (y(line[i]), grouped(line[i]), colour)
            for colour, line in zip(COLOURS, series, strict=False)
            if line[i] is not None
        ]
        for label_y, text, colour in place_labels(at_x, bottom, beside=single):
            values.append(
                format_html(
                    '<text x="{}" y="{}" class="value" text-anchor="{}" fill="{}">{}</text>',
                    # Beside a lone dot rather than on it; else over the point.
                    _f(xs[i] + 10 if single else xs[i]),
                    _f(label_y),
                    "start" if single else anchor(i),
                    colour,
                    text,
                )
            )
    legend = format_html_join(
        "",
        '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
        '<text x="{}" y="{}" class="legend">{}</text>',
        (
            (left + 10 + 260 * i, 6, colour, left + 28 + 260 * i, 16, label)
            for i, (colour, label) in enumerate(zip(COLOURS, labels, strict=False))
        ),
    )
    return format_html(
        '<svg class="trend" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        title,
        grid,
        ticks,
        mark_safe("".join(lines)),  # noqa: S308 - each piece is built by format_html above
        mark_safe("".join(values)),  # noqa: S308 - each piece is built by format_html above
        legend,
    )
