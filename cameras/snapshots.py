"""Camera snapshots: the probe's picture of a camera, kept sealed for a placement review.

A snapshot is a row (`CameraSnapshot`: when, size, picture warnings, file name) and a file
under SNAPSHOT_DIR holding the JPEG sealed with the credentials key (portal/sealed_files.py,
the same Fernet keys as the camera passwords; `manage.py rotate_credentials_key` re-seals
the files too). The file's name is random and says nothing of the camera. Nothing here logs
a picture or puts one in an export, an audit entry, a static or a media URL: the only way out
is `served`, through the one scoped view, with the viewer's name and the time drawn into it.

At most SNAPSHOT_KEEP per camera (older ones go as a new one comes) and none older than
SNAPSHOT_RETENTION_HOURS (the hourly purge, `purge`). A file goes when its row goes, after
the transaction commits (`remove_file`, connected to post_delete in cameras/apps.py), so a
camera's deletion takes its pictures with it.
"""

from __future__ import annotations

import datetime
import io
import logging
import math
import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from cameras import conf, picture
from cameras.choices import SweepTrigger
from cameras.models import CameraSnapshot, CameraState
from portal import sealed_files

logger = logging.getLogger(__name__)

SUFFIX = ".sealed"
# A file without a row this old was written for a transaction that rolled back.
ORPHAN_AGE_SECONDS = 3600


