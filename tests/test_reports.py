"""Daily progress report: counts, snapshots and their schedule, dashboards, CSV exports."""

import csv
import datetime
import io
import json
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from cameras.choices import ConnectionStatus, Health
from facilities.models import Facility, Province
from reports import blockers, exports
from reports.models import DailySnapshot
from reports.schedule import SCHEDULE_NAME, ensure_snapshot_schedule
from reports.snapshot import Counts, counts_by_province, take_snapshot
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "S3cure-pass-word"
CAMERA_SECRET = "mat-khau-camera-42"

PROGRESS_COLUMNS_VI = [
    "Ngày",
    "Mã tỉnh",
    "Tỉnh/thành phố",
    "Doanh nghiệp",
    "Cơ sở cách ly",
    "Cơ sở đã kết nối",
    "Tỷ lệ cơ sở đã kết nối (%)",
    "Camera đã đăng ký",
    "Đủ điều kiện",
    "Không đủ điều kiện",
    "Đã kết nối",
    "Trực tuyến",
    "Mất tín hiệu",
    "Camera dự kiến",
    "Tỷ lệ camera dự kiến đã kết nối (%)",
]
PROGRESS_COLUMNS_EN = [
    "Date",
    "Province code",
    "Province",
    "Operator",
    "Facilities",
    "Facilities connected",
    "Share of facilities connected (%)",
    "Cameras registered",
    "Eligible",
    "Ineligible",
    "Connected",
    "Online",
    "Offline",
    "Planned",
    "Share of planned cameras connected (%)",
]
# Where the counts are in a progress row (COUNT_FIELDS order, the facility percentage between
# the facility and the camera counts, as on the page).
FACILITY_COUNTS = slice(4, 6)
CAMERA_COUNTS = slice(7, 14)


def _counts(row):
    """The nine counts of a progress row, in COUNT_FIELDS order."""
    return row[FACILITY_COUNTS] + row[CAMERA_COUNTS]


# --- Cast and data ----------------------------------------------------------------------------


@pytest.fixture
def national():
    """A Telecommunications Department official: `view_all` through the national group."""
    return factories.national_official("cuc_vien_thong", password=PASSWORD)


@pytest.fixture
def hanoi_admin():
    return factories.province_user("so_tttt_hanoi", "01", password=PASSWORD)


@pytest.fixture
def hcm_admin():
    return factories.province_user("so_tttt_hcm", "79", password=PASSWORD)


@pytest.fixture
def nobody(django_user_model):
    return django_user_model.objects.create_user("khong_quyen", password=PASSWORD)


@pytest.fixture
def registry():
    """Every connection status and health value, a closed facility, decommissioned cameras."""
    cam = factories.camera
    f1 = factories.facility(
        "01",
        name="Khu cách ly Ký túc xá Pháp Vân",
        status="active",
        planned_cameras=10,
        focal_name="Nguyễn Thị Hà",
        focal_phone="0912 345 678",
    )
    cam(
        f1, connection_status="connected", health="online", username="admin", password=CAMERA_SECRET
    )
    cam(f1, connection_status="connected", health="degraded")
    cam(f1, connection_status="eligible", health="offline")
    cam(f1, connection_status="ineligible", health="unknown", status_reason="Độ phân giải thấp")
    cam(f1, connection_status="suspended", health="offline")
    cam(f1, connection_status="registered", health="unknown")
    cam(f1, connection_status="decommissioned", health="online")
    f2 = factories.facility(
        "01", name="Khách sạn cách ly Mường Thanh", status="preparing", planned_cameras=3
    )
    cam(f2, connection_status="registered", health="offline", last_error_kind="unauthorized")
    cam(f2, connection_status="ineligible", health="online", status_reason="Độ phân giải thấp")
    cam(f2, connection_status="eligible", health="offline", last_error_kind="timeout")
    f3 = factories.facility("01", name="Khu cách ly đã đóng", status="closed", planned_cameras=5)
    cam(f3, connection_status="connected", health="online")
    f4 = factories.facility(
        "01", name="Khu cách ly Trường Quân sự", status="active", planned_cameras=2
    )
    cam(f4, connection_status="decommissioned", health="offline")
    f5 = factories.facility(
        "01", name="Bệnh viện dã chiến Đông Anh", status="active", planned_cameras=0
    )
    g1 = factories.facility(
        "79", name="Khu cách ly Ký túc xá Đại học Quốc gia", status="active", planned_cameras=4
    )
    cam(g1, connection_status="connected", health="online")
    cam(g1, connection_status="connected", health="offline")
    return {"pv": f1, "mt": f2, "closed": f3, "qs": f4, "bv": f5, "hcm": g1}


