from django.db import migrations

from facilities.provinces import load_provinces


def forwards(apps, schema_editor):
    load_provinces(apps.get_model("facilities", "Province"))


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
