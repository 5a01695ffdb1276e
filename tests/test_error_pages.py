"""Error pages (403, 404, 500, CSRF failure, lock-out): in the portal's layout, in Vietnamese
(English from the language menu), with the reason the code gave and a way back; a refusal is one
line in the log. Also the Vietnamese date and number formats on pages, and raw values in exports.
"""

import csv
import datetime
import io
import logging

import pytest
from django import forms
from django.db import OperationalError
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone, translation

from facilities.grants import FacilityUserObjectPermission
from portal import urls as portal_urls
from portal import views
from reports.templatetags.reports_tags import signed
from tests import factories

BRAND_VI = "Cổng kết nối camera các cơ sở cách ly tập trung"
HOME_LINK_VI = '<a href="/">Về trang chủ</a>'


def _boom(request):
    raise OperationalError("database is locked")


# This module is also the URL map of the 500 test: the portal's, plus a page that fails.
urlpatterns = [path("boom/", _boom), *portal_urls.urlpatterns]
handler500 = portal_urls.handler500


def _page(response):
    return response.content.decode()


def _in_portal_layout(html):
    """The portal's own header, also for URLs under /admin/ (not the admin's layout)."""
    return '<header class="topbar">' in html and BRAND_VI in html and 'id="site-name"' not in html


@pytest.fixture
def no_grant(django_user_model):
    return django_user_model.objects.create_user("khong_quyen", password="x", is_staff=True)


@pytest.fixture
def nobody_no_staff(django_user_model):
    return django_user_model.objects.create_user("ai_do", password="x")


@pytest.fixture
def hanoi_admin():
    return factories.province_user("so_tttt_hanoi", "01")


# --- 403 -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refusal_with_a_reason_shows_it_in_vietnamese_with_a_way_back(client, nobody_no_staff):
    client.force_login(nobody_no_staff)
    response = client.get(reverse("reports:progress"), HTTP_REFERER="http://testserver/")
    html = _page(response)
    assert response.status_code == 403
    assert _in_portal_layout(html)
    assert "<h1>Không có quyền truy cập</h1>" in html
    # The sentence reports/views.py raises, not the general one.
    assert "Tài khoản của bạn chưa được giao báo cáo của tỉnh/thành phố nào." in html
    assert "không được phép mở trang này" not in html
    assert HOME_LINK_VI in html


@pytest.mark.django_db
def test_a_bare_refusal_explains_in_general_words_and_links_back(client, no_grant):
    client.force_login(no_grant)
    came_from = "http://testserver/facilities/"
    html = _page(client.get(reverse("delegation"), HTTP_REFERER=came_from))
    assert "Tài khoản của bạn không được phép mở trang này." in html
    assert f'<a href="{came_from}">Quay lại trang trước</a>' in html
    assert HOME_LINK_VI in html
    # A page of another site is not offered as the way back.
    html = _page(client.get(reverse("delegation"), HTTP_REFERER="https://evil.example/"))
    assert "evil.example" not in html and "Quay lại trang trước" not in html


@pytest.mark.django_db
def test_a_refusal_inside_the_admin_is_the_portals_page(client, hanoi_admin):
    # Accounts stay with national administrators: a province admin is refused the user list.
    client.force_login(hanoi_admin)
    response = client.get(reverse("admin:auth_user_changelist"))
    html = _page(response)
    assert response.status_code == 403
    assert _in_portal_layout(html)
    assert "Tài khoản của bạn không được phép mở trang này." in html
    assert "403 Forbidden" not in html


@pytest.mark.django_db
def test_the_error_pages_follow_the_language_menu(client, no_grant):
    client.force_login(no_grant)
    client.cookies["django_language"] = "en"
    html = _page(client.get(reverse("delegation")))
    assert '<html lang="en">' in html
    assert "<h1>Access denied</h1>" in html
    assert "Your account may not open this page." in html
    assert '<a href="/">Go to the home page</a>' in html
    html = _page(client.get("/khong-co-trang-nay/"))
    assert "<h1>Page not found</h1>" in html


