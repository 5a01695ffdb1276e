"""Reset an account's two-factor sign-in from the server: for the national administrator who lost
the phone when no other national administrator can do it from the account's admin page."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal import twofactor
from portal.actor import system_actor


class Command(BaseCommand):
    help = (
        "Remove an account's authenticator app and recovery codes and end its sessions; it sets "
        "up a new app at its next sign-in. Recorded as an account event by the system account."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The account's user name.")

    def handle(self, *args, **options):
        User = get_user_model()
        name = options["username"]
        user = User._default_manager.filter(**{f"{User.USERNAME_FIELD}__iexact": name}).first()
        if user is None:
            raise CommandError(f"No account is named {name!r}.")
        had_app = twofactor.has_second_factor(user)
        ended = twofactor.reset(user, actor=system_actor())
        state = "removed its authenticator app and recovery codes" if had_app else (
            "it had no authenticator app"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Two-factor sign-in of {user.get_username()} reset: {state}; "
                f"{ended} session(s) ended. It sets up a new app at its next sign-in."
            )
        )
