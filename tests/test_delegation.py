"""The delegation page for every role: national administrators create the accounts of national
officials and province roles there, province admins those of facility managers; roles are named
and explained in the reader's language; facilities come with their province; people's names are
asked and shown family name first and sorted by given name (portal/people.py)."""

import datetime
import re
import unicodedata

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from cameras.models import Camera
from facilities import roles
from facilities.grants import ProvinceUserObjectPermission
from facilities.perms import VIEW_ALL, Role
from portal.collation import collation_key
from portal.models import AccountEvent
from portal.people import full_name, sort_key
from tests import factories

PASSWORD = "Rat-kho-doan-99"
# The names Django stores for the grants' permissions: never what a person reads as a role.
PERMISSION_NAMES = [
    "Can manage the facilities and cameras of the province",
    "Can connect the cameras of the province (operator)",
    "Can view province",
    "Can read the whole national registry",
    "Can view facility",
]
# Role names of the Vietnamese catalog.
ROLE_NAMES_VI = ["Quản trị cấp tỉnh", "Kỹ thuật viên doanh nghiệp viễn thông", "Người xem cấp tỉnh"]


def vi(text):
    """`text` (a lazy translation) as a page in Vietnamese shows it."""
    with translation.override("vi"):
        return str(text)


def page(response):
    return response.content.decode()


def account_form(role, province=None, **fields):
    data = {
        "action": "create_account",
        "account-username": "vnpt.hn.01",
        "account-last_name": "Trần",
        "account-first_name": "Văn Bình",
        "account-email": "binh@vnpt.vn",
        "account-password1": PASSWORD,
        "account-password2": PASSWORD,
        "account-role": role,
        "account-province": province.pk if province else "",
    }
    data.update({f"account-{key}": value for key, value in fields.items()})
    return data


@pytest.fixture
def scene(db):
    class Scene:
        hanoi, hcm = factories.province("01"), factories.province("79")
        phap_van = factories.facility("01", name="Khu cách ly Pháp Vân")
        thu_duc = factories.facility("79", name="Khu cách ly Thủ Đức")
        hn_camera = factories.camera(phap_van, name="HN cổng")
        hcm_camera = factories.camera(thu_duc, name="HCM cổng")
        boss = get_user_model().objects.create_superuser("boss", "", "x")
        hanoi_admin = factories.province_user("so_tttt_hanoi", "01")

    return Scene


# --- National administrators create every role's account -----------------------------------


@pytest.mark.django_db
def test_national_admin_creates_an_operator_account_that_connects_its_province(client, scene):
    client.force_login(scene.boss)
    response = client.post(reverse("delegation"), account_form(Role.OPERATOR, scene.hanoi))
    assert response.status_code == 302

    account = get_user_model().objects.get(username="vnpt.hn.01")
    assert (account.last_name, account.first_name, account.email) == ("Trần", "Văn Bình",
                                                                      "binh@vnpt.vn")
    # Operators work in the admin: staff, and nothing more.
    assert account.is_staff and not account.is_superuser
    assert not account.user_permissions.exists() and not account.groups.exists()
    grant = ProvinceUserObjectPermission.objects.get(user=account)
    assert (grant.content_object, grant.permission.codename, grant.granted_by) == (
        scene.hanoi, Role.OPERATOR, scene.boss)
    event = AccountEvent.objects.get(event="grant")
    assert (event.actor, event.account, event.province) == (scene.boss, account, scene.hanoi)

    client.logout()
    assert client.login(username="vnpt.hn.01", password=PASSWORD)
    assert client.get("/")["Location"] == reverse("admin:index")
    assert list(Camera.objects.restrict(account, "connect")) == [scene.hn_camera]
    assert not Camera.objects.restrict(account, "change").exists()


@pytest.mark.django_db
def test_national_admin_creates_a_national_official_who_reads_every_province(client, scene):
    client.force_login(scene.boss)
    client.post(reverse("delegation"), account_form(VIEW_ALL, username="cuc.vt.lan",
                                                    last_name="Nguyễn", first_name="Thị Lan"))
    official = get_user_model().objects.get(username="cuc.vt.lan")
    assert official.is_staff and not official.is_superuser
    assert list(official.groups.values_list("name", flat=True)) == [roles.NATIONAL_OFFICIALS_GROUP]
    assert AccountEvent.objects.get(event="grant").detail["permission"] == VIEW_ALL

    client.logout()
    assert client.login(username="cuc.vt.lan", password=PASSWORD)
    report = client.get("/", follow=True)
    assert report.redirect_chain[-1][0] == reverse("reports:progress")
    assert len(report.context["lines"]) == 63
    assert set(Camera.objects.restrict(official, "view")) == {scene.hn_camera, scene.hcm_camera}
    assert not Camera.objects.restrict(official, "change").exists()