def directory() -> Path:
    path = Path(settings.SNAPSHOT_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def path_of(snapshot: CameraSnapshot) -> Path:
    return Path(settings.SNAPSHOT_DIR) / snapshot.file_name


def read(snapshot: CameraSnapshot) -> bytes:
    """The JPEG of `snapshot`; UnreadableFile or OSError when its file is gone or unreadable."""
    return b"".join(sealed_files.read_sealed(path_of(snapshot)))


def latest_pictures(camera_ids) -> dict[int, bytes]:
    """The newest readable picture of each camera, for the frozen check."""
    latest: dict[int, CameraSnapshot] = {}
    rows = CameraSnapshot.objects.filter(camera_id__in=list(camera_ids)).order_by(
        "camera_id", "-taken_at", "-pk"
    )
    for row in rows.only("camera_id", "file_name", "taken_at"):
        latest.setdefault(row.camera_id, row)
    pictures = {}
    for camera_id, row in latest.items():
        try:
            pictures[camera_id] = read(row)
        except (OSError, sealed_files.UnreadableFile):
            continue
    return pictures


def wanted(cameras, trigger, now) -> set[int]:
    """Ids of the leased `cameras` whose check brings back a picture.

    Every camera of a check on request ("Check now", a camera added or its address changed,
    an import: the "request" trigger) and every camera whose address is new (verdict pending).
    Scheduled checks take one only inside SNAPSHOT_HOURS (local), of a camera without a
    picture younger than SNAPSHOT_INTERVAL, and at most a batch's share of the day's pictures
    (twice the cameras divided by the sweeps in the window, at least one): at 08:00 the whole
    registry is due, and the first sweeps of the day are not to decode 10,000 pictures at once.
    Routine checks count as well as full ones: a camera whose daily full check falls at night
    would otherwise never be seen by day.
    """
    asked = {
        camera.pk
        for camera in cameras
        if trigger == SweepTrigger.REQUEST or camera.state.verdict_pending
    }
    start, end = conf.snapshot_hours()
    if not start <= timezone.localtime(now).hour < end:
        return asked
    others = [camera.pk for camera in cameras if camera.pk not in asked]
    if not others:
        return asked
    recent = set(
        CameraSnapshot.objects.filter(
            camera_id__in=others, taken_at__gt=now - conf.snapshot_interval()
        ).values_list("camera_id", flat=True)
    )
    due = [pk for pk in others if pk not in recent]
    sweeps_in_window = max(1, (end - start) * 60 // conf.interval_minutes())
    quota = max(1, math.ceil(2 * len(cameras) / sweeps_in_window))
    return asked | set(due[:quota])


def _seal(jpeg: bytes) -> str:
    name = secrets.token_hex(16) + SUFFIX
    with sealed_files.SealedWriter(directory() / name) as out:
        out.write(jpeg)
    return name


def prepare(camera_id, result, previous: bytes | None = None, now=None) -> CameraSnapshot | None:
    """The unsaved row of a probe result's picture, its file already sealed; None without one.

    The caller saves the row (one bulk_create for a batch) and then calls `trim`.
    """
    if not result.snapshot:
        return None
    return CameraSnapshot(
        camera_id=camera_id,
        taken_at=now or timezone.now(),
        width=result.snapshot_width,
        height=result.snapshot_height,
        warnings=picture.warnings(result.snapshot, previous),
        file_name=_seal(result.snapshot),
    )


def save_many(results, now=None) -> list[CameraSnapshot]:
    """Store the pictures of `results` ({camera_id: ProbeResult}) in one INSERT; keep the newest
    SNAPSHOT_KEEP of each camera."""
    with_picture = {cid: r for cid, r in results.items() if r.snapshot}
    if not with_picture:
        return []
    previous = latest_pictures(with_picture)
    rows = [
        prepare(camera_id, result, previous.get(camera_id), now)
        for camera_id, result in with_picture.items()
    ]
    with transaction.atomic():
        CameraSnapshot.objects.bulk_create(rows)
        trim(with_picture)
        # The dashboards count the cameras whose latest picture has a warning: two UPDATEs.
        for warned in (True, False):
            ids = [row.camera_id for row in rows if bool(row.warnings) == warned]
            if ids:
                CameraState.objects.filter(camera_id__in=ids).update(picture_warned=warned)
    return rows


def trim(camera_ids) -> int:
    """Delete the snapshots of `camera_ids` beyond the newest SNAPSHOT_KEEP of each."""
    keep = max(1, settings.SNAPSHOT_KEEP)
    seen: dict[int, int] = {}
    extra = []
    rows = CameraSnapshot.objects.filter(camera_id__in=list(camera_ids)).order_by(
        "camera_id", "-taken_at", "-pk"
    )
    for pk, camera_id in rows.values_list("pk", "camera_id"):
        seen[camera_id] = seen.get(camera_id, 0) + 1
        if seen[camera_id] > keep:
            extra.append(pk)
    if not extra:
        return 0
    return CameraSnapshot.objects.filter(pk__in=extra).delete()[0]


def purge(now=None) -> int:
    """Delete the snapshots older than SNAPSHOT_RETENTION_HOURS and the files no row names
    (written for a transaction that rolled back). The hourly task; returns the rows deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.SNAPSHOT_RETENTION_HOURS)
    deleted = CameraSnapshot.objects.filter(taken_at__lt=cutoff).delete()[0]
    folder = Path(settings.SNAPSHOT_DIR)
    if folder.is_dir():
        names = set(CameraSnapshot.objects.values_list("file_name", flat=True))
        old = time.time() - ORPHAN_AGE_SECONDS
        for entry in os.scandir(folder):
            if entry.name.endswith(SUFFIX) and entry.name not in names:
                if entry.stat().st_mtime < old:
                    sealed_files.remove(entry.path)
    if deleted:
        logger.info("snapshot purge: %d snapshots past their retention deleted", deleted)
    return deleted


def remove_file(sender, instance, using=None, **kwargs):
    """post_delete of CameraSnapshot: its file goes once the deletion is committed."""
    path = path_of(instance)
    transaction.on_commit(lambda: sealed_files.remove(path), using=using)


def reseal_all() -> tuple[int, int, int]:
    """Re-seal every snapshot file with the first key (key rotation); (files, re-sealed,
    unreadable). A file no configured key opens is left to the purge: a picture lives three
    days, a key rotation is not to fail for one."""
    folder = Path(settings.SNAPSHOT_DIR)
    if not folder.is_dir():
        return 0, 0, 0
    files = changed = unreadable = 0
    for entry in os.scandir(folder):
        if not entry.name.endswith(SUFFIX):
            continue
        files += 1
        try:
            if sealed_files.reseal(entry.path):
                changed += 1
        except sealed_files.UnreadableFile:
            unreadable += 1
    return files, changed, unreadable


def served(jpeg: bytes, viewer: str, at: datetime.datetime) -> bytes:
    """The picture as a person sees it: the viewer's account name and the time drawn in, in a
    band at the bottom and faintly across the middle, so that a copy names whoever made it."""
    stamp = f"{viewer} · {timezone.localtime(at):%Y-%m-%d %H:%M:%S %Z}"
    with Image.open(io.BytesIO(jpeg)) as original:
        image = original.convert("RGB")
    size = max(12, image.height // 24)
    font = ImageFont.load_default(size=size)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    band = int(size * 1.6)
    draw.rectangle((0, image.height - band, image.width, image.height), fill=(0, 0, 0, 160))
    draw.text(
        (size // 2, image.height - band + size // 4), stamp, font=font, fill=(255, 255, 255, 255)
    )
    left, top, right, bottom = draw.textbbox((0, 0), stamp, font=font)
    middle = ((image.width - (right - left)) // 2, (image.height - (bottom - top)) // 2)
    draw.text(middle, stamp, font=font, fill=(255, 255, 255, 90))
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
