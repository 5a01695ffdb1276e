"""The province of an audit entry, indexed: auditlog's LogEntry keeps it in its JSON
`additional_data`, which a province admin's audit list filters on (portal/audit_provinces.py,
EntryProvince). auditlog's model is a third party's: an expression index on its table, in
each database's own words, exactly as EntryProvince writes the expression (the CAST gives the
SQLite expression the INTEGER affinity its comparison with province ids needs to use the index).
The entry's time follows the province in the index, so one province's entries come newest first.
"""

from django.db import migrations

INDEX = "portal_logentry_province_idx"
EXPRESSION = {
    "sqlite": "CAST(json_extract(additional_data, '$.province') AS integer)",
    "postgresql": "((additional_data ->> 'province')::bigint)",
}


def create_index(apps, schema_editor):
    expression = EXPRESSION[schema_editor.connection.vendor]
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON auditlog_logentry ({expression}, "timestamp")'
    )


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0001_initial"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
