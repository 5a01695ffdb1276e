"""The registry foundation: provinces, facilities and cameras, their rules and their admin."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation

from cameras.choices import Zone
from cameras.forms import CameraForm
from cameras.models import Camera
from facilities.models import Facility, Province
from tests import factories

pytestmark = pytest.mark.django_db


# --- Provinces -------------------------------------------------------------------------------


def test_the_63_provinces_of_2021_are_loaded_by_migrate():
    assert Province.objects.count() == 63
    hanoi = Province.objects.get(code="01")
    assert (hanoi.name, hanoi.name_en, hanoi.region, hanoi.operator) == (
        "Hà Nội",
        "Ha Noi",
        "north",
        "viettel",
    )
    hcm = Province.objects.get(code="79")
    assert (hcm.name, hcm.region, hcm.operator) == ("Hồ Chí Minh", "south", "vnpt")
    # The letter's split: Viettel north, VNPT from Da Nang southward.
    assert Province.objects.get(code="48").operator == "vnpt"
    assert Province.objects.get(code="46").operator == "viettel"  # Thừa Thiên Huế, north of it


def test_province_list_matches_the_reference_file_row_for_row():
    from facilities.provinces import read_provinces

    expected = {row["code"]: row for row in read_provinces()}
    stored = {p.code: p for p in Province.objects.all()}
    assert set(stored) == set(expected)
    for code, row in expected.items():
        assert stored[code].name == row["name"]
        assert stored[code].operator == row["operator"]
        assert stored[code].region == row["region"]


# --- Facilities ------------------------------------------------------------------------------


def test_duplicate_facility_name_in_a_province_is_refused_with_a_clear_message():
    factories.facility("01", name="Khu cách ly Pháp Vân")
    duplicate = Facility(province=factories.province("01"), name="Khu cách ly Pháp Vân")
    with translation.override("en"), pytest.raises(ValidationError) as err:
        duplicate.full_clean()
    assert "This province already has a facility with this name." in err.value.messages
    assert Facility.objects.filter(name="Khu cách ly Pháp Vân").count() == 1


def test_same_facility_name_is_allowed_in_another_province():
    factories.facility("01", name="Khu cách ly Ký túc xá")
    other = Facility(province=factories.province("79"), name="Khu cách ly Ký túc xá")
    other.full_clean()


@pytest.mark.parametrize(
    "field,value",
    [("focal_email", "not-an-email"), ("focal_phone", "abc"), ("focal_phone", "12")],
)
def test_bad_focal_person_contact_is_refused(field, value):
    facility = Facility(province=factories.province("01"), name="Khu A", **{field: value})
    with pytest.raises(ValidationError) as err:
        facility.full_clean()
    assert field in err.value.message_dict


def test_good_vietnamese_phone_numbers_are_accepted():
    for phone in ["0912345678", "0912 345 678", "+84 912 345 678", "024.3822.1234"]:
        Facility(province=factories.province("01"), name="Khu B", focal_phone=phone).full_clean()


# --- Stream addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,message",
    [
        ("http://10.0.0.5/stream", "rtsp://"),
        ("10.0.0.5:554/stream", "rtsp://"),
        ("rtsp:///stream1", "host"),
        ("rtsp://admin:secret@10.0.0.5/stream1", "user name and password fields"),
        ("rtsp://admin@10.0.0.5/stream1", "user name and password fields"),
        ("rtsp://10.0.0.5:99999/stream1", "port"),
        ("rtsp://10.0.0.5/my stream", "spaces"),
    ],
)
def test_each_bad_stream_address_gets_its_own_error_and_nothing_is_saved(
    url, message, settings, admin_client_vi
):
    facility = factories.facility("01")
    data = {
        "facility": facility.pk,
        "name": "Cổng chính",
        "zone": Zone.GATE,
        "stream_url": url,
        "connection_status": "registered",
        "check_enabled": "on",
    }
    # English so the assertion reads the rule; the Vietnamese text is checked below.
    admin_client_vi.cookies["django_language"] = "en"
    response = admin_client_vi.post(reverse("admin:cameras_camera_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["stream_url"]
    assert any(message in e for e in errors), errors
    assert not Camera.objects.exists()


def test_stream_address_errors_are_translated_into_vietnamese():
    form = CameraForm(data={"stream_url": "http://10.0.0.5/"})
    form.is_valid()
    from django.utils import translation

    with translation.override("vi"):
        text = " ".join(str(e) for e in form.errors["stream_url"])
    assert "rtsp://" in text and "phải" in text


@pytest.mark.parametrize("url", ["rtsp://10.0.0.5:554/stream1", "rtsps://cam.example.vn/live"])
def test_good_stream_addresses_are_accepted(url):
    camera = Camera(facility=factories.facility(), name="C1", zone=Zone.YARD, stream_url=url)
    camera.full_clean()


# --- Credentials -----------------------------------------------------------------------------

CANARY = "Canary-Pw-7f3a91"


def _raw_row(camera):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT username, password FROM cameras_camera WHERE id = %s", [camera.pk]
        )
        return cursor.fetchone()


def test_the_database_never_holds_the_password_in_clear():
    camera = factories.camera(username="operator", password=CANARY)
    raw_username, raw_password = _raw_row(camera)
    assert CANARY not in raw_password and raw_password.startswith("fernet:")
    assert "operator" not in raw_username
    assert Camera.objects.get(pk=camera.pk).password == CANARY


def test_the_admin_change_page_never_shows_the_password(admin_client_vi):
    camera = factories.camera(password=CANARY)
    page = admin_client_vi.get(reverse("admin:cameras_camera_change", args=[camera.pk]))
    assert page.status_code == 200
    assert CANARY not in page.content.decode()
    assert _raw_row(camera)[1] not in page.content.decode()


def _change_data(camera, **overrides):
    data = {
        "facility": camera.facility_id,
        "name": camera.name,
        "zone": camera.zone,
        "stream_url": camera.stream_url,
        "username": camera.username,
        "password": "",
        "connection_status": camera.connection_status,
        "status_reason": "",
        "check_enabled": "on",
    }
    data.update(overrides)
    return data


def test_saving_with_an_empty_password_keeps_the_old_one(admin_client_vi):
    camera = factories.camera(password=CANARY)
    url = reverse("admin:cameras_camera_change", args=[camera.pk])
    response = admin_client_vi.post(url, _change_data(camera, name="Renamed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    camera.refresh_from_db()
    assert camera.name == "Renamed"
    assert camera.password == CANARY


def test_a_new_password_replaces_the_old_and_clearing_removes_it(admin_client_vi):
    camera = factories.camera(password=CANARY)
    url = reverse("admin:cameras_camera_change", args=[camera.pk])
    admin_client_vi.post(url, _change_data(camera, password="New-Pw-123"))
    camera.refresh_from_db()
    assert camera.password == "New-Pw-123"
    admin_client_vi.post(url, _change_data(camera, clear_password="on"))
    camera.refresh_from_db()
    assert camera.password == ""


def test_marking_connected_in_the_admin_records_who_and_when(admin_client_vi, superuser):
    camera = factories.passed_check(factories.camera())
    url = reverse("admin:cameras_camera_change", args=[camera.pk])
    admin_client_vi.post(url, _change_data(camera, connection_status="connected"))
    camera.refresh_from_db()
    assert camera.connection_status == "connected"
    assert camera.connected_by == superuser
    assert camera.connected_at is not None and camera.status_changed_at is not None


# --- Admin lists -----------------------------------------------------------------------------


def _populate(n_facilities, cameras_each):
    for i in range(n_facilities):
        facility = factories.facility(["01", "48", "79"][i % 3])
        for _ in range(cameras_each):
            factories.camera(facility)


@pytest.mark.parametrize(
    "url_name", ["admin:cameras_camera_changelist", "admin:facilities_facility_changelist",
                 "admin:facilities_province_changelist"]
)
def test_admin_list_query_count_does_not_grow_with_rows(
    url_name, admin_client_vi, django_assert_max_num_queries
):
    url = reverse(url_name)
    _populate(2, 2)
    with django_assert_max_num_queries(12) as small:
        assert admin_client_vi.get(url).status_code == 200
    _populate(20, 3)
    with django_assert_max_num_queries(12) as large:
        page = admin_client_vi.get(url)
    assert page.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_admin_lists_show_annotated_counts_and_badges(admin_client_vi):
    facility = factories.facility("48", name="Khu cách ly Hòa Vang")
    factories.camera(facility, connection_status="connected", health="online")
    factories.camera(facility, connection_status="ineligible", health="offline")
    page = admin_client_vi.get(reverse("admin:facilities_facility_changelist")).content.decode()
    assert "Khu cách ly Hòa Vang" in page
    provinces = admin_client_vi.get(reverse("admin:facilities_province_changelist"))
    row = next(p for p in provinces.context["cl"].result_list if p.code == "48")
    assert (row.facility_total, row.camera_total, row.connected_total) == (1, 2, 1)
    cameras = admin_client_vi.get(reverse("admin:cameras_camera_changelist")).content.decode()
    assert 'class="badge badge-green"' in cameras and 'class="badge badge-red"' in cameras


def test_admin_filters_by_region_operator_and_status(admin_client_vi):
    factories.camera(factories.facility("01"), name="North cam")
    factories.camera(factories.facility("79"), name="South cam")
    url = reverse("admin:cameras_camera_changelist")
    page = admin_client_vi.get(url, {"facility__province__operator": "vnpt"})
    names = [c.name for c in page.context["cl"].result_list]
    assert names == ["South cam"]


def test_camera_facility_autocomplete_finds_facilities(admin_client_vi):
    factories.facility("01", name="Khu cách ly Pháp Vân")
    response = admin_client_vi.get(
        reverse("admin:autocomplete"),
        {"term": "Pháp", "app_label": "cameras", "model_name": "camera", "field_name": "facility"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Khu cách ly Pháp Vân"]


def test_admin_speaks_vietnamese_by_default_and_english_on_request(admin_client_vi):
    page = admin_client_vi.get(reverse("admin:cameras_camera_changelist")).content.decode()
    assert 'lang="vi"' in page and "trạng thái kết nối" in page.lower()
    admin_client_vi.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    page = admin_client_vi.get(reverse("admin:cameras_camera_changelist")).content.decode()
    assert 'lang="en"' in page and "connection status" in page.lower()


def test_login_page_offers_the_language_switch(client):
    page = client.get(reverse("admin:login")).content.decode()
    assert 'name="language"' in page and "English" in page


# --- Embedded database -----------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite-only setting")
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 20000


def test_vietnamese_first_even_when_the_browser_asks_for_english(admin_client_vi):
    """Browsers here mostly send en-US; only the language menu switches the portal to English."""
    page = admin_client_vi.get(
        reverse("admin:cameras_camera_changelist"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    )
    assert 'lang="vi"' in page.content.decode()


def test_the_admin_never_shows_the_stream_user_name_and_keeps_it(admin_client_vi):
    camera = factories.camera(username="cam-operator-7", password=CANARY)
    url = reverse("admin:cameras_camera_change", args=[camera.pk])
    page = admin_client_vi.get(url).content.decode()
    assert "cam-operator-7" not in page
    response = admin_client_vi.post(url, _change_data(camera, username="", name="Renamed"))
    assert response.status_code == 302
    camera.refresh_from_db()
    assert (camera.name, camera.username, camera.password) == ("Renamed", "cam-operator-7", CANARY)
