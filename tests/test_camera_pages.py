"""The camera pages of the admin (issue 12): a list that fits a 1366 px screen, filters as
drop-downs, a camera form that hides what a new camera has not got yet and keeps a typed password
over a failed save without sending it back in clear, and "Check now" that follows its checks on
the same page through a small scoped status endpoint."""

import html
import re
import time

import pytest
from cryptography.fernet import Fernet
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone, translation

from cameras import check_status
from cameras.choices import ErrorKind, Health
from cameras.forms import PASSWORD_KEPT_MINUTES
from cameras.models import Camera
from portal import crypto
from tests import factories

pytestmark = pytest.mark.django_db

LIST = "admin:cameras_camera_changelist"
ADD = "admin:cameras_camera_add"
STATUS = "camera_check_status"
# Characters HTML escapes, so the search below covers the escaped spellings too.
PASSWORD = "Bí-mật&<9>\"x'"


def change_url(camera):
    return reverse("admin:cameras_camera_change", args=[camera.pk])


def english(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def camera_data(facility, **fields):
    data = {
        "facility": facility.pk,
        "name": "Cổng chính",
        "zone": "gate",
        "vendor": "",
        "model": "",
        "stream_url": "rtsp://10.0.0.9:554/live",
        "username": "",
        "password": "",
        "password_token": "",
        "check_enabled": "on",
        "connection_status": "registered",
        "status_reason": "",
    }
    data.update(fields)
    return data


def token_in(page):
    found = re.search(r'name="password_token" value="([^"]*)"', page)
    return found.group(1) if found else ""


def password_shown(page, password=PASSWORD):
    """Whether the page holds the password in clear, as typed or HTML-escaped."""
    return any(
        spelling in page
        for spelling in {password, html.escape(password), html.escape(password, quote=False)}
    )


class World:
    """Hà Nội (01) and Hồ Chí Minh (79), a facility and a camera in each, one account per role."""

    def __init__(self, django_user_model):
        self.hn_facility = factories.facility("01", name="Khu cách ly Pháp Vân")
        self.hcm_facility = factories.facility("79", name="Khu cách ly Thủ Đức")
        self.hn = factories.camera(
            self.hn_facility,
            name="HN cổng",
            health=Health.OFFLINE,
            last_error_kind=ErrorKind.UNAUTHORIZED,
            # The probe's own sentence, stored for machines: never shown.
            last_error_message="The camera rejected the username or password",
        )
        self.hcm = factories.camera(self.hcm_facility, name="HCM cổng")
        self.superuser = django_user_model.objects.create_superuser("boss", "", "x")
        self.hn_admin = factories.province_user("so_tttt_hn", "01")
        self.hcm_admin = factories.province_user("so_tttt_hcm", "79")
        self.operator = factories.province_user("ky_su_hn", "01", role="connect_province")
        self.viewer = factories.province_user("ban_chi_dao_hn", "01", role="view_province")
        self.manager = factories.facility_manager("bqt_phap_van", self.hn_facility)


@pytest.fixture
def world(django_user_model):
    return World(django_user_model)


# --- The list --------------------------------------------------------------------------------


def test_the_list_has_six_columns_with_the_last_error_translated_under_the_health(
    client, world
):
    client.force_login(world.superuser)
    page = client.get(reverse(LIST))
    assert page.context["cl"].list_display == [
        "action_checkbox",
        "name_and_zone",
        "facility_and_province",
        # A national administrator may connect: the status carries the row's "Connect" button.
        "status_with_connect",
        "health_badge",
        "uptime",
        "last_checked",
    ]
    text = page.content.decode()
    # The error kind in Vietnamese, under the badge and as its title; the probe's English never.
    assert text.count("Sai tên đăng nhập hoặc mật khẩu") == 2
    assert "rejected the username" not in text
    assert f'data-camera-id="{world.hn.pk}" data-camera-field="health"' in text
    # The province under the facility, for a person who sees several.
    assert "Khu cách ly Pháp Vân" in text and "01 Hà Nội" in text


def test_a_person_of_one_province_is_not_shown_the_province_on_every_row(client, world):
    client.force_login(world.hn_admin)
    page = client.get(reverse(LIST))
    assert "facility_name" in page.context["cl"].list_display
    assert "facility_and_province" not in page.context["cl"].list_display
    assert "01 Hà Nội" not in page.content.decode()
    # And no province filter with a single choice.
    assert 'id="filter-facility__province"' not in page.content.decode()


def _options(page, select_id):
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no drop-down {select_id}"
    return re.findall(r'<option value="([^"]*)"[^>]*>\s*([^<]*?)\s*</option>', select.group(1))


def test_filters_are_drop_downs_and_the_province_one_offers_only_the_scope(client, world):
    client.force_login(world.superuser)
    page = client.get(reverse(LIST)).content.decode()
    for field in ("connection_status", "state__health", "zone", "facility__province"):
        assert f'<select id="filter-{field}"' in page
    assert len(_options(page, "filter-facility__province")) == 64  # "All" and the 63

    factories.grant_province(world.hn_admin, "79", "view_province")
    client.force_login(world.hn_admin)
    page = client.get(reverse(LIST)).content.decode()
    options = _options(page, "filter-facility__province")
    assert [label for _value, label in options] == ["Tất cả", "01 Hà Nội", "79 Hồ Chí Minh"]
    # Each option is the link of its choice: following it filters the list.
    hcm = html.unescape(options[2][0])
    listed = client.get(reverse(LIST) + hcm).context["cl"].result_list
    assert [camera.name for camera in listed] == ["HCM cổng"]
    # The script that turns the drop-down into a filter is served.
    script = client.get("/static/portal/dropdown_filter.js")
    assert script.status_code == 200
    assert "data-filter-links" in b"".join(script.streaming_content).decode()


# --- The form --------------------------------------------------------------------------------


def test_the_add_form_shows_only_what_a_new_camera_has_and_the_password_rules(client, world):
    page = english(client, world.hn_admin).get(reverse(ADD)).content.decode()
    for field in ("health", "verdict", "status_timeline", "last_error", "connection_status",
                  "clear_password"):
        assert f"field-{field}" not in page
    assert '<label for="id_username">User name:</label>' in page
    assert '<label for="id_password">Password:</label>' in page
    assert "Leave empty to keep" not in page
    assert "kept exactly as typed" in page and "Invisible characters" in page


def test_the_add_form_labels_are_capitalised_in_vietnamese(client, world):
    client.force_login(world.hn_admin)
    page = client.get(reverse(ADD)).content.decode()
    labels = re.findall(r"<label[^>]*for=\"id_[^\"]+\"[^>]*>([^<]+)</label>", page)
    assert labels and all(label[0].isupper() for label in labels), labels
    assert "Để trống để giữ" not in page


def test_leave_empty_to_keep_is_said_only_where_something_is_kept(client, world):
    english(client, world.hn_admin)
    page = client.get(change_url(world.hn)).content.decode()
    assert "Leave empty to keep the current password." not in page
    assert "Leave empty to keep the current user name." not in page
    stored = factories.camera(world.hn_facility, username="admin", password="Cam-pass-1")
    page = client.get(change_url(stored)).content.decode()
    assert "A password is stored. Leave empty to keep the current password." in page
    assert "A user name is stored. Leave empty to keep the current user name." in page


def test_a_failed_save_keeps_the_password_sealed_and_the_next_save_uses_it(client, world):
    english(client, world.hn_admin)
    url = reverse(ADD)
    failed = client.post(url, camera_data(world.hn_facility, name="", password=PASSWORD))
    assert failed.status_code == 200
    page = failed.content.decode()
    assert failed.context["adminform"].form.errors.keys() == {"name"}
    assert not password_shown(page)
    token = token_in(page)
    assert token
    assert "The password you entered is kept, encrypted, for 15 minutes" in page

    # Fixed, saved without retyping the password.
    saved = client.post(url, camera_data(world.hn_facility, password_token=token))
    assert saved.status_code == 302
    assert Camera.objects.get(name="Cổng chính").password == PASSWORD


def test_a_failed_change_keeps_a_new_password_over_the_stored_one(client, world):
    camera = factories.camera(world.hn_facility, name="Sân", password="Old-pass-1")
    english(client, world.hn_admin)
    failed = client.post(
        change_url(camera),
        camera_data(world.hn_facility, name="Sân", stream_url="ftp://x", password=PASSWORD),
    )
    assert failed.status_code == 200
    assert not password_shown(failed.content.decode())
    assert not password_shown(failed.content.decode(), "Old-pass-1")
    token = token_in(failed.content.decode())
    # Twice wrong: the token carries on to the next attempt.
    again = client.post(
        change_url(camera),
        camera_data(world.hn_facility, name="", password_token=token),
    )
    assert again.status_code == 200
    token = token_in(again.content.decode())
    assert token
    saved = client.post(
        change_url(camera), camera_data(world.hn_facility, name="Sân", password_token=token)
    )
    assert saved.status_code == 302
    camera.refresh_from_db()
    assert camera.password == PASSWORD


def test_a_kept_password_of_another_account_is_refused(client, world):
    english(client, world.hn_admin)
    failed = client.post(reverse(ADD), camera_data(world.hn_facility, name="", password=PASSWORD))
    token = token_in(failed.content.decode())

    # Another administrator of the same province, same page, the first one's token.
    other = factories.province_user("so_tttt_hn_2", "01")
    english(client, other)
    refused = client.post(reverse(ADD), camera_data(world.hn_facility, password_token=token))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["password"] == [
        "The password entered earlier cannot be used here: it was entered by another account "
        "or for another camera. Enter the password again."
    ]
    assert not Camera.objects.filter(name="Cổng chính").exists()
    # The refused token is not passed on.
    assert token_in(refused.content.decode()) == ""


def test_a_kept_password_for_another_camera_is_refused(client, world):
    english(client, world.hn_admin)
    failed = client.post(reverse(ADD), camera_data(world.hn_facility, name="", password=PASSWORD))
    token = token_in(failed.content.decode())
    refused = client.post(
        change_url(world.hn),
        camera_data(world.hn_facility, name="HN cổng", password_token=token),
    )
    assert "another camera" in refused.context["adminform"].form.errors["password"][0]
    world.hn.refresh_from_db()
    assert world.hn.password == ""


def test_an_expired_kept_password_is_refused(client, world):
    english(client, world.hn_admin)
    sealed_long_ago = crypto.seal(
        PASSWORD,
        context=f"camera-password:user={world.hn_admin.pk}:camera=new",
        now=time.time() - PASSWORD_KEPT_MINUTES * 60 - 60,
    )
    refused = client.post(
        reverse(ADD), camera_data(world.hn_facility, password_token=sealed_long_ago)
    )
    assert refused.context["adminform"].form.errors["password"] == [
        "The password entered earlier is kept for 15 minutes only, and that time has passed: "
        "enter the password again."
    ]
    assert not Camera.objects.filter(name="Cổng chính").exists()


def test_an_altered_kept_password_is_refused(client, world):
    english(client, world.hn_admin)
    failed = client.post(reverse(ADD), camera_data(world.hn_facility, name="", password=PASSWORD))
    token = token_in(failed.content.decode())
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    refused = client.post(reverse(ADD), camera_data(world.hn_facility, password_token=altered))
    assert "password" in refused.context["adminform"].form.errors
    assert not Camera.objects.filter(name="Cổng chính").exists()


def test_a_password_the_form_refuses_is_not_kept(client, world):
    english(client, world.hn_admin)
    failed = client.post(
        reverse(ADD), camera_data(world.hn_facility, name="", password="Bí\u200bmật")
    )
    assert "password" in failed.context["adminform"].form.errors
    assert token_in(failed.content.decode()) == ""


def test_operators_get_no_credential_inputs_nor_kept_password(client, world):
    client.force_login(world.operator)
    page = client.get(change_url(world.hn)).content.decode()
    assert 'name="password"' not in page and 'name="password_token"' not in page


# --- Check now -------------------------------------------------------------------------------


def _status_box(page):
    found = re.search(r'<div id="camera-check-status"[^>]*>', page)
    return found.group(0) if found else None


def _attribute(tag, name):
    return html.unescape(re.search(rf'{name}="([^"]*)"', tag).group(1))


def test_check_now_on_the_list_shows_a_status_line_that_polls_for_the_result(client, world):
    client.force_login(world.hn_admin)
    response = client.post(
        reverse(LIST),
        {"action": "check_now", ACTION_CHECKBOX_NAME: [world.hn.pk], "index": 0},
        follow=True,
    )
    page = response.content.decode()
    box = _status_box(page)
    assert box is not None
    assert 'role="status"' in box and 'aria-live="polite"' in box
    assert _attribute(box, "data-ids") == str(world.hn.pk)
    assert _attribute(box, "data-url") == reverse(STATUS)
    assert "/static/portal/camera_checks.js" in page
    # The page polls what the box says; the check ran (tasks are synchronous in tests) and its
    # result is newer than the request.
    answer = client.get(
        reverse(STATUS),
        {"ids": _attribute(box, "data-ids"), "since": _attribute(box, "data-since")},
    ).json()["cameras"]
    assert [(row["id"], row["pending"]) for row in answer] == [(world.hn.pk, False)]
    # No camera answers at that address: what the check found, named in Vietnamese.
    world.hn.state.refresh_from_db()
    assert world.hn.state.last_error_kind
    label = ErrorKind(world.hn.state.last_error_kind).label
    with translation.override("vi"):
        vietnamese = str(label)
    with translation.override("en"):
        assert vietnamese != str(label)
    assert answer[0]["last_error"] == vietnamese
    # Shown once: a reload shows the results, without the status line.
    assert _status_box(client.get(reverse(LIST)).content.decode()) is None


def test_check_now_on_the_camera_page(client, world):
    client.force_login(world.operator)
    page = client.get(change_url(world.hn)).content.decode()
    check_url = reverse("admin:cameras_camera_check", args=[world.hn.pk])
    assert f'action="{check_url}"' in page and 'id="camera-check-now"' in page
    response = client.post(check_url)
    assert response.status_code == 302 and response.url == change_url(world.hn)
    page = client.get(response.url).content.decode()
    box = _status_box(page)
    assert _attribute(box, "data-ids") == str(world.hn.pk)
    # The rows the script updates carry the camera's id.
    for field in ("health", "last_error", "verdict", "last_checked_at"):
        assert f'data-camera-id="{world.hn.pk}" data-camera-field="{field}"' in page
    world.hn.state.refresh_from_db()
    assert world.hn.state.last_checked_at is not None


def test_no_check_button_without_the_right_to_check(client, world):
    client.force_login(world.viewer)
    page = client.get(change_url(world.hn)).content.decode()
    assert 'id="camera-check-now"' not in page
    response = client.post(reverse("admin:cameras_camera_check", args=[world.hn.pk]))
    assert response.status_code == 403
    world.hn.state.refresh_from_db()
    assert world.hn.state.last_checked_at is None


def test_another_province_cannot_check_a_camera(client, world):
    client.force_login(world.hcm_admin)
    response = client.post(reverse("admin:cameras_camera_check", args=[world.hn.pk]))
    # As for any camera it cannot see: "no such camera", back to the admin's home.
    assert response.status_code == 302 and response.url == reverse("admin:index")
    world.hn.state.refresh_from_db()
    assert world.hn.state.last_checked_at is None


def test_a_camera_whose_checks_are_off_offers_no_check(client, world):
    Camera.objects.filter(pk=world.hn.pk).update(check_enabled=False)
    client.force_login(world.hn_admin)
    assert 'id="camera-check-now"' not in client.get(change_url(world.hn)).content.decode()


# --- The status endpoint ---------------------------------------------------------------------

STATUS_SCOPE = {
    "superuser": {"hn", "hcm"},
    "hn_admin": {"hn"},
    "operator": {"hn"},
    "viewer": {"hn"},
    "manager": {"hn"},
    "hcm_admin": {"hcm"},
}


@pytest.mark.parametrize("who", STATUS_SCOPE)
def test_the_status_endpoint_answers_only_for_cameras_in_scope(client, world, who):
    client.force_login(getattr(world, who))
    ids = f"{world.hn.pk},{world.hcm.pk}"
    answer = client.get(reverse(STATUS), {"ids": ids}).json()["cameras"]
    names = {"hn": world.hn.pk, "hcm": world.hcm.pk}
    assert {row["id"] for row in answer} == {names[n] for n in STATUS_SCOPE[who]}


def test_the_status_endpoint_needs_an_account(client, world):
    response = client.get(reverse(STATUS), {"ids": str(world.hn.pk)})
    assert response.status_code == 302 and "login" in response.url


def test_the_status_endpoint_says_what_is_pending_in_the_reader_language(client, world):
    client.force_login(world.hn_admin)
    since = timezone.now()
    answer = client.get(
        reverse(STATUS), {"ids": str(world.hn.pk), "since": since.isoformat()}
    ).json()["cameras"][0]
    assert answer["pending"] is True  # never checked since the request
    assert answer["health"] == {"value": "offline", "label": "Mất tín hiệu", "colour": "red"}
    assert answer["last_error"] == "Sai tên đăng nhập hoặc mật khẩu"
    assert "rejected" not in str(answer)

    factories.passed_check(world.hn, at=since + timezone.timedelta(seconds=5))
    client.cookies["django_language"] = "en"
    answer = client.get(
        reverse(STATUS), {"ids": str(world.hn.pk), "since": since.isoformat()}
    ).json()["cameras"][0]
    assert answer["pending"] is False
    assert answer["eligible"] is True
    assert answer["verdict"] == ["Meets the connection standard"]
    assert answer["health"]["label"] == "Online"
    assert answer["connection_status"]["label"] == "Eligible"
    assert answer["last_checked_at"]["short"]


def test_the_status_endpoint_reads_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.hn_admin)
    few = [world.hn.pk]
    with django_assert_max_num_queries(8) as small:
        client.get(reverse(STATUS), {"ids": ",".join(map(str, few))})
    many = few + [factories.camera(world.hn_facility).pk for _ in range(30)]
    with django_assert_max_num_queries(8) as large:
        answer = client.get(reverse(STATUS), {"ids": ",".join(map(str, many))})
    assert len(answer.json()["cameras"]) == 31
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_status_endpoint_takes_at_most_a_page_of_ids(client, world):
    client.force_login(world.superuser)
    ids = ",".join(str(n) for n in range(1, check_status.MAX_FOLLOWED + 50))
    assert client.get(reverse(STATUS), {"ids": ids + ",x,-3"}).status_code == 200
    assert check_status.parse_ids(ids + ",x,-3") == list(range(1, check_status.MAX_FOLLOWED + 1))


