"""Two-factor sign-in: enrolment, the code after the password, recovery codes, lock-out, who must,
the gate over the admin and the pages, secrets at rest, account events, reset by a national
administrator.

Every test here signs in as a person does (the login form, then the code page): the suite's
automatic verification of `force_login` clients (tests/conftest.py) is off, except for the
national administrator who resets an account.
"""

import re

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from portal import crypto, twofactor
from portal.models import AccountEvent, RecoveryCode, TotpDevice
from tests import factories
from tests.second_factor import code_for, code_for_seed, give_app, seed_from_secret

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

PASSWORD = "Mat-khau-du-dai-2021"
ADDR = "203.0.113.9"
ENGLISH = {"django_language": "en"}


def browser():
    """A client as a person's browser: one address, the interface in English (the strings of
    this feature reach the Vietnamese catalog from the branch's .po file)."""
    client = Client(REMOTE_ADDR=ADDR)
    client.cookies.load(ENGLISH)
    return client


def sign_in(client, username, url=None, next_url=None):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(url or reverse("login"), data)


def type_code(client, code, next_url=None):
    data = {"code": code}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("otp_verify"), data)


def events(kind):
    return list(AccountEvent.objects.filter(event=kind).order_by("pk"))


@pytest.fixture
def operator(db):
    return factories.province_user("vnpt.hn.01", "01", "connect_province", password=PASSWORD)


@pytest.fixture
def operator_app(operator):
    return give_app(operator)


def enrol(client):
    """Set up the app from the enrolment page as a person does (typing the key shown);
    returns the page of recovery codes and the seed."""
    page = client.get(reverse("otp_setup"))
    secret = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', page.content.decode()).group(1)
    seed = seed_from_secret(secret)
    return client.post(reverse("otp_setup"), {"code": code_for_seed(seed)}), seed


def recovery_codes(page):
    return re.findall(r"<li><code>([a-z2-7-]+)</code></li>", page.content.decode())


# --- Enrolment ---------------------------------------------------------------------------------


