"""An operator engineer marks an eligible camera connected from the camera list, and is told in
Vietnamese why an ineligible one cannot be.

Eligibility comes from a recent passing check: the test writes the cameras' check state as the
checks leave it (tests/factories.py) instead of probing, so the journey is the person's part.
"""

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from cameras.choices import ConnectionStatus, Health
from cameras.models import Camera, ConnectionStandard
from tests import factories
from tests.browser.journey import admin_row, admin_tick_box, find
from tests.browser.language import assert_vietnamese

pytestmark = pytest.mark.browser

PASSWORD = "Ky-thuat-vien-2021"
CONNECT = "Đánh dấu đã kết nối các camera đã chọn"


def test_operator_connects_an_eligible_camera_and_is_refused_an_ineligible_one(
    browser, sign_in, journey
):
    facility = factories.facility("01", name="Khu cách ly Bệnh viện dã chiến Mê Linh")
    gate = factories.passed_check(factories.camera(facility, name="Camera cổng"))
    now = timezone.now()
    yard = factories.camera(
        facility,
        name="Camera sân",
        connection_status=ConnectionStatus.INELIGIBLE,
        status_reason="Độ phân giải thấp",
        health=Health.ONLINE,
        last_checked_at=now,
        verdict_eligible=False,
        verdict_reasons=[
            {"code": "resolution", "width": 640, "height": 480, "min_width": 1280,
             "min_height": 720}
        ],
        verdict_standard=ConnectionStandard.current(),
        verdict_at=now,
        verdict_pending=False,
    )
    factories.camera(facility, name="Camera hành lang")
    factories.province_user("kythuat.viettel.hn", "01", role="connect_province",
                            password=PASSWORD)

    sign_in(browser, "kythuat.viettel.hn", PASSWORD)
    connect = journey("connect_camera", browser)
    assert_vietnamese(browser, "Camera")
    connect.click("#content-main a[href$='/cameras/camera/']", load=True)
    assert_vietnamese(browser, "Camera cổng", "Camera sân")
    # A waiting camera has its own "Kết nối" button; the ineligible one has none.
    assert not admin_row(browser, "Camera sân").find_elements(By.NAME, "_connect_one")
    connect.click(
        admin_row(browser, "Camera cổng").find_element(By.NAME, "_connect_one"),
        "button “Kết nối” of “Camera cổng”", load=True,
    )

    assert_vietnamese(browser)
    assert "đã thay đổi 1 camera" in find(browser, ".messagelist .success").text
    assert "Đã kết nối" in admin_row(browser, "Camera cổng").text
    gate.refresh_from_db()
    assert gate.connection_status == ConnectionStatus.CONNECTED
    assert gate.connected_by.get_username() == "kythuat.viettel.hn"

    # Tried anyway with the list's action, the ineligible camera is refused with its reasons.
    refused = journey("connect_refused", browser)
    refused.click(admin_tick_box(browser, "Camera sân"), "tick “Camera sân”")
    refused.choose("select[name=action]", CONNECT)
    refused.click("button[name=index]", load=True)

    assert_vietnamese(browser)
    warning = find(browser, ".messagelist .warning").text
    # Which camera, why, and what to change on it.
    assert "“Camera sân” (Khu cách ly Bệnh viện dã chiến Mê Linh) không được thay đổi" in warning
    assert "chưa đạt tiêu chuẩn kết nối" in warning
    assert "640x480" in warning and "1280x720" in warning
    assert not browser.find_elements(By.CSS_SELECTOR, ".messagelist .success")
    yard.refresh_from_db()
    assert yard.connection_status == ConnectionStatus.INELIGIBLE
    assert Camera.objects.filter(connection_status=ConnectionStatus.CONNECTED).count() == 1
