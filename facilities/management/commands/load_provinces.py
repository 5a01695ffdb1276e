from django.core.management.base import BaseCommand

from facilities.models import Province
from facilities.provinces import load_provinces


class Command(BaseCommand):
    help = "Load or refresh the 63 provinces of 2021 (idempotent; migrate already does this)."

    def handle(self, *args, **options):
        created, updated = load_provinces(Province)
        self.stdout.write(f"Provinces: {created} created, {updated} updated.")
