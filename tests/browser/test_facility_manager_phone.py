"""A facility's manager on a 375x812 phone: signs in, opens the facility and reads how each of
its cameras stands, without scrolling sideways; another facility of the province stays out of
sight."""

import pytest
from selenium.webdriver.common.by import By

from cameras.choices import ConnectionStatus, Health
from tests import factories
from tests.browser.language import assert_vietnamese, shown_text

pytestmark = pytest.mark.browser

PASSWORD = "Quan-ly-co-so-2021"


def no_sideways_scroll(driver):
    width, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert inner == 375
    assert width <= inner, f"{driver.current_url} scrolls sideways: {width} px > {inner} px"


def test_facility_manager_reads_the_facility_on_a_phone(phone, sign_in, journey):
    facility = factories.facility("01", name="Khu cách ly Ký túc xá Đại học Quốc gia")
    factories.camera(
        facility, name="Camera cổng chính", connection_status=ConnectionStatus.CONNECTED,
        health=Health.ONLINE,
    )
    factories.camera(
        facility, name="Camera hành lang tầng 2", connection_status=ConnectionStatus.ELIGIBLE,
        health=Health.ONLINE,
    )
    factories.camera(
        facility, name="Camera khu lấy mẫu", connection_status=ConnectionStatus.INELIGIBLE,
        health=Health.OFFLINE, status_reason="Độ phân giải thấp",
    )
    other = factories.facility("01", name="Khu cách ly Trường Quân sự Thủ đô")
    factories.camera(other, name="Camera của cơ sở khác")
    factories.facility_manager("quanly.ktx", facility, password=PASSWORD)

    sign_in(phone, "quanly.ktx", PASSWORD)
    walk = journey("facility_manager_phone", phone)
    # The landing page lists the manager's facility, and only it.
    assert_vietnamese(phone, "Cơ sở của tôi", facility.name)
    assert other.name not in shown_text(phone)
    no_sideways_scroll(phone)

    walk.click_link(facility.name)
    text = assert_vietnamese(phone, facility.name, "Trạng thái kết nối")
    no_sideways_scroll(phone)
    rows = phone.find_elements(By.CSS_SELECTOR, "table tbody tr")
    shown = {row.find_element(By.CSS_SELECTOR, "td").text: row.text for row in rows}
    assert set(shown) == {"Camera cổng chính", "Camera hành lang tầng 2", "Camera khu lấy mẫu"}
    assert "Đã kết nối" in shown["Camera cổng chính"]
    assert "Trực tuyến" in shown["Camera cổng chính"]
    assert "Đủ điều kiện" in shown["Camera hành lang tầng 2"]
    assert "Không đủ điều kiện" in shown["Camera khu lấy mẫu"]
    assert "Mất tín hiệu" in shown["Camera khu lấy mẫu"]
    assert "Camera của cơ sở khác" not in text
    # Every camera's status is on screen, not cut off at the right edge.
    for badge in phone.find_elements(By.CSS_SELECTOR, "table .badge, table [class*=badge]"):
        right = phone.execute_script("return arguments[0].getBoundingClientRect().right", badge)
        assert right <= 375
