"""Facility pages (issue 12): the facility admin page lists its cameras and offers to add one,
registered cameras against planned ones, the facility manager's summary, and the province's
contact person, which the province's own admins keep up to date."""

import datetime
import re

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone, translation

from facilities.models import Province
from reports import facility_summary
from tests import factories

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _english(client):
    """The pages in English: the new strings' Vietnamese reaches the catalog when the branch's
    translations are merged (the crawl test checks that every page is Vietnamese)."""
    client.cookies["django_language"] = "en"
    return client


def _facility_change(facility):
    return reverse("admin:facilities_facility_change", args=[facility.pk])


def _add_camera_url(facility):
    return f"{reverse('admin:cameras_camera_add')}?facility={facility.pk}"


@pytest.fixture
def hanoi():
    """A Hà Nội facility planning 4 cameras, with 3: one connected and online, one offline,
    one never checked; and a decommissioned one, which does not count."""
    facility = factories.facility("01", name="Khu cách ly Pháp Vân", planned_cameras=4)
    checked = timezone.make_aware(datetime.datetime(2021, 6, 1, 9, 30))
    factories.camera(
        facility, name="Cổng chính", connection_status="connected", health="online",
        last_checked_at=checked - datetime.timedelta(minutes=5),
    )
    factories.camera(
        facility, name="Sân sau", connection_status="eligible", health="offline",
        last_checked_at=checked,
    )
    factories.camera(facility, name="Hành lang tầng 2")
    factories.camera(
        facility, name="Camera cũ", connection_status="decommissioned", health="offline",
        status_reason="Đã tháo",
    )
    return facility


# --- The facility admin page: its cameras ----------------------------------------------------


def test_facility_admin_page_lists_its_cameras_with_status_health_and_links(
    admin_client_vi, hanoi
):
    page = admin_client_vi.get(_facility_change(hanoi))
    assert page.status_code == 200
    body = page.content.decode()
    table = body.split('class="facility-camera-list"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    names = [re.search(r'<a href="[^"]+">([^<]+)</a>', row).group(1) for row in rows]
    assert names == ["Camera cũ", "Cổng chính", "Hành lang tầng 2", "Sân sau"]
    gate = next(row for row in rows if "Cổng chính" in row)
    camera = hanoi.cameras.get(name="Cổng chính")
    assert reverse("admin:cameras_camera_change", args=[camera.pk]) in gate
    # Connected (green) and online (green), in Vietnamese, with the last check's time.
    assert gate.count("badge-green") == 2 and "Đã kết nối" in gate
    assert "01/06/2021" in gate
    backyard = next(row for row in rows if "Sân sau" in row)
    assert "badge-red" in backyard
    # The reason a camera is not connected is shown beside its status.
    assert "Đã tháo" in next(row for row in rows if "Camera cũ" in row)


def test_facility_admin_page_says_registered_against_planned_and_flags_the_difference(
    admin_client_vi, hanoi
):
    body = _english(admin_client_vi).get(_facility_change(hanoi)).content.decode()
    # The decommissioned camera does not count: 3 registered of the 4 planned.
    assert "Registered 3 / planned 4" in body
    assert 'class="badge badge-amber">Fewer cameras registered than planned<' in body


ADD_LINK = {
    "this_admin": True,
    "superuser": True,
    "operator": False,
    "viewer": False,
    "national_official": False,
}


@pytest.mark.parametrize("who", sorted(ADD_LINK))
def test_add_a_camera_link_is_offered_only_to_those_who_may_add_one_here(
    who, client, django_user_model, hanoi
):
    users = {
        "this_admin": lambda: factories.province_user("this_admin", "01", "manage_province"),
        "operator": lambda: factories.province_user("operator", "01", "connect_province"),
        "viewer": lambda: factories.province_user("viewer", "01", "view_province"),
        "national_official": lambda: factories.national_official("official", is_staff=True),
        "superuser": lambda: django_user_model.objects.create_superuser("boss", "", "x"),
    }
    page = _login(client, users[who]()).get(_facility_change(hanoi))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Cổng chính" in body  # every reader sees the cameras
    assert (_add_camera_url(hanoi) in body) == ADD_LINK[who]


def test_another_provinces_admin_gets_neither_the_page_nor_its_cameras(client, hanoi):
    other = factories.province_user("other_admin", "79", "manage_province")
    page = _login(client, other).get(_facility_change(hanoi))
    assert page.status_code in (302, 403, 404)
    assert "Cổng chính" not in page.content.decode()


