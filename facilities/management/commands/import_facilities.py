"""manage.py import_facilities FILE [--dry-run] [--actor USERNAME]: facilities from a CSV file."""

from facilities.importer import FacilityImporter
from portal.import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import facilities from a CSV file (columns: province_code, name, kind, status, address, "
        "district, managing_agency, capacity, planned_cameras, focal_name, focal_title, "
        "focal_phone, focal_email). Nothing is written unless every row is valid; the row errors "
        "go to stderr and the exit status is 1."
    )
    importer_class = FacilityImporter
