"""Filters of the dashboards and exports, validated with messages a person can act on."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A year of days times 63 provinces is still a small file; beyond that someone mistyped a year.
MAX_RANGE_DAYS = 366


class DayForm(forms.Form):
    """?date=YYYY-MM-DD of a dashboard: a stored snapshot instead of today's live counts."""

    date = forms.DateField(
        label=_("Snapshot of"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("No snapshot exists for a day in the future."))
        return day


class ProvinceFilterForm(forms.Form):
    province = forms.RegexField(
        label=_("Province code"),
        regex=r"^\d{2}$",
        required=False,
        error_messages={"invalid": _("Enter the province's two-digit code, for example 01.")},
    )


class ProgressExportForm(ProvinceFilterForm):
    """Export 1: one day (date) or a range (start, end); today when neither is given."""

    date = forms.DateField(label=_("Date"), required=False, input_formats=["%Y-%m-%d"])
    start = forms.DateField(label=_("From"), required=False, input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=_("To"), required=False, input_formats=["%Y-%m-%d"])

    def clean(self):
        cleaned = super().clean()
        day, start, end = cleaned.get("date"), cleaned.get("start"), cleaned.get("end")
        if self.errors:
            return cleaned
        if day and (start or end):
            raise forms.ValidationError(
                _("Give either one date, or a start and an end date, not both.")
            )
        if day:
            start = end = day
        elif start or end:
            start = start or end
            end = end or start
        else:
            start = end = timezone.localdate()
        if end < start:
            self.add_error("end", _("The end date must not be before the start date."))
            return cleaned
        if (end - start) > datetime.timedelta(days=MAX_RANGE_DAYS - 1):
            self.add_error(
                "end",
                _("A range covers at most %(days)d days; split the export.")
                % {"days": MAX_RANGE_DAYS},
            )
            return cleaned
        cleaned["start"], cleaned["end"] = start, end
        return cleaned