def test_the_add_link_opens_the_camera_form_with_the_facility_chosen(client, hanoi):
    admin01 = factories.province_user("admin01", "01", "manage_province")
    _login(client, admin01)
    page = client.get(_add_camera_url(hanoi))
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["facility"] == hanoi.pk
    # The facility autocomplete shows the facility as chosen, by its name.
    select = re.search(r'<select name="facility".*?</select>', page.content.decode(), re.S)
    assert re.search(rf'<option value="{hanoi.pk}" selected>Khu cách ly Pháp Vân</option>',
                     select.group(0))
    # Saving it adds the camera to that facility.
    response = client.post(
        _add_camera_url(hanoi),
        {"facility": hanoi.pk, "name": "Cam mới", "zone": "yard",
         "stream_url": "rtsp://10.1.1.9/s", "check_enabled": "on"},
    )
    assert response.status_code == 302
    assert hanoi.cameras.filter(name="Cam mới").exists()


@pytest.mark.parametrize("value", ["other", "abc", "99999", "1,2", ""])
def test_a_facility_in_the_address_outside_the_scope_or_malformed_prefills_nothing(
    value, client, hanoi
):
    other = factories.facility("79", name="Khu cách ly Thủ Đức")
    admin01 = factories.province_user("admin01", "01", "manage_province")
    param = str(other.pk) if value == "other" else value
    page = _login(client, admin01).get(reverse("admin:cameras_camera_add"), {"facility": param})
    assert page.status_code == 200
    assert "facility" not in page.context["adminform"].form.initial
    assert "Khu cách ly Thủ Đức" not in page.content.decode()


def test_facility_admin_page_queries_do_not_grow_with_its_cameras(
    client, django_assert_max_num_queries
):
    admin01 = factories.province_user("admin01", "01", "manage_province")
    _login(client, admin01)
    small = factories.facility("01", planned_cameras=2)
    large = factories.facility("01", planned_cameras=20)
    for facility, n in ((small, 2), (large, 20)):
        for i in range(n):
            factories.camera(facility, health=["online", "offline", "unknown"][i % 3],
                             last_checked_at=timezone.now() if i % 3 < 2 else None)
    counts = []
    for facility, n in ((small, 2), (large, 20)):
        with django_assert_max_num_queries(25) as ctx:
            page = client.get(_facility_change(facility))
        assert page.status_code == 200
        assert len(page.context["facility_cameras"]) == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    print(f"facility admin page queries with 20 cameras: {counts[1]}")


# --- Planned against registered in the facility list -----------------------------------------


@pytest.fixture
def three_facilities():
    fewer = factories.facility("01", name="Ít hơn", planned_cameras=3)
    factories.camera(fewer)
    more = factories.facility("01", name="Nhiều hơn", planned_cameras=1)
    factories.camera(more)
    factories.camera(more)
    same = factories.facility("01", name="Đúng kế hoạch", planned_cameras=1)
    factories.camera(same)
    factories.camera(same, connection_status="decommissioned")
    return fewer, more, same


def test_facility_list_shows_registered_of_planned_flagged_when_they_differ(
    admin_client_vi, three_facilities
):
    page = _english(admin_client_vi).get(reverse("admin:facilities_facility_changelist"))
    rows = {row.name: row for row in page.context["cl"].result_list}
    model_admin = page.context["cl"].model_admin
    shown = {name: str(model_admin.registered_of_planned(row)) for name, row in rows.items()}
    assert shown["Ít hơn"].startswith("1 / 3 ") and "badge-amber" in shown["Ít hơn"]
    assert shown["Nhiều hơn"].startswith("2 / 1 ") and "badge-orange" in shown["Nhiều hơn"]
    assert shown["Đúng kế hoạch"] == "1 / 1"
    body = page.content.decode()
    assert "fewer than planned" in body and "more than planned" in body


@pytest.mark.parametrize(
    "choice,expected",
    [
        ("differs", ["Nhiều hơn", "Ít hơn"]),
        ("fewer", ["Ít hơn"]),
        ("more", ["Nhiều hơn"]),
        ("as_planned", ["Đúng kế hoạch"]),
    ],
)
def test_facility_list_filters_by_registered_against_planned(
    choice, expected, admin_client_vi, three_facilities
):
    page = admin_client_vi.get(reverse("admin:facilities_facility_changelist"),
                               {"planned": choice})
    assert sorted(row.name for row in page.context["cl"].result_list) == sorted(expected)


def test_comparison_of_registered_and_planned():
    assert facility_summary.comparison(2, 3) == facility_summary.FEWER
    assert facility_summary.comparison(3, 3) == facility_summary.AS_PLANNED
    assert facility_summary.comparison(1, 0) == facility_summary.MORE


# --- The facility manager's page: the summary first ------------------------------------------


def _contact(code="01", **fields):
    Province.objects.filter(code=code).update(
        contact_name="Nguyễn Thị Hoa",
        contact_title="Phó Giám đốc Sở Thông tin và Truyền thông",
        contact_phone="0912 345 678",
        contact_email="hoa.stttt@hanoi.gov.vn",
        **fields,
    )


