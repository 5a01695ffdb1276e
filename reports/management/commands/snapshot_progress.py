"""manage.py snapshot_progress [--date YYYY-MM-DD]: take the daily progress snapshot by hand."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.snapshot import take_snapshot


def parse_date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date {value!r}: expected a date as YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "Store the registry's current counts per province as the snapshot of a day (default: "
        "today). Re-running a day replaces that day's rows. The registry keeps no history: a past "
        "--date gets today's counts, for filling in a day the schedule missed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Day of the snapshot, YYYY-MM-DD (default: today).")

    def handle(self, *args, **options):
        today = timezone.localdate()
        day = parse_date(options["date"]) if options["date"] else today
        if day > today:
            raise CommandError(f"--date {day.isoformat()} is in the future")
        rows = take_snapshot(day)
        self.stdout.write(f"Snapshot of {day.isoformat()}: {rows} provinces stored.")