@pytest.mark.django_db
def test_national_admin_makes_an_existing_account_an_official_and_revokes_it(client, scene):
    person = get_user_model().objects.create_user("cuc.vt.an", password="x")
    client.force_login(scene.boss)
    client.post(reverse("delegation"), {"action": "grant_province", "province-username":
                                        "cuc.vt.an", "province-role": VIEW_ALL})
    person.refresh_from_db()
    assert person.is_staff and person.groups.filter(name=roles.NATIONAL_OFFICIALS_GROUP).exists()

    listed = client.get(reverse("delegation")).context["national_officials"]
    assert listed == [person]
    done = client.post(reverse("delegation"), {"action": "revoke_official", "account": person.pk},
                       follow=True)
    assert not person.groups.exists()
    assert vi(roles.GrantGone().args[0]) not in page(done)
    again = client.post(reverse("delegation"), {"action": "revoke_official",
                                                "account": person.pk}, follow=True)
    assert vi(roles.GrantGone().args[0]) in page(again)
    assert AccountEvent.objects.filter(event="revoke").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,province,extra,field",
    [
        # A province role needs its province.
        (Role.PROVINCE_ADMIN, None, {}, "province"),
        # A national official has neither province nor end date.
        (VIEW_ALL, "hanoi", {}, "province"),
        (VIEW_ALL, None, {"expires_on": "2099-01-01"}, "expires_on"),
        # The account rules: a safe, new user name and a password the validators accept.
        (Role.OPERATOR, "hanoi", {"username": "vnpt hà nội"}, "username"),
        (Role.OPERATOR, "hanoi", {"username": "BOSS"}, "username"),
        (Role.OPERATOR, "hanoi", {"password1": "123", "password2": "123"}, "password1"),
    ],
)
def test_the_account_form_refuses_what_the_role_or_the_rules_do_not_allow(
    client, scene, role, province, extra, field
):
    client.force_login(scene.boss)
    place = getattr(scene, province) if province else None
    accounts = get_user_model().objects.count()
    response = client.post(reverse("delegation"), account_form(role, place, **extra))
    assert response.status_code == 200
    assert list(response.context["forms"]["account"].errors) == [field]
    assert get_user_model().objects.count() == accounts


@pytest.mark.django_db
def test_roles_applies_the_account_rules_whoever_calls_it(scene):
    for bad in ({"username": "аdmin"}, {"password": "123"}):  # a Cyrillic "а"
        fields = {"username": "vnpt.hn.02", "password": PASSWORD, **bad}
        with pytest.raises(ValidationError):
            roles.create_account(scene.boss, Role.OPERATOR, place=scene.hanoi, **fields)
    assert not get_user_model().objects.filter(username__in=["аdmin", "vnpt.hn.02"]).exists()


# --- Province admins: facility managers only ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        account_form(Role.OPERATOR, None),
        account_form(VIEW_ALL),
        {"action": "grant_province", "province-username": "so_tttt_hanoi",
         "province-role": Role.PROVINCE_ADMIN},
        {"action": "revoke_province", "grant": "1"},
        {"action": "revoke_official", "account": "1"},
    ],
    ids=["province role account", "official account", "grant role", "revoke role",
         "revoke official"],
)
def test_a_province_admin_is_refused_province_roles_and_officials_with_the_reason(
    client, scene, data
):
    if "account-province" in data:
        data = {**data, "account-province": scene.hanoi.pk}
    client.force_login(scene.hanoi_admin)
    accounts = get_user_model().objects.count()
    response = client.post(reverse("delegation"), data)
    assert response.status_code == 403
    assert vi(roles.NATIONAL_ONLY) in page(response)
    assert get_user_model().objects.count() == accounts
    assert ProvinceUserObjectPermission.objects.count() == 1  # its own grant


@pytest.mark.django_db
def test_a_province_admin_cannot_create_a_province_role_through_roles_either(scene):
    with pytest.raises(PermissionDenied) as refused:
        roles.create_account(scene.hanoi_admin, Role.OPERATOR, username="vnpt.hn.03",
                             password=PASSWORD, place=scene.hanoi)
    assert refused.value.args[0] == roles.NATIONAL_ONLY
    assert not get_user_model().objects.filter(username="vnpt.hn.03").exists()


