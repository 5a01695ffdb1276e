"""Stream checks end to end: real RTSP servers on loopback, the real task path (django-q2 in sync
mode), the database as the user sees it afterwards.

The cast: the GStreamer farm (tests/rtsp_farm.py) for cameras that play, the misbehaving fakes
(tests/fake_rtsp.py) for cameras that fail, and a switchable TCP relay to the farm for a camera
that goes down and comes back.
"""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_q.models import Schedule

from cameras import health, tasks
from cameras.choices import ConnectionStatus, Health
from cameras.models import (
    Camera,
    CameraDay,
    CameraOutage,
    CameraState,
    ConnectionStandard,
    Sweep,
)
from cameras.schedule import SCHEDULE_NAME
from cameras.standard import reason_text
from facilities.grants import ProvinceUserObjectPermission
from tests import factories
from tests.fake_rtsp import closed_port
from tests.rtsp_helpers import Relay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_checks(settings):
    # Short limits keep the suite quick; the rules under test do not depend on them.
    settings.CAMERA_PROBE_OPEN_TIMEOUT = 2.0
    settings.CAMERA_PROBE_READ_TIMEOUT = 2.0
    settings.CAMERA_PROBE_DEADLINE = 4.0
    settings.CAMERA_PROBE_SAMPLE_SECONDS = 1.0
    settings.CAMERA_OFFLINE_AFTER = 2
    settings.CAMERA_CHECK_THREADS = 8
    settings.CAMERA_CHECK_BATCH_SIZE = 4


@pytest.fixture
def provinces_loaded():
    """For tests on committed data (threads): a transactional test before may have flushed the
    rows the migrations loaded. (serialized_rollback is not used: restoring the serialized audit
    entries trips over the system account the audit trail creates on the way.)"""
    from facilities.models import Province
    from facilities.provinces import load_provinces

    load_provinces(Province)


@pytest.fixture
def relay(rtsp_farm):
    r = Relay(rtsp_farm.port)
    yield r
    if r.listener is not None:
        r.cut()


def farm_camera(farm, path, facility=None, **fields):
    return factories.camera(facility, stream_url=farm.url(path), **fields)


def registered(django_capture_on_commit_callbacks, **create):
    """Create a camera the way the admin does: its first check runs after the commit."""
    with django_capture_on_commit_callbacks(execute=True):
        camera = factories.camera(**create)
    camera.refresh_from_db()
    return camera


def sweep_all():
    """One sweep over every enabled camera, due or not (batches run inline: sync mode)."""
    return tasks.sweep(due_only=False)


def english_reasons(camera):
    with translation.override("en"):
        return [reason_text(reason) for reason in camera.state.verdict_reasons]


# --------------------------------------------------------------------------
# The verdict on registration


@pytest.mark.parametrize("path, codec", [("/h264_720p", "h264"), ("/h265", "hevc")])
def test_new_camera_meeting_the_standard_becomes_eligible(
    rtsp_farm, django_capture_on_commit_callbacks, path, codec
):
    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url(path))
    assert camera.connection_status == ConnectionStatus.ELIGIBLE
    assert camera.status_reason == ""
    assert camera.state.health == Health.ONLINE
    assert camera.state.verdict_eligible is True
    assert camera.state.verdict_reasons == []
    assert camera.state.verdict_standard == ConnectionStandard.current()
    state = camera.state
    assert (state.last_codec, state.last_width, state.last_height) == (codec, 1280, 720)
    assert 20 <= camera.state.last_fps <= 30
    assert camera.state.last_ttff_ms is not None
    assert camera.state.verdict_pending is False
    assert camera.state.claim_token == "" and camera.state.claimed_until is None


