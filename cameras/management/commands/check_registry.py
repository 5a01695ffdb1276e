"""List what in the registry the current rules would not allow, for a person to review.

    manage.py check_registry [--fail]

Cameras whose connection status the lifecycle table could not have produced (connected without
ever passing a check, a "not connected" reason left beside "connected"...), stream addresses that
carry credentials or are no longer valid, and accounts whose names break the account-name rule.
Nothing is rewritten or renamed: each finding needs a decision (reconnect through the lifecycle,
rename the account...). --fail exits with status 1 when something is found (for a cron job).
"""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cameras import lifecycle
from cameras.models import Camera
from cameras.validators import validate_stream_url
from portal import text


class Command(BaseCommand):
    help = "Lists cameras and accounts that break the current rules; changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fail", action="store_true", help="exit with status 1 when something is found"
        )

    def handle(self, *args, fail=False, **options):
        found = self.cameras() + self.accounts()
        if not found:
            self.stdout.write(_("Nothing to review: the registry follows the current rules."))
        else:
            self.stdout.write(
                _("%(n)s findings to review (nothing was changed):") % {"n": len(found)}
            )
            for line in found:
                self.stdout.write(f"- {line}")
        if fail and found:
            raise CommandError(_("%(n)s findings to review.") % {"n": len(found)}, returncode=1)

    def cameras(self):
        found = []
        rows = Camera.objects.select_related("facility__province", "state").order_by(
            "facility__province__code", "facility__name", "name", "pk"
        )
        for camera in rows.iterator(chunk_size=2000):
            problems = lifecycle.problems(camera)
            try:
                validate_stream_url(camera.stream_url)
            except ValidationError as error:
                problems += error.messages
            if not unicodedata.is_normalized("NFC", camera.name):
                # Typed before names were stored in NFC: it looks equal to its composed twin
                # but is not found by search or caught as a duplicate.
                problems.append(_("its name is stored with decomposed accents (not NFC)"))
            if problems:
                found.append(
                    _("camera %(id)s “%(camera)s” (%(facility)s, %(province)s): %(problems)s")
                    % {
                        "id": camera.pk,
                        "camera": camera.name,
                        "facility": camera.facility.name,
                        "province": camera.facility.province.code,
                        "problems": "; ".join(str(p) for p in problems),
                    }
                )
        return found

    def accounts(self):
        found = []
        User = get_user_model()
        names = User._default_manager.order_by("pk").values_list(User.USERNAME_FIELD, flat=True)
        seen = {}
        for name in names:
            problem = text.username_problem(name)
            if problem:
                found.append(
                    _("account “%(name)s”: %(problem)s") % {"name": name, "problem": problem}
                )
            key = name.casefold()
            if key in seen:
                found.append(
                    _("accounts “%(name)s” and “%(other)s” differ only in capital letters")
                    % {"name": name, "other": seen[key]}
                )
            seen.setdefault(key, name)
        return found
