"""Bulk CSV import of facilities and cameras: every error at once, nothing written unless all valid.

Row numbers are as the user sees them in the file (the header is row 1).
"""

import codecs
import csv
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from cameras.choices import Zone
from cameras.importer import CameraImporter
from cameras.models import Camera
from facilities.choices import FacilityKind
from facilities.importer import FacilityImporter
from facilities.models import Facility
from portal.csvimport import template_csv
from tests import factories

pytestmark = pytest.mark.django_db

CAMERA_HEADER = ["province_code", "facility", "name", "zone", "stream_url", "username", "password"]
PASSWORDS = [f"Pw-secret-{n}" for n in range(20)]


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English; the Vietnamese catalog is checked on the pages below.
    with translation.override("en"):
        yield


def csv_bytes(header, rows, delimiter=",", bom=False):
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


@pytest.fixture
def registry():
    khu_a = factories.facility("01", name="Khu cách ly Pháp Vân")
    factories.facility("79", name="Khu cách ly Thủ Đức")
    factories.camera(khu_a, name="Camera cổng", stream_url="rtsp://10.9.9.9:554/s")
    return khu_a


@pytest.fixture
def hanoi_admin():
    return factories.province_user("admin01", "01", password="Mat-khau-du-dai-1")


def camera_entries():
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Camera), action=LogEntry.Action.CREATE
    )


BAD_ROWS = [
    # row 2: good
    ["01", "Khu cách ly Pháp Vân", "Camera 1", "gate", "rtsp://10.0.0.1:554/s1", "viewer",
     PASSWORDS[1]],
    # row 3: bad address (scheme)
    ["01", "Khu cách ly Pháp Vân", "Camera 2", "yard", "http://10.0.0.2/s", "viewer", PASSWORDS[2]],
    # row 4: unknown facility
    ["01", "Khu không có", "Camera 3", "gate", "rtsp://10.0.0.3/s", "viewer", PASSWORDS[3]],
    # row 5: unknown zone (a bedroom is never allowed)
    ["01", "Khu cách ly Pháp Vân", "Camera 4", "phòng ngủ", "rtsp://10.0.0.4/s", "viewer",
     PASSWORDS[4]],
    # row 6: another province than the importer's
    ["79", "Khu cách ly Thủ Đức", "Camera 5", "gate", "rtsp://10.0.0.5/s", "viewer", PASSWORDS[5]],
    # row 7: duplicate of a camera already registered
    ["01", "Khu cách ly Pháp Vân", "Camera cổng", "gate", "rtsp://10.0.0.6/s", "viewer",
     PASSWORDS[6]],
    # row 8: duplicate of row 2
    ["01", "Khu cách ly Pháp Vân", "Camera 1", "corridor", "rtsp://10.0.0.7/s", "", PASSWORDS[7]],
    # row 9: cloud metadata address
    ["01", "Khu cách ly Pháp Vân", "Camera 9", "gate", "rtsp://169.254.169.254/s", "", ""],
    # row 10: credentials inside the address
    ["01", "Khu cách ly Pháp Vân", "Camera 10", "gate", f"rtsp://admin:{PASSWORDS[10]}@10.0.0.10/s",
     "", ""],
]

FIXED_ROWS = [
    ["01", "Khu cách ly Pháp Vân", "Camera 1", "gate", "rtsp://10.0.0.1:554/s1", "viewer",
     PASSWORDS[1]],
    ["01", "Khu cách ly Pháp Vân", "Camera 2", "yard", "rtsp://10.0.0.2/s", "viewer", PASSWORDS[2]],
    ["01", "Khu cách ly Pháp Vân", "Camera 3", "gate", "rtsp://10.0.0.3/s", "viewer", PASSWORDS[3]],
    ["01", "Khu cách ly Pháp Vân", "Camera 4", "corridor", "rtsp://10.0.0.4/s", "viewer",
     PASSWORDS[4]],
    ["01", "Khu cách ly Pháp Vân", "Camera 7", "gate", "rtsp://10.0.0.6/s", "viewer", PASSWORDS[6]],
    ["01", "Khu cách ly Pháp Vân", "Camera 8", "corridor", "rtsp://10.0.0.7/s", "", PASSWORDS[7]],
    ["01", "Khu cách ly Pháp Vân", "Camera 9", "gate", "rtsp://10.0.0.9/s", "", ""],
    ["01", "Khu cách ly Pháp Vân", "Camera 10", "gate", "rtsp://10.0.0.10/s", "admin",
     PASSWORDS[10]],
]


