"""Sessions are renewed at most once a minute: a read-only page view writes nothing.

Every write needs the database's write lock (on SQLite one lock for the whole portal, shared
with the background checks), so a page that only reads must not write the session each time.
The idle expiry still slides: a request renews the session once its last renewal is a minute
old, and a session idle for SESSION_IDLE_MINUTES ends.
"""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.models import AccountEvent
from portal.sessions import RENEWED_AT
from tests import factories

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def writes(queries):
    """The statements of `queries` that write (a transaction's BEGIN and COMMIT are not)."""
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, writes(ctx.captured_queries)


def age_renewal(client, seconds):
    """Pretend the session was last renewed `seconds` ago (time frozen by editing the stamp)."""
    session = client.session
    session[RENEWED_AT] = int(time.time()) - seconds
    session.save()


def stored_expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


@pytest.fixture
def province_admin(client):
    user = factories.province_user("tinh01", "01", is_staff=True)
    facility = factories.facility("01", name="Khu cách ly Pháp Vân")
    camera = factories.camera(facility, name="Cổng chính")
    client.force_login(user)
    return user, facility, camera


def read_only_pages(facility):
    return [
        reverse("admin:index"),
        reverse("admin:cameras_camera_changelist"),
        reverse("admin:facilities_facility_changelist"),
        reverse("reports:progress"),
        reverse("reports:province", args=["01"]),
        reverse("my_facilities"),
    ]


def test_read_only_pages_write_nothing_within_a_minute_of_the_last_renewal(
    client, province_admin
):
    _user, facility, _camera = province_admin
    pages = read_only_pages(facility)
    # Signing in counted as a renewal: from the first page on, nothing is written.
    for url in pages:
        response, written = get(client, url)
        assert written == [], url
        # No new cookie either: the browser keeps the one of the last renewal.
        assert settings.SESSION_COOKIE_NAME not in response.cookies, url


def test_a_request_a_minute_after_the_last_renewal_renews_the_session(client, province_admin):
    _user, facility, _camera = province_admin
    get(client, reverse("admin:index"))
    age_renewal(client, settings.SESSION_RENEW_SECONDS - 5)
    before = stored_expiry(client)
    _response, written = get(client, reverse("reports:progress"))
    assert written == []
    assert stored_expiry(client) == before

    age_renewal(client, settings.SESSION_RENEW_SECONDS + 1)
    response, written = get(client, reverse("admin:facilities_facility_changelist"))
    assert len(written) == 1 and "django_session" in written[0]
    # The idle time starts again from this request, in the database and in the cookie.
    remaining = stored_expiry(client) - timezone.now()
    assert timedelta(minutes=settings.SESSION_IDLE_MINUTES) - remaining < timedelta(seconds=30)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_IDLE_MINUTES * 60


def test_a_session_idle_for_longer_than_the_limit_still_ends(client, province_admin):
    get(client, reverse("admin:index"))
    # Idle: no renewal for longer than the idle time, so the stored expiry has passed.
    age_renewal(client, settings.SESSION_IDLE_MINUTES * 60 + 1)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()


def test_deleting_the_sessions_of_an_account_signs_it_out(client, province_admin):
    get(client, reverse("admin:index"))
    Session.objects.all().delete()
    response = client.get(reverse("admin:cameras_camera_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_making_an_account_inactive_signs_it_out_at_its_next_request(client, province_admin):
    user, _facility, _camera = province_admin
    get(client, reverse("admin:index"))
    user.is_active = False
    user.save()
    response = client.get(reverse("reports:progress"))
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_a_visitor_without_a_session_gets_none(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


def test_a_stale_session_cookie_creates_no_session(client):
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert not Session.objects.exists()


def test_viewing_a_camera_or_facility_page_writes_only_its_account_event(client, province_admin):
    _user, facility, camera = province_admin
    get(client, reverse("admin:index"))
    for url in (
        reverse("admin:cameras_camera_change", args=[camera.pk]),
        reverse("admin:facilities_facility_change", args=[facility.pk]),
        reverse("facility_detail", args=[facility.pk]),
    ):
        _response, written = get(client, url)
        # The view is an account event the audit rules require: one small INSERT, nothing else.
        assert len(written) == 1 and "portal_accountevent" in written[0], url
    viewed = AccountEvent.objects.filter(event="view").order_by("pk")
    assert [e.object_repr for e in viewed] == [str(camera), str(facility), str(facility)]


def test_signing_in_and_out_still_write_the_session(client, django_user_model):
    django_user_model.objects.create_user(
        "canbo02", password="Mat-khau-du-dai-2021", is_staff=True
    )
    client.post(reverse("login"), {"username": "canbo02", "password": "Mat-khau-du-dai-2021"})
    assert Session.objects.count() == 1
    assert client.session[RENEWED_AT] <= time.time()
    client.post(reverse("logout"))
    assert not Session.objects.exists()
