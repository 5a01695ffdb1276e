"""Delegated access as a permission matrix: each account against each path, asserting what it
sees and what is left in the database (STYLE.md, "Tests that read as a permission matrix")."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cameras.models import Camera
from facilities.grants import FacilityUserObjectPermission, ProvinceUserObjectPermission
from facilities.models import Facility, Province
from tests import factories

pytestmark = pytest.mark.django_db

CAST = [
    "anonymous",
    "no_grant",
    "other_admin",
    "this_admin",
    "operator",
    "viewer",
    "facility_manager",
    "national_official",
    "superuser",
]


class World:
    """Hà Nội (01) with two facilities, Hồ Chí Minh (79) with one; a camera in each."""

    def __init__(self, django_user_model):
        self.f1 = factories.facility("01", name="Khu cách ly Pháp Vân")
        self.f3 = factories.facility("01", name="Khu cách ly Mê Linh")
        self.f2 = factories.facility("79", name="Khu cách ly Thủ Đức")
        self.c1 = factories.camera(self.f1, name="HN cổng", password="Canary-HN-1")
        self.c3 = factories.camera(self.f3, name="HN sân")
        self.c2 = factories.camera(self.f2, name="HCM cổng")
        self.users = {
            "anonymous": None,
            "no_grant": django_user_model.objects.create_user(
                "no_grant", password="x", is_staff=True
            ),
            "other_admin": factories.province_user("other_admin", "79", "manage_province"),
            "this_admin": factories.province_user("this_admin", "01", "manage_province"),
            "operator": factories.province_user("operator", "01", "connect_province"),
            "viewer": factories.province_user("viewer", "01", "view_province"),
            "facility_manager": factories.facility_manager("facility_manager", self.f1),
            "national_official": factories.national_official("national_official", is_staff=True),
            "superuser": django_user_model.objects.create_superuser("boss", "", "x"),
        }

    def client_for(self, client, who):
        if self.users[who] is not None:
            client.force_login(self.users[who])
        return client


@pytest.fixture
def world(django_user_model):
    return World(django_user_model)


def _visible_names(response):
    if response.status_code != 200 or "cl" not in (response.context or {}):
        return None
    return sorted(obj.name for obj in response.context["cl"].result_list)


# --- Lists -----------------------------------------------------------------------------------

CAMERA_LIST = {
    "anonymous": None,
    "no_grant": None,
    "other_admin": ["HCM cổng"],
    "this_admin": ["HN cổng", "HN sân"],
    "operator": ["HN cổng", "HN sân"],
    "viewer": ["HN cổng", "HN sân"],
    "facility_manager": None,
    "national_official": ["HCM cổng", "HN cổng", "HN sân"],
    "superuser": ["HCM cổng", "HN cổng", "HN sân"],
}


@pytest.mark.parametrize("who", CAST)
def test_camera_changelist_shows_only_the_scope(who, world, client):
    response = world.client_for(client, who).get(reverse("admin:cameras_camera_changelist"))
    assert _visible_names(response) == CAMERA_LIST[who]
    if CAMERA_LIST[who] is None:
        assert response.status_code in (302, 403)


@pytest.mark.parametrize("who", CAST)
def test_facility_changelist_shows_only_the_scope(who, world, client):
    response = world.client_for(client, who).get(reverse("admin:facilities_facility_changelist"))
    expected = {
        "other_admin": ["Khu cách ly Thủ Đức"],
        "this_admin": ["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân"],
        "operator": ["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân"],
        "viewer": ["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân"],
        "national_official": ["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân", "Khu cách ly Thủ Đức"],
        "superuser": ["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân", "Khu cách ly Thủ Đức"],
    }.get(who)
    assert _visible_names(response) == expected


@pytest.mark.parametrize("who", CAST)
def test_admin_index_lists_apps_only_to_scoped_staff(who, world, client):
    response = world.client_for(client, who).get(reverse("admin:index"))
    if who in ("anonymous", "facility_manager"):
        assert response.status_code == 302 and "/login/" in response["Location"]
        return
    models = {
        m["object_name"] for app in response.context["app_list"] for m in app["models"]
    }
    if who == "no_grant":
        assert models == set()
    else:
        assert {"Camera", "Facility", "Province"} <= models
    # Users and groups stay with national administrators.
    assert ("User" in models) == (who == "superuser")


# --- Object pages ----------------------------------------------------------------------------

READ_C1 = {"this_admin", "operator", "viewer", "national_official", "superuser"}
CHANGE_C1 = {"this_admin", "superuser"}


@pytest.mark.parametrize("who", CAST)
def test_camera_change_page_by_id(who, world, client):
    c = world.client_for(client, who)
    for camera, readers in [(world.c1, READ_C1), (world.c2, {"other_admin", "national_official",
                                                            "superuser"})]:
        response = c.get(reverse("admin:cameras_camera_change", args=[camera.pk]))
        if who in readers:
            assert response.status_code == 200
            assert camera.name in response.content.decode()
            assert "Canary-HN-1" not in response.content.decode()
        else:
            assert response.status_code in (302, 403)
            assert camera.name not in response.content.decode()


def _renaming_c1(world):
    """The camera form of c1 as opened while it was registered, with a new name."""
    return {
        "facility": world.f1.pk,
        "name": "Renamed",
        "zone": "gate",
        "stream_url": world.c1.stream_url,
        "username": "",
        "password": "",
        "connection_status": "registered",
        "status_reason": "",
        "check_enabled": "on",
    }


@pytest.mark.parametrize("who", CAST)
def test_rename_camera_by_post(who, world, client):
    c = world.client_for(client, who)
    c.post(reverse("admin:cameras_camera_change", args=[world.c1.pk]), _renaming_c1(world))
    world.c1.refresh_from_db()
    assert (world.c1.name == "Renamed") == (who in CHANGE_C1)
    assert world.c1.password == "Canary-HN-1"


@pytest.mark.parametrize("who", CAST)
def test_delete_and_history_pages(who, world, client):
    c = world.client_for(client, who)
    c.post(reverse("admin:cameras_camera_delete", args=[world.c1.pk]), {"post": "yes"})
    assert Camera.objects.filter(pk=world.c1.pk).exists() == (who != "superuser")
    history = c.get(reverse("admin:cameras_camera_history", args=[world.c2.pk]))
    assert (history.status_code == 200) == (who in {"other_admin", "national_official",
                                                     "superuser"})


@pytest.mark.parametrize("who", ["this_admin", "other_admin", "operator"])
def test_add_camera_to_another_provinces_facility_is_refused(who, world, client):
    c = world.client_for(client, who)
    response = c.post(
        reverse("admin:cameras_camera_add"),
        {
            "facility": world.f2.pk if who != "other_admin" else world.f1.pk,
            "name": "Intruder",
            "zone": "gate",
            "stream_url": "rtsp://10.1.1.1/s",
            "connection_status": "registered",
        },
    )
    assert not Camera.objects.filter(name="Intruder").exists()
    if who == "operator":
        assert response.status_code == 403
    else:
        errors = response.context["adminform"].form.errors
        assert "facility" in errors


def test_province_admin_adds_a_camera_to_its_own_facility(world, client):
    c = world.client_for(client, "this_admin")
    response = c.post(
        reverse("admin:cameras_camera_add"),
        {
            "facility": world.f1.pk,
            "name": "Cam mới",
            "zone": "yard",
            "stream_url": "rtsp://10.1.1.1/s",
            "connection_status": "registered",
            "check_enabled": "on",
        },
    )
    assert response.status_code == 302
    assert Camera.objects.get(name="Cam mới").facility == world.f1


def test_moving_a_camera_to_another_province_is_refused(world, client):
    c = world.client_for(client, "this_admin")
    response = c.post(
        reverse("admin:cameras_camera_change", args=[world.c1.pk]),
        {
            "facility": world.f2.pk,
            "name": world.c1.name,
            "zone": "gate",
            "stream_url": world.c1.stream_url,
            "connection_status": "registered",
            "check_enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "facility" in response.context["adminform"].form.errors
    world.c1.refresh_from_db()
    assert world.c1.facility == world.f1


def test_facility_cannot_be_added_to_another_province(world, client):
    c = world.client_for(client, "this_admin")
    c.post(
        reverse("admin:facilities_facility_add"),
        {"province": Province.objects.get(code="79").pk, "name": "Khu lạ", "kind": "civil",
         "status": "preparing", "planned_cameras": 1},
    )
    assert not Facility.objects.filter(name="Khu lạ").exists()
    c.post(
        reverse("admin:facilities_facility_add"),
        {"province": Province.objects.get(code="01").pk, "name": "Khu mới", "kind": "civil",
         "status": "preparing", "planned_cameras": 1},
    )
    assert Facility.objects.get(name="Khu mới").province.code == "01"


AUTOCOMPLETE = {
    "anonymous": None,
    "no_grant": None,
    "other_admin": ["Khu cách ly Thủ Đức"],
    "this_admin": ["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân"],
    # Operators and viewers cannot choose a facility for a camera at all.
    "operator": [],
    "viewer": [],
    "facility_manager": None,
    "national_official": [],
    "superuser": ["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân", "Khu cách ly Thủ Đức"],
}


@pytest.mark.parametrize("who", CAST)
def test_facility_autocomplete_offers_only_choosable_facilities(who, world, client):
    response = world.client_for(client, who).get(
        reverse("admin:autocomplete"),
        {"term": "Khu", "app_label": "cameras", "model_name": "camera", "field_name": "facility"},
    )
    if AUTOCOMPLETE[who] is None:
        assert response.status_code in (302, 403)
    else:
        assert sorted(r["text"] for r in response.json()["results"]) == AUTOCOMPLETE[who]


@pytest.mark.parametrize("who", CAST)
def test_decommission_action_changes_only_own_cameras(who, world, client):
    c = world.client_for(client, who)
    c.post(
        reverse("admin:cameras_camera_changelist"),
        {"action": "decommission_selected", "_selected_action": [world.c1.pk, world.c2.pk],
         "reason": "Khu cách ly đóng cửa", "apply": "1"},
    )
    statuses = dict(Camera.objects.values_list("name", "connection_status"))
    assert (statuses["HN cổng"] == "decommissioned") == (who in CHANGE_C1)
    assert (statuses["HCM cổng"] == "decommissioned") == (who in {"other_admin", "superuser"})


# --- Operator engineers ----------------------------------------------------------------------


def test_operator_edits_only_connection_fields(world, client):
    world.c1 = factories.passed_check(world.c1)
    c = world.client_for(client, "operator")
    page = c.get(reverse("admin:cameras_camera_change", args=[world.c1.pk]))
    form = page.context["adminform"].form
    assert set(form.fields) <= {"connection_status", "status_reason", "clear_password"}
    assert "connection_status" in form.fields
    assert 'name="password"' not in page.content.decode()
    c.post(
        reverse("admin:cameras_camera_change", args=[world.c1.pk]),
        {"connection_status": "connected", "status_reason": "", "name": "Hacked",
         "stream_url": "rtsp://10.9.9.9/x"},
    )
    world.c1.refresh_from_db()
    assert world.c1.connection_status == "connected"
    assert world.c1.connected_by == world.users["operator"]
    assert world.c1.name == "HN cổng" and "10.9.9.9" not in world.c1.stream_url


def test_operator_cannot_decommission(world, client):
    c = world.client_for(client, "operator")
    c.post(
        reverse("admin:cameras_camera_change", args=[world.c1.pk]),
        {"connection_status": "decommissioned", "status_reason": ""},
    )
    world.c1.refresh_from_db()
    assert world.c1.connection_status == "registered"


# --- Delegation ------------------------------------------------------------------------------


def _grant(c, username, facility, **extra):
    return c.post(
        reverse("delegation"),
        {"action": "grant", "grant-username": username, "grant-facility": facility.pk, **extra},
    )


@pytest.mark.parametrize("who", CAST)
def test_delegation_page_is_for_province_admins_and_national_admins(who, world, client):
    response = world.client_for(client, who).get(reverse("delegation"))
    if who in ("this_admin", "other_admin", "superuser"):
        assert response.status_code == 200
    elif who == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == 403


def test_province_admin_grants_and_revokes_a_facility_manager(world, client, django_user_model):
    fm = django_user_model.objects.create_user("fm2", password="x")
    c = world.client_for(client, "this_admin")
    end = timezone.localdate() + datetime.timedelta(days=30)
    response = _grant(c, "fm2", world.f3, **{"grant-expires_on": end.isoformat()})
    assert response.status_code == 302
    grant = FacilityUserObjectPermission.objects.get(user=fm)
    assert (grant.content_object, grant.expires_on, grant.granted_by) == (
        world.f3, end, world.users["this_admin"])
    assert list(Facility.objects.restrict(fm, "view")) == [world.f3]
    c.post(reverse("delegation"), {"action": "revoke", "grant": grant.pk})
    assert not FacilityUserObjectPermission.objects.filter(user=fm).exists()


def test_province_admin_cannot_grant_on_another_province_or_to_itself_or_to_staff(
    world, client
):
    c = world.client_for(client, "this_admin")
    before = FacilityUserObjectPermission.objects.count()
    _grant(c, "facility_manager", world.f2)  # another province's facility
    _grant(c, "this_admin", world.f1)  # itself
    _grant(c, "viewer", world.f1)  # a staff account
    c.post(
        reverse("delegation"),
        {"action": "grant_province", "province-username": "facility_manager",
         "province-province": Province.objects.get(code="01").pk,
         "province-role": "manage_province"},
    )
    assert FacilityUserObjectPermission.objects.count() == before
    assert not ProvinceUserObjectPermission.objects.filter(
        user=world.users["facility_manager"]).exists()
    assert not world.users["facility_manager"].__class__.objects.get(
        username="facility_manager").is_staff


def test_the_grant_form_does_not_tell_which_staff_accounts_exist(world, client):
    c = world.client_for(client, "this_admin")
    c.cookies["django_language"] = "en"
    answers = [
        _grant(c, name, world.f1).context["forms"]["grant"].errors["username"]
        for name in ("viewer", "no-such-account", "superuser", "boss")
    ]
    assert all(answer == answers[0] for answer in answers)
    assert "No ordinary (non-staff) account other than yours" in answers[0][0]


def test_province_admin_cannot_revoke_another_provinces_grant(world, client, django_user_model):
    fm = django_user_model.objects.create_user("fm_hcm", password="x")
    grant = factories.grant_facility(fm, world.f2)
    world.client_for(client, "this_admin").post(
        reverse("delegation"), {"action": "revoke", "grant": grant.pk}
    )
    assert FacilityUserObjectPermission.objects.filter(pk=grant.pk).exists()


def test_province_admin_creates_an_ordinary_facility_manager_account(world, client):
    c = world.client_for(client, "this_admin")
    c.post(
        reverse("delegation"),
        {
            "action": "create",
            "create-username": "bqt_phapvan",
            "create-password1": "Rat-kho-doan-99",
            "create-password2": "Rat-kho-doan-99",
            "create-facility": world.f1.pk,
            "create-is_staff": "on",
            "create-is_superuser": "on",
        },
    )
    account = world.users["this_admin"].__class__.objects.get(username="bqt_phapvan")
    assert not account.is_staff and not account.is_superuser
    assert account.check_password("Rat-kho-doan-99")
    assert list(Facility.objects.restrict(account, "view")) == [world.f1]


def test_weak_password_for_a_new_account_is_refused(world, client):
    c = world.client_for(client, "this_admin")
    response = c.post(
        reverse("delegation"),
        {"action": "create", "create-username": "weak", "create-password1": "123",
         "create-password2": "123", "create-facility": world.f1.pk},
    )
    assert response.status_code == 200
    assert not world.users["this_admin"].__class__.objects.filter(username="weak").exists()


def test_expired_grant_stops_working(world, django_user_model):
    fm = django_user_model.objects.create_user("late", password="x")
    factories.grant_facility(
        fm, world.f1, expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert not Facility.objects.restrict(fm, "view").exists()


def test_national_admin_grants_a_province_role(world, client, django_user_model):
    engineer = django_user_model.objects.create_user("vnpt_eng", password="x")
    world.client_for(client, "superuser").post(
        reverse("delegation"),
        {"action": "grant_province", "province-username": "vnpt_eng",
         "province-province": Province.objects.get(code="79").pk,
         "province-role": "connect_province"},
    )
    engineer.refresh_from_db()
    assert engineer.is_staff
    assert list(Camera.objects.restrict(engineer, "connect")) == [world.c2]
    assert not Camera.objects.restrict(engineer, "change").exists()


def test_global_model_permission_opens_nothing(world, django_user_model):
    """A model-wide change_camera given by mistake does not widen the scope."""
    u = django_user_model.objects.create_user("stray", password="x", is_staff=True)
    u.user_permissions.add(Permission.objects.get(codename="change_camera"))
    assert not Camera.objects.restrict(u, "change").exists()
    assert not Camera.objects.restrict(u, "view").exists()


def test_guardian_object_permission_pages_are_not_reachable(world, client):
    c = world.client_for(client, "this_admin")
    for url in [
        f"/admin/cameras/camera/{world.c1.pk}/permissions/",
        f"/admin/facilities/facility/{world.f1.pk}/permissions/",
    ]:
        assert c.get(url).status_code in (302, 404)


# --- Read-only pages -------------------------------------------------------------------------


@pytest.mark.parametrize("who", CAST)
def test_facility_pages(who, world, client):
    c = world.client_for(client, who)
    readers_f1 = {"facility_manager", "this_admin", "operator", "viewer", "national_official",
                  "superuser"}
    response = c.get(reverse("facility_detail", args=[world.f1.pk]))
    if who == "anonymous":
        assert response.status_code == 302
    elif who in readers_f1:
        body = response.content.decode()
        assert response.status_code == 200 and "HN cổng" in body
        assert "Canary-HN-1" not in body and "rtsp://" not in body
        assert "<form" not in body.split("</header>")[1]  # no edit controls
    else:
        assert response.status_code == 404
    other = c.get(reverse("facility_detail", args=[world.f3.pk]))
    if who == "facility_manager":
        assert other.status_code == 404


def test_my_facilities_lists_only_granted_facilities(world, client):
    page = world.client_for(client, "facility_manager").get(reverse("my_facilities"))
    assert [f.name for f in page.context["facilities"]] == ["Khu cách ly Pháp Vân"]
    assert "Khu cách ly Mê Linh" not in page.content.decode()


@pytest.mark.parametrize(
    "who,target",
    [
        ("facility_manager", "/facilities/"),
        ("this_admin", "/admin/"),
        ("viewer", "/admin/"),
        # Officials read the national report; the admin index is one click further from it.
        ("national_official", "/reports/"),
        ("superuser", "/admin/"),
        ("no_grant", None),
    ],
)
def test_landing_page_sends_each_account_where_it_belongs(who, target, world, client):
    response = world.client_for(client, who).get("/")
    if target:
        assert response.status_code == 302 and response["Location"].startswith(target)
    else:
        assert response.status_code == 200


@override_settings(SNAPSHOT_FACILITY_MANAGERS=False)
def test_login_page_logs_in_a_facility_manager(world, client):
    response = client.post(reverse("login"), {"username": "facility_manager", "password": "x"})
    assert response.status_code == 302
    assert client.get("/", follow=True).request["PATH_INFO"] == "/facilities/"


# --- Query counts ----------------------------------------------------------------------------


def test_province_admin_camera_list_queries_constant_and_not_above_superuser(
    world, client, django_assert_max_num_queries
):
    url = reverse("admin:cameras_camera_changelist")

    def measure(who):
        c = world.client_for(client, who)
        with django_assert_max_num_queries(30) as ctx:
            assert c.get(url).status_code == 200
        client.logout()
        return len(ctx.captured_queries)

    small_admin, small_super = measure("this_admin"), measure("superuser")
    for _ in range(10):
        f = factories.facility("01")
        for _ in range(4):
            factories.camera(f)
    large_admin, large_super = measure("this_admin"), measure("superuser")
    assert small_admin == large_admin
    assert small_super == large_super
    # One query reads the account's grants (once per request, whatever the page asks); the list,
    # counts and filters are the same queries as the superuser's, with the scope as subqueries.
    assert large_admin <= large_super + 1
    print(f"camera changelist queries: province admin {large_admin}, superuser {large_super}")


def test_province_filter_offers_only_the_provinces_in_scope(world, client):
    factories.grant_province(world.users["this_admin"], "48", "manage_province")
    response = world.client_for(client, "this_admin").get(
        reverse("admin:cameras_camera_changelist")
    )
    province_filter = next(
        f for f in response.context["cl"].filter_specs if f.field_path == "facility__province"
    )
    codes = sorted(label.split()[0] for _pk, label in province_filter.lookup_choices)
    assert codes == ["01", "48"]
    # One province in scope: no province filter to offer at all.
    client.logout()
    response = world.client_for(client, "other_admin").get(
        reverse("admin:cameras_camera_changelist")
    )
    paths = [f.field_path for f in response.context["cl"].filter_specs if hasattr(f, "field_path")]
    assert "facility__province" not in paths


def test_a_status_moved_by_the_checks_while_editing_is_explained_not_refused_in_raw_words(
    world, client
):
    # The form was opened while the camera was registered; the checks made it eligible before
    # the person saved.
    c = world.client_for(client, "superuser")
    Camera.objects.filter(pk=world.c1.pk).update(connection_status="eligible")
    response = c.post(
        reverse("admin:cameras_camera_change", args=[world.c1.pk]), _renaming_c1(world)
    )
    assert response.status_code == 200  # the form again, nothing saved
    world.c1.refresh_from_db()
    assert world.c1.name != "Renamed"
    errors = response.context["adminform"].form.errors["connection_status"]
    assert errors == [
        "Trạng thái kết nối đã chuyển thành “Đủ điều kiện” trong lúc bạn sửa (do kiểm tra tự "
        "động hoặc người khác). Hãy chọn lại trạng thái rồi lưu."
    ]
