"""A national official downloads today's progress by province from the report page, and the file,
read back, says what the registry holds."""

import csv
import datetime

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from cameras.choices import ConnectionStatus, Health
from facilities.choices import FacilityStatus
from facilities.models import Province
from tests import factories
from tests.browser.journey import find, wait_for_download
from tests.browser.language import assert_vietnamese

pytestmark = pytest.mark.browser

PASSWORD = "Cuc-vien-thong-2021"
COUNT_COLUMNS = [
    "Cơ sở cách ly",
    "Cơ sở đã kết nối",
    "Camera đã đăng ký",
    "Đủ điều kiện",
    "Không đủ điều kiện",
    "Đã kết nối",
    "Trực tuyến",
    "Mất tín hiệu",
    "Camera dự kiến",
]
S, H = ConnectionStatus, Health


def registry():
    """Hà Nội and Hồ Chí Minh as the provinces registered them; the counts the report must
    give (closed facilities and decommissioned cameras are left out, eligible includes
    connected, online includes degraded)."""
    hn = factories.facility("01", name="Khu cách ly Ký túc xá Pháp Vân", planned_cameras=4)
    factories.camera(hn, name="Cổng", connection_status=S.CONNECTED, health=H.ONLINE)
    factories.camera(hn, name="Sân", connection_status=S.ELIGIBLE, health=H.DEGRADED)
    factories.camera(hn, name="Hành lang", connection_status=S.INELIGIBLE, health=H.OFFLINE,
                     status_reason="Mất kết nối")
    hn2 = factories.facility("01", name="Khu cách ly Trường Quân sự Sơn Tây", planned_cameras=2)
    factories.camera(hn2, name="Cổng")
    factories.camera(hn2, name="Cũ", connection_status=S.DECOMMISSIONED,
                     status_reason="Đã tháo", check_enabled=False)
    closed = factories.facility("01", name="Khu cách ly đã đóng", planned_cameras=5,
                                status=FacilityStatus.CLOSED)
    factories.camera(closed, name="Cổng", connection_status=S.CONNECTED, health=H.ONLINE)
    hcm = factories.facility("79", name="Khu cách ly Ký túc xá Đại học Quốc gia",
                             planned_cameras=2)
    factories.camera(hcm, name="Cổng", connection_status=S.CONNECTED, health=H.ONLINE)
    return {
        #     facilities, connected, registered, eligible, ineligible, connected, online,
        #     offline, planned
        "01": [2, 1, 4, 2, 1, 1, 2, 1, 6],
        "79": [1, 1, 1, 1, 0, 1, 1, 0, 2],
    }


def test_national_official_exports_progress_as_csv(browser, sign_in, journey, downloads):
    expected = registry()
    factories.national_official("cuc.vienthong", password=PASSWORD)

    sign_in(browser, "cuc.vienthong", PASSWORD)
    export = journey("export_progress", browser)
    assert_vietnamese(browser, "Tiến độ", "Xuất dữ liệu")
    today = timezone.localdate()
    assert f"Tiến độ theo tỉnh/thành phố ngày {today:%d/%m/%Y}" in find(
        browser, ".exports li:first-child").text
    export.click_link("CSV", within=".exports li:first-child", load=False)
    # A download: the page stays, the file arrives.
    path = wait_for_download(downloads, ".csv")
    assert path.name == f"progress-{today.isoformat()}.csv"
    assert browser.current_url.endswith(reverse("reports:progress"))

    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()), "no byte order mark: Excel would garble Vietnamese"
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    by_code = {row["Mã tỉnh"]: row for row in rows if row["Mã tỉnh"]}
    # Every province, today, with the registry's counts; the provinces without anything at 0.
    assert set(by_code) == set(Province.objects.values_list("code", flat=True))
    assert {row["Ngày"] for row in rows} == {today.isoformat()}
    for code, row in by_code.items():
        counts = [int(row[column]) for column in COUNT_COLUMNS]
        assert counts == expected.get(code, [0] * len(COUNT_COLUMNS)), code
    assert (by_code["01"]["Tỉnh/thành phố"], by_code["01"]["Doanh nghiệp"]) == ("Hà Nội", "Viettel")
    assert (by_code["79"]["Tỉnh/thành phố"], by_code["79"]["Doanh nghiệp"]) == (
        "Hồ Chí Minh", "VNPT"
    )
    total = [row for row in rows if not row["Mã tỉnh"]]
    assert len(total) == 1 and total[0]["Tỉnh/thành phố"] == "Toàn quốc"
    assert [int(total[0][column]) for column in COUNT_COLUMNS] == [
        sum(values) for values in zip(*expected.values(), strict=True)
    ]
    # Hà Nội: 1 of 2 facilities connected; 1 of 6 planned cameras connected.
    assert by_code["01"]["Tỷ lệ cơ sở đã kết nối (%)"] == "50.0"
    assert by_code["01"]["Tỷ lệ camera dự kiến đã kết nối (%)"] == "16.7"

    # The same day as an Excel workbook, from the link beside: typed cells, the same figures.
    export.click_link("Excel", within=".exports li:first-child", load=False)
    path = wait_for_download(downloads, ".xlsx")
    assert path.name == f"progress-{today.isoformat()}.xlsx"
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    header, *cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == list(rows[0].keys())
    by_code_xlsx = {row[header.index("Mã tỉnh")]: row for row in cells if row[1]}
    assert set(by_code_xlsx) == set(by_code)
    for code, row in by_code_xlsx.items():
        counts = [row[header.index(column)] for column in COUNT_COLUMNS]
        assert counts == expected.get(code, [0] * len(COUNT_COLUMNS)), code  # numbers, not text
        assert row[header.index("Ngày")] == datetime.datetime.combine(today, datetime.time())
    hanoi = by_code_xlsx["01"]
    assert hanoi[header.index("Tỷ lệ cơ sở đã kết nối (%)")] == pytest.approx(0.5)
    assert hanoi[header.index("Tỷ lệ camera dự kiến đã kết nối (%)")] == pytest.approx(1 / 6)