# --- Cameras: refusal and success ------------------------------------------------------------


def test_a_file_with_bad_rows_is_refused_with_every_error_and_nothing_is_written(
    registry, hanoi_admin
):
    cameras_before, entries_before = Camera.objects.count(), LogEntry.objects.count()
    plan = CameraImporter(actor=hanoi_admin).apply(csv_bytes(CAMERA_HEADER, BAD_ROWS))

    assert not plan.ok
    where = {(e.row, e.column) for e in plan.errors}
    assert where == {
        (3, "stream_url"),
        (4, "facility"),
        (5, "zone"),
        (6, "province_code"),
        (7, "name"),
        (8, "name"),
        (9, "stream_url"),
        (10, "stream_url"),
    }
    lines = plan.error_lines()
    assert lines[0].startswith("Row 3, column stream_url: ")
    assert any(line.startswith("Row 4, column facility: no facility named “Khu không có”")
               for line in lines)
    assert any("not one you manage" in line for line in lines if line.startswith("Row 6"))
    assert any("already has a camera named “Camera cổng”" in line for line in lines)
    assert any("already on row 2" in line for line in lines if line.startswith("Row 8"))
    assert any("169.254.169.254" in line for line in lines if line.startswith("Row 9"))
    # Nothing written, not even the valid row 2.
    assert Camera.objects.count() == cameras_before
    assert LogEntry.objects.count() == entries_before
    # No password of the file is echoed, not even the one typed inside an address.
    text = "\n".join(lines)
    assert not any(password in text for password in PASSWORDS)


def test_the_same_rows_fixed_import_completely_with_one_audit_entry_each(registry, hanoi_admin):
    before = camera_entries().count()
    plan = CameraImporter(actor=hanoi_admin).apply(csv_bytes(CAMERA_HEADER, FIXED_ROWS))

    assert plan.ok, plan.error_lines()
    assert plan.created == len(FIXED_ROWS)
    imported = Camera.objects.filter(facility=registry).exclude(name="Camera cổng")
    assert sorted(imported.values_list("name", flat=True)) == sorted(r[2] for r in FIXED_ROWS)
    camera = imported.get(name="Camera 10")
    assert (camera.zone, camera.stream_url) == (Zone.GATE, "rtsp://10.0.0.10/s")
    assert (camera.username, camera.password) == ("admin", PASSWORDS[10])
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM cameras_camera WHERE id = %s", [camera.pk])
        assert PASSWORDS[10] not in cursor.fetchone()[0]  # stored encrypted
    entries = camera_entries()
    assert entries.count() - before == len(FIXED_ROWS)
    new_entries = entries.filter(object_pk__in=[str(c.pk) for c in imported])
    assert new_entries.count() == len(FIXED_ROWS)
    assert {e.actor_id for e in new_entries} == {hanoi_admin.pk}
    assert not any(p in str(e.changes) for e in new_entries for p in PASSWORDS)


def test_reimporting_the_same_file_reports_duplicates_instead_of_creating_them_twice(
    registry, hanoi_admin
):
    data = csv_bytes(CAMERA_HEADER, FIXED_ROWS)
    assert CameraImporter(actor=hanoi_admin).apply(data).ok
    count = Camera.objects.count()

    plan = CameraImporter(actor=hanoi_admin).apply(data)

    assert {(e.row, e.column) for e in plan.errors} == {
        (n, "name") for n in range(2, 2 + len(FIXED_ROWS))
    }
    assert all("already imported?" in line for line in plan.error_lines())
    assert Camera.objects.count() == count


def test_dry_run_checks_everything_and_writes_nothing(registry, hanoi_admin):
    plan = CameraImporter(actor=hanoi_admin).apply(
        csv_bytes(CAMERA_HEADER, FIXED_ROWS), dry_run=True
    )
    assert plan.ok and plan.created == 0
    assert Camera.objects.count() == 1


def test_a_national_import_may_write_into_every_province(registry):
    rows = [["79", "Khu cách ly Thủ Đức", "Camera 1", "gate", "rtsp://10.0.0.5/s", "", ""]]
    plan = CameraImporter(actor=None).apply(csv_bytes(CAMERA_HEADER, rows))
    assert plan.ok, plan.error_lines()
    assert Camera.objects.filter(facility__province__code="79").count() == 1