def test_facility_manager_sees_the_summary_first_with_whom_to_call(client, hanoi):
    _contact()
    manager = factories.facility_manager("quanly", hanoi)
    page = _english(_login(client, manager)).get(reverse("facility_detail", args=[hanoi.pk]))
    assert page.status_code == 200
    summary = page.context["summary"]
    assert (summary.registered, summary.planned, summary.connected, summary.online,
            summary.offline, summary.unchecked) == (3, 4, 1, 1, 1, 1)
    assert [c.name for c in summary.offline_cameras] == ["Sân sau"]
    body = page.content.decode()
    block = body.split('class="card summary"')[1].split("</section>")[0]
    # The summary comes before the list of cameras.
    assert body.index('class="card summary"') < body.index('class="responsive"')
    text = re.sub(r"<[^>]+>", " ", block)
    text = re.sub(r"\s+", " ", text)
    assert "3 / 4 cameras registered / planned" in text
    assert "Fewer cameras registered than planned" in text
    assert "1 offline now Sân sau" in text
    # The offline camera's name leads to its row in the list below.
    backyard = hanoi.cameras.get(name="Sân sau")
    assert f'href="#camera-{backyard.pk}"' in block and f'id="camera-{backyard.pk}"' in body
    assert "June 1, 2021, 9:30" in text  # the latest check
    # Whom to call: the province's contact, callable and writable from a phone.
    assert "Nguyễn Thị Hoa, Phó Giám đốc Sở Thông tin và Truyền thông" in text
    assert 'href="tel:0912345678"' in block
    assert 'href="mailto:hoa.stttt@hanoi.gov.vn"' in block
    # Still read-only: no form besides the header's log-out.
    assert "<form" not in body.split("</header>")[1]


def test_facility_page_without_a_province_contact_says_so(client, hanoi):
    manager = factories.facility_manager("quanly", hanoi)
    _english(_login(client, manager))
    body = client.get(reverse("facility_detail", args=[hanoi.pk])).content.decode()
    assert "Hà Nội has not entered a contact person yet" in body


def test_facility_page_queries_do_not_grow_with_its_cameras(
    client, django_assert_max_num_queries
):
    small = factories.facility("01", planned_cameras=2)
    large = factories.facility("01", planned_cameras=20)
    manager = factories.facility_manager("quanly", small)
    factories.grant_facility(manager, large)
    for facility, n in ((small, 2), (large, 20)):
        for i in range(n):
            factories.camera(facility, health=["online", "offline"][i % 2])
    _login(client, manager)
    counts = []
    for facility in (small, large):
        with django_assert_max_num_queries(15) as ctx:
            assert client.get(reverse("facility_detail", args=[facility.pk])).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_summary_leaves_out_decommissioned_cameras_and_counts_degraded_as_online():
    facility = factories.facility("01", planned_cameras=2)
    factories.camera(facility, health="degraded")
    factories.camera(facility, connection_status="decommissioned", health="online")
    cameras = list(facility.cameras.select_related("state"))
    summary = facility_summary.summarise(cameras, facility.planned_cameras)
    assert (summary.registered, summary.online, summary.offline) == (1, 1, 0)
    assert summary.last_checked_at is None
    with translation.override("en"):
        assert str(summary.comparison_text) == "Fewer cameras registered than planned"


# --- The province's contact, kept by its own admins ------------------------------------------


def _province_change(code):
    return reverse("admin:facilities_province_change", args=[Province.objects.get(code=code).pk])


CONTACT = {
    "contact_name": "Trần Văn Nam",
    "contact_title": "Trưởng phòng Bưu chính, Viễn thông",
    "contact_phone": "024 3822 1234",
    "contact_email": "nam@hanoi.gov.vn",
}