def test_camera_with_credentials_is_checked_with_them(
    rtsp_farm, django_capture_on_commit_callbacks
):
    camera = registered(
        django_capture_on_commit_callbacks,
        stream_url=rtsp_farm.url("/secure"),
        username=rtsp_farm.username,
        password=rtsp_farm.password,
    )
    assert camera.connection_status == ConnectionStatus.ELIGIBLE
    assert camera.state.health == Health.ONLINE


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/lowres", "resolution 640x480 is below the required 1280x720"),
        ("/lowfps", "frame rate 5 frames/s is below the required 10 frames/s"),
    ],
)
def test_camera_below_the_standard_is_ineligible_with_the_reason(
    rtsp_farm, django_capture_on_commit_callbacks, path, expected
):
    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url(path))
    assert camera.connection_status == ConnectionStatus.INELIGIBLE
    assert [r for r in english_reasons(camera) if r.startswith(expected)], english_reasons(camera)
    # The stored reason is in Vietnamese, the portal's language.
    assert camera.status_reason.startswith(("Độ phân giải", "Tốc độ khung hình"))
    # It plays, below the standard: degraded, with an outage period open.
    assert camera.state.health == Health.DEGRADED
    outage = CameraOutage.objects.get(camera=camera)
    assert outage.kind == Health.DEGRADED and outage.ended_at is None
    assert outage.reason == camera.status_reason


def test_stricter_standard_version_changes_the_verdict(
    rtsp_farm, django_capture_on_commit_callbacks
):
    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url("/h265"))
    assert camera.connection_status == ConnectionStatus.ELIGIBLE
    old = ConnectionStandard.current()
    stricter = ConnectionStandard.objects.create(
        version=old.version + 1, allowed_codecs="h264", min_fps=10
    )
    stricter.activate()
    sweep_all()
    camera.refresh_from_db()
    assert camera.connection_status == ConnectionStatus.INELIGIBLE
    assert camera.state.verdict_standard == stricter
    assert english_reasons(camera) == [
        "video codec H.265 (HEVC) is not accepted; set the camera to H.264"
    ]
    old.refresh_from_db()
    assert not old.is_active and ConnectionStandard.current() == stricter


FAKE_REASONS = {
    "401": "the camera refused the user name or password",
    "403": "the camera refused access to this stream (RTSP 403)",
    "404": "the camera has no stream at this address (RTSP 404)",
    "503": "the camera answered with a server error",
    "silent": "the camera did not answer in time",
    "no_media": "no video arrived from the stream",
    "garbage": "the stream could not be read",
}


@pytest.mark.parametrize("behaviour", FAKE_REASONS)
def test_failing_camera_is_ineligible_with_an_actionable_reason(
    fake_rtsp, django_capture_on_commit_callbacks, behaviour
):
    server = fake_rtsp(behaviour)
    camera = registered(django_capture_on_commit_callbacks, stream_url=server.url())
    assert camera.connection_status == ConnectionStatus.INELIGIBLE
    assert english_reasons(camera)[0].startswith(FAKE_REASONS[behaviour])
    # One failure is not an outage yet (CAMERA_OFFLINE_AFTER = 2).
    assert camera.state.health == Health.UNKNOWN
    assert camera.state.consecutive_failures == 1
    assert not CameraOutage.objects.filter(camera=camera).exists()


def test_refused_port_names_the_port(django_capture_on_commit_callbacks):
    port = closed_port()
    camera = registered(
        django_capture_on_commit_callbacks, stream_url=f"rtsp://127.0.0.1:{port}/stream"
    )
    assert camera.state.last_error_kind == "refused"
    assert english_reasons(camera)[0].startswith(
        f"the camera refused the connection on port {port}"
    )


def test_busy_camera_is_neither_judged_nor_failed(fake_rtsp, django_capture_on_commit_callbacks):
    server = fake_rtsp("453")
    camera = registered(django_capture_on_commit_callbacks, stream_url=server.url())
    assert camera.connection_status == ConnectionStatus.REGISTERED
    assert camera.state.verdict_pending is True  # judged at the next check that gets through
    assert camera.state.last_error_kind == "busy"
    assert camera.state.consecutive_failures == 0
    sweep_all()
    camera.refresh_from_db()
    assert camera.state.health == Health.UNKNOWN and camera.state.consecutive_failures == 0
    # Busy checks are not counted in uptime either way.
    assert not CameraDay.objects.filter(camera=camera).exists()


def test_loopback_is_refused_by_the_default_policy(
    rtsp_farm, settings, django_capture_on_commit_callbacks
):
    camera = factories.camera(stream_url=rtsp_farm.url("/h264_720p"))
    settings.CAMERA_ALLOWED_NETWORKS = []
    sweep_all()
    camera.refresh_from_db()
    assert camera.state.last_error_kind == "denied"
    assert camera.connection_status == ConnectionStatus.INELIGIBLE
    assert "127.0.0.1" in camera.status_reason


