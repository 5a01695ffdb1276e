"""E-mail a reminder to every account that has not acknowledged the current guidance."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from facilities.models import Province
from guidance import reminders, report
from portal.actor import acting_as, system_actor


class Command(BaseCommand):
    help = "E-mail a reminder to the accounts that have not acknowledged the current guidance."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as",
            dest="as_user",
            default=None,
            help="The account the reminder is sent as, in the audit record (default: the system).",
        )
        parser.add_argument(
            "--province", action="append", default=[], help="Province code (repeatable)."
        )

    def handle(self, *args, as_user=None, province=(), **options):
        user = None
        if as_user:
            user = get_user_model()._default_manager.filter(username=as_user).first()
            if user is None:
                raise CommandError(f"no account {as_user!r}")
        # A command runs with the whole country's view: it is the operators' own tool.
        provinces = Province.objects.all()
        if province:
            provinces = provinces.filter(code__in=province)
        with acting_as(user or system_actor()):
            _documents, rows = report.build(user, provinces)
            sent, without = reminders.send_reminders(report.not_acknowledged(rows))
        self.stdout.write(f"{sent} reminder(s) sent, {without} account(s) without e-mail address")