def test_province_admin_edits_its_provinces_contact_and_nothing_else(client):
    admin01 = factories.province_user("admin01", "01", "manage_province")
    _login(client, admin01)
    page = client.get(_province_change("01"))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert sorted(form.fields) == sorted(CONTACT)
    response = client.post(
        _province_change("01"),
        {**CONTACT, "code": "99", "name": "Tỉnh mới", "operator": "vnpt", "region": "south",
         "active": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hanoi = Province.objects.get(pk=Province.objects.get(code="01").pk)
    assert {name: getattr(hanoi, name) for name in CONTACT} == CONTACT
    assert (hanoi.code, hanoi.name, hanoi.operator, hanoi.region, hanoi.active) == (
        "01", "Hà Nội", "viettel", "north", True
    )


def test_province_admin_cannot_edit_another_provinces_contact(client):
    admin01 = factories.province_user("admin01", "01", "manage_province")
    _login(client, admin01)
    page = client.get(_province_change("79"))
    assert page.status_code in (302, 403, 404)
    client.post(_province_change("79"), CONTACT)
    hcm = Province.objects.get(code="79")
    assert (hcm.contact_name, hcm.contact_phone) == ("", "")
    # Nor can the province's other roles change its contact.
    for role in ("connect_province", "view_province"):
        user = factories.province_user(f"u_{role}", "01", role)
        _login(client, user).post(_province_change("01"), CONTACT)
    assert Province.objects.get(code="01").contact_name == ""


def test_national_administrator_edits_the_contact_and_the_rest(admin_client_vi):
    response = admin_client_vi.post(
        _province_change("01"),
        {**CONTACT, "code": "01", "name": "Hà Nội", "name_en": "Ha Noi", "region": "north",
         "operator": "vnpt", "active": "on"},
    )
    assert response.status_code == 302
    hanoi = Province.objects.get(code="01")
    assert (hanoi.operator, hanoi.contact_name) == ("vnpt", "Trần Văn Nam")


@pytest.mark.parametrize("field,value", [("contact_phone", "abc"), ("contact_email", "nam@")])
def test_bad_province_contact_is_refused_with_a_message(field, value, client):
    admin01 = factories.province_user("admin01", "01", "manage_province")
    response = _login(client, admin01).post(_province_change("01"), {**CONTACT, field: value})
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Province.objects.get(code="01").contact_name == ""


def test_a_contact_change_is_audited_with_its_actor(client):
    admin01 = factories.province_user("admin01", "01", "manage_province")
    _login(client, admin01).post(_province_change("01"), CONTACT)
    hanoi = Province.objects.get(code="01")
    entry = LogEntry.objects.get_for_object(hanoi).latest("pk")
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == admin01
    assert entry.changes_dict["contact_name"] == ["", "Trần Văn Nam"]
    assert entry.changes_dict["contact_phone"] == ["", "024 3822 1234"]


def test_the_facility_admin_page_shows_the_province_contact(admin_client_vi, hanoi):
    _contact()
    body = admin_client_vi.get(_facility_change(hanoi)).content.decode()
    block = body.split('class="module province-contact"')[1].split("</fieldset>")[0]
    assert "Nguyễn Thị Hoa" in block and "0912 345 678" in block


# --- Registering a facility and its cameras: fewer steps -------------------------------------


def _new_facility_post(province, **extra):
    return {"province": province.pk, "name": "Khu cách ly Ký túc xá mới", "kind": "civil",
            "status": "active", "planned_cameras": 3, **extra}


def test_save_and_add_cameras_opens_the_camera_form_with_the_new_facility_chosen(client):
    admin01 = factories.province_user("admin01", "01", "manage_province")
    _login(client, admin01)
    add = reverse("admin:facilities_facility_add")
    assert 'name="_addcameras"' in client.get(add).content.decode()
    response = client.post(add, _new_facility_post(Province.objects.get(code="01"),
                                                   _addcameras="1"))
    facility = Province.objects.get(code="01").facilities.get(name="Khu cách ly Ký túc xá mới")
    assert response.status_code == 302
    assert response["Location"] == _add_camera_url(facility)
    # The admin's own "was added" message is kept for the next page.
    page = client.get(response["Location"])
    assert page.context["adminform"].form.initial["facility"] == facility.pk
    assert "Khu cách ly Ký túc xá mới" in " ".join(str(m) for m in page.context["messages"])


def test_save_and_add_cameras_is_not_offered_to_those_who_may_not_add_cameras(admin_client_vi):
    # A facility page read by an operator has no such button (nor any save button).
    hanoi = factories.facility("01", name="Khu cách ly Pháp Vân")
    operator = factories.province_user("operator", "01", "connect_province")
    client = admin_client_vi
    client.force_login(operator)
    assert 'name="_addcameras"' not in client.get(_facility_change(hanoi)).content.decode()


def test_a_province_admin_of_one_province_starts_with_it_chosen(client):
    admin01 = factories.province_user("admin01", "01", "manage_province")
    page = _login(client, admin01).get(reverse("admin:facilities_facility_add"))
    assert page.context["adminform"].form.initial["province"] == Province.objects.get(code="01").pk


def test_a_national_administrator_chooses_the_province(admin_client_vi):
    page = admin_client_vi.get(reverse("admin:facilities_facility_add"))
    assert "province" not in page.context["adminform"].form.initial


def test_save_and_add_another_camera_keeps_the_facility_chosen(client, hanoi):
    admin01 = factories.province_user("admin01", "01", "manage_province")
    _login(client, admin01)
    response = client.post(
        _add_camera_url(hanoi),
        {"facility": hanoi.pk, "name": "Cam một", "zone": "yard",
         "stream_url": "rtsp://10.1.1.9/s", "check_enabled": "on", "_addanother": "1"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.context["adminform"].form.initial["facility"] == hanoi.pk