@pytest.mark.django_db
def test_a_refusal_is_one_warning_line_with_path_account_and_reason(
    client, no_grant, nobody_no_staff, caplog
):
    caplog.set_level(logging.INFO)
    client.force_login(no_grant)
    assert client.get(reverse("delegation")).status_code == 403
    client.force_login(nobody_no_staff)
    assert client.get(reverse("reports:progress")).status_code == 403

    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelname, r.getMessage()) for r in refusals] == [
        ("WARNING", f"Forbidden: /delegation/ user={no_grant.pk} reason=-"),
        (
            "WARNING",
            f"Forbidden: /reports/ user={nobody_no_staff.pk} reason="
            "Tài khoản của bạn chưa được giao báo cáo của tỉnh/thành phố nào.",
        ),
    ]
    assert all(r.exc_info is None for r in refusals)
    assert "Traceback" not in caplog.text


# --- 404 -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_not_found_never_shows_djangos_internal_message(client, hanoi_admin):
    other_province = factories.facility("79")
    client.force_login(hanoi_admin)
    for url in (reverse("facility_detail", args=[other_province.pk]), "/khong-co-trang-nay/"):
        response = client.get(url)
        html = _page(response)
        assert response.status_code == 404
        assert _in_portal_layout(html)
        assert "<h1>Không tìm thấy trang</h1>" in html
        assert "Trang này không tồn tại" in html
        assert "matches the given query" not in html and "Facility" not in html
        assert HOME_LINK_VI in html


@pytest.mark.django_db
def test_not_found_with_a_sentence_for_people_shows_it_escaped(client, hanoi_admin):
    client.force_login(hanoi_admin)
    response = client.get("/reports/province/%3Cb%3E99/")
    html = _page(response)
    assert response.status_code == 404
    assert "Không có tỉnh/thành phố nào mang mã &lt;b&gt;99." in html
    assert "Trang này không tồn tại" not in html


# --- CSRF failure ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "visit_first,headers,expected",
    [
        (False, {}, "Trình duyệt của bạn không gửi cookie bảo mật của cổng."),
        (True, {}, "mã bảo mật của biểu mẫu không còn hiệu lực"),
        (True, {"HTTP_ORIGIN": "https://evil.example"}, "cổng không nhận ra là của mình"),
    ],
    ids=["no cookie", "stale token", "other site"],
)
def test_a_refused_form_says_what_to_do(hanoi_admin, visit_first, headers, expected):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hanoi_admin)
    if visit_first:
        client.get(reverse("delegation"))  # sets the CSRF cookie
    form_page = "http://testserver" + reverse("delegation")
    response = client.post(
        reverse("delegation"), {"action": "revoke", "grant": "1"}, HTTP_REFERER=form_page, **headers
    )
    html = _page(response)
    assert response.status_code == 403
    assert _in_portal_layout(html)
    assert "<h1>Biểu mẫu chưa được gửi</h1>" in html
    assert expected in html
    assert "CSRF" not in html and "Referer" not in html
    # Back to the form, to reload it.
    assert f'<a href="{form_page}">Quay lại trang trước</a>' in html
    assert HOME_LINK_VI in html


# --- 400 -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_too_many_ticked_rows_is_a_vietnamese_page_that_says_what_to_do(
    client, hanoi_admin, settings
):
    # A form over Django's field limit (thousands of rows ticked in a list) is a 400; the person
    # learns what to do, not "Bad Request (400)".
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    client.force_login(hanoi_admin)
    fields = {f"f{i}": "1" for i in range(10)}
    response = client.post(reverse("delegation"), fields)
    html = _page(response)
    assert response.status_code == 400
    assert _in_portal_layout(html)
    assert "<h1>Yêu cầu không được chấp nhận</h1>" in html
    assert "Hãy chọn ít dòng hơn" in html
    assert HOME_LINK_VI in html


@pytest.mark.django_db
def test_a_suspicious_request_shows_no_internal_detail(client, settings):
    # A host outside ALLOWED_HOSTS: Django's message names it; the page does not.
    response = client.get("/", HTTP_HOST="evil.example")
    html = _page(response)
    assert response.status_code == 400
    assert "evil.example" not in html
    assert "Yêu cầu không được chấp nhận" in html


# --- 500 -------------------------------------------------------------------------------------