def test_a_user_without_a_province_grant_imports_nothing(registry, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", is_staff=True)
    plan = CameraImporter(actor=nobody).apply(csv_bytes(CAMERA_HEADER, FIXED_ROWS[:1]))
    assert [(e.row, e.column) for e in plan.errors] == [(2, "province_code")]


# --- Files as Excel makes them ---------------------------------------------------------------


def test_bom_semicolons_vietnamese_text_zone_names_and_a_code_without_its_zero(
    registry, hanoi_admin
):
    with translation.override("vi"):
        gate_vi = str(Zone.GATE.label)
    rows = [
        ["1", "Khu cách ly Pháp Vân", "Camera hành lang tầng 2", gate_vi, "rtsp://10.0.0.1/s",
         "người xem", "mật khẩu; có dấu"],
        ["01", "khu cách ly pháp vân", "Camera sân", "Yard", "rtsp://10.0.0.2/s", "", ""],
    ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CAMERA_HEADER)
    writer.writerows(rows)
    data = codecs.BOM_UTF8 + out.getvalue().encode("utf-8")

    plan = CameraImporter(actor=hanoi_admin).apply(data)

    assert plan.ok, plan.error_lines()
    assert plan.delimiter == ";"
    camera = Camera.objects.get(name="Camera hành lang tầng 2")
    assert (camera.facility, camera.zone) == (registry, Zone.GATE)
    assert (camera.username, camera.password) == ("người xem", "mật khẩu; có dấu")
    assert Camera.objects.get(name="Camera sân").zone == Zone.YARD


def test_utf8_without_bom_and_blank_excel_rows_are_accepted(registry, hanoi_admin):
    rows = [FIXED_ROWS[0], ["", "", "", "", "", "", ""], FIXED_ROWS[1]]
    plan = CameraImporter(actor=hanoi_admin).apply(csv_bytes(CAMERA_HEADER, rows))
    assert plan.ok, plan.error_lines()
    assert plan.created == 2


def test_row_numbers_count_the_blank_rows_the_user_sees(registry, hanoi_admin):
    rows = [FIXED_ROWS[0], ["", "", "", "", "", "", ""], ["01", "Khu cách ly Pháp Vân", "X", "bad",
                                                           "rtsp://10.0.0.1/s", "", ""]]
    plan = CameraImporter(actor=hanoi_admin).check(csv_bytes(CAMERA_HEADER, rows))
    assert [(e.row, e.column) for e in plan.errors] == [(4, "zone")]


def test_a_file_that_is_not_utf8_is_refused_with_what_to_do_in_excel(registry, hanoi_admin):
    data = "province_code,facility,name,zone,stream_url\r\n01,Khu,Cam,gate,rtsp://10.0.0.1/s\r\n"
    data = data.replace("Khu", "Khu cách ly").encode("cp1258")
    plan = CameraImporter(actor=hanoi_admin).apply(data)
    assert len(plan.errors) == 1
    assert "not UTF-8" in plan.error_lines()[0] and "CSV UTF-8" in plan.error_lines()[0]


def test_missing_and_unknown_columns_are_reported_on_the_header_row(registry, hanoi_admin):
    header = ["province_code", "facility", "name", "zone", "steam_url"]
    plan = CameraImporter(actor=hanoi_admin).apply(
        csv_bytes(header, [["01", "Khu cách ly Pháp Vân", "Cam", "gate", "rtsp://10.0.0.1/s"]])
    )
    assert {(e.row, e.column) for e in plan.errors} == {(1, "steam_url"), (1, "stream_url")}
    assert Camera.objects.count() == 1


def test_a_row_with_more_values_than_columns_is_an_error(registry, hanoi_admin):
    rows = [FIXED_ROWS[0] + ["extra"]]
    plan = CameraImporter(actor=hanoi_admin).check(csv_bytes(CAMERA_HEADER, rows))
    assert [(e.row, e.column) for e in plan.errors] == [(2, None)]
    assert plan.error_lines()[0].startswith("Row 2: 8 values, but the header has 7 columns")


@override_settings(IMPORT_MAX_ROWS=3)
def test_more_rows_than_the_limit_are_refused_with_a_clear_message(registry, hanoi_admin):
    plan = CameraImporter(actor=hanoi_admin).apply(csv_bytes(CAMERA_HEADER, FIXED_ROWS[:4]))
    assert plan.error_lines() == [
        "The file has 4 rows; at most 3 rows can be imported at once. "
        "Split it into several files."
    ]
    assert Camera.objects.count() == 1


@override_settings(IMPORT_MAX_BYTES=200)
def test_a_file_larger_than_the_limit_is_refused_with_a_clear_message(registry, hanoi_admin):
    plan = CameraImporter(actor=hanoi_admin).apply(csv_bytes(CAMERA_HEADER, FIXED_ROWS))
    assert len(plan.errors) == 1
    assert "at most 200 bytes can be imported at once" in plan.error_lines()[0]
    assert Camera.objects.count() == 1


# --- Facilities ------------------------------------------------------------------------------

FACILITY_HEADER = ["province_code", "name", "kind", "status", "capacity", "planned_cameras",
                   "focal_phone", "focal_email"]


def test_facility_file_with_bad_rows_is_refused_with_every_error(registry, hanoi_admin):
    rows = [
        ["01", "Khu cách ly mới", "hotel", "active", "300", "8", "0912 345 678", "a@example.vn"],
        ["01", "Khu cách ly Pháp Vân", "civil", "", "", "", "", ""],  # already registered
        ["79", "Khu cách ly Quận 7", "civil", "", "", "", "", ""],  # not the admin's province
        ["01", "Khu B", "resort", "open", "many", "2.5", "12", "not-an-email"],
        ["99", "Khu C", "", "", "", "", "", ""],  # no such province
        ["01", "Khu cách ly mới", "", "", "", "", "", ""],  # duplicate of row 2
        ["01", "", "", "", "", "", "", ""],  # no name
    ]
    plan = FacilityImporter(actor=hanoi_admin).apply(csv_bytes(FACILITY_HEADER, rows))
    assert {(e.row, e.column) for e in plan.errors} == {
        (3, "name"),
        (4, "province_code"),
        (5, "kind"),
        (5, "status"),
        (5, "capacity"),
        (5, "planned_cameras"),
        (5, "focal_phone"),
        (5, "focal_email"),
        (6, "province_code"),
        (7, "name"),
        (8, "name"),
    }
    assert Facility.objects.count() == 2


def test_facility_file_fixed_imports_with_kinds_by_name_and_counts_as_people_write_them(
    registry, hanoi_admin
):
    with translation.override("vi"):
        hotel_vi = str(FacilityKind.HOTEL.label)
    rows = [
        ["01", "Khu cách ly mới", hotel_vi, "active", "1.200", "8", "0912 345 678", "a@example.vn"],
        ["01", "Bệnh viện dã chiến số 2", "Hospital", "", "", "", "", ""],
    ]
    before = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Facility), action=LogEntry.Action.CREATE
    ).count()
    plan = FacilityImporter(actor=hanoi_admin).apply(
        csv_bytes(FACILITY_HEADER, rows, delimiter=";", bom=True)
    )
    assert plan.ok, plan.error_lines()
    new = Facility.objects.get(name="Khu cách ly mới")
    assert (new.province.code, new.kind, new.status, new.capacity, new.planned_cameras) == (
        "01", "hotel", "active", 1200, 8,
    )
    field = Facility.objects.get(name="Bệnh viện dã chiến số 2")
    assert (field.kind, field.status, field.planned_cameras) == ("hospital", "preparing", 0)
    after = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Facility), action=LogEntry.Action.CREATE
    ).count()
    assert after - before == 2


