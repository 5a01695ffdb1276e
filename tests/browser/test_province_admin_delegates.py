"""A province admin creates a facility manager's account on the Delegation page and gives it one
facility; the new manager then signs in and sees that facility, and no other."""

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By

from tests import factories
from tests.browser.language import assert_vietnamese

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "Quan-tri-tinh-2021"
NEW_PASSWORD = "Mat-khau-moi-Ha-Noi-7"
CREATE_FORM = "form:has(input[name=action][value=create])"


def test_province_admin_creates_a_facility_manager_who_sees_only_that_facility(
    browser, sign_in, journey
):
    granted = factories.facility("01", name="Khu cách ly Ký túc xá Phenikaa")
    factories.camera(granted, name="Camera cổng Phenikaa")
    neighbour = factories.facility("01", name="Khu cách ly Trung tâm GDQP Hòa Lạc")
    factories.camera(neighbour, name="Camera cổng Hòa Lạc")
    factories.facility("79", name="Khu cách ly Ký túc xá Đại học Quốc gia TP.HCM")
    factories.province_user("quantri.hanoi", "01", password=ADMIN_PASSWORD)

    sign_in(browser, "quantri.hanoi", ADMIN_PASSWORD)
    create = journey("create_facility_manager", browser)
    create.click("#user-tools a[href$='/delegation/']", load=True)
    assert_vietnamese(browser, "Phân quyền", "Tạo tài khoản ban quản lý cơ sở")
    choices = [
        option.text
        for option in browser.find_elements(By.CSS_SELECTOR, f"{CREATE_FORM} select option")
    ]
    # Only the province's own facilities may be given.
    assert "Khu cách ly Ký túc xá Phenikaa (Hà Nội)" in choices
    assert not any("TP.HCM" in choice for choice in choices)

    create.type(f"{CREATE_FORM} input[name=create-username]", "bql.phenikaa")
    create.type(f"{CREATE_FORM} input[name=create-last_name]", "Nguyễn")
    create.type(f"{CREATE_FORM} input[name=create-first_name]", "Thị Lan")
    create.type(f"{CREATE_FORM} input[name=create-password1]", NEW_PASSWORD)
    create.type(f"{CREATE_FORM} input[name=create-password2]", NEW_PASSWORD)
    create.choose(f"{CREATE_FORM} select[name=create-facility]",
                  "Khu cách ly Ký túc xá Phenikaa (Hà Nội)")
    create.click(f"{CREATE_FORM} button[type=submit]", load=True)

    assert_vietnamese(browser, "Đã tạo tài khoản và cấp quyền truy cập.")
    grant_rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "table tbody tr")]
    assert any("bql.phenikaa" in row and granted.name in row for row in grant_rows)
    manager = get_user_model().objects.get(username="bql.phenikaa")
    assert (manager.last_name, manager.first_name, manager.is_staff) == ("Nguyễn", "Thị Lan", False)

    first = journey("new_manager_first_sign_in", browser)
    first.log_out()
    sign_in(browser, "bql.phenikaa", NEW_PASSWORD, journey=first)
    text = assert_vietnamese(browser, "Cơ sở của tôi", granted.name)
    assert neighbour.name not in text and "TP.HCM" not in text
    first.click_link(granted.name)
    text = assert_vietnamese(browser, granted.name, "Camera cổng Phenikaa")
    assert "Camera cổng Hòa Lạc" not in text
