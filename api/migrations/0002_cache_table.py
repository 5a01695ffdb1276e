"""The database cache's table (portal/settings.py, CACHES without REDIS_URL), made by migrate so a
deployment needs no extra step; with REDIS_URL the cache is Redis and nothing is created."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # Idempotent: createcachetable leaves an existing table alone (the test runner calls it too).
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("api", "0001_api_token")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