# --- Management commands ---------------------------------------------------------------------


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_cameras_command_refuses_a_bad_file_with_row_errors_on_stderr(registry, tmp_path):
    path = write(tmp_path, "cams.csv", csv_bytes(CAMERA_HEADER, BAD_ROWS))
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_cameras", path, stderr=err, stdout=io.StringIO())
    assert "nothing was imported" in str(refused.value)
    lines = err.getvalue().splitlines()
    assert "Row 3, column stream_url: " in lines[0]
    assert len(lines) == 7  # the national default may write in province 79: row 6 is fine
    assert not any(p in err.getvalue() for p in PASSWORDS)
    assert Camera.objects.count() == 1


def test_a_refused_file_makes_the_command_exit_non_zero(registry, tmp_path, capsys):
    from django.core.management import ManagementUtility

    path = write(tmp_path, "cams.csv", csv_bytes(CAMERA_HEADER, BAD_ROWS))
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_cameras", path]).execute()
    assert exited.value.code == 1
    assert "Row 3, column stream_url" in capsys.readouterr().err


def test_import_cameras_command_dry_run_and_actor_scope(registry, hanoi_admin, tmp_path):
    rows = [["79", "Khu cách ly Thủ Đức", "Camera 1", "gate", "rtsp://10.0.0.5/s", "", ""]]
    path = write(tmp_path, "hcm.csv", csv_bytes(CAMERA_HEADER, rows))
    with pytest.raises(CommandError):
        call_command("import_cameras", path, "--actor", hanoi_admin.username,
                     stderr=io.StringIO(), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_cameras", path, "--dry-run", stdout=out)
    assert "The row is valid (dry run: nothing was written)." in out.getvalue()
    assert Camera.objects.count() == 1
    call_command("import_cameras", path, stdout=out)
    assert Camera.objects.count() == 2


def test_import_command_with_an_actor_audits_in_its_name(registry, hanoi_admin, tmp_path):
    path = write(tmp_path, "ok.csv", csv_bytes(CAMERA_HEADER, FIXED_ROWS[:2]))
    call_command("import_cameras", path, "--actor", hanoi_admin.username, stdout=io.StringIO())
    new = Camera.objects.filter(name__in=["Camera 1", "Camera 2"])
    entries = camera_entries().filter(object_pk__in=[str(c.pk) for c in new])
    assert entries.count() == 2
    assert {e.actor_id for e in entries} == {hanoi_admin.pk}


def test_import_command_with_an_unknown_actor_stops(tmp_path):
    path = write(tmp_path, "x.csv", csv_bytes(CAMERA_HEADER, []))
    with pytest.raises(CommandError, match="No user named"):
        call_command("import_cameras", path, "--actor", "ghost")


def test_import_facilities_command(tmp_path):
    rows = [["48", "Khu cách ly Đại học Đà Nẵng", "civil", "active", "", "4", "", ""]]
    path = write(tmp_path, "f.csv", csv_bytes(FACILITY_HEADER, rows, bom=True))
    out = io.StringIO()
    call_command("import_facilities", path, stdout=out)
    assert Facility.objects.filter(province__code="48").count() == 1
    with pytest.raises(CommandError):
        call_command("import_facilities", path, stdout=out, stderr=io.StringIO())


# --- Admin pages -----------------------------------------------------------------------------


def import_url(kind="cameras"):
    return reverse("admin:cameras_camera_import" if kind == "cameras"
                   else "admin:facilities_facility_import")


def test_import_pages_are_for_province_admins_only(client, registry, hanoi_admin):
    assert client.get(import_url()).status_code == 302  # to the login page
    client.force_login(factories.province_user("viewer", "01", "view_province"))
    assert client.get(import_url()).status_code == 403
    assert client.post(import_url(), {"text": "x"}).status_code == 403
    client.force_login(hanoi_admin)
    page = client.get(import_url())
    assert page.status_code == 200
    assert reverse("admin:cameras_camera_import_template") in page.content.decode()
    changelist = client.get(reverse("admin:cameras_camera_changelist")).content.decode()
    assert import_url() in changelist


def test_preview_lists_every_error_escapes_what_users_typed_and_never_shows_passwords(
    client, registry, hanoi_admin
):
    client.force_login(hanoi_admin)
    rows = BAD_ROWS + [["01", "<script>alert(1)</script>", "<b>Cam</b>", "gate",
                        "rtsp://10.0.0.11/s", "", PASSWORDS[11]]]
    upload = io.BytesIO(csv_bytes(CAMERA_HEADER, rows))
    upload.name = "cameras.csv"
    client.cookies["django_language"] = "en"
    response = client.post(import_url(), {"file": upload, "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported" in html
    for row in (3, 4, 5, 6, 7, 8, 9, 10, 11):
        assert f"Row {row}, column" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert not any(p in html for p in PASSWORDS)
    assert 'name="confirm"' not in html
    assert Camera.objects.count() == 1


def test_upload_preview_and_confirm_create_every_camera(client, registry, hanoi_admin):
    client.force_login(hanoi_admin)
    upload = io.BytesIO(csv_bytes(CAMERA_HEADER, FIXED_ROWS, delimiter=";", bom=True))
    upload.name = "cameras.csv"
    preview = client.post(import_url(), {"file": upload, "preview": "1"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'name="confirm"' in html
    assert "Camera 10" in html and "rtsp://10.0.0.10/s" in html
    assert not any(p in html for p in PASSWORDS)
    # The pending file is kept on the server side, encrypted: not in the page, not in clear.
    session = dict(client.session)
    assert not any(p in str(session) for p in PASSWORDS)
    assert Camera.objects.count() == 1

    token = preview.context["token"]
    done = client.post(import_url(), {"confirm": "1", "token": token})

    assert done.status_code == 302
    assert done.url == reverse("admin:cameras_camera_changelist")
    assert Camera.objects.count() == 1 + len(FIXED_ROWS)
    new = Camera.objects.exclude(name="Camera cổng")
    entries = camera_entries().filter(object_pk__in=[str(c.pk) for c in new])
    assert entries.count() == len(FIXED_ROWS)
    assert {e.actor_id for e in entries} == {hanoi_admin.pk}
    # A second confirmation of the same preview does nothing.
    again = client.post(import_url(), {"confirm": "1", "token": token})
    assert again.status_code == 302
    assert Camera.objects.count() == 1 + len(FIXED_ROWS)


def test_pasted_rows_are_imported_too(client, registry, hanoi_admin):
    client.force_login(hanoi_admin)
    text = csv_bytes(CAMERA_HEADER, FIXED_ROWS[:2]).decode("utf-8")
    preview = client.post(import_url(), {"text": text, "preview": "1"})
    assert 'name="confirm"' in preview.content.decode()
    client.post(import_url(), {"confirm": "1", "token": preview.context["token"]})
    assert Camera.objects.filter(name__in=["Camera 1", "Camera 2"]).count() == 2


def test_confirm_checks_again_and_refuses_what_became_invalid(client, registry, hanoi_admin):
    client.force_login(hanoi_admin)
    preview = client.post(
        import_url(), {"text": csv_bytes(CAMERA_HEADER, FIXED_ROWS[:2]).decode(), "preview": "1"}
    )
    factories.camera(registry, name="Camera 2")  # someone registers it meanwhile
    response = client.post(import_url(), {"confirm": "1", "token": preview.context["token"]})
    assert response.status_code == 200
    assert "Camera 2" in response.content.decode()
    assert not Camera.objects.filter(name="Camera 1").exists()


@override_settings(IMPORT_MAX_BYTES=300)
def test_the_page_refuses_a_file_over_the_limit_with_a_clear_message(
    client, registry, hanoi_admin
):
    client.force_login(hanoi_admin)
    upload = io.BytesIO(csv_bytes(CAMERA_HEADER, FIXED_ROWS))
    upload.name = "big.csv"
    client.cookies["django_language"] = "en"
    response = client.post(import_url(), {"file": upload, "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "at most 300 bytes can be imported at once" in html
    assert 'name="confirm"' not in html


def test_templates_download_with_bom_and_the_documented_columns(client, hanoi_admin):
    client.force_login(hanoi_admin)
    cams = client.get(reverse("admin:cameras_camera_import_template"))
    assert cams["Content-Type"].startswith("text/csv")
    assert cams.content.startswith(codecs.BOM_UTF8)
    header = cams.content.decode("utf-8-sig").splitlines()[0]
    assert header == ",".join(CAMERA_HEADER + ["vendor", "model"])
    facilities = client.get(reverse("admin:facilities_facility_import_template"))
    assert facilities.content.decode("utf-8-sig").startswith("province_code,name,kind,status")


def test_the_template_itself_imports_cleanly(hanoi_admin):
    factories.facility("01", name="Khu cách ly tập trung Ký túc xá Pháp Vân")
    data = template_csv(CameraImporter.columns, CameraImporter.example_rows)
    plan = CameraImporter(actor=hanoi_admin).check(data)
    assert plan.ok, plan.error_lines()


def test_facility_import_page_flow(client, hanoi_admin):
    client.force_login(hanoi_admin)
    text = "province_code;name;kind\n01;Khu cách ly Ký túc xá B;civil\n"
    preview = client.post(import_url("facilities"), {"text": text, "preview": "1"})
    assert 'name="confirm"' in preview.content.decode()
    done = client.post(import_url("facilities"), {"confirm": "1",
                                                   "token": preview.context["token"]})
    assert done.status_code == 302
    assert Facility.objects.filter(name="Khu cách ly Ký túc xá B", province__code="01").exists()
