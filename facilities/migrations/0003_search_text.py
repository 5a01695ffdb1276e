"""Provinces and facilities keep the folded text of their names for accent-insensitive search
(portal/search.py); existing rows get it as a save writes it (the field's pre_save)."""

import portal.search
from django.db import migrations


def fill_search_text(apps, schema_editor):
    for name in ("Province", "Facility"):
        model = apps.get_model("facilities", name)
        field = model._meta.get_field("search_text")
        rows = model.objects.only("pk", *field.sources).order_by("pk")
        batch = []
        for row in rows.iterator(chunk_size=2000):
            field.pre_save(row, add=False)
            batch.append(row)
            if len(batch) == 2000:
                model.objects.bulk_update(batch, ["search_text"])
                batch = []
        model.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):

    dependencies = [
        ("facilities", "0002_load_provinces"),
    ]

    operations = [
        migrations.AddField(
            model_name="facility",
            name="search_text",
            field=portal.search.SearchTextField(
                sources=["name", "district", "address", "managing_agency", "focal_name"]
            ),
        ),
        migrations.AddField(
            model_name="province",
            name="search_text",
            field=portal.search.SearchTextField(sources=["name", "name_en"]),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