HANOI = Counts(
    facilities=4,
    facilities_connected=1,
    cameras_registered=9,
    cameras_eligible=5,
    cameras_ineligible=2,
    cameras_connected=2,
    cameras_online=3,
    cameras_offline=4,
    cameras_planned=15,
)
HCM = Counts(
    facilities=1,
    facilities_connected=1,
    cameras_registered=2,
    cameras_eligible=2,
    cameras_ineligible=0,
    cameras_connected=2,
    cameras_online=1,
    cameras_offline=1,
    cameras_planned=4,
)


def _csv(response):
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body[1:])))


def export_events(caplog):
    """Details of the export account events recorded so far (audit table, else the access log)."""
    try:
        from portal.models import AccountEvent

        if AccountEvent._meta.db_table in connection.introspection.table_names():
            stored = list(
                AccountEvent.objects.filter(event="export")
                .order_by("pk")
                .values_list("detail", flat=True)
            )
            if stored:
                return stored
    except ImportError:
        pass
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.access"]
    return [line["detail"] for line in lines if line["event"] == "export"]


# --- Counts -----------------------------------------------------------------------------------


def test_counts_follow_the_definitions_for_every_status_and_health(registry):
    counts = counts_by_province()
    assert counts[factories.province("01").pk] == HANOI
    assert counts[factories.province("79").pk] == HCM
    assert factories.province("48").pk not in counts
    assert HANOI.percent_facilities_connected == 25.0
    assert HANOI.percent_planned_connected == round(100 * 2 / 15, 1)
    assert Counts().percent_planned_connected is None


def test_counts_are_aggregate_queries_not_a_loop_per_camera(registry, django_assert_num_queries):
    with django_assert_num_queries(2):
        counts_by_province()


# --- Snapshot ---------------------------------------------------------------------------------


def test_snapshot_stores_one_row_per_province_and_rerunning_a_day_replaces_it(registry):
    day = datetime.date(2021, 7, 1)
    assert take_snapshot(day) == 63
    hanoi = DailySnapshot.objects.get(day=day, province__code="01")
    assert (hanoi.operator, hanoi.region) == ("viettel", "north")
    assert Counts(**{f: getattr(hanoi, f) for f in Counts.__dataclass_fields__}) == HANOI
    assert DailySnapshot.objects.get(day=day, province__code="48").cameras_registered == 0

    factories.camera(registry["mt"], connection_status="connected", health="online")
    take_snapshot(day)
    take_snapshot(day)
    assert DailySnapshot.objects.filter(day=day).count() == 63
    hanoi = DailySnapshot.objects.get(day=day, province__code="01")
    assert (hanoi.facilities_connected, hanoi.cameras_connected) == (2, 3)


def test_a_snapshot_taken_by_a_person_is_on_the_audit_trail_the_schedule_is_not(
    registry, superuser
):
    from auditlog.models import LogEntry

    call_command("snapshot_progress", "--date", "2021-07-01", stdout=io.StringIO())
    assert not LogEntry.objects.get_for_model(DailySnapshot).exists()
    call_command(
        "snapshot_progress", "--date", "2021-07-02", "--actor", "root", stdout=io.StringIO()
    )
    entries = LogEntry.objects.get_for_model(DailySnapshot)
    assert entries.count() == 63
    assert {entry.actor for entry in entries} == {superuser}
    # Re-running the day rewrites only the provinces whose figures changed.
    factories.camera(registry["mt"], connection_status="connected", health="online")
    call_command(
        "snapshot_progress", "--date", "2021-07-02", "--actor", "root", stdout=io.StringIO()
    )
    assert LogEntry.objects.get_for_model(DailySnapshot).count() == 64
    with pytest.raises(CommandError, match="no such user"):
        call_command("snapshot_progress", "--actor", "ai-do")


