"""manage.py export_progress --date D [--province CODE] --output FILE: export 1 to a file."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from cameras.models import Camera
from facilities import access
from facilities.models import Facility, Province
from portal.account_events import record_event
from portal.actor import acting_as
from reports import exports
from reports.management.commands.snapshot_progress import actor, add_actor_argument, parse_date
from reports.models import DailySnapshot


class Command(BaseCommand):
    help = (
        "Write the progress by province of a day (stored snapshot; today's live counts until "
        "today's snapshot is taken) as CSV, UTF-8 with BOM, for scripts and e-mail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="Day of the report, YYYY-MM-DD.")
        parser.add_argument("--province", help="Two-digit province code (default: all).")
        parser.add_argument("--output", required=True, help="CSV file to write ('-': stdout).")
        parser.add_argument(
            "--language", default="vi", help="Language of the header: vi (default) or en."
        )
        add_actor_argument(parser)

    def handle(self, *args, **options):
        day = parse_date(options["date"])
        who = actor(options["actor"])
        if options["actor"]:
            # In a person's name, the export holds what that person may see, as on the web.
            provinces = Province.objects.restrict(who, access.VIEW)
            snapshots = DailySnapshot.objects.restrict(who, access.VIEW)
            facilities = Facility.objects.restrict(who, access.VIEW)
            cameras = Camera.objects.restrict(who, access.VIEW)
        else:
            provinces = Province.objects.all()
            snapshots = DailySnapshot.objects.all()
            facilities, cameras = Facility.objects.all(), Camera.objects.all()
        provinces = provinces.order_by("code")
        code = options["province"]
        if code:
            provinces = provinces.filter(code=code)
            if not provinces.exists():
                raise CommandError(f"--province {code!r}: no province with this code in scope")
            snapshots = snapshots.filter(province__code=code)
            facilities = facilities.filter(province__code=code)
            cameras = cameras.filter(facility__province__code=code)
        with translation.override(options["language"]):
            live = None
            if day == timezone.localdate():
                live = exports.live_progress(provinces, facilities, cameras)
            stream = exports.progress_csv(
                snapshots,
                start=day,
                end=day,
                live=live,
                total_label=None if not code else translation.gettext("Total"),
            )
            if options["output"] == "-":
                for piece in stream:
                    self.stdout.write(piece, ending="")
            else:
                with open(options["output"], "w", encoding="utf-8", newline="") as fh:
                    for piece in stream:
                        fh.write(piece)
        with acting_as(who):
            record_event(
                "export",
                target=provinces.first() if code else None,
                detail={
                    "export": "progress",
                    "format": "csv",
                    "filters": {
                        "start": day.isoformat(),
                        "end": day.isoformat(),
                        "province": code or "",
                    },
                    "rows": stream.count,
                },
            )
        if options["output"] != "-":
            self.stderr.write(f"{stream.count} rows written to {options['output']}.")
