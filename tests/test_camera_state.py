"""A camera's check state lives apart from the registry row: every camera has one, the checks
write only there (no audit entry, the camera's `updated_at` untouched), pages read it without a
query per camera, and the migration carries the old values over and back."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cameras import health, lifecycle, tasks
from cameras.choices import ConnectionStatus, Health, Zone
from cameras.importer import CameraImporter
from cameras.models import Camera, CameraState, ConnectionStandard
from tests import factories
from tests.fake_rtsp import closed_port

pytestmark = pytest.mark.django_db


def test_every_camera_gets_its_state_awaiting_a_first_verdict():
    facility = factories.facility("01", name="Khu cách ly Pháp Vân")
    saved = factories.camera(facility)
    bulk = Camera.objects.bulk_create(
        [Camera(facility=facility, name=f"Cam {n}", zone=Zone.GATE, stream_url="rtsp://10.0.0.9/s")
         for n in range(3)]
    )
    data = (
        "province_code,facility,name,zone,stream_url\n"
        "01,Khu cách ly Pháp Vân,Camera nhập từ tệp,gate,rtsp://10.0.0.7/s\n"
    ).encode()
    assert CameraImporter(actor=None).apply(data).ok
    imported = Camera.objects.get(name="Camera nhập từ tệp")

    cameras = [saved, *bulk, imported]
    states = CameraState.objects.filter(camera__in=cameras)
    assert states.count() == len(cameras)
    assert set(states.values_list("verdict_pending", "health")) == {(True, Health.UNKNOWN)}


def test_a_sweep_writes_the_state_and_leaves_the_camera_and_the_audit_log_alone():
    camera = factories.camera(stream_url=f"rtsp://127.0.0.1:{closed_port()}/stream")
    # Connected: the checks never move its status, so only its health follows them.
    Camera.objects.filter(pk=camera.pk).update(connection_status=ConnectionStatus.CONNECTED)
    updated_at = Camera.objects.get(pk=camera.pk).updated_at
    entries = LogEntry.objects.count()

    tasks.sweep(due_only=False)
    tasks.sweep(due_only=False)

    camera = Camera.objects.select_related("state").get(pk=camera.pk)
    assert camera.state.health == Health.OFFLINE  # two failed checks
    assert camera.state.last_error_kind == "refused"
    assert camera.state.last_checked_at > updated_at
    assert camera.updated_at == updated_at
    assert LogEntry.objects.count() == entries


def test_facility_page_reads_the_states_without_a_query_per_camera(
    admin_client_vi, django_assert_max_num_queries
):
    facility = factories.facility("01")
    factories.camera(facility, health=Health.OFFLINE, last_checked_at=timezone.now())
    url = reverse("facility_detail", args=[facility.pk])
    with django_assert_max_num_queries(12) as few:
        page = admin_client_vi.get(url).content.decode()
    assert "Mất tín hiệu" in page
    online_before = page.count("Trực tuyến")
    for _ in range(5):
        factories.camera(facility, health=Health.ONLINE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin_client_vi.get(url).content.decode()
    assert page.count("Trực tuyến") == online_before + 5


BEFORE = [("cameras", "0004_status_history")]
AFTER = [("cameras", "0005_camera_state")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_check_values_to_the_state_and_back():
    from facilities.models import Province
    from facilities.provinces import load_provinces

    # Transactional tests empty the tables after each other: provinces included.
    load_provinces(Province)
    checked_at = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=3)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        facility = old.get_model("facilities", "Facility").objects.create(
            province_id=Province.objects.get(code="01").pk, name="Khu cách ly cũ"
        )
        OldCamera = old.get_model("cameras", "Camera")
        judged = OldCamera.objects.create(
            facility=facility, name="Đã kiểm tra", zone=Zone.GATE, stream_url="rtsp://10.0.0.1/s",
            connection_status=ConnectionStatus.INELIGIBLE, health=Health.OFFLINE,
            last_checked_at=checked_at, last_width=640, last_height=480, last_error_kind="timeout",
            verdict_eligible=False, verdict_reasons=[{"code": "timeout"}], verdict_pending=False,
            consecutive_failures=4, claim_token="abc", unfinished_checks=2,
        )
        fresh = OldCamera.objects.create(
            facility=facility, name="Mới", zone=Zone.GATE, stream_url="rtsp://10.0.0.2/s",
            verdict_pending=True,
        )

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        State = new.get_model("cameras", "CameraState")
        state = State.objects.get(camera_id=judged.pk)
        assert (state.health, state.last_checked_at) == (Health.OFFLINE, checked_at)
        assert (state.last_width, state.last_height, state.last_error_kind) == (640, 480, "timeout")
        assert (state.verdict_eligible, state.verdict_reasons) == (False, [{"code": "timeout"}])
        assert (state.verdict_pending, state.consecutive_failures) == (False, 4)
        assert (state.claim_token, state.unfinished_checks) == ("abc", 2)
        assert State.objects.get(camera_id=fresh.pk).verdict_pending is True
        assert "health" not in {f.name for f in new.get_model("cameras", "Camera")._meta.fields}

        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        back = executor.loader.project_state(BEFORE).apps.get_model("cameras", "Camera")
        judged = back.objects.get(pk=judged.pk)
        assert (judged.health, judged.last_checked_at) == (Health.OFFLINE, checked_at)
        assert (judged.last_width, judged.verdict_reasons) == (640, [{"code": "timeout"}])
        assert (judged.verdict_pending, judged.unfinished_checks) == (False, 2)
        assert back.objects.get(pk=fresh.pk).verdict_pending is True
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_lifecycle_move_is_a_change_of_the_camera(superuser):
    camera = factories.camera(check_enabled=False)
    Camera.objects.filter(pk=camera.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=1)
    )
    for target, reason in [(ConnectionStatus.DECOMMISSIONED, "Khu cách ly giải thể"),
                           (ConnectionStatus.REGISTERED, "")]:
        camera = Camera.objects.get(pk=camera.pk)
        before = camera.updated_at
        lifecycle.move(
            camera, target, user=superuser, roles={lifecycle.PROVINCE_ADMIN}, reason=reason
        )
        assert Camera.objects.get(pk=camera.pk).updated_at > before


def test_a_verdict_that_moves_the_status_is_a_change_of_the_camera():
    camera = factories.camera(stream_url=f"rtsp://127.0.0.1:{closed_port()}/stream")
    Camera.objects.filter(pk=camera.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=1)
    )
    before = Camera.objects.get(pk=camera.pk).updated_at
    tasks.sweep(due_only=False)
    camera = Camera.objects.get(pk=camera.pk)
    assert camera.connection_status == ConnectionStatus.INELIGIBLE  # registered -> ineligible
    assert camera.updated_at > before


def test_a_batch_of_states_is_written_in_one_statement_each_row_with_its_own_values():
    facility = factories.facility("01")
    states = [factories.camera(facility).state for _ in range(5)]
    now = timezone.now()
    for n, state in enumerate(states):
        state.health = Health.OFFLINE if n == 3 else Health.ONLINE  # two values
        state.last_codec = "h264"  # one value
        state.last_fps = 25.0 + n  # a value per row
        state.failing_since = now if n == 3 else None
        state.verdict_reasons = [{"code": "timeout"}] if n == 3 else []
        state.verdict_standard = None if n == 0 else ConnectionStandard.current()
    with CaptureQueriesContext(connection) as queries:
        health.bulk_write(states, ["health", "last_codec", "last_fps", "failing_since",
                                   "verdict_reasons", "verdict_standard"])
    assert len(queries) == 1
    stored = {s.pk: s for s in CameraState.objects.filter(camera__in=[s.camera_id for s in states])}
    for n, state in enumerate(states):
        row = stored[state.pk]
        assert (row.health, row.last_codec, row.last_fps) == (state.health, "h264", 25.0 + n)
        assert (row.failing_since, row.verdict_reasons) == (state.failing_since,
                                                            state.verdict_reasons)
        assert row.verdict_standard_id == state.verdict_standard_id
