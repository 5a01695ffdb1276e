"""Short checks of the pages issue 12 asked to be fixed, as a person sees them in Chromium: the
camera list at 1366x768, the camera form's password, the progress dashboard, a facility's admin
page and the error pages. Data is seeded with tests/factories.py, not through the pages.
"""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from cameras.choices import ConnectionStatus, ErrorKind, Health
from cameras.models import Camera
from tests import factories
from tests.browser.journey import find, wait
from tests.browser.language import assert_vietnamese, shown_text

pytestmark = pytest.mark.browser

ROOT_PASSWORD = "S3cure-pass-word"  # tests/conftest.py, `superuser`
PASSWORD = "Mat-khau-2021"
LONG_FACILITY = (
    "Khu cách ly tập trung Ký túc xá Trường Đại học Công nghiệp Hà Nội, cơ sở 2, "
    "phường Tây Tựu, quận Bắc Từ Liêm"
)
S, H = ConnectionStatus, Health


def open_page(driver, live_server, path):
    """Open `path` as typed into the address bar, once its document has loaded."""
    driver.get(live_server.url + path)
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")


def sideways(driver, css=None):
    """(scrollWidth, clientWidth) of the element at `css`, or of the page."""
    if css is None:
        return driver.execute_script(
            "var e = document.documentElement; return [e.scrollWidth, e.clientWidth]"
        )
    return driver.execute_script(
        "var e = document.querySelector(arguments[0]); return [e.scrollWidth, e.clientWidth]", css
    )


def assert_no_sideways_scroll(driver, css=None):
    width, shown = sideways(driver, css)
    assert width <= shown, (
        f"{driver.current_url}: {css or 'the page'} scrolls sideways ({width} px > {shown} px)"
    )


def right_edge(driver, element):
    return driver.execute_script("return arguments[0].getBoundingClientRect().right", element)


def top_edge(driver, element):
    return driver.execute_script("return arguments[0].getBoundingClientRect().top", element)


# --- 1. The camera list at 1366x768 ---------------------------------------------------------------


def seed_camera_list():
    """30 cameras in 3 provinces, one facility with a long name, some with a last error."""
    facilities = {
        "01": factories.facility("01", name=LONG_FACILITY),
        "48": factories.facility("48", name="Khu cách ly Trường Quân sự Đà Nẵng"),
        "79": factories.facility("79", name="Khu cách ly Ký túc xá Đại học Quốc gia"),
    }
    for code, facility in facilities.items():
        for n in range(10):
            fields = {}
            if n % 3 == 0:
                fields = {"health": H.OFFLINE, "last_error_kind": ErrorKind.TIMEOUT,
                          "connection_status": S.INELIGIBLE,
                          "status_reason": "Không có tín hiệu"}
            elif n % 3 == 1:
                fields = {"health": H.ONLINE, "connection_status": S.CONNECTED}
            factories.camera(facility, name=f"Camera hành lang tầng {n + 1} ({code})", **fields)
    return facilities