def test_snapshot_of_a_day_leaves_other_days_alone(registry):
    take_snapshot(datetime.date(2021, 7, 1))
    take_snapshot(datetime.date(2021, 7, 2))
    take_snapshot(datetime.date(2021, 7, 2))
    assert DailySnapshot.objects.count() == 126


def test_snapshot_command_takes_today_or_the_given_date(registry):
    out = io.StringIO()
    call_command("snapshot_progress", stdout=out)
    assert DailySnapshot.objects.filter(day=timezone.localdate()).count() == 63
    call_command("snapshot_progress", "--date", "2021-07-01", stdout=out)
    assert DailySnapshot.objects.filter(day="2021-07-01").count() == 63
    assert "2021-07-01" in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("snapshot_progress", "--date", "01/07/2021")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(CommandError, match="future"):
        call_command("snapshot_progress", "--date", tomorrow.isoformat())


def test_the_daily_schedule_exists_once_at_the_configured_local_time(settings):
    schedules = Schedule.objects.filter(name=SCHEDULE_NAME)
    assert schedules.count() == 1, "created by migrate"
    schedule = schedules.get()
    assert schedule.func == "reports.tasks.take_daily_snapshot"
    assert schedule.schedule_type == Schedule.DAILY
    assert timezone.localtime(schedule.next_run).time() == datetime.time(17, 0)
    assert schedule.next_run > timezone.now()

    ensure_snapshot_schedule()
    call_command("migrate", verbosity=0)
    assert schedules.count() == 1

    settings.REPORT_SNAPSHOT_TIME = "18:30"
    ensure_snapshot_schedule()
    assert schedules.count() == 1
    assert timezone.localtime(schedules.get().next_run).time() == datetime.time(18, 30)


def test_missed_runs_are_not_caught_up_one_by_one(registry, settings):
    from django_q.brokers import get_broker
    from django_q.scheduler import scheduler

    assert settings.Q_CLUSTER["catch_up"] is False
    schedule = Schedule.objects.get(name=SCHEDULE_NAME)
    three_days_ago = timezone.localdate() - datetime.timedelta(days=3)
    schedule.next_run = timezone.make_aware(
        datetime.datetime.combine(three_days_ago, datetime.time(17, 0))
    )
    schedule.save()

    scheduler(broker=get_broker())  # tasks run inline in the test settings
    scheduler(broker=get_broker())

    assert list(DailySnapshot.objects.order_by().values_list("day", flat=True).distinct()) == [
        timezone.localdate()
    ]
    schedule.refresh_from_db()
    assert schedule.next_run > timezone.now()
    assert timezone.localtime(schedule.next_run).time() == datetime.time(17, 0)


# --- Export 1: progress by province -----------------------------------------------------------


