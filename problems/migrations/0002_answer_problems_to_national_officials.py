"""The Department's officials answer problem reports: answer_problems to their group.

Permissions are otherwise created after migrations (post_migrate): created here so the grant
exists in the same migrate. The group's name is facilities/roles.py NATIONAL_OFFICIALS_GROUP,
written out: a migration keeps the value it was written with.
"""

from django.db import migrations

GROUP = "National officials"


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="problems", model="problemreport"
    )
    permission, _ = Permission.objects.get_or_create(
        codename="answer_problems",
        content_type=content_type,
        defaults={"name": "Can answer, assign and close problem reports"},
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permission = Permission.objects.filter(
        codename="answer_problems", content_type__app_label="problems"
    ).first()
    group = Group.objects.filter(name=GROUP).first()
    if permission and group:
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