def test_camera_list_fits_1366_and_filters_by_province_from_a_drop_down(
    browser, sign_in, superuser, live_server
):
    facilities = seed_camera_list()
    sign_in(browser, "root", ROOT_PASSWORD)
    open_page(browser, live_server, reverse("admin:cameras_camera_changelist"))
    assert_vietnamese(browser, LONG_FACILITY)
    # The admin's side menu is open, as on a first visit.
    assert find(browser, "#nav-sidebar").is_displayed()
    assert browser.execute_script("return window.innerWidth") == 1366

    assert_no_sideways_scroll(browser)
    assert_no_sideways_scroll(browser, "#changelist .results")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 30
    long_row = next(row for row in rows if LONG_FACILITY in row.text)
    columns = {
        "name": ".field-name_and_zone",
        "facility": ".field-facility_and_province",
        "status": ".field-status_badge, .field-status_with_connect",
        "health": ".field-health_badge",
    }
    for row in (rows[0], long_row):
        for what, css in columns.items():
            cell = row.find_element(By.CSS_SELECTOR, css)
            assert right_edge(browser, cell) <= 1366, f"the {what} column is cut off: {row.text}"

    # The province filter is one drop-down of the 63 provinces, not a column of 63 links.
    province = find(browser, "select#filter-facility__province")
    options = [o.text for o in Select(province).options]
    assert len(options) == 64, options
    links = province.find_element(By.XPATH, "following-sibling::ul")
    assert not links.is_displayed()
    old = browser.find_element(By.TAG_NAME, "html")
    Select(province).select_by_visible_text("48 Đà Nẵng")
    wait(browser).until(lambda d: d.find_element(By.TAG_NAME, "html") != old)
    wait(browser).until(lambda d: "facility__province" in d.current_url)
    assert_vietnamese(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 10
    for row in rows:
        assert facilities["48"].name in row.text and "Đà Nẵng" in row.text, row.text
    text = shown_text(browser)
    assert LONG_FACILITY not in text and facilities["79"].name not in text
    chosen = Select(find(browser, "select#filter-facility__province")).first_selected_option
    assert chosen.text == "48 Đà Nẵng"


def test_facility_list_fits_1366_with_its_filters_as_drop_downs(
    browser, sign_in, superuser, live_server
):
    seed_camera_list()
    sign_in(browser, "root", ROOT_PASSWORD)
    open_page(browser, live_server, reverse("admin:facilities_facility_changelist"))
    assert_vietnamese(browser, LONG_FACILITY)
    assert find(browser, "#nav-sidebar").is_displayed()
    assert_no_sideways_scroll(browser)
    assert_no_sideways_scroll(browser, "#changelist .results")
    for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"):
        for cell in row.find_elements(By.CSS_SELECTOR, "th, td"):
            assert right_edge(browser, cell) <= 1366, f"a column is cut off: {row.text}"
    # Every filter is one drop-down (province, region, operator, status, kind, planned).
    selects = browser.find_elements(By.CSS_SELECTOR, "#changelist-filter select")
    assert len(selects) == 6, [s.get_attribute("id") for s in selects]


# --- 2. The camera form: a new camera, a password kept over a failed save -------------------------


def test_camera_form_keeps_a_typed_password_without_showing_it(
    browser, sign_in, superuser, live_server
):
    facility = factories.facility("01", name="Khu cách ly Ký túc xá Pháp Vân")
    sign_in(browser, "root", ROOT_PASSWORD)
    add = reverse("admin:cameras_camera_add")
    open_page(browser, live_server, f"{add}?facility={facility.pk}")
    text = assert_vietnamese(browser, "Luồng video")
    # A new camera has no check results, status or record to show, and nothing stored to keep.
    for field in ("health", "last_checked_at", "connection_status", "verdict", "created_at",
                  "clear_password"):
        assert not browser.find_elements(By.CSS_SELECTOR, f".field-{field}"), field
    assert "Lần kiểm tra gần nhất" not in text
    assert "để trống để giữ" not in text.lower()
    # The password rules are there before the first save.
    rules = find(browser, "#id_password_helptext").text
    assert rules.startswith("Mật khẩu của chính camera"), rules

    typed = "Cổng-chính#2021 mật khẩu"
    find(browser, "#id_name").send_keys("Camera cổng chính")
    Select(find(browser, "#id_zone")).select_by_visible_text("Cổng ra vào")
    find(browser, "#id_stream_url").send_keys("http://x")
    find(browser, "#id_username").send_keys("admin")
    find(browser, "#id_password").send_keys(typed)
    submit(browser)

    assert_vietnamese(browser, "Địa chỉ luồng video phải bắt đầu bằng rtsp:// hoặc rtsps://.")
    assert not Camera.objects.exists()
    assert find(browser, "#id_password").get_attribute("value") == ""
    assert typed not in browser.page_source
    note = find(browser, "#id_password_helptext").text
    assert "Mật khẩu đã nhập được giữ lại" in note, note

    # The address corrected, the password not typed again: the camera is saved with it.
    url = find(browser, "#id_stream_url")
    url.clear()
    url.send_keys("rtsp://10.0.0.5:554/stream1")
    submit(browser)
    assert_vietnamese(browser, "Camera cổng chính")
    camera = Camera.objects.get(name="Camera cổng chính")
    assert camera.facility == facility
    assert camera.password == typed
    assert camera.username == "admin"


def submit(driver):
    old = driver.find_element(By.TAG_NAME, "html")
    find(driver, "input[name=_save]").click()
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "html") != old)
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")


