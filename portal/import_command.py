"""The shared body of `manage.py import_facilities` and `manage.py import_cameras`."""

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.csvimport import FileRefused, check_size


class ImportCommand(BaseCommand):
    """Import FILE ("-" for standard input); --dry-run checks only; --actor scopes and audits.

    Exits with status 1 and every row error on stderr when the file is refused.
    """

    importer_class = None

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, comma or semicolon separated), or -")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and report, but write nothing.",
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="Import as this user: only into its provinces, and audited in its name "
            "(default: the system, every province).",
        )

    def handle(self, *args, **options):
        actor = self._actor(options["actor"])
        data = self._read(options["file"])
        importer = self.importer_class(actor=actor)
        plan = importer.apply(data, dry_run=options["dry_run"])

        name = self.importer_class.model._meta
        if plan.errors:
            for line in plan.error_lines():
                self.stderr.write(line)
            raise CommandError(
                ngettext(
                    "The file was refused (%(count)d problem); nothing was imported.",
                    "The file was refused (%(count)d problems); nothing was imported.",
                    len(plan.errors),
                )
                % {"count": len(plan.errors)}
            )
        if options["dry_run"]:
            self.stdout.write(
                ngettext(
                    "The row is valid (dry run: nothing was written).",
                    "All %(count)d rows are valid (dry run: nothing was written).",
                    len(plan.rows),
                )
                % {"count": len(plan.rows)}
            )
        else:
            self.stdout.write(
                ngettext("%(count)d %(name)s imported.", "%(count)d %(plural)s imported.",
                         plan.created)
                % {"count": plan.created, "name": name.verbose_name,
                   "plural": name.verbose_name_plural}
            )

    def _actor(self, username):
        if not username:
            return None
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(_("No user named “%(name)s”.") % {"name": username}) from None
        if not user.is_active:
            raise CommandError(_("The user “%(name)s” is not active.") % {"name": username})
        return user

    def _read(self, path):
        try:
            if path == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(path, "rb") as handle:
                    data = handle.read()
            check_size(len(data))
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}
            ) from None
        except FileRefused as refused:
            raise CommandError("\n".join(str(e) for e in refused.errors)) from None
        return data