def test_server_error_page_renders_without_database_or_request():
    # No django_db mark: any query here would fail the test.
    with translation.override("vi"):
        response = views.server_error(None)
    html = _page(response)
    assert response.status_code == 500
    assert '<html lang="vi">' in html
    assert "<h1>Lỗi máy chủ</h1>" in html and BRAND_VI in html
    assert HOME_LINK_VI in html
    with translation.override("en"):
        assert "<h1>Server error</h1>" in _page(views.server_error(None))


@pytest.mark.urls(__name__)
def test_a_failing_page_gets_the_server_error_page(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "<h1>Lỗi máy chủ</h1>" in _page(response)


# --- Lock-out --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("login_url", ["login", "admin:login"])
def test_the_lock_out_page_is_in_the_portals_layout_with_a_way_back(
    client, settings, django_user_model, login_url
):
    settings.AXES_FAILURE_LIMIT = 2
    django_user_model.objects.create_user("canbo", password="Mat-khau-du-dai-2021")
    for _attempt in range(2):
        response = client.post(reverse(login_url), {"username": "canbo", "password": "sai"})
    html = _page(response)
    assert response.status_code == 429
    assert _in_portal_layout(html)
    assert "Tạm khóa đăng nhập" in html
    assert f'<a href="{reverse("login")}">Quay lại trang đăng nhập</a>' in html


# --- Formats ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_write_vietnamese_dates_and_numbers_and_english_on_request(client, hanoi_admin):
    big = factories.facility("01", name="Khu cách ly lớn", planned_cameras=1500)
    manager = factories.facility_manager("quan_ly", big)
    FacilityUserObjectPermission.objects.filter(user=manager).update(
        id=1234, expires_on=datetime.date(2031, 7, 5)
    )
    client.force_login(hanoi_admin)

    delegation = _page(client.get(reverse("delegation")))
    assert "05/07/2031" in delegation
    # The revoke button sends the grant's id as a number a form reads, never "1.234".
    assert 'name="grant" value="1234"' in delegation
    progress = _page(client.get(reverse("reports:progress")))
    assert "1.500" in progress
    client.cookies["django_language"] = "en"
    assert "July 5, 2031" in _page(client.get(reverse("delegation")))
    assert "1,500" in _page(client.get(reverse("reports:progress")))


@pytest.mark.django_db
def test_exports_keep_raw_numbers_and_iso_dates(client, hanoi_admin):
    factories.facility("01", name="Khu cách ly lớn", planned_cameras=1500)
    client.force_login(hanoi_admin)
    response = client.get(reverse("reports:export_progress"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    hanoi = next(row for row in csv.reader(io.StringIO(body)) if row[1] == "01")
    assert hanoi[0] == timezone.localdate().isoformat()
    assert "1500" in hanoi and "1.500" not in body


def test_typed_dates_are_day_first_in_vietnamese_and_iso_is_still_read():
    field = forms.DateField()
    with translation.override("vi"):
        assert field.clean("05/07/2021") == datetime.date(2021, 7, 5)
        assert field.clean("2021-07-05") == datetime.date(2021, 7, 5)
    with translation.override("en"):
        assert field.clean("07/05/2021") == datetime.date(2021, 7, 5)


def test_changes_on_the_dashboard_are_grouped_like_the_counts():
    with translation.override("vi"):
        assert [signed(1234), signed(-1234), signed(0), signed(None)] == [
            "+1.234",
            "\u22121.234",
            "0",
            "",
        ]
    with translation.override("en"):
        assert signed(1234) == "+1,234"


@pytest.mark.django_db
def test_an_account_without_the_admin_is_refused_there_with_a_way_home(client):
    # A facility manager who opens /admin/ is not shown the admin's login form (whose only link
    # leads back to /admin/), but the portal's refusal, saying where its pages are.
    manager = factories.facility_manager("quanly", factories.facility("01"))
    client.force_login(manager)
    response = client.get("/admin/", follow=True)
    html = _page(response)
    assert response.status_code == 403
    assert _in_portal_layout(html)
    assert "Tài khoản của bạn xem các cơ sở cách ly của mình trên các trang của cổng" in html
    assert HOME_LINK_VI in html
    # Signed out, the admin's login page is still the way in.
    client.logout()
    assert client.get("/admin/login/").status_code == 200