def test_the_progress_script_is_served(client):
    script = client.get("/static/portal/camera_checks.js")
    assert script.status_code == 200
    assert "javascript" in script["Content-Type"]
    assert "camera-check-status" in b"".join(script.streaming_content).decode()


def test_the_list_of_a_province_admin_reads_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    # The province filter and the columns share one read of the provinces in scope.
    factories.grant_province(world.hn_admin, "79", "view_province")
    client.force_login(world.hn_admin)
    with django_assert_max_num_queries(14) as small:
        client.get(reverse(LIST))
    for _ in range(20):
        factories.camera(world.hn_facility, health=Health.OFFLINE, last_error_kind="timeout")
    with django_assert_max_num_queries(14) as large:
        page = client.get(reverse(LIST))
    assert len(page.context["cl"].result_list) == 22
    assert len(large.captured_queries) == len(small.captured_queries)


# --- Sealed form values (portal/crypto.py) -----------------------------------------------------


def test_a_sealed_value_opens_only_in_its_context_and_is_no_stored_credential(settings):
    token = crypto.seal(PASSWORD, context="camera-password:user=1:camera=new")
    assert PASSWORD not in token
    assert crypto.unseal(token, context="camera-password:user=1:camera=new", max_age=60) == (
        PASSWORD
    )
    with pytest.raises(crypto.SealBroken):
        crypto.unseal(token, context="camera-password:user=2:camera=new", max_age=60)
    # Its keys are derived apart from the credentials' own: it is not a stored secret.
    with pytest.raises(ValueError):
        crypto.decrypt(crypto.PREFIX + token)


def test_a_sealed_value_survives_a_key_rotation(settings):
    token = crypto.seal(PASSWORD, context="c")
    settings.CAMERA_CREDENTIALS_KEYS = [Fernet.generate_key().decode(),
                                        *settings.CAMERA_CREDENTIALS_KEYS]
    assert crypto.unseal(token, context="c", max_age=60) == PASSWORD
    settings.CAMERA_CREDENTIALS_KEYS = settings.CAMERA_CREDENTIALS_KEYS[:1]
    with pytest.raises(crypto.SealBroken):
        crypto.unseal(token, context="c", max_age=60)
