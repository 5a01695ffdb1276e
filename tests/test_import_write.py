"""How an import writes: checked before its transaction, then written at once in bulk.

The check reads and resolves (seconds for a large file) without holding the write lock; the
write is one short transaction of bulk INSERTs, audit entries included, whose statements do not
grow with the rows; what changed in between (a name taken, a grant revoked) refuses the whole
file.
"""

import codecs

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cameras.importer import CameraImporter
from cameras.models import Camera, CameraState
from facilities.grants import ProvinceUserObjectPermission
from facilities.importer import FacilityImporter
from facilities.models import Facility
from portal.actor import acting_as
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = ["province_code", "facility", "name", "zone", "stream_url", "username", "password"]
FACILITY = "Khu cách ly Pháp Vân"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def facility():
    return factories.facility("01", name=FACILITY)


@pytest.fixture
def hanoi_admin():
    return factories.province_user("admin01", "01")


def camera_file(count, start=0):
    lines = [",".join(HEADER)]
    for i in range(start, start + count):
        lines.append(
            f"01,{FACILITY},Camera {i},gate,rtsp://10.1.{i // 250}.{i % 250 + 1}/s,viewer,Pw-{i}"
        )
    return codecs.BOM_UTF8 + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def write_part(queries):
    """The statements of the import's transaction (a savepoint inside the test's transaction)."""
    start = next(i for i, q in enumerate(queries) if q["sql"].startswith("SAVEPOINT"))
    return queries[start:]


def test_the_write_is_a_few_bulk_statements_whatever_the_rows(facility, hanoi_admin):
    sizes = {}
    for count, start in ((10, 0), (60, 100)):
        with CaptureQueriesContext(connection) as ctx:
            plan = CameraImporter(actor=hanoi_admin).apply(camera_file(count, start))
        assert plan.ok and plan.created == count, plan.error_lines()
        inside = write_part(ctx.captured_queries)
        # Before the transaction: the check's reads (lookups, scope, existing names).
        assert len(ctx.captured_queries) > len(inside)
        sizes[count] = len(inside)
    # The scope checked again, then cameras, their states and their audit entries: an INSERT
    # of each per batch of rows (SQLite's limit of 999 parameters makes batches of 58 cameras),
    # not a statement per row.
    assert sizes[10] <= 8
    assert sizes[60] <= sizes[10] + 2


def test_imported_cameras_are_audited_as_a_save_records_them(facility, hanoi_admin):
    assert CameraImporter(actor=hanoi_admin).apply(camera_file(1)).ok
    imported = Camera.objects.get(name="Camera 0")
    with acting_as(hanoi_admin):
        saved = Camera.objects.create(
            facility=facility, name="Camera by hand", zone="gate",
            stream_url="rtsp://10.2.0.1/s", username="viewer", password="Pw-hand",
        )
    camera_type = ContentType.objects.get_for_model(Camera)
    created = LogEntry.objects.filter(content_type=camera_type, action=LogEntry.Action.CREATE)
    entries = {entry.object_pk: entry for entry in created}
    by_import, by_save = entries[str(imported.pk)], entries[str(saved.pk)]
    assert set(by_import.changes) == set(by_save.changes)
    # Credentials say "set", never what: redacted as a save's entry.
    assert by_import.changes["password"] == by_save.changes["password"]
    assert "Pw-0" not in str(by_import.changes)
    province = {"province": facility.province_id}
    assert by_import.additional_data == by_save.additional_data == province
    assert by_import.actor_id == by_save.actor_id == hanoi_admin.pk
    # Every camera has its check state, awaiting its first verdict.
    assert CameraState.objects.get(camera=imported).verdict_pending


def test_a_name_taken_between_the_check_and_the_write_refuses_the_whole_file(
    facility, hanoi_admin, monkeypatch
):
    importer = CameraImporter(actor=hanoi_admin)
    check = importer.check

    def check_then_someone_registers_camera_3(data):
        plan = check(data)
        factories.camera(facility, name="Camera 3")
        return plan

    monkeypatch.setattr(importer, "check", check_then_someone_registers_camera_3)
    plan = importer.apply(camera_file(5))
    assert not plan.ok and plan.created == 0
    assert "Another user added a camera" in plan.error_lines()[0]
    assert list(Camera.objects.values_list("name", flat=True)) == ["Camera 3"]


def test_a_grant_revoked_between_the_check_and_the_write_refuses_the_whole_file(
    facility, hanoi_admin, monkeypatch
):
    importer = CameraImporter(actor=hanoi_admin)
    check = importer.check

    def check_then_the_grant_is_revoked(data):
        plan = check(data)
        ProvinceUserObjectPermission.objects.filter(user=hanoi_admin).delete()
        return plan

    monkeypatch.setattr(importer, "check", check_then_the_grant_is_revoked)
    plan = importer.apply(camera_file(3))
    assert not plan.ok and plan.created == 0
    assert "Your access changed" in plan.error_lines()[0]
    assert not Camera.objects.exists()


def test_facilities_are_written_in_bulk_with_one_audit_entry_each(hanoi_admin):
    lines = ["province_code,name,planned_cameras"] + [
        f"01,Khu cách ly số {i},{i}" for i in range(1, 31)
    ]
    data = ("\n".join(lines) + "\n").encode()
    with CaptureQueriesContext(connection) as ctx:
        plan = FacilityImporter(actor=hanoi_admin).apply(data)
    assert plan.ok and plan.created == 30, plan.error_lines()
    assert len(write_part(ctx.captured_queries)) <= 6
    facilities = Facility.objects.filter(name__startswith="Khu cách ly số ")
    assert facilities.count() == 30
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Facility),
        action=LogEntry.Action.CREATE,
        object_pk__in=[str(f.pk) for f in facilities],
    )
    assert entries.count() == 30
    assert {e.actor_id for e in entries} == {hanoi_admin.pk}
    # The search text is filled as a save fills it ("ha noi" finds "Hà Nội").
    assert Facility.objects.filter(search_text__folded_contains="khu cach ly so 7").exists()
