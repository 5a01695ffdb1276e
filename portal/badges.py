"""Coloured status badges shared by the admin and the read-only pages."""

from django.utils.html import format_html

# One colour per state, the same everywhere a state is shown.
COLOURS = {
    # camera connection status
    "registered": "grey",
    "eligible": "blue",
    "ineligible": "orange",
    "connected": "green",
    "suspended": "amber",
    "decommissioned": "dark",
    # camera health
    "unknown": "grey",
    "online": "green",
    "degraded": "orange",
    "offline": "red",
    # facility status
    "preparing": "blue",
    "active": "green",
    "closed": "dark",
    # registered cameras against the planned number (reports/facility_summary.py)
    "fewer": "amber",
    "more": "orange",
    "as_planned": "green",
}


def badge(value, label):
    """A <span> badge for a choice value and its (translated) label; label text is escaped."""
    return format_html(
        '<span class="badge badge-{}">{}</span>', COLOURS.get(value, "grey"), label
    )
