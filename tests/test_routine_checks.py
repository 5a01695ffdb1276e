"""Routine and full checks (cameras/tasks.py): real streams on loopback, the real task path.

A routine check (handshake and first keyframe) runs every interval; a full check (the frame rate
sampled, the verdict on the whole standard) when a camera is new or changed, on request, while it
is not plainly online, and once a day. Connecting relies on the full check alone.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from cameras import lifecycle, tasks
from cameras.choices import ConnectionStatus, Health
from cameras.lifecycle import OPERATOR
from cameras.models import Camera, CameraOutage, CameraState, Sweep
from tests import factories
from tests.rtsp_helpers import Relay

pytestmark = pytest.mark.django_db

S = ConnectionStatus


@pytest.fixture(autouse=True)
def fast_checks(settings):
    settings.CAMERA_PROBE_OPEN_TIMEOUT = 2.0
    settings.CAMERA_PROBE_READ_TIMEOUT = 2.0
    settings.CAMERA_PROBE_DEADLINE = 4.0
    settings.CAMERA_PROBE_SAMPLE_SECONDS = 1.0
    settings.CAMERA_OFFLINE_AFTER = 2
    settings.CAMERA_CHECK_THREADS = 8
    settings.CAMERA_CHECK_BATCH_SIZE = 4
    settings.CAMERA_CHECK_INTERVAL = 5
    settings.CAMERA_FULL_CHECK_HOURS = 24


@pytest.fixture
def relay(rtsp_farm):
    r = Relay(rtsp_farm.port)
    yield r
    if r.listener is not None:
        r.cut()


def registered(django_capture_on_commit_callbacks, facility=None, **create):
    """A camera created as the admin creates it: its first check runs after the commit."""
    with django_capture_on_commit_callbacks(execute=True):
        camera = factories.camera(facility, **create)
    return fresh(camera)


def fresh(camera):
    return Camera.objects.select_related("state").get(pk=camera.pk)


def scheduled_sweep():
    """The periodic sweep over every enabled camera (as if all were due): routine where it may."""
    tasks.sweep(due_only=False)
    return Sweep.objects.latest("started_at", "pk")


def backdate_full_check(camera, **ago):
    """The last full check (and its passing verdict) as if it ran `ago` earlier."""
    at = timezone.now() - datetime.timedelta(**ago)
    CameraState.objects.filter(camera=camera).update(full_checked_at=at, verdict_at=at)
    return at


def test_a_new_camera_gets_a_full_check(rtsp_farm, django_capture_on_commit_callbacks):
    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url("/h264_720p"))
    assert Sweep.objects.get().full_checks == 1
    state = camera.state
    assert state.full_checked_at is not None and state.full_checked_at == state.verdict_at
    assert state.last_fps == pytest.approx(25, rel=0.1)
    assert state.last_bitrate_kbps > 10 and state.last_keyframe_interval_s is not None
    assert camera.connection_status == S.ELIGIBLE


def test_a_routine_check_of_a_live_camera_records_online_without_touching_the_frame_rate(
    rtsp_farm, django_capture_on_commit_callbacks
):
    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url("/h264_720p"))
    full = camera.state
    sweep = scheduled_sweep()
    assert (sweep.cameras, sweep.full_checks, sweep.successes) == (1, 0, 1)
    camera = fresh(camera)
    state = camera.state
    assert state.last_checked_at > full.last_checked_at
    assert state.health == Health.ONLINE and state.last_ok_at == state.last_checked_at
    assert state.last_ttff_ms is not None
    # The full check's measurements and verdict stand: not erased, not judged "unknown".
    assert (state.last_fps, state.last_bitrate_kbps, state.last_keyframe_interval_s) == (
        full.last_fps,
        full.last_bitrate_kbps,
        full.last_keyframe_interval_s,
    )
    assert (state.full_checked_at, state.verdict_at) == (full.full_checked_at, full.verdict_at)
    assert state.verdict_eligible is True and state.verdict_reasons == []
    assert camera.connection_status == S.ELIGIBLE


def test_a_routine_check_judges_what_it_sees(rtsp_farm, django_capture_on_commit_callbacks):
    """The stream behind an unchanged address drops to 640x480: the routine check sees it."""
    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url("/h264_720p"))
    fps = camera.state.last_fps
    # Not a change of the camera's address (no save): the camera itself now sends less.
    Camera.objects.filter(pk=camera.pk).update(stream_url=rtsp_farm.url("/lowres"))
    assert scheduled_sweep().full_checks == 0
    camera = fresh(camera)
    assert camera.connection_status == S.INELIGIBLE
    assert [r["code"] for r in camera.state.verdict_reasons] == ["resolution"]
    assert camera.state.health == Health.DEGRADED
    assert camera.state.last_fps == fps


def test_a_stopped_camera_goes_offline_by_routine_checks(
    relay, django_capture_on_commit_callbacks
):
    camera = registered(django_capture_on_commit_callbacks, stream_url=relay.url("/h264_720p"))
    fps = camera.state.last_fps
    relay.cut()
    first = scheduled_sweep()
    # The first failure comes from a routine check; a failing camera's next check is full (it
    # costs no more when nothing answers, and samples the stream the moment it answers again).
    assert (first.full_checks, first.failures) == (0, 1)
    assert fresh(camera).state.health == Health.ONLINE  # one failure is not an outage
    scheduled_sweep()
    camera = fresh(camera)
    assert camera.state.health == Health.OFFLINE
    assert camera.state.last_error_kind == "refused"
    assert CameraOutage.objects.get(camera=camera).ended_at is None
    assert camera.state.last_fps == fps  # what it sent when it last worked stays beside the error


def test_a_recovering_camera_gets_a_full_check(relay, django_capture_on_commit_callbacks):
    camera = registered(django_capture_on_commit_callbacks, stream_url=relay.url("/h264_720p"))
    relay.cut()
    scheduled_sweep()
    scheduled_sweep()
    assert fresh(camera).state.health == Health.OFFLINE
    relay.mend()
    back = scheduled_sweep()
    assert back.full_checks == 1
    camera = fresh(camera)
    assert camera.state.health == Health.ONLINE
    assert camera.state.full_checked_at == camera.state.last_checked_at
    assert camera.connection_status == S.ELIGIBLE
    # Plainly online again: routine from now on.
    assert scheduled_sweep().full_checks == 0


def test_check_now_is_a_full_check(rtsp_farm, admin_client_vi, django_capture_on_commit_callbacks):
    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url("/h264_720p"))
    before = backdate_full_check(camera, hours=3)
    admin_client_vi.post(
        "/admin/cameras/camera/", {"action": "check_now", "_selected_action": [camera.pk]}
    )
    assert Sweep.objects.latest("started_at", "pk").full_checks == 1
    state = fresh(camera).state
    assert state.full_checked_at > before and state.full_checked_at == state.last_checked_at


def test_a_camera_whose_full_check_is_a_day_old_gets_a_full_one(
    rtsp_farm, django_capture_on_commit_callbacks
):
    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url("/h264_720p"))
    backdate_full_check(camera, hours=23)
    assert scheduled_sweep().full_checks == 0
    backdate_full_check(camera, hours=25)
    CameraState.objects.filter(camera=camera).update(last_fps=99.0)
    assert scheduled_sweep().full_checks == 1
    state = fresh(camera).state
    assert state.full_checked_at == state.last_checked_at
    assert state.last_fps == pytest.approx(25, rel=0.1)  # measured again


def test_connect_refuses_when_only_routine_checks_are_recent(
    rtsp_farm, operator, django_capture_on_commit_callbacks
):
    camera = registered(
        django_capture_on_commit_callbacks,
        facility=factories.facility("01"),
        stream_url=rtsp_farm.url("/h264_720p"),
    )
    backdate_full_check(camera, minutes=20)  # older than CONNECT_MAX_AGE (3 x 5 minutes)
    assert scheduled_sweep().full_checks == 0
    camera = fresh(camera)
    assert camera.state.last_checked_at > timezone.now() - datetime.timedelta(minutes=1)
    assert camera.connection_status == S.ELIGIBLE and camera.state.health == Health.ONLINE
    with translation.override("en"), pytest.raises(
        lifecycle.Refused, match="latest full check"
    ) as refused:
        lifecycle.check(camera, S.CONNECTED, {OPERATOR}, queue_check=False)
    assert refused.value.wants_check
    # The refusal's check is a full one, after which connecting works.
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(lifecycle.Refused):
            lifecycle.move(camera, S.CONNECTED, user=operator, roles={OPERATOR})
    assert Sweep.objects.latest("started_at", "pk").full_checks == 1
    camera = fresh(camera)
    lifecycle.move(camera, S.CONNECTED, user=operator, roles={OPERATOR})
    assert fresh(camera).connection_status == S.CONNECTED


def test_daily_full_checks_are_spread_over_the_sweeps(settings):
    """Cameras fully checked together are not all fully checked in one sweep every day."""
    settings.CAMERA_CHECK_BATCH_SIZE = 100
    facility = factories.facility()
    day_old = timezone.now() - datetime.timedelta(hours=25)
    cameras = [
        factories.passed_check(factories.camera(facility, check_enabled=False), at=day_old)
        for _ in range(30)
    ]
    failing = factories.camera(facility, check_enabled=False)
    Camera.objects.update(check_enabled=True)
    planned, tokens = tasks.plan_sweep(due_only=False)
    assert planned.cameras == 31
    full = set(
        CameraState.objects.filter(claim_full=True).values_list("camera_id", flat=True)
    )
    # 288 sweeps a day: twice the share of 30 cameras is one per sweep; a camera never checked
    # (or failing, recovering, changed) is always checked in full.
    assert failing.pk in full and len(full) == 2
    assert len({c.pk for c in cameras} & full) == 1
    # Full and routine checks go in batches of their own.
    assert len(tokens) == 2


@pytest.fixture
def operator(django_user_model):
    return factories.province_user("kythuat.hn", "01", role="connect_province")