def test_changed_address_is_checked_again(rtsp_farm, django_capture_on_commit_callbacks):
    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url("/lowres"))
    assert camera.connection_status == ConnectionStatus.INELIGIBLE
    camera.stream_url = rtsp_farm.url("/h264_720p")
    with django_capture_on_commit_callbacks(execute=True):
        camera.save()
    camera.refresh_from_db()
    assert camera.connection_status == ConnectionStatus.ELIGIBLE
    assert camera.status_reason == ""
    assert camera.state.health == Health.ONLINE


def test_saving_other_fields_queues_no_check(rtsp_farm, django_capture_on_commit_callbacks):
    camera = factories.camera(stream_url=rtsp_farm.url("/h264_720p"))
    camera = Camera.objects.get(pk=camera.pk)
    camera.vendor = "Hikvision"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        camera.save()
    assert callbacks == []


def test_one_request_for_cameras_saved_in_one_transaction(
    rtsp_farm, django_capture_on_commit_callbacks
):
    facility = factories.facility()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _ in range(3):
            farm_camera(rtsp_farm, "/h264_720p", facility)
    assert len(callbacks) == 1
    assert Sweep.objects.get().cameras == 3
    assert set(Camera.objects.values_list("connection_status", flat=True)) == {"eligible"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("provinces_loaded")
def test_result_for_an_address_changed_during_the_check_is_dropped(rtsp_farm, fake_rtsp):
    silent = fake_rtsp("silent")  # a probe of it lasts about 2 s
    camera = factories.camera(stream_url=silent.url(), check_enabled=False)
    Camera.objects.update(check_enabled=True)
    planned, tokens = tasks.plan_sweep(ids=[camera.pk], due_only=False)

    def correct_the_address():
        from django.db import connections

        time.sleep(0.3)
        try:
            fresh = Camera.objects.get(pk=camera.pk)
            fresh.stream_url = rtsp_farm.url("/h264_720p")
            fresh.save()  # its own check finds the camera leased and leaves it to the batch
        finally:
            connections.close_all()

    editor = threading.Thread(target=correct_the_address)
    editor.start()
    tasks.check_batch(tokens[0], planned.pk)
    editor.join()
    camera.refresh_from_db()
    # The timeout of the old address was not written for the new one; the new one was checked
    # right after the batch let the camera go.
    assert camera.state.last_error_kind == ""
    assert (camera.state.last_codec, camera.state.last_width) == ("h264", 1280)
    assert camera.connection_status == ConnectionStatus.ELIGIBLE
    assert CameraDay.objects.get(camera=camera).checks == 1


# --------------------------------------------------------------------------
# Health, outages, uptime, notices


def test_health_outages_uptime_and_notices(relay):
    factories.province_user("admin01", "01", email="so-tttt@hanoi.gov.vn")
    factories.province_user("admin79", "79", email="so-tttt@hcm.gov.vn")
    factories.province_user("no-mail", "01", email="")
    camera = factories.camera(factories.facility("01"), stream_url=relay.url("/h264_720p"))
    # Connected by its operator earlier (the lifecycle's rules are tested in test_lifecycle.py).
    camera = factories.passed_check(camera, status=ConnectionStatus.CONNECTED)

    sweep_all()  # 1: plays
    camera.refresh_from_db()
    assert camera.state.health == Health.ONLINE
    assert mail.outbox == []  # nothing went offline or recovered

    relay.cut()
    sweep_all()  # 2: first failure - not offline yet
    camera.refresh_from_db()
    assert (camera.state.health, camera.state.consecutive_failures) == (Health.ONLINE, 1)
    assert camera.state.last_error_kind == "refused"
    first_failure = camera.state.failing_since
    assert mail.outbox == []

    sweep_all()  # 3: second failure - offline
    camera.refresh_from_db()
    assert camera.state.health == Health.OFFLINE
    # A connected camera keeps its status; only its health follows the checks.
    assert camera.connection_status == ConnectionStatus.CONNECTED
    # The facts of the last good check stay next to the error.
    assert (camera.state.last_codec, camera.state.last_width) == ("h264", 1280)
    outage = CameraOutage.objects.get(camera=camera)
    assert outage.kind == Health.OFFLINE
    assert outage.started_at == first_failure and outage.ended_at is None
    assert outage.error_kind == "refused"
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["so-tttt@hanoi.gov.vn"]
    assert "1 camera mất tín hiệu" in notice.subject
    assert camera.name in notice.body and camera.facility.name in notice.body

    sweep_all()  # 4: still offline - no new outage, no new notice
    assert CameraOutage.objects.filter(camera=camera).count() == 1
    assert len(mail.outbox) == 1

    relay.mend()
    sweep_all()  # 5: back
    camera.refresh_from_db()
    assert camera.state.health == Health.ONLINE and camera.state.consecutive_failures == 0
    outage.refresh_from_db()
    assert outage.ended_at is not None
    assert len(mail.outbox) == 2
    assert "hoạt động trở lại" in mail.outbox[1].subject
    assert mail.outbox[1].to == ["so-tttt@hanoi.gov.vn"]

    day = CameraDay.objects.get(camera=camera)
    assert (day.day, day.checks, day.successes) == (timezone.localdate(), 5, 2)
    annotated = health.with_uptime(Camera.objects.filter(pk=camera.pk)).get()
    assert annotated.uptime_today == pytest.approx(40.0)
    assert annotated.uptime_7d == pytest.approx(40.0)


def test_uptime_over_seven_days(relay):
    camera = factories.camera(stream_url=relay.url("/h264_720p"))
    today = timezone.localdate()
    CameraDay.objects.create(
        camera=camera, day=today - datetime.timedelta(days=3), checks=10, successes=5
    )
    CameraDay.objects.create(
        camera=camera, day=today - datetime.timedelta(days=8), checks=10, successes=0
    )
    sweep_all()
    annotated = health.with_uptime(Camera.objects.filter(pk=camera.pk)).get()
    assert annotated.uptime_today == pytest.approx(100.0)
    assert annotated.uptime_7d == pytest.approx(6 / 11 * 100)


def test_old_history_is_purged(relay, settings):
    settings.CAMERA_HISTORY_DAYS = 30
    camera = factories.camera(stream_url=relay.url("/h264_720p"))
    now = timezone.now()
    CameraDay.objects.create(camera=camera, day=timezone.localdate() - datetime.timedelta(days=31))
    keep = CameraDay.objects.create(
        camera=camera, day=timezone.localdate() - datetime.timedelta(days=29)
    )
    CameraOutage.objects.create(
        camera=camera,
        kind=Health.OFFLINE,
        started_at=now - datetime.timedelta(days=40),
        ended_at=now - datetime.timedelta(days=31),
        start_notified_at=now,
        end_notified_at=now,
    )
    sweep_all()
    assert list(CameraDay.objects.exclude(day=timezone.localdate())) == [keep]
    assert not CameraOutage.objects.exists()


def test_batch_writes_do_not_grow_with_its_size(rtsp_farm, settings):
    """Health of a batch is written in a fixed number of statements, not one per camera."""
    settings.CAMERA_CHECK_BATCH_SIZE = 50
    facility = factories.facility()

    def statements_for(n):
        cameras = [farm_camera(rtsp_farm, "/h264_720p", facility) for _ in range(n)]
        Camera.objects.filter(pk__in=[c.pk for c in cameras]).update(
            connection_status=ConnectionStatus.CONNECTED
        )
        planned, tokens = tasks.plan_sweep(ids=[c.pk for c in cameras], due_only=False)
        with CaptureQueriesContext(connection) as queries:
            tasks.check_batch(tokens[0], planned.pk)
        assert set(
            CameraState.objects.filter(camera__in=cameras).values_list("health", flat=True)
        ) == {Health.ONLINE}
        return len(queries)

    assert statements_for(2) == statements_for(6)


# --------------------------------------------------------------------------
# Leases


def test_a_leased_camera_is_not_claimed_by_a_second_sweep(rtsp_farm):
    cameras = [farm_camera(rtsp_farm, "/h264_720p") for _ in range(5)]
    first, first_tokens = tasks.plan_sweep(due_only=False)
    second, second_tokens = tasks.plan_sweep(due_only=False)
    assert first.cameras == 5
    assert second.cameras == 0 and second_tokens == []
    for token in first_tokens:
        tasks.check_batch(token, first.pk)
    for camera in cameras:
        day = CameraDay.objects.get(camera=camera)
        assert day.checks == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("provinces_loaded")
def test_two_concurrent_sweeps_never_probe_a_camera_twice(rtsp_farm, settings):
    settings.CAMERA_CHECK_BATCH_SIZE = 3
    # Created without their first check (it would run at once: no transaction to wait for).
    cameras = [farm_camera(rtsp_farm, "/h264_720p", check_enabled=False) for _ in range(12)]
    Camera.objects.update(check_enabled=True)
    start = threading.Barrier(2)
    outcomes = []

    def run():
        from django.db import connections

        try:
            start.wait()
            planned, tokens = tasks.plan_sweep(due_only=False)
            start_batches.wait()
            for token in tokens:
                tasks.check_batch(token, planned.pk)
            outcomes.append(planned.cameras)
        finally:
            connections.close_all()

    start_batches = threading.Barrier(2)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes)[0] >= 0 and sum(outcomes) == 12
    checks = dict(CameraDay.objects.values_list("camera_id", "checks"))
    assert checks == {camera.pk: 1 for camera in cameras}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("provinces_loaded")
