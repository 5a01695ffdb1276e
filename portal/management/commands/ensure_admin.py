"""Create the first national administrator if no superuser exists yet."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.text import username_problem


class Command(BaseCommand):
    help = (
        "Create the first administrator from ADMIN_USERNAME / ADMIN_PASSWORD / ADMIN_EMAIL, "
        "or with a generated password printed once. Does nothing when a superuser exists."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator account already exists; nothing to do.")
            return
        username = os.environ.get("ADMIN_USERNAME", "admin")
        problem = username_problem(username)
        if problem:
            # The same rule as every account made on the delegation page or in the admin.
            raise CommandError(f"ADMIN_USERNAME={username!r}: {problem}")
        password = os.environ.get("ADMIN_PASSWORD", "")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        User.objects.create_superuser(
            username=username, email=os.environ.get("ADMIN_EMAIL", ""), password=password
        )
        if generated:
            # Printed once, to the terminal of whoever set the portal up; never logged.
            self.stdout.write(
                self.style.WARNING(
                    f"Created administrator '{username}' with password: {password}\n"
                    "Write it down now: it is not shown again."
                )
            )
        else:
            self.stdout.write(f"Created administrator '{username}' (password from ADMIN_PASSWORD).")
