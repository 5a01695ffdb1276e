"""When the checks take a picture: a camera added or changed, "Check now", and the scheduled
checks once every SNAPSHOT_INTERVAL hours inside SNAPSHOT_HOURS (GStreamer farm)."""

import datetime

import pytest
from django.utils import timezone

from cameras import tasks
from cameras.choices import SweepTrigger
from cameras.models import CameraSnapshot
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_checks(settings, tmp_path):
    settings.CAMERA_PROBE_OPEN_TIMEOUT = 2.0
    settings.CAMERA_PROBE_READ_TIMEOUT = 2.0
    settings.CAMERA_PROBE_DEADLINE = 4.0
    settings.CAMERA_PROBE_SAMPLE_SECONDS = 1.0
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"


def registered(django_capture_on_commit_callbacks, url):
    """A camera created the way the admin does: its first check runs after the commit."""
    with django_capture_on_commit_callbacks(execute=True):
        camera = factories.camera(stream_url=url)
    return camera


def window(inside):
    """A SNAPSHOT_HOURS value that holds the present local hour, or does not."""
    hour = timezone.localtime().hour
    if inside:
        return f"{hour:02d}-{hour + 1:02d}"
    return f"{hour + 1:02d}-{hour + 2:02d}" if hour < 22 else "00-01"


def test_a_new_camera_gets_a_picture_with_its_warnings(
    rtsp_farm, django_capture_on_commit_callbacks
):
    bars = registered(django_capture_on_commit_callbacks, rtsp_farm.url("/pattern/still"))
    black = registered(django_capture_on_commit_callbacks, rtsp_farm.url("/pattern/black"))
    (picture,) = CameraSnapshot.objects.filter(camera=bars)
    assert (picture.width, picture.height, picture.warnings) == (640, 360, [])
    assert CameraSnapshot.objects.get(camera=black).warnings == ["black"]


def test_scheduled_checks_take_one_a_day_inside_the_hours(
    rtsp_farm, django_capture_on_commit_callbacks, settings
):
    camera = registered(django_capture_on_commit_callbacks, rtsp_farm.url("/pattern/still"))
    assert CameraSnapshot.objects.filter(camera=camera).count() == 1

    settings.SNAPSHOT_HOURS = window(inside=True)
    tasks.sweep(SweepTrigger.SCHEDULE, due_only=False)
    # The picture of the first check is younger than SNAPSHOT_INTERVAL: none more.
    assert CameraSnapshot.objects.filter(camera=camera).count() == 1

    CameraSnapshot.objects.update(taken_at=timezone.now() - datetime.timedelta(hours=25))
    settings.SNAPSHOT_HOURS = window(inside=False)
    tasks.sweep(SweepTrigger.SCHEDULE, due_only=False)
    # At night (outside the hours) no picture is taken, however old the last one.
    assert CameraSnapshot.objects.filter(camera=camera).count() == 1

    settings.SNAPSHOT_HOURS = window(inside=True)
    tasks.sweep(SweepTrigger.SCHEDULE, due_only=False)
    assert CameraSnapshot.objects.filter(camera=camera).count() == 2


def test_check_now_takes_a_picture_whatever_the_hour(
    rtsp_farm, django_capture_on_commit_callbacks, settings
):
    camera = registered(django_capture_on_commit_callbacks, rtsp_farm.url("/pattern/still"))
    settings.SNAPSHOT_HOURS = window(inside=False)
    tasks.sweep(SweepTrigger.REQUEST, ids=[camera.pk], due_only=False)
    shots = list(CameraSnapshot.objects.filter(camera=camera))
    assert len(shots) == 2
    # The same bars twice: the second picture is flagged frozen.
    assert shots[0].warnings == ["frozen"]


def test_pictures_that_cannot_be_stored_cost_no_check_result(
    rtsp_farm, django_capture_on_commit_callbacks, settings, tmp_path
):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.SNAPSHOT_DIR = blocked
    camera = registered(django_capture_on_commit_callbacks, rtsp_farm.url("/pattern/still"))
    camera.refresh_from_db()
    assert camera.state.last_checked_at is not None and camera.state.verdict_pending is False
    assert not CameraSnapshot.objects.exists()