def test_progress_export_has_bom_columns_in_order_vietnamese_names_and_total(
    client, national, registry, caplog
):
    take_snapshot(datetime.date(2021, 7, 1))
    client.force_login(national)
    caplog.set_level(logging.INFO, logger="portal.access")
    response = client.get(reverse("reports:export_progress"), {"date": "2021-07-01"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "progress-2021-07-01.csv" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == PROGRESS_COLUMNS_VI
    assert len(rows) == 1 + 63 + 1
    by_code = {row[1]: row for row in rows[1:-1]}
    assert by_code["01"] == [
        "2021-07-01",
        "01",
        "Hà Nội",
        "Viettel",
        "4",
        "1",
        "25.0",
        "9",
        "5",
        "2",
        "2",
        "3",
        "4",
        "15",
        "13.3",
    ]
    assert by_code["79"][2:4] == ["Hồ Chí Minh", "VNPT"]
    assert by_code["48"][2] == "Đà Nẵng"
    assert by_code["48"][6] == by_code["48"][-1] == "", "nothing to divide by: no percentage"
    total = rows[-1]
    assert total[:4] == ["2021-07-01", "", "Toàn quốc", ""]
    assert _counts(total) == [
        str(a + b) for a, b in zip(HANOI.as_tuple(), HCM.as_tuple(), strict=True)
    ]
    assert (total[6], total[-1]) == ("40.0", "21.1"), "2 of 5 facilities, 4 of 19 planned"
    assert export_events(caplog) == [
        {
            "export": "progress",
            "format": "csv",
            "filters": {"start": "2021-07-01", "end": "2021-07-01", "province": ""},
            "rows": 64,
        }
    ]


def test_progress_export_header_follows_the_interface_language(client, national, registry):
    take_snapshot(datetime.date(2021, 7, 1))
    client.force_login(national)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("reports:export_progress"), {"date": "2021-07-01"})
    rows = _csv(response)
    assert rows[0] == PROGRESS_COLUMNS_EN
    assert rows[-1][2] == "National total"
    assert rows[1][2] == "Hà Nội", "official names stay Vietnamese"


def test_progress_export_over_a_range_has_each_day_then_its_total(client, national, registry):
    take_snapshot(datetime.date(2021, 7, 1))
    factories.camera(registry["mt"], connection_status="connected", health="online")
    take_snapshot(datetime.date(2021, 7, 2))
    client.force_login(national)
    response = client.get(
        reverse("reports:export_progress"),
        {"start": "2021-06-30", "end": "2021-07-02", "province": "01"},
    )
    rows = _csv(response)[1:]
    assert [(r[0], r[1], r[2], r[10]) for r in rows] == [
        ("2021-07-01", "01", "Hà Nội", "2"),
        ("2021-07-01", "", "Tổng", "2"),
        ("2021-07-02", "01", "Hà Nội", "3"),
        ("2021-07-02", "", "Tổng", "3"),
    ]


def test_progress_export_for_today_uses_live_counts_until_the_snapshot_is_stored(
    client, hanoi_admin, registry
):
    client.force_login(hanoi_admin)
    rows = _csv(client.get(reverse("reports:export_progress")))
    today = timezone.localdate().isoformat()
    assert [r[:3] for r in rows[1:]] == [[today, "01", "Hà Nội"], [today, "", "Tổng"]]
    assert _counts(rows[1]) == [str(n) for n in HANOI.as_tuple()]


def test_province_admin_exports_only_its_province(client, hanoi_admin, registry, caplog):
    take_snapshot(datetime.date(2021, 7, 1))
    client.force_login(hanoi_admin)
    caplog.set_level(logging.INFO, logger="portal.access")
    rows = _csv(client.get(reverse("reports:export_progress"), {"date": "2021-07-01"}))
    assert [r[1] for r in rows[1:]] == ["01", ""]
    assert rows[-1][2] == "Tổng"

    facilities = _csv(client.get(reverse("reports:export_facilities")))
    assert {r[0] for r in facilities[1:]} == {"01"}
    cameras = _csv(client.get(reverse("reports:export_cameras")))
    assert {r[0] for r in cameras[1:]} == {"01"}

    for name in ("export_progress", "export_facilities", "export_cameras"):
        response = client.get(reverse(f"reports:{name}"), {"province": "79"})
        assert response.status_code == 403
    assert [e["export"] for e in export_events(caplog)] == ["progress", "facilities", "cameras"]


def test_bad_export_filters_get_a_message_a_person_can_act_on(client, national):
    client.force_login(national)
    url = reverse("reports:export_progress")
    client.cookies["django_language"] = "en"
    response = client.get(url, {"start": "2021-07-10", "end": "2021-07-01"})
    assert response.status_code == 400
    assert "end date must not be before the start date" in response.content.decode()
    response = client.get(url, {"province": "Hà Nội"})
    assert response.status_code == 400
    assert "two-digit code" in response.content.decode()
    response = client.get(url, {"province": "99"})
    assert response.status_code == 404


def test_a_province_export_is_filed_under_its_province_in_the_audit_trail(
    client, hanoi_admin, national, registry
):
    from portal.models import AccountEvent

    client.force_login(hanoi_admin)
    b"".join(client.get(reverse("reports:export_cameras")).streaming_content)
    client.force_login(national)
    b"".join(client.get(reverse("reports:export_cameras")).streaming_content)
    b"".join(client.get(reverse("reports:export_progress"), {"province": "79"}).streaming_content)
    events = AccountEvent.objects.filter(event="export").order_by("pk")
    assert [(e.actor, e.province_id) for e in events] == [
        (hanoi_admin, factories.province("01").pk),
        (national, None),
        (national, factories.province("79").pk),
    ]


# --- Exports 2 and 3 --------------------------------------------------------------------------


def test_facility_export_lists_counted_facilities_with_counts_and_focal_person(
    client, national, registry, caplog
):
    client.force_login(national)
    caplog.set_level(logging.INFO, logger="portal.access")
    rows = _csv(client.get(reverse("reports:export_facilities")))
    header, data = rows[0], rows[1:]
    assert header[:5] == ["Mã tỉnh", "Tỉnh/thành phố", "Cơ sở cách ly", "Loại hình", "Trạng thái"]
    names = [r[2] for r in data]
    assert "Khu cách ly đã đóng" not in names
    assert len(data) == 5
    pv = next(r for r in data if r[2] == "Khu cách ly Ký túc xá Pháp Vân")
    assert pv[4] == "Đang hoạt động"
    assert pv[8:15] == ["10", "6", "4", "1", "2", "2", "2"]
    assert pv[15:17] == ["Nguyễn Thị Hà", ""]
    assert pv[17] == "0912 345 678"
    assert export_events(caplog) == [
        {"export": "facilities", "format": "csv", "filters": {"province": ""}, "rows": 5}
    ]


def test_camera_export_has_state_and_uptime_and_never_credentials(client, national, registry):
    from cameras.models import CameraDay

    first = registry["pv"].cameras.get(connection_status="connected", state__health="online")
    first.state.last_checked_at = timezone.now()
    first.state.save()
    today = timezone.localdate()
    CameraDay.objects.create(camera=first, day=today, checks=10, successes=9)
    CameraDay.objects.create(
        camera=first, day=today - datetime.timedelta(days=6), checks=10, successes=10
    )
    # Outside the 7-day window: not counted.
    CameraDay.objects.create(
        camera=first, day=today - datetime.timedelta(days=7), checks=10, successes=0
    )
    client.force_login(national)
    response = client.get(reverse("reports:export_cameras"))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert CAMERA_SECRET not in body
    assert "admin" not in body
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][-3:-1] == ["Lần kiểm tra gần nhất", "Tỷ lệ hoạt động 7 ngày (%)"]
    assert len(rows[0]) == 12, "the placement review last"
    assert len(rows) - 1 == 9 + 2, "decommissioned cameras and closed facilities left out"
    line = next(r for r in rows[1:] if r[3] == first.name)
    assert line[:3] == ["01", "Hà Nội", "Khu cách ly Ký túc xá Pháp Vân"]
    assert line[5:8] == ["Đã kết nối", "", "Trực tuyến"]
    assert line[9] == timezone.localtime(first.state.last_checked_at).strftime("%Y-%m-%d %H:%M")
    assert line[10] == "95.0"
    unchecked = next(r for r in rows[1:] if r[5] == "Chưa kiểm tra" or r[9] == "")
    assert unchecked[10] == ""


