"""The problem list as CSV: the rows the reader may see, cells safe from formulas
(portal/spreadsheet.py), streamed."""

import csv

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.spreadsheet import safe_row


class _Echo:
    def write(self, value):
        return value


def header():
    return [
        _("Number"),
        _("Province"),
        _("Facility"),
        _("Camera"),
        _("Category"),
        _("Title"),
        _("Status"),
        _("Author"),
        _("Assignee"),
        _("Due date"),
        _("Created at"),
        _("Replies"),
    ]


def _name(user):
    return (user.get_full_name() or user.get_username()) if user else ""


def rows(queryset):
    """Lines of CSV text: a BOM and the header, then one line per report."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(safe_row(header()))
    for report in queryset.iterator(chunk_size=500):
        yield writer.writerow(
            safe_row(
                [
                    report.pk,
                    report.province.name,
                    report.facility.name if report.facility else "",
                    report.camera.name if report.camera else "",
                    report.get_category_display(),
                    report.title,
                    report.get_status_display(),
                    _name(report.author),
                    _name(report.assignee),
                    report.due_date.strftime("%d/%m/%Y") if report.due_date else "",
                    timezone.localtime(report.created_at).strftime("%d/%m/%Y %H:%M"),
                    report.reply_count,
                ]
            )
        )
