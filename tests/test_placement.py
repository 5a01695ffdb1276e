"""Placement review: a province admin approves or rejects where a camera looks, from its picture.

A rejection makes a registered or eligible camera ineligible and suspends a connected one (the
operator engineers are told), through rows of the lifecycle table; the checks then leave its
status alone until a newer picture is approved. The page is a province admin's, scoped, with a
fixed number of queries whatever the number of cameras on it.
"""

import datetime
import io

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cameras import health, lifecycle, placement, snapshots
from cameras.choices import ConnectionStatus, PlacementDecision
from cameras.models import Camera, CameraStatusChange, PlacementReview
from tests import factories
from tests.test_snapshots import a_picture, probed

pytestmark = pytest.mark.django_db
S = ConnectionStatus


@pytest.fixture(autouse=True)
def snapshot_dir(settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"


@pytest.fixture
def admin01():
    return factories.province_user("padmin", "01")


def pictured(cam, shade=120, at=None):
    (row,) = snapshots.save_many({cam.pk: probed(a_picture(shade))}, now=at)
    return row


def test_rejecting_an_eligible_camera_makes_it_ineligible_until_a_newer_picture_is_approved(
    admin01, django_capture_on_commit_callbacks
):
    cam = factories.camera(factories.facility("01"))
    factories.passed_check(cam)
    first = pictured(cam, at=timezone.now() - datetime.timedelta(hours=1))
    placement.review(cam, first, admin01, PlacementDecision.REJECTED, reason="inside_room")
    cam.refresh_from_db()
    assert (cam.connection_status, cam.placement_review) == (S.INELIGIBLE, "rejected")
    assert cam.status_reason  # the review's reason, in the portal's language
    change = CameraStatusChange.objects.filter(camera=cam).first()
    assert (change.transition, change.by) == ("reject_placement", admin01)

    # A passing verdict of the checks does not make it eligible again.
    cam = Camera.objects.select_related("state").get(pk=cam.pk)
    verdict = type("V", (), {"eligible": True, "reasons": [], "reachable": True, "error_kind": ""})
    assert health._judge_status(cam, verdict, False, "online", timezone.now()) is None

    # The same picture cannot be approved; a newer one can.
    with pytest.raises(placement.Refused):
        placement.review(cam, first, admin01, PlacementDecision.APPROVED)
    newer = pictured(cam, 90)
    with django_capture_on_commit_callbacks():
        placement.review(cam, newer, admin01, PlacementDecision.APPROVED)
    cam.refresh_from_db()
    assert cam.placement_review == "approved"


def test_rejecting_a_connected_camera_suspends_it_and_tells_the_operator(
    admin01, django_capture_on_commit_callbacks
):
    cam = factories.camera(factories.facility("01"))
    factories.passed_check(cam, status="connected")
    operator = factories.province_user("oper", "01", "connect_province", email="op@example.vn")
    assert operator.email
    shot = pictured(cam)
    with django_capture_on_commit_callbacks(execute=True):
        placement.review(
            cam, shot, admin01, PlacementDecision.REJECTED, reason="other", note="nhìn vào phòng"
        )
    cam.refresh_from_db()
    assert cam.connection_status == S.SUSPENDED
    assert "nhìn vào phòng" in cam.status_reason
    assert [m.to for m in mail.outbox] == [["op@example.vn"]]


def test_a_rejection_needs_a_reason():
    cam = factories.camera(factories.facility("01"))
    shot = pictured(cam)
    user = factories.province_user("padmin", "01")
    with pytest.raises(placement.Refused):
        placement.review(cam, shot, user, PlacementDecision.REJECTED)
    with pytest.raises(placement.Refused):
        placement.review(cam, shot, user, PlacementDecision.REJECTED, reason="other")
    assert not PlacementReview.objects.exists()


def test_review_rows_are_not_offered_in_the_camera_form():
    cam = factories.camera(factories.facility("01"))
    factories.passed_check(cam)
    cam.refresh_from_db()
    offered = lifecycle.offered_targets(cam, frozenset({lifecycle.PROVINCE_ADMIN}))
    assert S.INELIGIBLE not in offered
    with pytest.raises(lifecycle.Refused):
        lifecycle.check(cam, S.INELIGIBLE, frozenset({lifecycle.PROVINCE_ADMIN}), reason="x")


# --- The page -------------------------------------------------------------------------------


def test_the_page_shows_the_province_admins_cameras_only(client, admin01):
    mine = factories.camera(factories.facility("01"), name="Hành lang tầng 2")
    other = factories.camera(factories.facility("79"), name="Cổng khu B")
    pictured(mine)
    pictured(other)
    client.force_login(admin01)
    page = client.get(reverse("placement_review")).content.decode()
    assert "Hành lang tầng 2" in page and "Cổng khu B" not in page


@pytest.mark.parametrize("role", ["connect_province", "view_province"])
def test_other_roles_do_not_review(client, role):
    cam = factories.camera(factories.facility("01"))
    shot = pictured(cam)
    user = factories.province_user("someone", "01", role)
    client.force_login(user)
    assert client.get(reverse("placement_review")).status_code == 403
    response = client.post(
        reverse("placement_decide", args=[cam.pk]),
        {"snapshot": shot.pk, "decision": "approved"},
    )
    assert response.status_code == 403
    assert not PlacementReview.objects.exists()


def test_reject_from_the_page(client, admin01):
    cam = factories.camera(factories.facility("01"))
    factories.passed_check(cam)
    shot = pictured(cam)
    client.force_login(admin01)
    response = client.post(
        reverse("placement_decide", args=[cam.pk]),
        {"snapshot": shot.pk, "decision": "rejected", "reason": "bathroom"},
    )
    assert response.status_code == 302
    cam.refresh_from_db()
    assert cam.connection_status == S.INELIGIBLE
    page = client.get(reverse("placement_review") + "?state=rejected").content.decode()
    assert cam.name in page


def test_the_page_costs_the_same_queries_for_3_and_12_cameras(client, admin01):
    facility = factories.facility("01")
    client.force_login(admin01)
    counts = []
    for total in (3, 12):
        for _ in range(total - (counts and 3 or 0)):
            cam = factories.camera(facility)
            pictured(cam)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("placement_review")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts == [8, 8], counts
    print("placement review page queries", counts)


def test_the_review_shows_on_the_camera_page(client, admin01):
    cam = factories.camera(factories.facility("01"))
    factories.passed_check(cam)
    shot = pictured(cam)
    placement.review(cam, shot, admin01, PlacementDecision.REJECTED, reason="other", note="góc sai")
    client.force_login(admin01)
    page = client.get(reverse("admin:cameras_camera_change", args=[cam.pk])).content.decode()
    assert "góc sai" in page


def test_a_rejection_shows_on_the_facility_managers_page(client, admin01):
    facility = factories.facility("01")
    cam = factories.camera(facility)
    factories.passed_check(cam)
    placement.review(
        cam, pictured(cam), admin01, PlacementDecision.REJECTED, reason="other", note="góc sai"
    )
    client.force_login(factories.facility_manager("fm", facility))
    page = client.get(reverse("facility_detail", args=[facility.pk])).content.decode()
    assert "góc sai" in page


def test_the_dashboard_counts_the_reviews(client, admin01):
    facility = factories.facility("01")
    approved, rejected, _waiting = (factories.camera(facility) for _ in range(3))
    placement.review(approved, pictured(approved), admin01, PlacementDecision.APPROVED)
    placement.review(
        rejected, pictured(rejected), admin01, PlacementDecision.REJECTED, reason="bathroom"
    )
    factories.camera(factories.facility("79"))  # another province's: not counted here
    client.force_login(admin01)
    page = client.get(reverse("reports:province", args=["01"])).content.decode()
    assert 'data-placement-approved="1"' in page
    assert 'data-placement-rejected="1"' in page
    assert 'data-placement-not-reviewed="1"' in page
    assert 'data-picture-warned="0"' in page
    black = factories.camera(facility)
    snapshots.save_many({black.pk: probed(_black())})
    page = client.get(reverse("reports:province", args=["01"])).content.decode()
    assert 'data-picture-warned="1"' in page


def _black():
    out = io.BytesIO()
    Image.new("RGB", (640, 360)).save(out, format="JPEG")
    return out.getvalue()