# --- 3. The progress dashboard --------------------------------------------------------------------


def seed_dashboard():
    """Connected cameras: Hà Nội 1, Đà Nẵng 3, Hồ Chí Minh 2 (code order differs from this)."""
    for code, connected in (("01", 1), ("48", 3), ("79", 2)):
        facility = factories.facility(code, planned_cameras=4)
        for _n in range(connected):
            factories.camera(facility, connection_status=S.CONNECTED, health=H.ONLINE)
        factories.camera(facility)


def province_names(driver):
    return [
        cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "#provinces tbody td.name")
    ]


def follow(driver, css):
    old = driver.find_element(By.TAG_NAME, "html")
    find(driver, css).click()
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "html") != old)
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_dashboard_fits_hides_empty_provinces_and_sorts(browser, sign_in, live_server):
    seed_dashboard()
    factories.national_official("cuc.vienthong", password=PASSWORD)
    sign_in(browser, "cuc.vienthong", PASSWORD)
    open_page(browser, live_server, reverse("reports:progress"))
    assert_vietnamese(browser, "Tiến độ")
    assert_no_sideways_scroll(browser)
    assert_no_sideways_scroll(browser, "#provinces .scroll")

    # The headline figures come first, the deadline after them.
    figures = find(browser, ".figures .figure")
    deadline = find(browser, ".deadline-line")
    assert top_edge(browser, figures) < top_edge(browser, deadline)
    assert top_edge(browser, figures) < browser.execute_script("return window.innerHeight")

    # Only the provinces with something registered, in code order; the others on request.
    assert province_names(browser) == ["Hà Nội", "Đà Nẵng", "Hồ Chí Minh"]
    follow(browser, "#provinces .table-tools a")
    assert "all=1" in browser.current_url
    assert_vietnamese(browser, "Ẩn các tỉnh/thành phố chưa đăng ký gì")
    assert len(province_names(browser)) == 63
    follow(browser, "#provinces .table-tools a")
    assert province_names(browser) == ["Hà Nội", "Đà Nẵng", "Hồ Chí Minh"]

    # A click on the connected cameras' heading: most connected first.
    follow(browser, "#provinces thead a[href*='sort=-cameras_connected']")
    assert province_names(browser) == ["Đà Nẵng", "Hồ Chí Minh", "Hà Nội"]
    assert_no_sideways_scroll(browser)
    # Again: the other direction.
    follow(browser, "#provinces thead a[href*='sort=cameras_connected']")
    assert province_names(browser) == ["Hà Nội", "Hồ Chí Minh", "Đà Nẵng"]


# --- 4. A facility's admin page -------------------------------------------------------------------


def test_facility_page_lists_its_cameras_and_adds_one(browser, sign_in, live_server):
    facility = factories.facility("01", name="Khu cách ly Trường Quân sự Sơn Tây",
                                  planned_cameras=3)
    factories.camera(facility, name="Camera cổng chính", connection_status=S.CONNECTED,
                     health=H.ONLINE)
    factories.camera(facility, name="Camera sân trước", connection_status=S.INELIGIBLE,
                     health=H.OFFLINE, status_reason="Độ phân giải thấp")
    other = factories.facility("01", name="Khu cách ly Ký túc xá Mễ Trì")
    factories.camera(other, name="Camera của cơ sở khác")
    factories.province_user("so.tttt.hanoi", "01", password=PASSWORD)

    sign_in(browser, "so.tttt.hanoi", PASSWORD)
    open_page(browser, live_server,
              reverse("admin:facilities_facility_change", args=[facility.pk]))
    assert_vietnamese(browser, "Camera của cơ sở cách ly này")
    block = find(browser, "#facility-cameras")
    rows = {
        row.find_element(By.CSS_SELECTOR, "td").text: row.text
        for row in block.find_elements(By.CSS_SELECTOR, "tbody tr")
    }
    assert set(rows) == {"Camera cổng chính", "Camera sân trước"}
    assert "Đã kết nối" in rows["Camera cổng chính"]
    assert "Trực tuyến" in rows["Camera cổng chính"]
    assert "Không đủ điều kiện" in rows["Camera sân trước"]
    assert "Mất tín hiệu" in rows["Camera sân trước"]
    # Registered 2 of 3 planned: the block says so.
    assert "2 / " in block.find_element(By.CSS_SELECTOR, ".facility-summary").text

    old = browser.find_element(By.TAG_NAME, "html")
    block.find_element(By.LINK_TEXT, "Thêm camera cho cơ sở cách ly này").click()
    wait(browser).until(lambda d: d.find_element(By.TAG_NAME, "html") != old)
    assert reverse("admin:cameras_camera_add") in browser.current_url
    assert_vietnamese(browser)
    chosen = find(browser, "#id_facility option:checked")
    assert chosen.text == facility.name, chosen.text


