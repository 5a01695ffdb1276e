"""What the database keeps in English or as machine keys is shown in the reader's language:
permission names, the national officials group, a check's error kind. Also the crawl's own tools
(tests/english_ui.py): they find English on a page and leave data and machine text alone.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from cameras import probe
from cameras.choices import ErrorKind
from facilities.roles import NATIONAL_OFFICIALS_GROUP
from portal.permission_names import permission_label
from tests import english_ui, factories

PROBE_MESSAGE = "The server on this port speaks HTTP, not RTSP."


def _page(response):
    assert response.status_code == 200
    return response.content.decode()


# --- Permissions and groups ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_permission_is_named_in_the_readers_language():
    add_entry = Permission.objects.get(codename="add_logentry", content_type__app_label="auditlog")
    manage = factories.permission("manage_province")
    with translation.override("en"):
        assert permission_label(add_entry) == "Can add log entry"
        assert permission_label(manage) == "Can manage the facilities and cameras of the province"
    with translation.override("vi"):
        assert permission_label(manage) == "Được quản lý cơ sở cách ly và camera của tỉnh"
        assert permission_label(add_entry) == "Được thêm mục nhật ký"


@pytest.mark.django_db
def test_a_permission_of_a_model_that_is_gone_keeps_its_stored_name():
    gone = ContentType.objects.create(app_label="cu", model="bang_cu")
    old = Permission.objects.create(codename="add_bang_cu", name="Can add old", content_type=gone)
    assert permission_label(old) == "Can add old"


@pytest.mark.django_db
def test_the_user_admin_lists_permissions_and_groups_in_vietnamese(admin_client_vi):
    official = factories.national_official("cuc_vien_thong")
    html = _page(admin_client_vi.get(reverse("admin:auth_user_change", args=[official.pk])))
    assert "Được quản lý cơ sở cách ly và camera của tỉnh" in html
    assert "Can manage the facilities" not in html and "Can add log entry" not in html
    assert "Cán bộ cấp quốc gia" in html and NATIONAL_OFFICIALS_GROUP not in html
    # The group filter of the user list, and the group list.
    html = _page(admin_client_vi.get(reverse("admin:auth_user_changelist")))
    assert "Cán bộ cấp quốc gia" in html and NATIONAL_OFFICIALS_GROUP not in html
    html = _page(admin_client_vi.get(reverse("admin:auth_group_changelist")))
    assert "Cán bộ cấp quốc gia" in html and NATIONAL_OFFICIALS_GROUP not in html
    # English on request.
    admin_client_vi.cookies["django_language"] = "en"
    html = _page(admin_client_vi.get(reverse("admin:auth_group_changelist")))
    assert NATIONAL_OFFICIALS_GROUP in html
    assert Group.objects.filter(name=NATIONAL_OFFICIALS_GROUP).exists()


# --- A check's error ------------------------------------------------------------------------


def test_every_error_kind_of_a_check_has_a_name():
    # The probe's kinds, and "denied": the address was refused before probing.
    assert set(ErrorKind.values) == {*probe.ERROR_KINDS, "denied"}


@pytest.mark.django_db
def test_the_camera_page_names_the_error_kind_never_the_probes_english(admin_client_vi):
    camera = factories.camera(last_error_kind="invalid", last_error_message=PROBE_MESSAGE)
    html = _page(admin_client_vi.get(reverse("admin:cameras_camera_change", args=[camera.pk])))
    assert "Không đọc được luồng RTSP" in html
    assert PROBE_MESSAGE not in html and "speaks HTTP" not in html


# --- Third-party admin pages -----------------------------------------------------------------


@pytest.mark.django_db
def test_task_pages_nobody_adds_to_by_hand_refuse_superusers_too(admin_client_vi):
    for model in ("success", "failure", "ormq"):
        response = admin_client_vi.get(reverse(f"admin:django_q_{model}_add"))
        assert response.status_code == 403, model


# --- The crawl's tools ---------------------------------------------------------------------


def test_the_crawl_finds_english_in_what_a_page_shows_and_only_there():
    finder = english_ui.EnglishFinder(
        msgids=["Please correct the error below.", "Show counts", "Change %s", "No", "Email"],
        translations={"Email": "Email", "Show counts": "Hiện số lượng"},
        allowlist=["RTSP"],
    )
    page = (
        '<p>Vui lòng sửa lỗi. Please correct the error below.</p><input type="submit" '
        'value="Show counts"><a title="Change camera">x</a><script>"Change it"</script>'
        "<code>Change x</code><p>No Email Changes</p>"
    )
    assert finder.find(english_ui.visible_text(page)) == {
        "Please correct the error below.",
        "Show counts",
        "Change",
    }