def test_export_streams_in_constant_memory_pieces():
    stream = exports.CsvStream(["a"], ([str(i)] for i in range(1201)))
    pieces = list(stream)
    assert len(pieces) == 1 + 3
    assert stream.count == 1201


def test_export_command_writes_the_progress_csv(registry, tmp_path, caplog, hcm_admin):
    take_snapshot(datetime.date(2021, 7, 1))
    caplog.set_level(logging.INFO, logger="portal.access")
    target = tmp_path / "bao-cao.csv"
    call_command(
        "export_progress",
        "--date",
        "2021-07-01",
        "--province",
        "01",
        "--output",
        str(target),
        stdout=io.StringIO(),
    )
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == PROGRESS_COLUMNS_VI
    assert [r[2] for r in rows[1:]] == ["Hà Nội", "Tổng"]
    assert [e["export"] for e in export_events(caplog)] == ["progress"]
    with pytest.raises(CommandError, match="province"):
        call_command(
            "export_progress", "--date", "2021-07-01", "--province", "99", "--output", str(target)
        )
    # In a person's name, the file holds what that person may see.
    call_command(
        "export_progress",
        "--date",
        "2021-07-01",
        "--actor",
        "so_tttt_hcm",
        "--output",
        str(target),
        stdout=io.StringIO(),
    )
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8")[1:])))
    assert [r[1] for r in rows[1:]] == ["79", ""]