def test_a_claim_that_waited_for_another_finds_the_cameras_taken():
    """Two sweeps claiming the same cameras at the same moment: the second waits, then wins none.

    On PostgreSQL the second UPDATE blocks on the first one's row locks and re-checks each row
    once they are released; the lease test must be re-checked on the new row, or both sweeps win
    the camera and it is probed twice. (On SQLite the write lock serialises them.)
    """
    from django.db import connections

    # Created without their first check (it would run at once: no transaction to wait for).
    cameras = [factories.camera(check_enabled=False) for _ in range(4)]
    Camera.objects.update(check_enabled=True)
    ids = [camera.pk for camera in cameras]
    first_holds_locks = threading.Event()
    release = threading.Event()
    won = {}

    def first():
        try:
            with transaction.atomic():
                won["first"] = tasks.claim(ids, "first")
                first_holds_locks.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second():
        try:
            first_holds_locks.wait(10)
            won["second"] = tasks.claim(ids, "second")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    # Give the second claim time to reach the row locks before the first commits.
    first_holds_locks.wait(10)
    time.sleep(0.5)
    release.set()
    for thread in threads:
        thread.join(30)
    assert won == {"first": 4, "second": 0}
    assert set(CameraState.objects.values_list("claim_token", flat=True)) == {"first"}


