"""The national view as CSV: one line per province, then the totals per operator and region."""

from django.utils.translation import gettext as _

from readiness.choices import EquipmentKind
from reports.exports import DATE, INTEGER, Column, CsvStream


def columns():
    return [
        Column(_("Code"), width=6),
        Column(_("Province"), width=24),
        Column(_("Region"), width=10),
        Column(_("Operator"), width=10),
        Column(_("Readiness"), width=18),
        Column(_("Time to deploy (hours)"), INTEGER),
        Column(_("Last reviewed"), DATE),
        Column(_("Teams"), INTEGER),
        Column(_("People"), INTEGER),
        *[Column(label, INTEGER) for label in EquipmentKind.labels],
    ]


def _rows(lines, operator_totals, region_totals):
    for line in lines:
        province, plan = line.province, line.plan
        yield [
            province.code,
            province.name,
            province.get_region_display(),
            province.get_operator_display(),
            line.status_label,
            plan.deploy_hours if plan else "",
            plan.last_reviewed_on if plan else None,
            line.teams,
            line.people,
            *line.equipment_list,
        ]
    for heading, groups in (
        (_("Total, operator %(name)s"), operator_totals),
        (_("Total, region %(name)s"), region_totals),
    ):
        for group in groups:
            yield [
                "",
                heading % {"name": group.label},
                "",
                "",
                _("%(count)d not ready") % {"count": group.not_ready},
                "",
                None,
                group.teams,
                group.people,
                *group.equipment_list,
            ]


def readiness_csv(lines, operator_totals, region_totals):
    """A CsvStream (spreadsheet-safe cells) of the national view."""
    return CsvStream(columns(), _rows(lines, operator_totals, region_totals))