# --- Dashboards -------------------------------------------------------------------------------


def test_national_page_shows_63_provinces_subtotals_totals_and_change(client, national, registry):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    take_snapshot(yesterday)
    factories.camera(registry["mt"], connection_status="connected", health="online")
    client.force_login(national)
    response = client.get(reverse("reports:progress"))
    assert response.status_code == 200
    context = response.context
    assert context["live"] is True
    assert len(context["lines"]) == 63
    assert [line.label for line in context["by_operator"]] == ["Viettel", "VNPT"]
    assert [line.label for line in context["by_region"]] == ["Miền Bắc", "Miền Trung", "Miền Nam"]
    grand = context["grand"]
    assert grand.counts.cameras_connected == HANOI.cameras_connected + HCM.cameras_connected + 1
    assert grand.delta.cameras_connected == 1
    assert grand.delta.facilities_connected == 1
    viettel = context["by_operator"][0]
    assert viettel.counts.cameras_connected == 3
    assert context["previous_day"] == yesterday
    html = response.content.decode()
    assert "Hôm nay, trực tiếp" in html
    # Mường Thanh's first connected camera takes it off the list of facilities not yet connected.
    blocked = [item.facility.name for item in context["not_connected"]]
    assert blocked == ["Bệnh viện dã chiến Đông Anh", "Khu cách ly Trường Quân sự"]
    assert "Khu cách ly Trường Quân sự" in html
    assert "Khách sạn cách ly Mường Thanh" not in html
    assert "<svg" in html


def test_stored_snapshot_page_is_labelled_with_its_date(client, national, registry):
    take_snapshot(datetime.date(2021, 7, 1))
    client.force_login(national)
    response = client.get(reverse("reports:progress"), {"date": "2021-07-01"})
    assert response.context["live"] is False
    html = response.content.decode()
    assert "Bản chụp lưu ngày 01/07/2021" in html
    assert response.context["grand"].counts == HANOI + HCM
    response = client.get(reverse("reports:progress"), {"date": "2021-06-30"})
    assert response.context["stored"] is False
    assert "Chưa có bản chụp nào được lưu cho ngày 30/06/2021" in response.content.decode()


@pytest.mark.parametrize(
    "deadline,expected",
    [("2100-01-01", "ngày nữa"), ("2021-07-15", "Quá hạn"), ("", None)],
)
def test_deadline_shows_days_left_or_overdue(client, national, settings, deadline, expected):
    settings.PROGRESS_DEADLINE = deadline
    client.force_login(national)
    response = client.get(reverse("reports:progress"))
    html = response.content.decode()
    if expected is None:
        assert response.context["deadline"] is None
    else:
        assert expected in html
        days = (datetime.date.fromisoformat(deadline) - timezone.localdate()).days
        assert response.context["deadline"].days_left == days


