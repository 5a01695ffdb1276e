"""Template tags of the export buttons on the progress pages."""

from django import template

from reports import export_jobs

register = template.Library()


@register.simple_tag
def export_sync_max_rows():
    """The number of rows past which an Excel export is built in the background."""
    return export_jobs.sync_max_rows()