# --- 5. Error pages -------------------------------------------------------------------------------


def assert_error_page(driver, heading):
    """The portal's layout, in Vietnamese, the heading, and a way back."""
    text = assert_vietnamese(driver, heading)
    assert find(driver, "header.topbar .brand").is_displayed()
    assert find(driver, "main h1").text == heading
    home = driver.find_element(By.LINK_TEXT, "Về trang chủ")
    assert home.is_displayed()
    return text


def test_error_pages_are_the_portals_in_vietnamese(browser, sign_in, live_server):
    facility = factories.facility("01", name="Khu cách ly Ký túc xá Đại học Quốc gia")
    other = factories.facility("01", name="Khu cách ly Trường Quân sự Thủ đô")
    factories.facility_manager("quanly.ktx", facility, password=PASSWORD)
    sign_in(browser, "quanly.ktx", PASSWORD)

    open_page(browser, live_server, "/khong-co-trang-nay/")
    assert_error_page(browser, "Không tìm thấy trang")

    # Another facility's page is not found, exactly as one that does not exist.
    open_page(browser, live_server, reverse("facility_detail", args=[other.pk]))
    text = assert_error_page(browser, "Không tìm thấy trang")
    assert other.name not in text

    # The reports are not theirs: the reason the code gives, and a way back.
    open_page(browser, live_server, reverse("reports:progress"))
    text = assert_error_page(browser, "Không có quyền truy cập")
    assert "Tài khoản của bạn chưa được giao báo cáo của tỉnh/thành phố nào." in text

    # The way back leads home, to the manager's facility.
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, "Về trang chủ").click()
    wait(browser).until(lambda d: d.find_element(By.TAG_NAME, "html") != old)
    assert_vietnamese(browser, facility.name)


def test_admin_turns_a_facility_manager_away_with_a_way_back(browser, sign_in, live_server):
    """A facility manager (no admin account) who opens /admin/, from an old bookmark or a
    colleague's link, is told the admin is not theirs and finds the way back to the portal."""
    facility = factories.facility("01", name="Khu cách ly Ký túc xá Đại học Quốc gia")
    factories.facility_manager("quanly.ktx", facility, password=PASSWORD)
    sign_in(browser, "quanly.ktx", PASSWORD)

    open_page(browser, live_server, "/admin/")
    assert_vietnamese(browser)
    home = reverse("home")
    ways_back = [
        link
        for link in browser.find_elements(By.CSS_SELECTOR, "a[href]")
        if link.is_displayed()
        and browser.execute_script("return arguments[0].pathname", link)
        in (home, reverse("my_facilities"))
    ]
    assert ways_back, (
        f"{browser.current_url}: no link back to the portal; the page's links lead to "
        f"{[a.get_attribute('href') for a in browser.find_elements(By.CSS_SELECTOR, 'a[href]')]}"
    )
    old = browser.find_element(By.TAG_NAME, "html")
    ways_back[0].click()
    wait(browser).until(lambda d: d.find_element(By.TAG_NAME, "html") != old)
    assert_vietnamese(browser, facility.name)