def test_province_page_lists_facilities_not_connected_with_reasons(client, hanoi_admin, registry):
    client.force_login(hanoi_admin)
    response = client.get(reverse("reports:province", args=["01"]))
    assert response.status_code == 200
    blocked = {item.facility.name: item for item in response.context["not_connected"]}
    assert set(blocked) == {
        "Khách sạn cách ly Mường Thanh",
        "Khu cách ly Trường Quân sự",
        "Bệnh viện dã chiến Đông Anh",
    }
    mt = blocked["Khách sạn cách ly Mường Thanh"]
    assert (mt.cameras, mt.unchecked, mt.eligible, mt.ineligible) == (3, 1, 1, 1)
    assert (mt.unreachable, mt.wrong_credentials) == (1, 1)
    assert mt.reasons == [("Không đủ điều kiện", "Độ phân giải thấp", 1)]
    assert blocked["Khu cách ly Trường Quân sự"].cameras == 0
    html = response.content.decode()
    assert "Độ phân giải thấp" in html
    assert "1 camera không nhận tên đăng nhập hoặc mật khẩu" in html


def _grow(n_facilities, cameras_each=3):
    from cameras.choices import Zone
    from cameras.models import Camera, CameraState
    from facilities.models import Facility

    provinces = list(Province.objects.order_by("code"))
    facilities = Facility.objects.bulk_create(
        Facility(
            province=provinces[i % 5],
            name=f"Khu mở rộng {n_facilities}-{i}",
            status="active",
            planned_cameras=3,
        )
        for i in range(n_facilities)
    )
    cameras = Camera.objects.bulk_create(
        Camera(
            facility=f,
            name=f"Cam {j}",
            zone=Zone.GATE,
            stream_url=f"rtsp://10.1.{i % 250}.{j + 1}/s",
            connection_status=ConnectionStatus.REGISTERED if j else ConnectionStatus.INELIGIBLE,
            status_reason="" if j else "Tốc độ khung hình thấp",
        )
        for i, f in enumerate(facilities)
        for j in range(cameras_each)
    )
    CameraState.objects.filter(camera__in=cameras).update(
        health=Health.OFFLINE, last_error_kind="timeout"
    )


