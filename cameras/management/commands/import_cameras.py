"""manage.py import_cameras FILE [--dry-run] [--actor USERNAME]: cameras from a CSV file."""

from cameras.importer import CameraImporter
from portal.import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import cameras from a CSV file (columns: province_code, facility, name, zone, "
        "stream_url, username, password, vendor, model). Nothing is written unless every row "
        "is valid; the row errors go to stderr and the exit status is 1."
    )
    importer_class = CameraImporter
