"""The first connection standard (the defaults of the guidance), active from installation."""

from django.db import migrations
from django.utils import timezone


def create_first_version(apps, schema_editor):
    ConnectionStandard = apps.get_model("cameras", "ConnectionStandard")
    if not ConnectionStandard.objects.exists():
        ConnectionStandard.objects.create(
            version=1,
            is_active=True,
            activated_at=timezone.now(),
            allowed_schemes="rtsp,rtsps",
            allowed_codecs="h264,hevc",
            min_width=1280,
            min_height=720,
            min_fps=10.0,
            max_first_frame_s=5.0,
        )


class Migration(migrations.Migration):
    dependencies = [("cameras", "0002_checks_and_standard")]

    operations = [migrations.RunPython(create_first_version, migrations.RunPython.noop)]