def test_an_expired_lease_is_claimed_again_and_the_late_batch_writes_nothing(rtsp_farm):
    camera = farm_camera(rtsp_farm, "/h264_720p")
    dead, dead_tokens = tasks.plan_sweep(due_only=False)
    assert dead.cameras == 1
    # The worker running that batch died; nothing happens until the lease runs out.
    assert tasks.plan_sweep(due_only=False)[0].cameras == 0
    CameraState.objects.filter(camera=camera).update(
        claimed_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    retry, retry_tokens = tasks.plan_sweep(due_only=False)
    assert retry.cameras == 1
    camera.refresh_from_db()
    assert camera.state.unfinished_checks == 2
    # The late batch of the dead sweep shows up after all: its camera is no longer its own.
    assert tasks.check_batch(dead_tokens[0], dead.pk)["cameras"] == 0
    assert tasks.check_batch(retry_tokens[0], retry.pk)["cameras"] == 1
    camera.refresh_from_db()
    assert camera.state.health == Health.ONLINE and camera.state.unfinished_checks == 0
    assert camera.state.claim_token == ""
    assert CameraDay.objects.get(camera=camera).checks == 1


def test_camera_that_keeps_killing_its_batch_is_isolated_and_reported(
    rtsp_farm, settings
):
    settings.CAMERA_CHECK_CRASH_LIMIT = 3
    factories.province_user("admin01", "01", email="so-tttt@hanoi.gov.vn")
    facility = factories.facility("01")
    bad = farm_camera(rtsp_farm, "/h264_720p", facility, name="Camera gây lỗi")
    good = [farm_camera(rtsp_farm, "/h264_720p", facility) for _ in range(3)]
    past = timezone.now() - datetime.timedelta(seconds=1)

    planned, tokens = tasks.plan_sweep(due_only=False)
    assert len(tokens) == 1  # all four in one batch, which dies
    CameraState.objects.update(claimed_until=past)
    # Next sweep: every camera of the dead batch is suspect and checked alone.
    planned, tokens = tasks.plan_sweep(due_only=False)
    assert len(tokens) == 4
    for camera in good:
        token = CameraState.objects.get(camera=camera).claim_token
        tasks.check_batch(token, planned.pk)
    CameraState.objects.filter(camera=bad).update(claimed_until=past)  # it died alone, again
    planned, tokens = tasks.plan_sweep(due_only=False)
    CameraState.objects.filter(camera=bad).update(claimed_until=past)  # and again
    mail.outbox.clear()
    planned, tokens = tasks.plan_sweep(due_only=False)
    assert tokens == []
    tasks._finish(planned.pk)
    bad.refresh_from_db()
    assert bad.check_enabled is False
    assert "3" in bad.check_disabled_reason
    assert all(Camera.objects.get(pk=c.pk).check_enabled for c in good)
    assert len(mail.outbox) == 1 and bad.name in mail.outbox[0].body
    # A new address is a new chance.
    bad.stream_url = rtsp_farm.url("/h265")
    bad.save()
    bad.refresh_from_db()
    assert bad.check_enabled is True and bad.check_disabled_reason == ""


# --------------------------------------------------------------------------
# Audit, schedule, admin, command


def test_verdict_status_change_is_audited_as_the_system(
    rtsp_farm, django_capture_on_commit_callbacks
):
    from auditlog.models import LogEntry

    from portal.actor import system_actor

    camera = registered(django_capture_on_commit_callbacks, stream_url=rtsp_farm.url("/lowres"))
    entries = [
        entry
        for entry in LogEntry.objects.get_for_object(camera)
        if entry.action == LogEntry.Action.UPDATE
        and "connection_status" in (entry.changes_dict or {})
    ]
    assert len(entries) == 1
    assert entries[0].actor == system_actor()
    assert entries[0].changes_dict["connection_status"][1] == "ineligible"
    for entry in LogEntry.objects.get_for_object(camera):
        assert "health" not in (entry.changes_dict or {})


def test_sweep_schedule_exists_after_migrate():
    schedule = Schedule.objects.get(name=SCHEDULE_NAME)
    assert schedule.func == "cameras.tasks.sweep"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 5
    assert schedule.repeats == -1


def test_sweep_takes_only_due_cameras(rtsp_farm):
    camera = farm_camera(rtsp_farm, "/h264_720p")
    assert tasks.sweep()["cameras"] == 1
    camera.refresh_from_db()
    assert camera.state.next_check_at > timezone.now()
    assert tasks.sweep()["cameras"] == 0
    CameraState.objects.update(next_check_at=timezone.now())
    assert tasks.sweep()["cameras"] == 1


def test_check_now_admin_action(rtsp_farm, admin_client_vi):
    camera = farm_camera(rtsp_farm, "/lowfps")
    disabled = farm_camera(rtsp_farm, "/h264_720p", check_enabled=False)
    response = admin_client_vi.post(
        "/admin/cameras/camera/",
        {"action": "check_now", "_selected_action": [camera.pk, disabled.pk]},
        follow=True,
    )
    assert response.status_code == 200
    camera.refresh_from_db()
    disabled.refresh_from_db()
    assert camera.connection_status == ConnectionStatus.INELIGIBLE
    assert disabled.state.last_checked_at is None
    messages = [str(m) for m in response.context["messages"]]
    assert any("1" in m for m in messages) and len(messages) == 2


def test_camera_page_shows_facts_and_reasons(rtsp_farm, admin_client_vi):
    camera = farm_camera(rtsp_farm, "/lowres")
    sweep_all()
    page = admin_client_vi.get(f"/admin/cameras/camera/{camera.pk}/change/").content.decode()
    assert "640x480" in page
    # The verdict, rendered in the page's language, and the reason stored with the ineligible
    # status (written in Vietnamese, as a sentence).
    assert "<div>độ phân giải 640x480 thấp hơn mức yêu cầu 1280x720;" in page
    assert "Độ phân giải 640x480 thấp hơn mức yêu cầu 1280x720;" in page


def test_camera_list_uptime_without_a_query_per_row(
    rtsp_farm, admin_client_vi, django_assert_max_num_queries
):
    facility = factories.facility()
    camera = farm_camera(rtsp_farm, "/h264_720p", facility)
    CameraDay.objects.create(camera=camera, day=timezone.localdate(), checks=4, successes=3)

    def queries_for_list():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client_vi.get("/admin/cameras/camera/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    few, page = queries_for_list()
    assert "75\u00a0%" in page  # a no-break space: never split over two lines
    for _ in range(10):
        farm_camera(rtsp_farm, "/h264_720p", facility)
    many, _page = queries_for_list()
    assert many == few


def test_check_cameras_command_checks_one_province(rtsp_farm, capsys):
    hanoi = farm_camera(rtsp_farm, "/h264_720p", factories.facility("01"))
    saigon = farm_camera(rtsp_farm, "/h264_720p", factories.facility("79"))
    call_command("check_cameras", "--province", "01", "--parallel", "1")
    out = capsys.readouterr()
    assert "1/1" in out.err
    hanoi.refresh_from_db()
    saigon.refresh_from_db()
    assert hanoi.state.health == Health.ONLINE
    assert saigon.state.last_checked_at is None


# --------------------------------------------------------------------------
# The canary password


def test_canary_password_appears_nowhere(
    rtsp_farm, fake_rtsp, relay, caplog, capfd, django_capture_on_commit_callbacks
):
    canary = rtsp_farm.password
    caplog.set_level("DEBUG")
    with django_capture_on_commit_callbacks(execute=True):
        good = factories.camera(
            stream_url=rtsp_farm.url("/secure"), username=rtsp_farm.username, password=canary
        )
        wrong = factories.camera(
            stream_url=rtsp_farm.url("/secure"), username=rtsp_farm.username, password=canary + "x"
        )
        refused = factories.camera(
            stream_url=fake_rtsp("401").url(), username="admin", password=canary
        )
        down = factories.camera(
            stream_url=relay.url("/secure"), username=rtsp_farm.username, password=canary
        )
    relay.cut()
    sweep_all()
    sweep_all()
    call_command("check_cameras", "--parallel", "1")
    good.refresh_from_db()
    wrong.refresh_from_db()
    refused.refresh_from_db()
    down.refresh_from_db()
    assert good.state.health == Health.ONLINE and good.connection_status == "eligible"
    assert wrong.state.last_error_kind == "unauthorized"
    assert refused.state.last_error_kind == "unauthorized"
    assert down.state.health == Health.OFFLINE

    # Every column of every table, read raw: only the encrypted password column may hold it
    # (and it holds ciphertext, which never contains the plain value).
    leaks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            names = [col[0] for col in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    if value is not None and canary in str(value):
                        leaks.append((table, name))
    assert leaks == []
    for record in caplog.records:
        assert canary not in record.getMessage()
    captured = capfd.readouterr()
    assert canary not in captured.out and canary not in captured.err
    for message in mail.outbox:
        assert canary not in message.subject and canary not in message.body


def test_notice_recipients_are_the_provinces_active_administrators(django_user_model):
    from django.contrib.auth.models import Group

    from cameras.notify import province_admin_emails
    from facilities.grants import ProvinceGroupObjectPermission

    hanoi = factories.province("01")
    direct = factories.province_user("admin01", "01", email="truong-phong@hanoi.gov.vn")
    factories.province_user("admin79", "79", email="hcm@hcm.gov.vn")
    expired = factories.province_user("old", "01", email="cu@hanoi.gov.vn")
    ProvinceUserObjectPermission.objects.filter(user=expired).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    viewer = django_user_model.objects.create_user("viewer", email="xem@hanoi.gov.vn")
    factories.grant_province(viewer, "01", "view_province")
    team = Group.objects.create(name="Sở TT&TT Hà Nội")
    ProvinceGroupObjectPermission.objects.create(
        group=team, content_object=hanoi, permission=factories.permission("manage_province")
    )
    member = django_user_model.objects.create_user("member", email="can-bo@hanoi.gov.vn")
    no_mail = django_user_model.objects.create_user("no_mail", email="")
    gone = django_user_model.objects.create_user("gone", email="nghi@hanoi.gov.vn", is_active=False)
    for user in (member, no_mail, gone):
        user.groups.add(team)
    assert direct.email == "truong-phong@hanoi.gov.vn"
    assert province_admin_emails([hanoi.pk]) == {
        hanoi.pk: ["can-bo@hanoi.gov.vn", "truong-phong@hanoi.gov.vn"]
    }