def test_a_staff_account_without_an_app_is_sent_to_enrolment_after_its_password(operator):
    client = browser()
    assert sign_in(client, operator.username)["Location"] == reverse("home")

    landing = client.get(reverse("admin:index"))
    assert landing.status_code == 302
    assert landing["Location"].startswith(reverse("otp_setup"))
    page = client.get(landing["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    # The QR code inline (markup, no script), and the key in groups of four for typing.
    assert "<svg" in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    secret = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret)
    assert "no-store" in page["Cache-Control"]
    # The Content-Security-Policy is the portal's, unchanged: no inline script or style.
    policy = page["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src 'self'" in policy
    # Nothing is stored before a first code confirms the key.
    assert not TotpDevice.objects.filter(user=operator).exists()


def test_enrolment_confirms_with_a_first_code_and_shows_ten_recovery_codes_once(operator):
    client = browser()
    sign_in(client, operator.username)
    reloaded = client.get(reverse("otp_setup")).content.decode()
    # A reload keeps the key already scanned.
    assert re.search(r'id="otp-secret">([A-Z2-7 ]+)<', reloaded).group(1) in (
        client.get(reverse("otp_setup")).content.decode()
    )

    page, seed = enrol(client)

    assert page.status_code == 200
    codes = recovery_codes(page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "no-store" in page["Cache-Control"]
    device = TotpDevice.objects.get(user=operator)
    assert device.key == seed
    assert client.get(reverse("admin:index")).status_code == 200
    [event] = events("otp_enrolled")
    assert (event.actor, event.account, event.remote_addr) == (operator, operator, ADDR)
    # The codes were shown once: the account's page says how many are left, never which.
    account_page = client.get(reverse("otp_account")).content.decode()
    assert "10 recovery codes left" in account_page
    assert not any(code in account_page for code in codes)


def test_a_wrong_first_code_sets_nothing_up(operator):
    client = browser()
    sign_in(client, operator.username)
    client.get(reverse("otp_setup"))
    page = client.post(reverse("otp_setup"), {"code": "000000"})
    assert page.status_code == 200
    assert "does not match the key" in page.content.decode()
    assert not TotpDevice.objects.filter(user=operator).exists()
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("otp_setup"))
    assert not events("otp_enrolled")


def test_a_half_signed_session_cannot_replace_the_app(operator, operator_app):
    client = browser()
    sign_in(client, operator.username)
    response = client.get(reverse("otp_setup"))
    assert response["Location"] == reverse("otp_verify")


# --- Signing in: password, then code -----------------------------------------------------------


def test_the_portal_asks_for_the_code_after_the_password(operator, operator_app):
    client = browser()
    reports = reverse("reports:progress")
    assert sign_in(client, operator.username, next_url=reports)["Location"] == reports

    asked = client.get(reports)
    assert asked.status_code == 302
    assert asked["Location"] == f"{reverse('otp_verify')}?next={reports.replace('/', '%2F')}"
    page = client.get(asked["Location"])
    assert page.status_code == 200 and "Sign-in code" in page.content.decode()

    done = type_code(client, code_for(operator_app), next_url=reports)
    assert done["Location"] == reports
    assert client.get(reports).status_code == 200


def test_the_admin_asks_for_the_code_too(operator, operator_app):
    client = browser()
    admin_index = reverse("admin:index")
    response = sign_in(client, operator.username, url=reverse("admin:login"), next_url=admin_index)
    assert response["Location"] == admin_index
    for page in (admin_index, reverse("admin:cameras_camera_changelist")):
        assert client.get(page)["Location"].startswith(reverse("otp_verify"))
    type_code(client, code_for(operator_app))
    assert client.get(admin_index).status_code == 200


def test_a_wrong_code_is_refused_and_recorded(operator, operator_app):
    client = browser()
    sign_in(client, operator.username)
    page = type_code(client, "123456" if code_for(operator_app) != "123456" else "654321")

    assert page.status_code == 200
    assert "This code is not right" in page.content.decode()
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("otp_verify"))
    [event] = events("otp_failed")
    assert (event.username, event.account, event.remote_addr) == (operator.username, operator, ADDR)
    # A wrong code is not a wrong password: no failed-login event for it.
    assert not events("login_failed")


def test_a_code_works_once(operator, operator_app):
    first, second = browser(), browser()
    sign_in(first, operator.username)
    sign_in(second, operator.username)
    code = code_for(operator_app)
    assert type_code(first, code).status_code == 302
    assert type_code(second, code).status_code == 200
    assert client_is_in(first) and not client_is_in(second)


def client_is_in(client):
    return client.get(reverse("admin:index")).status_code == 200


def test_a_recovery_code_signs_in_once_instead_of_the_app(operator):
    client = browser()
    sign_in(client, operator.username)
    page, _seed = enrol(client)
    codes = recovery_codes(page)
    client.logout()

    client = browser()
    sign_in(client, operator.username)
    # Typed as a person might: upper case, spaces instead of dashes.
    typed = codes[3].upper().replace("-", " ")
    done = client.post(reverse("otp_verify"), {"code": typed}, follow=True)
    assert done.status_code == 200
    assert "Recovery codes left: 9" in done.content.decode()
    assert client_is_in(client)
    [event] = events("otp_recovery_used")
    assert event.account == operator and event.detail == {"codes_left": 9}

    again = browser()
    sign_in(again, operator.username)
    assert type_code(again, codes[3]).status_code == 200
    assert not client_is_in(again)
    assert type_code(again, codes[4]).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(operator):
    client = browser()
    sign_in(client, operator.username)
    old = recovery_codes(enrol(client)[0])
    new = recovery_codes(client.post(reverse("otp_recovery_codes")))
    assert len(new) == 10 and not set(new) & set(old)
    assert events("otp_codes_renewed")[0].account == operator

    other = browser()
    sign_in(other, operator.username)
    assert type_code(other, old[0]).status_code == 200
    assert type_code(other, new[0]).status_code == 302


def test_new_recovery_codes_need_a_verified_session(operator, operator_app):
    client = browser()
    sign_in(client, operator.username)
    response = client.post(reverse("otp_recovery_codes"))
    assert response["Location"].startswith(reverse("otp_verify"))
    assert not RecoveryCode.objects.exists()


# --- Lock-out ----------------------------------------------------------------------------------


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_codes_lock_the_account_out_like_wrong_passwords(operator, operator_app):
    client = browser()
    sign_in(client, operator.username)
    right = code_for(operator_app)
    wrong = "000000" if right != "000000" else "111111"
    assert type_code(client, wrong).status_code == 200
    assert type_code(client, wrong).status_code == 200
    locked = type_code(client, wrong)

    assert locked.status_code == 429
    assert "blocked" in locked.content.decode()
    # The half-signed session is over, and neither the password nor the right code gets in.
    assert SESSION_KEY not in client.session
    assert sign_in(client, operator.username).status_code == 429
    assert type_code(client, right).status_code == 302  # to the login page: not signed in
    assert not client_is_in(client)
    assert [e.username for e in events("locked_out")][:1] == [operator.username]
    # From another address, the account signs in (axes counts per name and address).
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    sign_in(elsewhere, operator.username)
    assert type_code(elsewhere, right).status_code == 302
    assert client_is_in(elsewhere)


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_passwords_and_wrong_codes_add_up(operator, operator_app):
    client = browser()
    client.post(reverse("login"), {"username": operator.username, "password": "sai-mat-khau"})
    sign_in(client, operator.username)
    wrong = "000000" if code_for(operator_app) != "000000" else "111111"
    type_code(client, wrong)
    assert type_code(client, wrong).status_code == 429


@override_settings(AXES_FAILURE_LIMIT=3)
def test_signing_in_again_with_the_password_does_not_wipe_the_wrong_codes(operator, operator_app):
    client = browser()
    wrong = "000000" if code_for(operator_app) != "000000" else "111111"
    sign_in(client, operator.username)
    type_code(client, wrong)
    type_code(client, wrong)
    client.logout()
    sign_in(client, operator.username)
    assert type_code(client, wrong).status_code == 429


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_locked_out_session_cannot_keep_guessing(operator, operator_app):
    client = browser()
    sign_in(client, operator.username)
    wrong = "000000" if code_for(operator_app) != "000000" else "111111"
    type_code(client, wrong)
    # A second tab of the same session, still signed in when the other one was locked out.
    tab = browser()
    tab.cookies = client.cookies
    type_code(client, wrong)
    type_code(client, wrong)
    assert type_code(tab, code_for(operator_app)).status_code != 200
    assert not client_is_in(tab)


# --- Who must ----------------------------------------------------------------------------------


@override_settings(SNAPSHOT_FACILITY_MANAGERS=False)
def test_a_facility_manager_who_sees_no_pictures_signs_in_with_the_password_alone():
    facility = factories.facility()
    manager = factories.facility_manager("quanly.khu1", facility, password=PASSWORD)
    client = browser()
    sign_in(client, manager.username)
    assert client.get(reverse("facility_detail", args=[facility.pk])).status_code == 200
    # The app is offered on the account's own page.
    page = client.get(reverse("otp_account")).content.decode()
    assert "Not set up" in page and reverse("otp_setup") in page


@override_settings(OTP_REQUIRED_FOR_MANAGERS=True)
def test_the_setting_makes_facility_managers_set_up_the_app():
    facility = factories.facility()
    manager = factories.facility_manager("quanly.khu2", facility, password=PASSWORD)
    client = browser()
    sign_in(client, manager.username)
    page = reverse("facility_detail", args=[facility.pk])
    assert client.get(page)["Location"].startswith(reverse("otp_setup"))
    enrol(client)
    assert client.get(page).status_code == 200


def test_a_facility_manager_who_chose_the_app_is_asked_for_it():
    facility = factories.facility()
    manager = factories.facility_manager("quanly.khu3", facility, password=PASSWORD)
    app = give_app(manager)
    client = browser()
    sign_in(client, manager.username)
    page = reverse("facility_detail", args=[facility.pk])
    assert client.get(page)["Location"].startswith(reverse("otp_verify"))
    type_code(client, code_for(app))
    assert client.get(page).status_code == 200


@pytest.mark.parametrize("make", ["official", "superuser"])
def test_national_readers_must_even_without_the_staff_flag(make, django_user_model):
    if make == "official":
        user = factories.national_official("cuc.vt.01", password=PASSWORD)
    else:
        user = django_user_model.objects.create_superuser("quantri", "", PASSWORD)
    client = browser()
    sign_in(client, user.username)
    assert client.get(reverse("reports:progress"))["Location"].startswith(reverse("otp_setup"))


def test_a_facility_manager_who_sees_camera_pictures_must_set_up_the_app():
    # SNAPSHOT_FACILITY_MANAGERS is on by default: the pictures show people in quarantine.
    facility = factories.facility()
    manager = factories.facility_manager("quanly.khu5", facility, password=PASSWORD)
    client = browser()
    sign_in(client, manager.username)
    page = reverse("facility_detail", args=[facility.pk])
    assert client.get(page)["Location"].startswith(reverse("otp_setup"))
    enrol(client)
    assert client.get(page).status_code == 200


@override_settings(SNAPSHOT_FACILITY_MANAGERS=False)
def test_a_role_given_during_a_session_asks_for_the_app_at_the_next_page():
    facility = factories.facility()
    manager = factories.facility_manager("quanly.khu4", facility, password=PASSWORD)
    client = browser()
    sign_in(client, manager.username)
    assert client.get(reverse("my_facilities")).status_code == 200
    manager.is_staff = True
    manager.save()
    assert client.get(reverse("my_facilities"))["Location"].startswith(reverse("otp_setup"))


# --- What the gate leaves open -----------------------------------------------------------------


def test_a_half_signed_session_reaches_only_sign_in_and_out_language_and_static(operator):
    client = browser()
    sign_in(client, operator.username)
    assert client.get(reverse("otp_setup")).status_code == 200
    assert client.get(reverse("login")).status_code == 200
    assert client.get("/static/portal/pages.css").status_code == 200
    assert client.post(reverse("set_language"), {"language": "vi"}).status_code == 302
    assert client.get(reverse("otp_account"))["Location"].startswith(reverse("otp_setup"))
    assert client.post(reverse("logout")).status_code == 302
    assert SESSION_KEY not in client.session


def test_api_token_requests_pass_and_the_half_signed_session_counts_for_nothing(operator):
    client = browser()
    sign_in(client, operator.username)
    # A token request passes the gate; the half-signed session counts for nothing: a wrong
    # token is refused as such (401), a right one answers as its owner.
    wrong = client.get("/api/v1/cameras/", HTTP_AUTHORIZATION="Bearer abc123")
    assert wrong.status_code == 401
    assert wrong.wsgi_request.user.is_anonymous
    from tests.api_helpers import token_key

    right = client.get("/api/v1/cameras/", HTTP_AUTHORIZATION=f"Bearer {token_key(operator)}")
    assert right.status_code == 200
    # Without a token, the API is a page like the others: refused until the code is given.
    session = client.get("/api/v1/cameras/")
    assert session.status_code == 403
    assert "second factor" in session.json()["detail"]


# --- Secrets at rest ---------------------------------------------------------------------------


def test_the_seed_and_the_recovery_codes_are_not_in_the_database_in_clear(operator):
    client = browser()
    sign_in(client, operator.username)
    page, seed = enrol(client)
    codes = recovery_codes(page)
    # The seed set up is no longer in the session (where it was sealed anyway).
    assert twofactor.SETUP_SEED not in client.session

    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM portal_totpdevice")
        [(stored,)] = cursor.fetchall()
        cursor.execute("SELECT digest FROM portal_recoverycode")
        digests = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT session_data FROM django_session")
        sessions = " ".join(row[0] for row in cursor.fetchall())
    assert stored.startswith("fernet:") and seed not in stored
    assert twofactor.seed_base32(seed) not in stored
    assert len(digests) == 10
    for code in codes:
        assert code not in " ".join(digests) and code.replace("-", "") not in " ".join(digests)
        assert code not in sessions
    assert seed not in sessions
    # The application reads the seed back for checking codes.
    assert TotpDevice.objects.get(user=operator).key == seed


def test_the_key_rotation_command_re_encrypts_seeds(operator_app, settings):
    seed = operator_app.key
    new_key = Fernet.generate_key().decode()
    settings.CAMERA_CREDENTIALS_KEYS = [new_key, *settings.CAMERA_CREDENTIALS_KEYS]
    call_command("rotate_credentials_key")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM portal_totpdevice")
        [(stored,)] = cursor.fetchall()
    assert crypto.sealed_with_current_key(stored)
    assert TotpDevice.objects.get(pk=operator_app.pk).key == seed


# --- Reset by a national administrator ---------------------------------------------------------


@pytest.fixture
def national_admin(django_user_model):
    """A national administrator already signed in with both factors."""
    admin = django_user_model.objects.create_superuser("quantri.tw", "", PASSWORD)
    client = browser()
    sign_in(client, admin.username)
    enrol(client)
    return admin, client


def test_a_national_administrator_resets_a_lost_phone(operator, national_admin):
    admin, admin_client = national_admin
    # The operator is signed in with both factors on another computer.
    client = browser()
    sign_in(client, operator.username)
    enrol(client)
    assert client_is_in(client)

    url = reverse("admin:auth_user_reset_second_factor", args=[operator.pk])
    change = admin_client.get(reverse("admin:auth_user_change", args=[operator.pk]))
    assert url in change.content.decode()
    assert "Authenticator app set up on" in change.content.decode()
    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and "Yes, reset" in confirm.content.decode()
    done = admin_client.post(url)

    assert done["Location"] == reverse("admin:auth_user_change", args=[operator.pk])
    assert not TotpDevice.objects.filter(user=operator).exists()
    assert not RecoveryCode.objects.filter(code_set__user=operator).exists()
    # The operator's session ended; at its next sign-in it sets up a new app.
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))
    sign_in(client, operator.username)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("otp_setup"))
    [event] = events("otp_reset")
    assert (event.actor, event.account) == (admin, operator)
    assert event.detail == {"sessions_ended": 1}
    # The administrator is still signed in.
    assert client_is_in(admin_client)


def test_a_national_administrator_resetting_its_own_app_signs_in_again(national_admin):
    admin, client = national_admin
    done = client.post(reverse("admin:auth_user_reset_second_factor", args=[admin.pk]))
    assert done["Location"] == reverse("login")
    assert not client_is_in(client)
    sign_in(client, admin.username)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("otp_setup"))


def test_only_national_administrators_reset(operator, operator_app):
    official = factories.national_official("cuc.vt.02", password=PASSWORD, is_staff=True)
    app = give_app(official)
    client = browser()
    sign_in(client, official.username)
    type_code(client, code_for(app))
    url = reverse("admin:auth_user_reset_second_factor", args=[operator.pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert TotpDevice.objects.filter(user=operator).exists()
    assert not events("otp_reset")


def test_the_command_resets_the_last_national_administrator(operator_app, capsys):
    call_command("reset_second_factor", operator_app.user.username)
    assert not TotpDevice.objects.filter(pk=operator_app.pk).exists()
    [event] = events("otp_reset")
    assert event.account == operator_app.user
    assert operator_app.user.username in capsys.readouterr().out
