"""The 63 provinces of 2021, loaded from the copy of the reference list kept in this app.

For `manage.py load_provinces` and the tests; migration 0002 keeps its own frozen copy of the rows.
"""

import csv
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "provinces_2021.csv"


def read_provinces(path=DATA_FILE):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [
            {
                "code": row["code"].strip(),
                "name": row["name_vi"].strip(),
                "name_en": row["name_en"].strip(),
                "region": row["region"].strip(),
                "operator": row["operator"].strip(),
            }
            for row in csv.DictReader(fh)
        ]


def load_provinces(province_model, path=DATA_FILE):
    """Create or update every province of the list; returns (created, updated). Idempotent."""
    created = updated = 0
    for row in read_provinces(path):
        code = row.pop("code")
        _obj, was_created = province_model.objects.update_or_create(code=code, defaults=row)
        created += was_created
        updated += not was_created
    return created, updated