@pytest.mark.django_db
def test_a_province_admin_creates_a_facility_manager_with_vietnamese_names(client, scene):
    client.force_login(scene.hanoi_admin)
    client.post(reverse("delegation"), {
        "action": "create", "create-username": "bqt.phapvan", "create-last_name": "Lê",
        "create-first_name": "Thị Hoa", "create-password1": PASSWORD,
        "create-password2": PASSWORD, "create-facility": scene.phap_van.pk,
    })
    manager = get_user_model().objects.get(username="bqt.phapvan")
    assert (manager.last_name, manager.first_name) == ("Lê", "Thị Hoa")
    assert not manager.is_staff and not manager.is_superuser
    html = page(client.get(reverse("delegation")))
    assert "Lê Thị Hoa" in html


# --- What the page says, in Vietnamese ------------------------------------------------------


@pytest.mark.django_db
def test_the_page_names_and_explains_every_role_in_vietnamese(client, scene):
    factories.province_user("vnpt_hcm", "79", Role.OPERATOR)
    factories.province_user("ban_chi_dao", "01", Role.PROVINCE_VIEWER)
    client.force_login(scene.boss)
    html = page(client.get(reverse("delegation")))
    for name in PERMISSION_NAMES:
        assert name not in html
    for name in ROLE_NAMES_VI:
        assert name in html
    for spec in roles.ROLES.values():
        assert f"<dt>{vi(spec.label)}</dt>" in html
        assert f"<dd>{vi(spec.may)}</dd>" in html
    # The list of grants names the role, not the permission.
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    engineer = next(row for row in rows if "vnpt_hcm" in row)
    assert "Kỹ thuật viên doanh nghiệp viễn thông" in engineer and "Hồ Chí Minh" in engineer


@pytest.mark.django_db
def test_a_province_admin_reads_only_the_role_it_can_give(client, scene):
    client.force_login(scene.hanoi_admin)
    response = client.get(reverse("delegation"))
    assert [spec.codename for spec in response.context["grantable_roles"]] == [
        Role.FACILITY_MANAGER
    ]
    html = page(response)
    assert vi(roles.ROLES[Role.FACILITY_MANAGER].may) in html
    for name in [*ROLE_NAMES_VI, vi(roles.ROLES[VIEW_ALL].label)]:
        assert name not in html
    assert 'value="create_account"' not in html and 'value="grant_province"' not in html


@pytest.mark.django_db
def test_facilities_come_with_their_province_in_choices_and_lists(client, scene):
    # Two provinces may each have a facility of the same name.
    factories.facility("79", name="Khu cách ly Pháp Vân")
    factories.facility_manager("bqt.thuduc", scene.thu_duc)
    client.force_login(scene.boss)
    response = client.get(reverse("delegation"))
    html = page(response)
    options = re.findall(r"<option value=\"\d+\">([^<]*)</option>", html)
    assert "Khu cách ly Pháp Vân (Hà Nội)" in options
    assert "Khu cách ly Pháp Vân (Hồ Chí Minh)" in options
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if "bqt.thuduc" in r)
    assert "Khu cách ly Thủ Đức" in row and "Hồ Chí Minh" in row


# --- Names: Họ, then Tên ---------------------------------------------------------------------


@pytest.mark.django_db
def test_account_forms_ask_the_family_name_first(client, scene):
    client.force_login(scene.boss)
    response = client.get(reverse("delegation"))
    forms = response.context["forms"]
    for key in ("account", "create"):
        names = list(forms[key].fields)
        assert names.index("last_name") < names.index("first_name")
    html = page(response)
    fields = forms["account"].fields
    family, given = vi(fields["last_name"].label), vi(fields["first_name"].label)
    assert html.index(f'for="id_account-last_name">{family}') < html.index(
        f'for="id_account-first_name">{given}'
    )


@pytest.mark.django_db
def test_lists_show_ho_ten_sorted_by_ten_then_ho(client, scene):
    people = [("Nguyễn", "Văn Đức"), ("Trần", "Thị An"), ("Lê", "Văn An"), ("Bùi", "Dung"),
              ("", "")]
    for n, (last, first) in enumerate(people):
        factories.facility_manager(f"bqt{n}", scene.phap_van, last_name=last, first_name=first)
    client.force_login(scene.hanoi_admin)
    response = client.get(reverse("delegation"))
    listed = [grant.user.get_username() for grant in response.context["facility_grants"]]
    # An, An (Lê before Trần), Dung, Đức; the account without a name last.
    assert listed == ["bqt2", "bqt1", "bqt3", "bqt0", "bqt4"]
    html = page(response)
    assert html.index("Lê Văn An") < html.index("Trần Thị An") < html.index("Nguyễn Văn Đức")


