# Check state apart from the registry row: what the checks write moves from Camera to a
# one-to-one CameraState (never audited), values and all; reversible.

import django.db.models.deletion
from django.db import migrations, models

# The fields that move, by attname (the standard's foreign key as its id).
MOVED = (
    "health",
    "health_changed_at",
    "consecutive_failures",
    "failing_since",
    "last_checked_at",
    "last_ok_at",
    "last_codec",
    "last_width",
    "last_height",
    "last_fps",
    "last_ttff_ms",
    "last_keyframe_interval_s",
    "last_bitrate_kbps",
    "last_error_kind",
    "last_error_message",
    "verdict_eligible",
    "verdict_reasons",
    "verdict_standard_id",
    "verdict_at",
    "verdict_pending",
    "next_check_at",
    "claimed_until",
    "claim_token",
    "unfinished_checks",
    "isolation_notified",
)
CHUNK = 2000


def copy_to_states(apps, schema_editor):
    """One state per camera, with the values its row held."""
    Camera = apps.get_model("cameras", "Camera")
    CameraState = apps.get_model("cameras", "CameraState")
    db = schema_editor.connection.alias
    rows = Camera.objects.using(db).order_by("pk").values("pk", *MOVED)
    batch = []
    for row in rows.iterator(chunk_size=CHUNK):
        batch.append(CameraState(camera_id=row.pop("pk"), **row))
        if len(batch) == CHUNK:
            CameraState.objects.using(db).bulk_create(batch)
            batch = []
    CameraState.objects.using(db).bulk_create(batch)


def copy_back_to_cameras(apps, schema_editor):
    """The states' values back into the camera rows (their columns were added back empty)."""
    Camera = apps.get_model("cameras", "Camera")
    CameraState = apps.get_model("cameras", "CameraState")
    db = schema_editor.connection.alias
    rows = CameraState.objects.using(db).order_by("pk").values("camera_id", *MOVED)
    fields = [name.removesuffix("_id") for name in MOVED]
    batch = []
    for row in rows.iterator(chunk_size=CHUNK):
        batch.append(Camera(pk=row.pop("camera_id"), **row))
        if len(batch) == CHUNK:
            Camera.objects.using(db).bulk_update(batch, fields)
            batch = []
    Camera.objects.using(db).bulk_update(batch, fields)


class Migration(migrations.Migration):

    dependencies = [
        ("cameras", "0004_status_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="CameraState",
            fields=[
                ("camera", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="state", serialize=False, to="cameras.camera", verbose_name="camera")),
                ("health", models.CharField(choices=[("unknown", "Unknown"), ("online", "Online"), ("degraded", "Degraded"), ("offline", "Offline")], default="unknown", max_length=10, verbose_name="health")),
                ("health_changed_at", models.DateTimeField(blank=True, null=True, verbose_name="health changed at")),
                ("consecutive_failures", models.PositiveSmallIntegerField(default=0, verbose_name="consecutive failed checks")),
                ("failing_since", models.DateTimeField(blank=True, null=True, verbose_name="failing since")),
                ("last_checked_at", models.DateTimeField(blank=True, null=True, verbose_name="last checked at")),
                ("last_ok_at", models.DateTimeField(blank=True, null=True, verbose_name="last seen online at")),
                ("last_codec", models.CharField(blank=True, max_length=20, verbose_name="codec")),
                ("last_width", models.PositiveIntegerField(blank=True, null=True, verbose_name="width")),
                ("last_height", models.PositiveIntegerField(blank=True, null=True, verbose_name="height")),
                ("last_fps", models.FloatField(blank=True, null=True, verbose_name="frame rate")),
                ("last_ttff_ms", models.PositiveIntegerField(blank=True, null=True, verbose_name="time to first frame (ms)")),
                ("last_keyframe_interval_s", models.FloatField(blank=True, null=True, verbose_name="keyframe interval (s)")),
                ("last_bitrate_kbps", models.FloatField(blank=True, null=True, verbose_name="bit rate (kbit/s)")),
                ("last_error_kind", models.CharField(blank=True, max_length=20, verbose_name="error kind")),
                ("last_error_message", models.CharField(blank=True, max_length=300, verbose_name="error message")),
                ("verdict_eligible", models.BooleanField(blank=True, null=True, verbose_name="meets the standard")),
                ("verdict_reasons", models.JSONField(blank=True, default=list, verbose_name="reasons")),
                ("verdict_standard", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="verdicts", to="cameras.connectionstandard", verbose_name="standard version")),
                ("verdict_at", models.DateTimeField(blank=True, null=True, verbose_name="judged at")),
                ("verdict_pending", models.BooleanField(default=True, editable=False, verbose_name="verdict pending")),
                ("next_check_at", models.DateTimeField(blank=True, null=True, verbose_name="next check at")),
                ("claimed_until", models.DateTimeField(blank=True, null=True, verbose_name="check lease until")),
                ("claim_token", models.CharField(blank=True, editable=False, max_length=32)),
                ("unfinished_checks", models.PositiveSmallIntegerField(default=0, editable=False, verbose_name="unfinished checks")),
                ("isolation_notified", models.BooleanField(default=False, editable=False)),
            ],
            options={
                "verbose_name": "check state",
                "verbose_name_plural": "check states",
                "indexes": [
                    models.Index(fields=["health"], name="cameras_state_health_idx"),
                    models.Index(fields=["next_check_at"], name="cameras_state_due_idx"),
                    models.Index(fields=["claim_token"], name="cameras_state_claim_idx"),
                ],
            },
        ),
        migrations.RunPython(copy_to_states, copy_back_to_cameras),
        migrations.RemoveIndex(model_name="camera", name="cameras_camera_health_idx"),
        migrations.RemoveIndex(model_name="camera", name="cameras_camera_due_idx"),
        migrations.RemoveIndex(model_name="camera", name="cameras_camera_claim_idx"),
        *[
            migrations.RemoveField(model_name="camera", name=name.removesuffix("_id"))
            for name in MOVED
        ],
    ]
