"""Accounts and hardening: login lock-out, idle sessions, deploy settings, escaping, CSP."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from portal.models import AccountEvent
from tests import factories
from tests.second_factor import code_for, give_app
from tests.test_sessions import age_renewal

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "Mat-khau-du-dai-2021"
XSS = '<script>alert("x")</script>'


@pytest.fixture
def officer(django_user_model):
    return django_user_model.objects.create_user("canbo01", password=PASSWORD, is_staff=True)


def login(client, username, password, address="203.0.113.7", url=None):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


# --- Lock-out --------------------------------------------------------------------------------


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_out_the_user_name_from_that_address(client, officer):
    for _attempt in range(2):
        assert login(client, "canbo01", "wrong-password").status_code == 200
    locked = login(client, "canbo01", "wrong-password")

    assert locked.status_code == 429
    html = locked.content.decode()
    # Translated (Vietnamese is the default language) and telling how long to wait.
    assert "Tạm khóa đăng nhập" in html
    assert "30" in html
    # Even the right password is refused now, from that address ...
    assert login(client, "canbo01", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # ... but not from another address, nor for another account from the same address.
    assert login(client, "canbo01", PASSWORD, address="198.51.100.20").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_lock_out_is_an_account_event_with_the_name_and_address(client, officer):
    for _attempt in range(3):
        login(client, "canbo01", "wrong-password")

    event = AccountEvent.objects.get(event="locked_out")
    assert (event.username, event.remote_addr) == ("canbo01", "203.0.113.7")
    assert AccountEvent.objects.filter(event="login_failed", username="canbo01").count() == 3
    # Every login refused during the lock-out is on record too (one event each, not two).
    login(client, "canbo01", PASSWORD)
    assert AccountEvent.objects.filter(event="locked_out").count() == 2


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_admin_login_is_protected_too(client, officer):
    url = reverse("admin:login")
    for _attempt in range(2):
        login(client, "canbo01", "wrong-password", url=url)
    assert login(client, "canbo01", "wrong-password", url=url).status_code == 429
    assert login(client, "canbo01", PASSWORD, url=url).status_code == 429


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_successful_login_resets_the_count(client, officer):
    # A staff account's sign-in succeeds at its code (tests/test_twofactor.py): the password
    # alone does not wipe the count, or wrong codes could be guessed forever between passwords.
    device = give_app(officer)
    login(client, "canbo01", "wrong-password")
    login(client, "canbo01", "wrong-password")
    assert login(client, "canbo01", PASSWORD).status_code == 302
    code = client.post(
        reverse("otp_verify"), {"code": code_for(device)}, REMOTE_ADDR="203.0.113.7"
    )
    assert code.status_code == 302
    client.logout()
    login(client, "canbo01", "wrong-password")
    assert login(client, "canbo01", "wrong-password").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3, SNAPSHOT_FACILITY_MANAGERS=False)
def test_a_password_alone_resets_the_count_where_no_code_is_asked(client):
    manager = factories.facility_manager("quanly01", factories.facility(), password=PASSWORD)
    login(client, "quanly01", "wrong-password")
    login(client, "quanly01", "wrong-password")
    assert login(client, manager.username, PASSWORD).status_code == 302
    client.logout()
    login(client, "quanly01", "wrong-password")
    assert login(client, "quanly01", "wrong-password").status_code == 200


def test_the_lock_out_limit_and_cool_off_come_from_the_environment():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; "
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), "
        "s.SESSION_COOKIE_AGE, s.AXES_LOCKOUT_PARAMETERS)"
    )
    env = {**os.environ, "AXES_FAILURE_LIMIT": "7", "AXES_COOLOFF": "15",
           "SESSION_IDLE_MINUTES": "20", "DATA_DIR": str(BASE_DIR / "var")}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=BASE_DIR,
                         capture_output=True, text=True, check=True).stdout
    assert out.split(" ", 3)[:3] == ["7", "900", "1200"]
    assert "['username', 'ip_address']" in out


def test_authenticating_without_a_request_still_works(client, officer):
    # Django's test client and scripts authenticate without a request; axes needs one.
    assert client.login(username="canbo01", password=PASSWORD)


# --- Passwords and sessions ------------------------------------------------------------------


def test_passwords_need_ten_characters_and_not_a_common_one(officer):
    with pytest.raises(ValidationError):
        validate_password("Ab1-short", user=officer)
    with pytest.raises(ValidationError):
        validate_password("password123", user=officer)
    validate_password(PASSWORD, user=officer)


def test_a_request_renews_the_session_for_the_idle_time(client, officer):
    # At most once a minute (SESSION_RENEW_SECONDS): tests/test_sessions.py.
    client.force_login(officer)
    age_renewal(client, settings.SESSION_RENEW_SECONDS + 1)
    response = client.get(reverse("admin:index"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_IDLE_MINUTES * 60


def test_a_session_idle_for_longer_than_the_limit_is_logged_out(client, officer):
    client.force_login(officer)
    assert client.get(reverse("admin:index")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


# --- Production settings ---------------------------------------------------------------------

# The production environment documented in the README ("Production checklist").
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3Q9vN2xW7pL5mR8tY1uI4oP6aS0dF3gH7jK2lZ5xC8vB1nM4qW9eR6tY3uI0oP7",
    "ALLOWED_HOSTS": "camera.example.gov.vn",
    "HTTPS_ONLY": "1",
    "CAMERA_CREDENTIALS_KEY": "vZ1QkLrQ3b1YjJH0n2m5n8Jm4c6p8s0u2w4y6A8C0E4=",
}


def deploy_check(tmp_path, extra):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "HTTPS_ONLY"}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "DATA_DIR": str(tmp_path), **extra})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_the_production_environment(tmp_path):
    result = deploy_check(tmp_path, PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_the_development_defaults(tmp_path):
    result = deploy_check(tmp_path, {})
    assert result.returncode != 0
    report = result.stdout + result.stderr
    for check in ("security.W004", "security.W008", "security.W012", "portal.W001",
                  "portal.W002"):
        assert check in report


def test_production_pages_send_hsts_and_secure_cookies(client, officer):
    with override_settings(
        SECURE_HSTS_SECONDS=31536000,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SESSION_COOKIE_SECURE=True,
        CSRF_COOKIE_SECURE=True,
    ):
        response = client.post(
            reverse("login"), {"username": "canbo01", "password": PASSWORD}, secure=True
        )
        assert response.status_code == 302
        assert response.cookies[settings.SESSION_COOKIE_NAME]["secure"]
        assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"]
        page = client.get(reverse("login"), secure=True)
        assert page["Strict-Transport-Security"].startswith("max-age=31536000")


# --- Content-Security-Policy -----------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+=\"", re.I)


def test_every_page_carries_a_strict_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_have_no_inline_script_or_style_the_policy_would_block(
    client, superuser, django_user_model
):
    facility = factories.facility("01", name="Khu cách ly A")
    factories.camera(facility, name="Camera 1")
    pages = [reverse("login")]
    client.force_login(superuser)
    pages += [
        reverse("admin:index"),
        reverse("admin:cameras_camera_changelist"),
        reverse("admin:cameras_camera_add"),
        reverse("admin:facilities_facility_changelist"),
        reverse("admin:facilities_facility_change", args=[facility.pk]),
        reverse("admin:cameras_camera_import"),
        reverse("admin:facilities_facility_import"),
        reverse("facility_detail", args=[facility.pk]),
        reverse("reports:progress"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html).group(0))
        assert not INLINE_STYLE.search(html), (url, INLINE_STYLE.search(html).group(0))
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html).group(0))


# --- Escaping --------------------------------------------------------------------------------


def assert_escaped(html):
    assert XSS not in html
    assert "<img src=x onerror" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_names_typed_by_users_show_as_text_in_the_admin_and_on_pages(client, superuser):
    facility = factories.facility("01", name=XSS, focal_name=XSS, address=XSS)
    camera = factories.camera(facility, name=XSS, vendor="<img src=x onerror=alert(1)>")
    client.force_login(superuser)
    for url in (
        reverse("admin:facilities_facility_changelist"),
        reverse("admin:cameras_camera_changelist"),
        reverse("admin:cameras_camera_change", args=[camera.pk]),
        reverse("admin:facilities_facility_change", args=[facility.pk]),
        reverse("facility_detail", args=[facility.pk]),
        reverse("my_facilities"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode())


def test_a_user_name_typed_at_login_is_shown_back_as_text(client):
    response = login(client, XSS, "wrong-password")
    html = response.content.decode()
    assert XSS not in html
    assert "&lt;script&gt;" in html
