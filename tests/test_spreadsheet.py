"""CSV exports open in Excel as data, never as formulas (CSV injection), and import back unchanged.

Payloads are stored through the models (as legacy rows or another client could have written
them), then the real export views are requested over HTTP and parsed back with the csv module.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import translation

from cameras.importer import CameraImporter
from cameras.models import Camera
from facilities.importer import COLUMNS as FACILITY_COLUMNS
from facilities.models import Facility, Province
from portal.csvimport import Column, decode, read_table, template_csv
from portal.spreadsheet import TRIGGERS, safe_cell, unquote
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "Mat-khau-du-dai-2021"


@pytest.fixture(autouse=True)
def default_language_afterwards():
    # A request with the English cookie leaves English active in this thread: later tests
    # expect the default (Vietnamese).
    yield
    translation.deactivate()

# Text a person could type that a spreadsheet would run or mangle.
DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://x","y")',
    "+84 912 345 678",
    "-2+3",
    "-5 cameras",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
    "'=1",  # a quote typed before a formula: exported as "''=1", imported back as "'=1"
]
# Ordinary text, and text that only looks like a number: left exactly as it is.
ORDINARY = ["Khu cách ly Hà Nội", "Nguyễn Văn An", "0912 345 678", "123", "Ký túc xá 'B'"]
# Values the forms and the importer still accept (a tab or CR inside a name is refused now:
# tests/test_input_safety.py), so they must survive export -> edit -> import unchanged.
STORABLE = [p for p in DANGEROUS if not p.startswith(("\t", "\r"))] + ORDINARY


def short(value):
    """The payload cut to fit the 20-character phone column."""
    return value[:20]


@pytest.fixture
def national():
    return factories.national_official("cuc_vien_thong", password=PASSWORD)


@pytest.fixture
def hanoi_admin():
    return factories.province_user("so_tttt_hanoi", "01", password=PASSWORD)


@pytest.fixture
def payloads():
    """One facility of Hà Nội per payload, every text field set to it, with one camera."""
    for n, value in enumerate(DANGEROUS + ORDINARY):
        facility = factories.facility(
            "01",
            name=value,
            status="active",
            planned_cameras=n + 1,
            address=value,
            district=value,
            managing_agency=value,
            focal_name=value,
            focal_title=value,
            focal_phone=short(value),
        )
        factories.camera(facility, name=value, status_reason=value, connection_status="connected")
    # Another province, for the province admin's scope.
    factories.camera(factories.facility("79", name="=2+2"), name="=3+3")


def _csv(response):
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline="")))


def _export(client, name, **query):
    client.cookies["django_language"] = "en"
    return _csv(client.get(reverse(f"reports:export_{name}"), query))


def _assert_no_cell_starts_a_formula(rows):
    for row in rows:
        for cell in row:
            assert not cell.startswith(TRIGGERS), (cell, row)


def _column(rows, title):
    index = rows[0].index(title)
    return [row[index] for row in rows[1:]]


# --- The rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", DANGEROUS)
def test_text_that_starts_like_a_formula_gets_a_quote_and_comes_back(value):
    assert safe_cell(value) == "'" + value
    assert unquote(safe_cell(value)) == value


@pytest.mark.parametrize("value", ORDINARY + ["", "'quoted", "'Khu A", "Khu =1"])
def test_other_text_is_left_alone(value):
    assert safe_cell(value) == value
    assert unquote(value) == value


@pytest.mark.parametrize("number", [0, 12, -5, -2.5, 13.3, Decimal("-1.50"), None])
def test_numbers_stay_numbers_negative_ones_included(number):
    assert safe_cell(number) is number


@pytest.mark.parametrize("value", ["'=1", "''+84 912 345 678"])
def test_a_quote_typed_before_a_formula_survives_the_round_trip(value):
    assert safe_cell(value) == "'" + value
    assert unquote(safe_cell(value)) == value


# --- The exports over HTTP -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["national", "hanoi_admin"])
def test_facility_export_quotes_dangerous_text_and_keeps_numbers(client, payloads, who, request):
    client.force_login(request.getfixturevalue(who))
    rows = _export(client, "facilities")
    _assert_no_cell_starts_a_formula(rows)
    by_name = {unquote(row[2]): row for row in rows[1:]}
    for n, value in enumerate(DANGEROUS + ORDINARY):
        row = by_name[value]
        expected = safe_cell(value)
        assert row[2] == expected  # name
        assert row[5:8] == [expected] * 3  # district, address, managing agency
        assert row[15:17] == [expected] * 2  # focal person and title
        assert row[17] == safe_cell(short(value))  # phone
        assert row[8] == str(n + 1)  # planned cameras: a number
        assert row[9:15] == ["1", "1", "0", "1", "0", "0"]  # counts: numbers
    assert ("=2+2" in by_name) is (who == "national")
    assert by_name["+84 912 345 678"][17] == "'+84 912 345 678"


@pytest.mark.parametrize("who", ["national", "hanoi_admin"])
def test_camera_export_quotes_names_and_reasons(client, payloads, who, request):
    client.force_login(request.getfixturevalue(who))
    rows = _export(client, "cameras")
    _assert_no_cell_starts_a_formula(rows)
    names = _column(rows, "Camera")
    reasons = _column(rows, "Reason")
    facilities = _column(rows, "Facility")
    for value in DANGEROUS + ORDINARY:
        index = names.index(safe_cell(value))
        assert reasons[index] == safe_cell(value)
        assert facilities[index] == safe_cell(value)
    assert ("'=3+3" in names) is (who == "national")


@pytest.mark.parametrize("who", ["national", "hanoi_admin"])
def test_progress_export_quotes_a_province_name_and_keeps_counts_and_percentages(
    client, payloads, who, request
):
    Province.objects.filter(code="01").update(name="=HYPERLINK(\"http://x\",\"Hà Nội\")")
    client.force_login(request.getfixturevalue(who))
    rows = _export(client, "progress")
    _assert_no_cell_starts_a_formula(rows)
    hanoi = next(row for row in rows[1:] if row[1] == "01")
    assert hanoi[2] == "'=HYPERLINK(\"http://x\",\"Hà Nội\")"
    planned = sum(range(1, len(DANGEROUS + ORDINARY) + 1))
    connected = len(DANGEROUS + ORDINARY)
    # Facilities, connected, their share; then the camera counts and the share of planned ones.
    assert hanoi[4:7] == [str(connected), str(connected), "100.0"]
    assert hanoi[7:14] == [str(connected), str(connected), "0", str(connected), "0", "0",
                           str(planned)]
    assert hanoi[14] == f"{100 * connected / planned:.1f}"


def test_export_command_writes_safe_cells_too(payloads, tmp_path):
    Province.objects.filter(code="01").update(name="@SUM(A1)")
    target = tmp_path / "progress.csv"
    call_command(
        "export_progress", "--date", datetime.date.today().isoformat(), "--province", "01",
        "--output", str(target), "--language", "en",
    )
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"), newline="")))
    _assert_no_cell_starts_a_formula(rows)
    assert rows[1][2] == "'@SUM(A1)"


def test_import_templates_are_safe_and_read_back_as_written():
    columns = (Column("name"), Column("focal_phone"), Column("capacity"))
    data = template_csv(columns, [{"name": "=1+1", "focal_phone": "+84 912 345 678",
                                   "capacity": "120"}])
    assert data.decode("utf-8-sig").splitlines()[1] == "'=1+1,'+84 912 345 678,120"
    _delimiter, rows, errors = read_table(decode(data), columns)
    assert errors == []
    assert rows[0].values == {"name": "=1+1", "focal_phone": "+84 912 345 678",
                              "capacity": "120"}


# --- Export, edit, import: the same values -------------------------------------------------------

# Facility export column titles (English) -> facility import column keys.
EXPORT_TO_IMPORT = {
    "Province code": "province_code",
    "Facility": "name",
    "Kind": "kind",
    "Status": "status",
    "District": "district",
    "Address": "address",
    "Managing agency": "managing_agency",
    "Planned": "planned_cameras",
    "Focal person": "focal_name",
    "Focal person's title": "focal_title",
    "Focal person's phone": "focal_phone",
    "Focal person's e-mail": "focal_email",
}
# The import checks phone numbers: these are valid, and the first two begin like a formula.
PHONES = ["+84 912 345 678", "+84-24-3825-1234", "0912 345 678"]
FIELDS = ["name", "kind", "status", "district", "address", "managing_agency", "planned_cameras",
          "focal_name", "focal_title", "focal_phone", "focal_email"]


def test_an_exported_facility_file_imports_back_to_the_same_values(client, hanoi_admin):
    for n, value in enumerate(STORABLE):
        factories.facility(
            "01", name=value, status="active", kind="hotel", planned_cameras=n, address=value,
            district=value, managing_agency=value, focal_name=value, focal_title=value,
            focal_phone=PHONES[n % len(PHONES)], focal_email=f"focal{n}@example.vn",
        )
    before = sorted(Facility.objects.values_list(*FIELDS))
    client.force_login(hanoi_admin)
    rows = _export(client, "facilities")

    # The official keeps the columns the import knows (as after editing in Excel) ...
    keep = [i for i, title in enumerate(rows[0]) if title in EXPORT_TO_IMPORT]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([EXPORT_TO_IMPORT[rows[0][i]] for i in keep])
    for row in rows[1:]:
        writer.writerow([row[i] for i in keep])
    upload = io.BytesIO(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    upload.name = "facilities.csv"
    # ... and imports them into a registry that lost them.
    Facility.objects.all().delete()
    url = reverse("admin:facilities_facility_import")
    preview = client.post(url, {"file": upload, "preview": "1"})
    assert preview.context["errors"] == []
    done = client.post(url, {"confirm": "1", "token": preview.context["token"]})
    assert done.status_code == 302

    assert sorted(Facility.objects.values_list(*FIELDS)) == before


def test_phone_and_name_round_trip_through_the_reader():
    columns = [c for c in FACILITY_COLUMNS if c.key in ("province_code", "name", "focal_phone")]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["province_code", "name", "focal_phone"])
    for value in STORABLE:
        writer.writerow([safe_cell(c) for c in ("01", value, short(value))])
    with translation.override("en"):
        _delimiter, rows, errors = read_table(out.getvalue(), columns)
    assert errors == []
    assert [(r.values["name"], r.values["focal_phone"]) for r in rows] == [
        (v, short(v)) for v in STORABLE
    ]


def test_an_exported_camera_name_is_found_again_by_the_importer(hanoi_admin):
    # The camera import names its facility: an exported "'=1+1" must find the facility "=1+1".
    factories.facility("01", name="=1+1")
    data = (
        b"province_code,facility,name,zone,stream_url\r\n"
        b"01,'=1+1,'-2+3,gate,rtsp://10.0.0.1/s\r\n"
    )
    plan = CameraImporter(actor=hanoi_admin).apply(data)
    assert plan.ok, plan.error_lines()
    assert Camera.objects.get().name == "-2+3"