@pytest.mark.parametrize("user_fixture", ["national", "hanoi_admin"])
def test_dashboard_queries_do_not_grow_with_facilities(
    client, request, registry, django_assert_max_num_queries, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    take_snapshot(timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(user)
    url = reverse("reports:progress")
    _grow(5)
    with django_assert_max_num_queries(16) as small:
        assert client.get(url).status_code == 200
    _grow(60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["not_connected_total"] >= 3


def test_the_whole_list_of_facilities_not_connected_pages_through_all_of_them(
    client, hanoi_admin, hcm_admin, registry, monkeypatch, django_assert_max_num_queries
):
    from reports import views

    monkeypatch.setattr(views, "NOT_CONNECTED_LIMIT", 2)
    monkeypatch.setattr(views, "NOT_CONNECTED_PER_PAGE", 2)
    _grow(3)
    client.force_login(hanoi_admin)
    dashboard = client.get(reverse("reports:province", args=["01"]))
    total = dashboard.context["not_connected_total"]
    assert len(dashboard.context["not_connected"]) == 2 < total
    # The dashboard shows the start and links to the whole list.
    url = reverse("reports:province_not_connected", args=["01"])
    assert f'href="{url}"' in dashboard.content.decode()

    seen = []
    page = 1
    while True:
        with django_assert_max_num_queries(9):
            response = client.get(url, {"page": page})
        assert response.status_code == 200
        seen += [item.facility.name for item in response.context["not_connected"]]
        if not response.context["page"].has_next():
            break
        page += 1
    # Every facility once, in province and name order, none of another province's.
    assert len(seen) == len(set(seen)) == total
    expected = blockers.blocked_facilities(
        Facility.objects.filter(province__code="01")
    ).values_list("name", flat=True)
    assert seen == list(expected)
    assert "Mường Thanh" in " ".join(seen)

    # Another province's admin is refused Hà Nội's list; a wrong page number shows the last.
    client.force_login(hcm_admin)
    assert client.get(url).status_code == 403
    client.force_login(hanoi_admin)
    last = client.get(url, {"page": 999})
    assert last.context["page"].number == last.context["page"].paginator.num_pages


# --- Who sees what ----------------------------------------------------------------------------

PAGES = [
    ("reports:progress", [], {}),
    ("reports:province", ["01"], {}),
    ("reports:province_not_connected", ["01"], {}),
    ("reports:export_progress", [], {"province": "01"}),
    ("reports:export_facilities", [], {"province": "01"}),
    ("reports:export_cameras", [], {"province": "01"}),
]


@pytest.mark.parametrize("name,args,query", PAGES)
def test_anonymous_visitors_are_sent_to_login(client, registry, name, args, query):
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name,args,query", PAGES)
def test_account_without_grant_gets_nothing(client, nobody, registry, name, args, query, caplog):
    client.force_login(nobody)
    caplog.set_level(logging.INFO, logger="portal.access")
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 403
    assert export_events(caplog) == []


@pytest.mark.parametrize("name,args,query", PAGES)
def test_other_province_admin_is_refused_hanoi(client, hcm_admin, registry, name, args, query):
    client.force_login(hcm_admin)
    if name == "reports:progress":
        response = client.get(reverse(name))
        assert [line.province.code for line in response.context["lines"]] == ["79"]
        assert response.context["grand"].counts == HCM
        assert "Khách sạn cách ly Mường Thanh" not in response.content.decode()
        return
    assert client.get(reverse(name, args=args), query).status_code == 403


@pytest.mark.parametrize("name,args,query", PAGES)
def test_this_province_admin_sees_hanoi(client, hanoi_admin, registry, name, args, query):
    client.force_login(hanoi_admin)
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 200
    if response.streaming:
        rows = _csv(response)
        assert {r[0] if name != "reports:export_progress" else r[1] for r in rows[1:]} <= {
            "01",
            "",
        }
        assert len(rows) > 1
    elif name == "reports:province_not_connected":
        names = {item.facility.name for item in response.context["not_connected"]}
        assert "Khách sạn cách ly Mường Thanh" in names
        assert {item.facility.province.code for item in response.context["not_connected"]} == {
            "01"
        }
    else:
        assert [line.province.code for line in response.context["lines"]] == ["01"]
        assert response.context["grand"].counts == HANOI
        assert "Khu cách ly Ký túc xá Đại học Quốc gia" not in response.content.decode()


@pytest.mark.parametrize("name,args,query", PAGES)
def test_national_official_sees_everything(client, national, registry, name, args, query):
    client.force_login(national)
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 200
    if name == "reports:progress":
        assert len(response.context["lines"]) == 63
        assert response.context["grand"].counts == HANOI + HCM
        html = response.content.decode()
        assert "Khách sạn cách ly Mường Thanh" in html
        assert "Khu cách ly Ký túc xá Đại học Quốc gia" not in html  # connected: not listed
    elif response.streaming:
        assert len(_csv(response)) > 1


def test_national_official_reaches_the_exports_in_two_clicks(client, national, registry):
    client.force_login(national)
    landing = client.get(reverse("home"), follow=True)
    assert landing.redirect_chain[-1][0] == reverse("reports:progress")
    html = landing.content.decode()
    for name in ("export_progress", "export_facilities", "export_cameras"):
        assert reverse(f"reports:{name}") in html


def test_staff_find_the_dashboard_from_the_admin(admin_client_vi):
    html = admin_client_vi.get(reverse("admin:index")).content.decode()
    assert reverse("reports:progress") in html


def test_stored_snapshots_are_read_only_in_the_admin(admin_client_vi, client, hanoi_admin):
    take_snapshot(datetime.date(2021, 7, 1))
    url = reverse("admin:reports_dailysnapshot_changelist")
    response = admin_client_vi.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 63
    row = DailySnapshot.objects.get(day="2021-07-01", province__code="01")
    change = admin_client_vi.get(reverse("admin:reports_dailysnapshot_change", args=[row.pk]))
    assert change.status_code == 200
    assert b'name="cameras_connected"' not in change.content
    assert admin_client_vi.get(reverse("admin:reports_dailysnapshot_add")).status_code == 403
    client.force_login(hanoi_admin)
    assert client.get(url).status_code == 403
