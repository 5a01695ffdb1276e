"""manage.py snapshot_progress [--date YYYY-MM-DD] [--actor USERNAME]: take the snapshot by hand."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.actor import acting_as, system_actor
from reports.snapshot import take_snapshot


def parse_date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date {value!r}: expected a date as YYYY-MM-DD") from exc


def add_actor_argument(parser):
    parser.add_argument(
        "--actor",
        metavar="USERNAME",
        help="Act as this user in the audit trail (default: the system account).",
    )


def actor(username):
    """The user named by --actor, or the system account."""
    if not username:
        return system_actor()
    User = get_user_model()
    try:
        user = User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        raise CommandError(f"--actor {username!r}: no such user") from None
    if not user.is_active:
        raise CommandError(f"--actor {username!r}: the account is not active")
    return user


class Command(BaseCommand):
    help = (
        "Store the registry's current counts per province as the snapshot of a day (default: "
        "today). Re-running a day replaces that day's figures. The registry keeps no history: a "
        "past --date gets today's counts, for filling in a day the schedule missed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Day of the snapshot, YYYY-MM-DD (default: today).")
        add_actor_argument(parser)

    def handle(self, *args, **options):
        today = timezone.localdate()
        day = parse_date(options["date"]) if options["date"] else today
        if day > today:
            raise CommandError(f"--date {day.isoformat()} is in the future")
        with acting_as(actor(options["actor"])):
            rows = take_snapshot(day)
        self.stdout.write(f"Snapshot of {day.isoformat()}: {rows} provinces stored.")
