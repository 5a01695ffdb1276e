"""POST /api/v1/connections/: an operator's central system reports results in bulk, through the
connection lifecycle the admin applies (cameras/lifecycle.py), all or nothing."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from api.choices import TokenAccess
from cameras.models import Camera, CameraStatusChange
from tests import factories
from tests.api_helpers import CANARY, World, api_client

pytestmark = pytest.mark.django_db

URL = reverse("api:connections")


@pytest.fixture
def world():
    return World()


def post(client, payload, **extra):
    return client.post(URL, payload, content_type="application/json", **extra)


def _camera_entries(camera):
    return LogEntry.objects.get_for_object(camera).filter(action=LogEntry.Action.UPDATE)


def test_good_results_are_written_with_their_actor_and_repeating_them_changes_nothing(world):
    operator = world.users["operator"]
    client = world.client("operator")
    response = post(client, [{"camera": world.c1.pk, "status": "connected", "central_id": "VT-1"}])
    assert response.status_code == 200, response.content
    assert response.json() == {
        "changed": 1,
        "unchanged": 0,
        "items": [{"item": 1, "camera": world.c1.pk, "status": "connected", "changed": True}],
    }
    camera = Camera.objects.get(pk=world.c1.pk)
    assert camera.connection_status == "connected" and camera.central_id == "VT-1"
    assert camera.connected_by == operator and camera.connected_at is not None
    assert camera.updated_at > world.c1.updated_at
    change = CameraStatusChange.objects.get(camera=camera)
    assert (change.source, change.target, change.by) == ("eligible", "connected", operator)
    (entry,) = _camera_entries(camera)
    assert entry.actor == operator and entry.remote_addr == "127.0.0.1"
    assert entry.changes["connection_status"] == ["eligible", "connected"]
    assert entry.changes["central_id"] == ["None", "VT-1"]
    assert entry.additional_data == {"province": world.f1.province_id}

    again = post(client, [{"camera": world.c1.pk, "status": "connected", "central_id": "VT-1"}])
    assert again.status_code == 200
    assert again.json()["changed"] == 0 and again.json()["unchanged"] == 1
    assert _camera_entries(camera).count() == 1
    assert CameraStatusChange.objects.filter(camera=camera).count() == 1


def test_a_connected_camera_is_suspended_with_a_reason(world):
    client = world.client("operator")
    assert post(client, [{"camera": world.c1.pk, "status": "connected"}]).status_code == 200
    missing = post(client, [{"camera": world.c1.pk, "status": "suspended"}])
    assert missing.status_code == 400
    # Vietnamese unless asked otherwise.
    assert missing.json()["errors"][0].startswith("Mục 1, trường reason: ")
    done = post(client, [{"camera": world.c1.pk, "status": "suspended", "reason": "Mất tín hiệu"}])
    assert done.status_code == 200
    camera = Camera.objects.get(pk=world.c1.pk)
    assert camera.connection_status == "suspended" and camera.status_reason == "Mất tín hiệu"


def test_one_bad_item_writes_nothing_and_every_error_is_told_at_once(world):
    second = factories.passed_check(factories.camera(world.f1, name="HN hành lang"))
    before = LogEntry.objects.count()
    response = post(world.client("operator"), [
        {"camera": world.c1.pk, "status": "connected", "central_id": "VT-1"},   # good
        {"camera": world.c3.pk, "status": "connected"},            # never passed a check
        {"camera": world.c2.pk, "status": "connected"},            # another province's
        {"camera": second.pk, "status": "decommissioned", "reason": "hỏng"},  # not an operator's
        {"camera": "abc", "status": "linked", "extra": 1},         # wrong types, unknown field
        {"camera": world.c1.pk, "status": "connected"},            # the same camera twice
        {"camera": second.pk + 1000, "status": "connected"},      # no such camera
    ], QUERY_STRING="lang=en")
    assert response.status_code == 400
    body = response.json()
    # The shape of every item is checked first: with one wrong, the rules are not applied yet.
    assert body["detail"].startswith("3 ")
    assert [e.split(":")[0] for e in body["errors"]] == [
        "Item 5, field camera",
        "Item 5, field status",
        "Item 5, field extra",
    ]
    assert body["errors"][2] == "Item 5, field extra: Unknown field."
    assert LogEntry.objects.count() == before

    # Once the shape is right, every rule's refusal comes at once.
    response = post(world.client("operator"), [
        {"camera": world.c1.pk, "status": "connected", "central_id": "VT-1"},
        {"camera": world.c3.pk, "status": "connected"},
        {"camera": world.c2.pk, "status": "connected"},
        {"camera": second.pk, "status": "decommissioned", "reason": "hỏng"},
        {"camera": world.c1.pk, "status": "connected"},
        {"camera": second.pk + 1000, "status": "connected"},
    ], QUERY_STRING="lang=en")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e.split(":")[0] for e in errors] == [
        "Item 2, field status",
        "Item 3, field camera",
        "Item 4, field status",
        "Item 5, field camera",
        "Item 6, field camera",
    ]
    assert "has not passed a check" in errors[0]
    # Another province's camera is none of this operator's business: not even its existence.
    assert f"there is no camera {world.c2.pk} among the cameras you may see" in errors[1]
    assert "Only the province's administrators can decommission" in errors[2]
    assert "already in item 1" in errors[3]
    assert "no camera" in errors[4]
    # The camera that only lacked a check got one, as with the admin's bulk action.
    assert response.json()["checks_queued"] == 1
    assert Camera.objects.get(pk=world.c1.pk).connection_status == "eligible"
    assert Camera.objects.get(pk=world.c1.pk).central_id is None
    assert LogEntry.objects.get_for_object(world.c1).filter(action=1).count() == 0
    assert not CameraStatusChange.objects.filter(camera=world.c1).exists()


@pytest.mark.parametrize(
    "setup, message",
    [
        ("closed", "is closed"),
        ("stale", "is older than"),
        ("failed", "below the connection standard"),
    ],
)
def test_lifecycle_refusals_come_through_the_api(setup, message, world):
    if setup == "closed":
        world.f1.status = "closed"
        world.f1.save()
    elif setup == "stale":
        factories.passed_check(world.c1, at=timezone.now() - datetime.timedelta(days=1))
    else:
        world.c1.write_state(verdict_eligible=False, verdict_reasons=[{"code": "no_video"}])
    response = post(world.client("operator"), [{"camera": world.c1.pk, "status": "connected"}],
                    QUERY_STRING="lang=en")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error.startswith("Item 1, field status: ") and message in error
    # Not connected (the check the refusal queued ran at once in the tests: what it found is
    # the checks' business, never a connection).
    assert Camera.objects.get(pk=world.c1.pk).connection_status != "connected"
    assert not CameraStatusChange.objects.filter(camera=world.c1, target="connected").exists()


def test_a_central_id_names_one_camera_of_an_operator(world):
    other_hanoi = factories.passed_check(factories.camera(world.f1, name="HN hành lang"))
    # Hà Giang (02) is Viettel's too; Hồ Chí Minh (79) is VNPT's.
    ha_giang = factories.camera(factories.facility("02"), name="Hà Giang cổng")
    Camera.objects.filter(pk=ha_giang.pk).update(central_id="VT-9")
    Camera.objects.filter(pk=world.c2.pk).update(central_id="VT-1")
    client = world.client("operator")
    taken = post(client, [{"camera": world.c1.pk, "status": "connected", "central_id": "VT-9"}],
                 QUERY_STRING="lang=en")
    assert taken.status_code == 400
    assert taken.json()["errors"] == [
        "Item 1, field central_id: the central id “VT-9” is already another camera's."
    ]
    twice = post(client, [
        {"camera": world.c1.pk, "status": "connected", "central_id": "VT-2"},
        {"camera": other_hanoi.pk, "status": "connected", "central_id": "VT-2"},
    ], QUERY_STRING="lang=en")
    assert twice.json()["errors"] == [
        "Item 2, field central_id: the central id “VT-2” is also given in item 1."
    ]
    # VNPT's camera numbered VT-1 in its own system does not collide with Viettel's.
    ok = post(client, [{"camera": world.c1.pk, "status": "connected", "central_id": "VT-1"}])
    assert ok.status_code == 200


def test_a_read_only_token_never_writes(world):
    client = api_client(world.users["operator"], access=TokenAccess.READ_ONLY)
    response = post(client, [{"camera": world.c1.pk, "status": "connected"}],
                    QUERY_STRING="lang=en")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert Camera.objects.get(pk=world.c1.pk).connection_status == "eligible"
    assert client.get(reverse("api:camera-list")).status_code == 200


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        ("[{\"camera\": 1,", "application/json", 400),
        ("{\"camera\": 1, \"status\": \"connected\"}", "application/json", 400),
        ("[]", "application/json", 400),
        ("camera=1&status=connected", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_bodies_are_refused_and_write_nothing(body, content_type, status, world):
    before = (LogEntry.objects.count(), CameraStatusChange.objects.count())
    response = world.client("operator").post(URL, body, content_type=content_type)
    assert response.status_code == status
    assert response.json()["detail"]
    assert (LogEntry.objects.count(), CameraStatusChange.objects.count()) == before


def test_who_may_read_a_camera_but_not_connect_it_is_told_so(world):
    for who in ("province_admin", "national_official"):
        response = post(world.client(who), [{"camera": world.c1.pk, "status": "connected"}],
                        QUERY_STRING="lang=en")
        assert response.status_code == 400
        assert response.json()["errors"] == [
            "Item 1, field camera: Only the operator engineers serving the province can connect "
            "or suspend cameras."
        ]


def test_a_national_administrator_reports_as_an_operator_does(world):
    response = post(world.client("superuser"), [
        {"camera": world.c2.pk, "status": "connected"},
        {"camera": world.c3.pk, "status": "decommissioned", "reason": "hỏng"},
    ], QUERY_STRING="lang=en")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "Item 2, field status: Only the province's administrators can decommission or reinstate "
        "cameras."
    ]


def test_the_camera_page_shows_the_central_id(world, client):
    Camera.objects.filter(pk=world.c1.pk).update(central_id="VT-77")
    client.force_login(world.users["operator"])
    page = client.get(reverse("admin:cameras_camera_change", args=[world.c1.pk]))
    assert "VT-77" in page.content.decode()
    assert CANARY not in page.content.decode()