@pytest.mark.django_db
def test_the_user_admin_asks_the_family_name_first(admin_client_vi, superuser):
    html = page(admin_client_vi.get(reverse("admin:auth_user_change", args=[superuser.pk])))
    assert html.index('name="last_name"') < html.index('name="first_name"')


def test_full_name_is_family_name_then_given_names():
    person = get_user_model()(username="x", last_name=" Nguyễn ", first_name="Thị  Lan")
    assert full_name(person) == "Nguyễn Thị Lan"
    assert full_name(get_user_model()(username="x")) == ""


def test_people_sort_by_given_name_then_family_name_then_middle_name():
    def person(last, first, username="x"):
        return get_user_model()(username=username, last_name=last, first_name=first)

    people = [
        person("Vũ", "Thị Yến"),
        person("Đỗ", "Văn An"),
        person("Ánh", "Minh"),
        person("Đỗ", "Thị An"),
        person("Nguyễn", "An"),
        person("", "", username="zz"),
        person("", "", username="aa"),
    ]
    ordered = [full_name(p) or p.username for p in sorted(people, key=sort_key)]
    # An (Đỗ before Nguyễn, Thị before Văn), Minh, Yến; accounts without a name last.
    assert ordered == ["Đỗ Thị An", "Đỗ Văn An", "Nguyễn An", "Ánh Minh", "Vũ Thị Yến", "aa", "zz"]


# --- Vietnamese alphabetical order -----------------------------------------------------------


def test_vietnamese_order_of_letters():
    # Python's own order would put every Đ after Y and Ă, Â after Z.
    words = ["Yên", "Đức", "Dung", "Ăn", "An", "Ân", "Bình", "Ơn", "Ôn", "On", "Ưng", "Uyên",
             "Vinh", "Ê", "E", "Giang"]
    assert sorted(words, key=collation_key) == [
        "An", "Ăn", "Ân", "Bình", "Dung", "Đức", "E", "Ê", "Giang", "On", "Ôn", "Ơn", "Uyên",
        "Ưng", "Vinh", "Yên",
    ]


def test_vietnamese_order_of_tones_after_letters_then_case():
    assert sorted(["mạ", "má", "Ma", "mã", "mả", "mà", "ma"], key=collation_key) == [
        "ma", "Ma", "mà", "mả", "mã", "má", "mạ",
    ]
    # Syllable by syllable, as dictionaries: its letters, then its tone.
    syllables = ["hai", "hạ", "hác", "há", "hà", "hã", "ha", "hả"]
    assert sorted(syllables, key=collation_key) == ["ha", "hà", "hả", "hã", "há", "hạ", "hác",
                                                    "hai"]
    assert sorted(["Hai", "Hạ Long", "Hà Nội", "Hà Giang"], key=collation_key) == [
        "Hà Giang", "Hà Nội", "Hạ Long", "Hai",
    ]
    # Spaces before letters: a short word before a longer one it begins.
    assert sorted(["Anh", "An Bình", "An"], key=collation_key) == ["An", "An Bình", "Anh"]


def test_vietnamese_order_of_provinces():
    names = [
        "Điện Biên", "Đà Nẵng", "Yên Bái", "Đắk Lắk", "Đồng Tháp", "Cà Mau", "Hải Phòng",
        "Hà Nội", "Hưng Yên", "Hòa Bình", "Quảng Ninh", "Quảng Bình",
    ]
    assert sorted(names, key=collation_key) == [
        "Cà Mau", "Đà Nẵng", "Đắk Lắk", "Điện Biên", "Đồng Tháp", "Hà Nội", "Hải Phòng",
        "Hòa Bình", "Hưng Yên", "Quảng Bình", "Quảng Ninh", "Yên Bái",
    ]


def test_composed_and_decomposed_spellings_sort_as_one():
    composed = "Nguyễn Thị Hương"
    decomposed = unicodedata.normalize("NFD", composed)
    assert collation_key(composed)[:2] == collation_key(decomposed)[:2]
    assert sorted([decomposed, "Nguyễn Thị Hà"], key=collation_key)[0] == "Nguyễn Thị Hà"


@pytest.mark.django_db
def test_expiry_of_a_province_role_created_with_its_account(client, scene):
    end = timezone.localdate() + datetime.timedelta(days=90)
    client.force_login(scene.boss)
    client.post(reverse("delegation"), account_form(Role.PROVINCE_VIEWER, scene.hcm,
                                                    expires_on=end.isoformat()))
    grant = ProvinceUserObjectPermission.objects.get(user__username="vnpt.hn.01")
    assert (grant.content_object, grant.permission.codename, grant.expires_on) == (
        scene.hcm, Role.PROVINCE_VIEWER, end)
