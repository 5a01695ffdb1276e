"""The "Show connection details" button of a camera's admin page: the same accounts, statuses,
account event and limit as the API's connection endpoint (cameras/disclosure.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AccountEvent
from tests import factories
from tests.api_helpers import CANARY, CAST, World

pytestmark = pytest.mark.django_db

BUTTON = 'id="camera-connection-details"'


@pytest.fixture
def world():
    return World()


def _client(world, who):
    client = Client()
    client.force_login(world.users[who])
    return client


@pytest.mark.parametrize("who", [w for w in CAST if w != "facility_manager"])
def test_only_the_provinces_operator_and_national_admins_see_and_use_the_button(who, world):
    client = _client(world, who)
    page = client.get(reverse("admin:cameras_camera_change", args=[world.c1.pk]))
    url = reverse("admin:cameras_camera_connection", args=[world.c1.pk])
    shown = client.post(url)
    if who in ("superuser", "operator"):
        assert BUTTON in page.content.decode()
        assert shown.status_code == 200
        assert "no-store" in shown["Cache-Control"]
        html = shown.content.decode()
        assert CANARY in html and "vt-user" in html and world.c1.stream_url in html
        event = AccountEvent.objects.get(event="connection_details")
        assert event.actor == world.users[who] and event.detail == {
            "camera": world.c1.pk, "via": "admin"
        }
        return
    assert page.status_code != 200 or BUTTON not in page.content.decode()
    assert shown.status_code in (302, 403, 404)
    assert CANARY not in shown.content.decode()
    assert not AccountEvent.objects.filter(event="connection_details").exists()


def test_no_button_for_a_camera_not_yet_eligible_and_a_get_shows_nothing(world):
    client = _client(world, "operator")
    page = client.get(reverse("admin:cameras_camera_change", args=[world.c3.pk]))
    assert page.status_code == 200 and BUTTON not in page.content.decode()
    refused = client.post(reverse("admin:cameras_camera_connection", args=[world.c3.pk]))
    assert refused.status_code == 302
    got = client.get(reverse("admin:cameras_camera_connection", args=[world.c1.pk]))
    assert got.status_code == 302 and CANARY not in got.content.decode()
    assert not AccountEvent.objects.filter(event="connection_details").exists()


def test_the_page_and_the_api_share_one_limit(world, settings):
    from tests.api_helpers import api_client

    settings.CONNECTION_DETAILS_RATE = "1/hour"
    client = _client(world, "operator")
    url = reverse("admin:cameras_camera_connection", args=[world.c1.pk])
    assert CANARY in client.post(url).content.decode()
    again = client.post(url, follow=True)
    assert CANARY not in again.content.decode()
    api = api_client(world.users["operator"]).get(
        reverse("api:camera-connection", args=[world.c1.pk])
    )
    assert api.status_code == 429
    assert AccountEvent.objects.filter(event="connection_details").count() == 1


def test_another_provinces_camera_is_not_found(world):
    factories.passed_check(world.c2)
    response = _client(world, "operator").post(
        reverse("admin:cameras_camera_connection", args=[world.c2.pk])
    )
    assert response.status_code in (302, 404)
    assert CANARY not in response.content.decode()
