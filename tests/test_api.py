"""The API as a permission matrix: the accounts of the pages' matrix (tests/test_access.py), each
with a token of its own, and what each reads, what each is told, and what is left on record."""

import datetime
import json

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from cameras.models import Camera
from portal.models import AccountEvent
from reports.snapshot import take_snapshot
from tests import factories
from tests.api_helpers import CANARY, CAST, World, api_client

pytestmark = pytest.mark.django_db

ALL = ["HCM cổng", "HN cổng", "HN sân"]
HANOI = ["HN cổng", "HN sân"]
CAMERAS = {
    "superuser": ALL,
    "province_admin": HANOI,
    "operator": HANOI,
    "other_operator": ["HCM cổng"],
    "national_official": ALL,
    "viewer": HANOI,
    "facility_manager": ["HN cổng"],
    "expired_operator": [],
    "no_grant": [],
}
# Who receives connection details: the province's operator engineers and national
# administrators, nobody else.
DETAILS = {"superuser", "operator"}


@pytest.fixture
def world():
    return World()


def _names(response):
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


@pytest.mark.parametrize("who", CAST)
def test_camera_list_is_the_accounts_scope(who, world):
    response = world.client(who).get(reverse("api:camera-list"))
    assert _names(response) == CAMERAS[who]


@pytest.mark.parametrize("who", CAST)
def test_facility_list_and_provinces_are_the_accounts_scope(who, world):
    client = world.client(who)
    facilities = _names(client.get(reverse("api:facility-list")))
    provinces = sorted(row["code"] for row in client.get(reverse("api:province-list")).json())
    expected = {
        "superuser": (["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân", "Khu cách ly Thủ Đức"], 63),
        "national_official": (
            ["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân", "Khu cách ly Thủ Đức"], 63
        ),
        "province_admin": (["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân"], ["01"]),
        "operator": (["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân"], ["01"]),
        "viewer": (["Khu cách ly Mê Linh", "Khu cách ly Pháp Vân"], ["01"]),
        "other_operator": (["Khu cách ly Thủ Đức"], ["79"]),
        "facility_manager": (["Khu cách ly Pháp Vân"], []),
        "expired_operator": ([], []),
        "no_grant": ([], []),
    }[who]
    assert facilities == expected[0]
    assert provinces == expected[1] if isinstance(expected[1], list) else len(provinces) == 63


@pytest.mark.parametrize("who", CAST)
def test_a_camera_outside_the_scope_is_not_found(who, world):
    response = world.client(who).get(reverse("api:camera-detail", args=[world.c2.pk]))
    assert response.status_code == (200 if "HCM cổng" in CAMERAS[who] else 404)


@pytest.mark.parametrize("who", CAST)
def test_snapshots_are_the_accounts_provinces(who, world):
    take_snapshot()
    response = world.client(who).get(reverse("api:snapshot-list"), {"province": "01"})
    assert response.status_code == 200
    days = response.json()["results"]
    sees_hanoi = who in ("superuser", "national_official", "province_admin", "operator", "viewer")
    assert [row["province"] for row in days] == (["01"] if sees_hanoi else [])


def test_anonymous_gets_401_with_the_scheme_to_use(world):
    response = api_client(None).get(reverse("api:camera-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


# --- Connection details ---------------------------------------------------------------------


@pytest.mark.parametrize("who", CAST)
def test_connection_details_only_to_the_provinces_operator_and_national_admins(who, world):
    response = world.client(who).get(reverse("api:camera-connection", args=[world.c1.pk]))
    if who in DETAILS:
        assert response.status_code == 200
        assert response.json() == {
            "camera": world.c1.pk,
            "name": "HN cổng",
            "facility": world.f1.pk,
            "stream_url": world.c1.stream_url,
            "username": "vt-user",
            "password": CANARY,
        }
        assert response["Cache-Control"] == "no-store"
        event = AccountEvent.objects.get(event="connection_details")
        assert event.actor == world.users[who]
        assert event.object_id == str(world.c1.pk) and event.province_id == world.f1.province_id
        assert event.remote_addr == "127.0.0.1"
        assert CANARY not in json.dumps(event.detail)
        return
    # Who may read the camera is told why not; who may not read it learns nothing of it.
    assert response.status_code == (403 if "HN cổng" in CAMERAS[who] else 404)
    assert CANARY not in response.content.decode()
    assert not AccountEvent.objects.filter(event="connection_details").exists()


def test_connection_details_only_in_the_statuses_an_operator_connects(world):
    client = world.client("operator")
    registered = client.get(reverse("api:camera-connection", args=[world.c3.pk]))
    assert registered.status_code == 409
    assert CANARY not in registered.content.decode()
    for status in ("eligible", "connected", "suspended"):
        factories.passed_check(world.c3, status=status)
        assert client.get(reverse("api:camera-connection", args=[world.c3.pk])).status_code == 200
    assert AccountEvent.objects.filter(event="connection_details").count() == 3


def test_a_facilitys_connection_details_one_event_per_camera(world):
    second = factories.passed_check(factories.camera(world.f1, name="HN hành lang"))
    factories.camera(world.f1, name="HN chưa kiểm tra")  # registered: left out
    response = world.client("operator").get(
        reverse("api:facility-connection", args=[world.f1.pk])
    )
    assert response.status_code == 200
    body = response.json()
    assert body["facility"] == world.f1.pk
    assert [c["name"] for c in body["cameras"]] == ["HN cổng", "HN hành lang"]
    events = AccountEvent.objects.filter(event="connection_details")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        [str(world.c1.pk), str(second.pk)]
    )
    # Another province's operator, a province admin: refused, and nothing disclosed.
    assert world.client("other_operator").get(
        reverse("api:facility-connection", args=[world.f1.pk])
    ).status_code == 404
    assert world.client("province_admin").get(
        reverse("api:facility-connection", args=[world.f1.pk])
    ).status_code == 403
    assert events.count() == 2


def test_connection_details_are_limited_per_account_with_429_and_retry_after(world, settings):
    settings.CONNECTION_DETAILS_RATE = "2/hour"
    factories.passed_check(world.c3)
    client = world.client("operator")
    url = reverse("api:camera-connection", args=[world.c1.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "2" in refused.json()["detail"] and "Expected available" not in refused.json()["detail"]
    # The batch form counts cameras: two more are over the budget too.
    batch = client.get(reverse("api:facility-connection", args=[world.f3.pk]))
    assert batch.status_code == 429
    # Another account has its own budget.
    assert world.client("superuser").get(url).status_code == 200
    assert AccountEvent.objects.filter(event="connection_details").count() == 3


def test_the_canary_password_appears_nowhere_but_in_the_connection_details(
    world, caplog, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.ACCESS_LOG_DIR = tmp_path
    caplog.set_level("DEBUG")
    seen = []
    with django_capture_on_commit_callbacks(execute=True):
        for who in CAST:
            client = world.client(who)
            for url in (
                reverse("api:camera-list"),
                reverse("api:camera-detail", args=[world.c1.pk]),
                reverse("api:facility-list"),
                reverse("api:facility-detail", args=[world.f1.pk]),
                reverse("api:status"),
                reverse("api:camera-list") + "?connection_status=nonsense",
                reverse("api:camera-detail", args=[999999]),
            ):
                seen.append(client.get(url).content.decode())
            # Errors about the canary's camera: a refused change, an invalid item.
            for payload in (
                [{"camera": world.c1.pk, "status": "decommissioned"}],
                [{"camera": world.c1.pk, "status": "connected", "password": CANARY}],
            ):
                seen.append(
                    client.post(reverse("api:connections"), payload,
                                content_type="application/json").content.decode()
                )
            if who not in DETAILS:
                seen.append(client.get(
                    reverse("api:camera-connection", args=[world.c1.pk])).content.decode())
        disclosed = world.client("operator").get(
            reverse("api:camera-connection", args=[world.c1.pk])
        )
    assert CANARY in disclosed.content.decode()
    assert not [page for page in seen if CANARY in page]
    assert CANARY not in caplog.text
    assert all(CANARY not in path.read_text() for path in tmp_path.iterdir())
    assert any(path.read_text() for path in tmp_path.iterdir())  # the events were logged
    assert CANARY not in json.dumps(list(LogEntry.objects.values("changes", "additional_data")))
    assert CANARY not in json.dumps(
        list(AccountEvent.objects.values("detail", "object_repr")), default=str
    )


def test_a_camera_shows_no_credentials_at_all(world):
    row = world.client("superuser").get(reverse("api:camera-detail", args=[world.c1.pk])).json()
    assert "username" not in row and "password" not in row and "stream_url" not in row
    assert CANARY not in json.dumps(row)


# --- Lists: filters and the cursor ----------------------------------------------------------


def test_camera_filters(world):
    client = world.client("superuser")
    url = reverse("api:camera-list")
    assert _names(client.get(url, {"province": "79"})) == ["HCM cổng"]
    assert _names(client.get(url, {"facility": world.f3.pk})) == ["HN sân"]
    assert _names(client.get(url, {"connection_status": "eligible"})) == ["HCM cổng", "HN cổng"]
    assert _names(client.get(url + "?connection_status=eligible&connection_status=registered")) \
        == ALL
    assert _names(client.get(url, {"health": "online"})) == ["HCM cổng", "HN cổng"]
    assert _names(client.get(url, {"zone": "yard"})) == []
    assert _names(client.get(url, {"zone": "gate"})) == ALL
    later = timezone.now() + datetime.timedelta(minutes=5)
    Camera.objects.filter(pk=world.c3.pk).update(updated_at=later)
    assert _names(client.get(url, {"updated_since": later.isoformat()})) == ["HN sân"]
    bad = client.get(url, {"connection_status": "nonsense", "updated_since": "yesterday"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"connection_status", "updated_since"}


def test_the_cursor_reads_every_camera_once_in_updated_order_even_when_updated_together(world):
    facility = factories.facility("01", name="Khu nhiều camera")
    for n in range(25):
        factories.camera(facility, name=f"Loạt {n:02d}")
    # Written together (as a bulk result does): one updated_at for all of them.
    same = Camera.objects.filter(facility=facility).order_by("pk").first().updated_at
    Camera.objects.filter(facility=facility).update(updated_at=same)
    client = world.client("superuser")
    url, seen = reverse("api:camera-list") + "?page_size=7", []
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    expected = list(Camera.objects.order_by("updated_at", "pk").values_list("pk", flat=True))
    assert seen == expected and len(seen) == 28
    assert client.get(reverse("api:camera-list") + "?cursor=garbage").status_code == 404


# --- Errors: JSON, in the caller's language -------------------------------------------------


def test_errors_are_json_in_the_language_asked_for(world):
    client = world.client("operator")
    url = reverse("api:camera-detail", args=[999999])
    assert client.get(url).json() == {"detail": "Không tìm thấy."}
    assert client.get(url, {"lang": "en"}).json() == {"detail": "Not found."}
    assert client.get(url, headers={"Accept-Language": "en-US,en;q=0.9"}).json() == {
        "detail": "Not found."
    }
    assert client.get(url, headers={"Accept-Language": "vi"}).json() == {
        "detail": "Không tìm thấy."
    }
    assert client.get("/api/no-such-thing/", {"lang": "en"}).json() == {"detail": "Not found."}


def test_the_status_counts_the_accounts_cameras_and_the_last_sweep(world):
    from cameras.choices import SweepTrigger
    from cameras.models import Sweep

    answer = world.client("operator").get(reverse("api:status")).json()
    assert answer["cameras"] == 2
    assert answer["by_health"] == {"online": 1, "unknown": 1}
    assert answer["by_status"] == {"eligible": 1, "registered": 1}
    assert answer["last_sweep"] is None and answer["sweep_lag_seconds"] is None
    sweep = Sweep.objects.create(trigger=SweepTrigger.SCHEDULE, cameras=3)
    Sweep.objects.filter(pk=sweep.pk).update(finished_at=sweep.started_at)
    answer = world.client("operator").get(reverse("api:status")).json()
    assert answer["last_sweep"]["cameras"] == 3
    assert answer["sweep_lag_seconds"] >= 0
    assert answer["sweep_interval_seconds"] == 300


def test_the_active_standard(world):
    answer = world.client("facility_manager").get(reverse("api:standard")).json()
    assert answer["version"] >= 1 and answer["allowed_schemes"] == ["rtsp", "rtsps"]
