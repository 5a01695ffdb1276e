"""The connection lifecycle: which status changes are allowed, to whom, on what condition, and
that every path (the admin form, the bulk actions, the checks, any save) keeps to the table.

The table below is the specification of the issue, written out independently of
cameras/lifecycle.py: a row added or lost there fails here.
"""

import datetime
import itertools
import unicodedata

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from cameras import lifecycle
from cameras.choices import ConnectionStatus
from cameras.models import Camera, CameraStatusChange, ConnectionStandard
from facilities.choices import FacilityStatus
from reports.snapshot import counts_by_province
from tests import factories

pytestmark = pytest.mark.django_db

S = ConnectionStatus
CHECKS, OPERATOR, ADMIN = lifecycle.CHECKS, lifecycle.OPERATOR, lifecycle.PROVINCE_ADMIN

# (from, to, who) the issue allows; everything else is refused.
ALLOWED = {
    (S.REGISTERED, S.ELIGIBLE, CHECKS),
    (S.REGISTERED, S.INELIGIBLE, CHECKS),
    (S.INELIGIBLE, S.ELIGIBLE, CHECKS),
    (S.ELIGIBLE, S.INELIGIBLE, CHECKS),
    (S.ELIGIBLE, S.CONNECTED, OPERATOR),
    (S.SUSPENDED, S.CONNECTED, OPERATOR),
    (S.CONNECTED, S.SUSPENDED, OPERATOR),
    *((source, S.DECOMMISSIONED, ADMIN) for source in S.values if source != S.DECOMMISSIONED),
    (S.DECOMMISSIONED, S.REGISTERED, ADMIN),
}
EDGES = [
    (source, target, who)
    for source, target in itertools.permutations(S.values, 2)
    for who in (CHECKS, OPERATOR, ADMIN)
]


@pytest.fixture
def operator():
    return factories.province_user("vnpt", "01", "connect_province")


@pytest.fixture
def province_admin():
    return factories.province_user("sotttt", "01", "manage_province")


def english(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def connected_in(province_id):
    """Connected cameras of the province in the live national figures."""
    counts = counts_by_province().get(province_id)
    return counts.cameras_connected if counts else 0


def change_url(camera):
    return reverse("admin:cameras_camera_change", args=[camera.pk])


def changelist():
    return reverse("admin:cameras_camera_changelist")


def in_status(status, **fields):
    """A camera in `status` whose latest check passed just now (so only the table decides)."""
    camera = factories.passed_check(factories.camera(), status=status)
    if status in (S.SUSPENDED, S.DECOMMISSIONED, S.INELIGIBLE):
        Camera.objects.filter(pk=camera.pk).update(status_reason="lý do cũ", **fields)
        camera.refresh_from_db()
    return camera


# --- The table ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target", "who"), EDGES)
def test_every_transition_is_allowed_only_as_the_table_says(source, target, who):
    camera = in_status(source)
    allowed = (source, target, who) in ALLOWED
    try:
        transition = lifecycle.check(camera, target, {who}, reason="Bảo trì đường truyền")
    except lifecycle.Refused:
        assert not allowed, f"{source} -> {target} by {who} should be allowed"
        return
    assert allowed, f"{source} -> {target} by {who} should be refused"
    assert transition.target == target


@pytest.mark.parametrize(("source", "target", "who"), sorted(ALLOWED))
def test_every_allowed_transition_saves_and_leaves_a_history_row(source, target, who, operator):
    camera = in_status(source)
    if who == CHECKS:
        change = lifecycle.judge(camera, target == S.ELIGIBLE, "" if target == S.ELIGIBLE else "x")
        camera.save()
        lifecycle.record(change, camera)
    else:
        lifecycle.move(camera, target, user=operator, roles={who}, reason="Bảo trì")
    camera.refresh_from_db()
    assert camera.connection_status == target
    row = CameraStatusChange.objects.get(camera=camera)
    assert (row.source, row.target) == (source, target)
    assert row.by == (None if who == CHECKS else operator)


def test_a_save_outside_the_lifecycle_cannot_store_a_forbidden_transition():
    camera = factories.camera()
    camera.connection_status = S.CONNECTED  # registered -> connected: no row of the table
    with pytest.raises(ValueError, match="cameras.lifecycle"):
        camera.save()
    camera.refresh_from_db()
    assert camera.connection_status == S.REGISTERED


# --- Connecting: only with a recent passing verdict ----------------------------------------


@pytest.mark.parametrize(
    "state",
    ["never_checked", "ineligible_offline", "stale", "old_standard", "pending", "closed"],
)
def test_operator_cannot_connect_without_a_recent_pass(state, operator, client, settings):
    settings.CAMERA_CHECK_INTERVAL = 5
    camera = factories.camera()
    if state == "ineligible_offline":
        Camera.objects.filter(pk=camera.pk).update(
            connection_status=S.INELIGIBLE, status_reason="Không đọc được"
        )
        camera.write_state(
            health="offline", verdict_eligible=False, verdict_reasons=[{"code": "timeout"}],
            verdict_at=timezone.now(), verdict_standard=ConnectionStandard.current(),
            verdict_pending=False,
        )
    elif state != "never_checked":
        camera = factories.passed_check(camera)
        if state == "stale":
            # Three intervals (15 minutes) is the default limit.
            at = timezone.now() - datetime.timedelta(minutes=16)
            camera.write_state(verdict_at=at, full_checked_at=at)
        elif state == "old_standard":
            newer = ConnectionStandard.objects.create(version=99, min_fps=15)
            newer.activate()
        elif state == "pending":
            camera.write_state(verdict_pending=True)
        elif state == "closed":
            camera.facility.status = FacilityStatus.CLOSED
            camera.facility.save()
    Camera.objects.filter(pk=camera.pk).update(check_enabled=False)  # no probe of 10.0.0.x
    before = Camera.objects.get(pk=camera.pk).connection_status
    page = english(client, operator).post(
        change_url(camera), {"connection_status": "connected", "status_reason": ""}
    )
    assert page.status_code == 200  # the form again, with the refusal
    camera.refresh_from_db()
    assert camera.connection_status == before
    errors = " ".join(page.context["adminform"].form.errors.get("connection_status", []))
    expected = {
        "never_checked": "has not passed a check of its current stream yet",
        "ineligible_offline": "Its latest check found it below the connection standard: The "
        "camera did not answer in time",
        "stale": "is older than 15 minutes",
        "old_standard": "earlier version of the connection standard",
        "pending": "has not passed a check of its current stream yet",
        "closed": "is closed: its cameras are not connected",
    }[state]
    assert expected in errors
    # The national figures do not move.
    assert connected_in(camera.facility.province_id) == 0


def test_connect_within_the_limit_records_who_when_and_clears_the_reason(operator, client):
    camera = factories.passed_check(factories.camera(), status=S.SUSPENDED)
    Camera.objects.filter(pk=camera.pk).update(status_reason="Mất kết nối trung tâm")
    english(client, operator).post(
        change_url(camera), {"connection_status": "connected", "status_reason": ""}
    )
    camera.refresh_from_db()
    assert camera.connection_status == S.CONNECTED
    assert camera.connected_by == operator and camera.connected_at is not None
    assert camera.status_reason == "" and camera.not_connected_reason == ""
    assert connected_in(camera.facility.province_id) == 1


def test_connect_max_age_is_a_setting(operator, settings):
    settings.CONNECT_MAX_AGE = 60
    camera = factories.passed_check(
        factories.camera(), at=timezone.now() - datetime.timedelta(minutes=50)
    )
    assert lifecycle.check(camera, S.CONNECTED, {OPERATOR}).name == "connect"
    settings.CONNECT_MAX_AGE = 40
    with pytest.raises(lifecycle.Refused, match="older than 40 minutes"):
        lifecycle.check(camera, S.CONNECTED, {OPERATOR}, queue_check=False)


def test_province_admins_no_longer_connect_cameras(province_admin, client):
    camera = factories.passed_check(factories.camera())
    c = english(client, province_admin)
    form = c.get(change_url(camera)).context["adminform"].form
    assert "connected" not in [value for value, _label in form.fields["connection_status"].choices]
    c.post(changelist(), {"action": "connect_selected", "_selected_action": [camera.pk]})
    c.post(change_url(camera), {**_admin_data(camera), "connection_status": "connected"})
    camera.refresh_from_db()
    assert camera.connection_status == S.ELIGIBLE
    with pytest.raises(lifecycle.Refused, match="Only the operator engineers serving the province"):
        lifecycle.check(camera, S.CONNECTED, lifecycle.roles_of(province_admin, camera))


def test_operator_cannot_decommission_nor_suspend_without_a_reason(operator, client):
    camera = factories.passed_check(factories.camera(), status=S.CONNECTED)
    c = english(client, operator)
    page = c.post(change_url(camera), {"connection_status": "decommissioned", "status_reason": "x"})
    camera.refresh_from_db()
    assert camera.connection_status == S.CONNECTED
    page = c.post(change_url(camera), {"connection_status": "suspended", "status_reason": " "})
    camera.refresh_from_db()
    assert camera.connection_status == S.CONNECTED
    assert "Enter the reason for this change" in " ".join(
        page.context["adminform"].form.errors["status_reason"]
    )
    c.post(change_url(camera), {"connection_status": "suspended", "status_reason": "Bảo trì"})
    camera.refresh_from_db()
    assert (camera.connection_status, camera.status_reason) == (S.SUSPENDED, "Bảo trì")


def test_the_reason_of_an_ineligible_camera_is_the_checks_not_a_persons(province_admin, client):
    camera = in_status(S.INELIGIBLE)
    page = english(client, province_admin).post(
        change_url(camera), {**_admin_data(camera), "status_reason": "Đã kết nối rồi"}
    )
    camera.refresh_from_db()
    assert camera.status_reason == "lý do cũ"
    assert "Only the reason of a suspended or decommissioned camera" in " ".join(
        page.context["adminform"].form.errors["status_reason"]
    )


def test_a_new_camera_starts_registered_whatever_is_posted(province_admin, client):
    facility = factories.facility("01")
    english(client, province_admin).post(
        reverse("admin:cameras_camera_add"),
        {"facility": facility.pk, "name": "Cổng", "zone": "gate",
         "stream_url": "rtsp://10.1.1.1/s", "check_enabled": "", "connection_status": "connected"},
    )
    assert Camera.objects.get(name="Cổng").connection_status == S.REGISTERED


def _admin_data(camera):
    return {
        "facility": camera.facility_id,
        "name": camera.name,
        "zone": camera.zone,
        "vendor": camera.vendor,
        "model": camera.model,
        "stream_url": camera.stream_url,
        "username": "",
        "password": "",
        "check_enabled": "on" if camera.check_enabled else "",
        "connection_status": camera.connection_status,
        "status_reason": camera.status_reason,
    }


# --- Bulk actions ----------------------------------------------------------------------------


def test_bulk_connect_applies_the_rules_camera_by_camera_and_says_why(operator, client):
    facility = factories.facility("01")
    good = [factories.passed_check(factories.camera(facility)) for _ in range(3)]
    never = factories.camera(facility, name="Camera chưa kiểm tra", check_enabled=False)
    ineligible = factories.camera(facility, name="Camera không đạt", check_enabled=False)
    Camera.objects.filter(pk=ineligible.pk).update(connection_status=S.INELIGIBLE)
    ineligible.write_state(
        verdict_eligible=False, verdict_pending=False,
        verdict_reasons=[{"code": "fps", "fps": 5, "min_fps": 10}], verdict_at=timezone.now(),
    )
    # The operator reads province 79 too, but connects only in 01.
    factories.grant_province(operator, "79", "view_province")
    other_province = factories.passed_check(factories.camera(factories.facility("79")))
    response = english(client, operator).post(
        changelist(),
        {"action": "connect_selected",
         "_selected_action": [c.pk for c in [*good, never, ineligible, other_province]]},
        follow=True,
    )
    statuses = dict(Camera.objects.values_list("pk", "connection_status"))
    assert [statuses[c.pk] for c in good] == [S.CONNECTED] * 3
    assert statuses[never.pk] == S.REGISTERED and statuses[ineligible.pk] == S.INELIGIBLE
    assert statuses[other_province.pk] == S.ELIGIBLE
    shown = [str(m) for m in response.context["messages"]]
    assert "“Mark connected”: 3 cameras changed." in shown
    assert any(m.startswith("“Camera chưa kiểm tra”") and "has not passed a check" in m
               for m in shown)
    assert any(m.startswith("“Camera không đạt”") and "below the connection standard: Frame "
               "rate 5 frames/s is below the required 10 frames/s" in m for m in shown)
    assert "1 camera was not changed: it is outside what you may change." in shown


def test_bulk_decommission_asks_for_the_reason_first(province_admin, client):
    cameras = [factories.camera(factories.facility("01")) for _ in range(2)]
    c = english(client, province_admin)
    data = {"action": "decommission_selected", "_selected_action": [x.pk for x in cameras]}
    page = c.post(changelist(), data)
    assert page.status_code == 200 and b'name="reason"' in page.content
    assert set(Camera.objects.values_list("connection_status", flat=True)) == {S.REGISTERED}
    page = c.post(changelist(), {**data, "apply": "1", "reason": "  "})
    assert b"Enter the reason" in page.content
    assert set(Camera.objects.values_list("connection_status", flat=True)) == {S.REGISTERED}
    c.post(changelist(), {**data, "apply": "1", "reason": "Khu cách ly đóng cửa"})
    for camera in Camera.objects.all():
        assert camera.connection_status == S.DECOMMISSIONED
        assert camera.status_reason == "Khu cách ly đóng cửa"
        assert camera.check_enabled is False


def test_reinstating_queues_a_check_and_starts_over(
    province_admin, client, rtsp_farm, django_capture_on_commit_callbacks
):
    # Created without checks: the check a new camera asks for is not the one under test.
    camera = factories.camera(
        factories.facility("01"), stream_url=rtsp_farm.url("/h264_720p"), check_enabled=False
    )
    lifecycle.move(camera, S.DECOMMISSIONED, user=province_admin, roles={ADMIN}, reason="Hỏng")
    assert Camera.objects.get(pk=camera.pk).check_enabled is False
    with django_capture_on_commit_callbacks(execute=True):
        english(client, province_admin).post(
            changelist(), {"action": "reinstate_selected", "_selected_action": [camera.pk]}
        )
    camera.refresh_from_db()
    # The queued check ran (django-q2 runs tasks inline in the tests) and judged the stream.
    assert camera.check_enabled is True and camera.state.verdict_eligible is True
    assert camera.connection_status == S.ELIGIBLE
    assert camera.status_reason == ""
    assert [(c.source, c.target) for c in camera.status_changes.order_by("at", "pk")] == [
        (S.REGISTERED, S.DECOMMISSIONED),
        (S.DECOMMISSIONED, S.REGISTERED),
        (S.REGISTERED, S.ELIGIBLE),
    ]


def test_refused_connect_queues_a_check_and_the_next_try_succeeds(
    operator, client, rtsp_farm, django_capture_on_commit_callbacks
):
    """End to end with a real stream: never checked, refused, checked, then connected."""
    # Created without checks, then enabled: the check a new camera asks for is not under test.
    camera = factories.camera(
        factories.facility("01"), stream_url=rtsp_farm.url("/h264_720p"), check_enabled=False
    )
    Camera.objects.filter(pk=camera.pk).update(check_enabled=True)
    c = english(client, operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            changelist(), {"action": "connect_selected", "_selected_action": [camera.pk]},
            follow=True,
        )
    shown = [str(m) for m in response.context["messages"]]
    assert any("A check of 1 refused camera was queued" in m for m in shown)
    camera.refresh_from_db()
    assert camera.connection_status == S.ELIGIBLE  # the check ran and passed
    c.post(changelist(), {"action": "connect_selected", "_selected_action": [camera.pk]})
    camera.refresh_from_db()
    assert camera.connection_status == S.CONNECTED and camera.connected_by == operator


# --- The camera page's timeline ------------------------------------------------------------


def test_the_camera_page_shows_the_status_timeline(operator, province_admin, client):
    camera = factories.passed_check(factories.camera())
    lifecycle.move(camera, S.CONNECTED, user=operator, roles={OPERATOR})
    lifecycle.move(camera, S.SUSPENDED, user=operator, roles={OPERATOR}, reason="Đứt cáp quang")
    page = english(client, province_admin).get(change_url(camera)).content.decode()
    timeline = page[page.index('class="status-timeline"'):]
    timeline = timeline[: timeline.index("</ol>")]
    assert timeline.count("<li>") == 2
    assert "Connected &rarr; <strong>Suspended</strong> · vnpt" in timeline
    assert "Đứt cáp quang" in timeline


def test_facility_page_shows_no_stale_reason_beside_connected(operator, client):
    camera = in_status(S.SUSPENDED)
    lifecycle.move(camera, S.CONNECTED, user=operator, roles={OPERATOR})
    manager_page = english(client, operator).get(
        reverse("facility_detail", args=[camera.facility_id])
    )
    assert "lý do cũ" not in manager_page.content.decode()


# --- Closed facilities ---------------------------------------------------------------------


def test_cameras_of_a_closed_facility_are_not_checked_until_it_reopens():
    from cameras import tasks

    facility = factories.facility("01")
    camera = factories.camera(facility)
    assert tasks.checkable().filter(pk=camera.pk).exists()
    facility.status = FacilityStatus.CLOSED
    facility.save()
    assert not tasks.checkable().filter(pk=camera.pk).exists()
    facility.status = FacilityStatus.ACTIVE
    facility.save()
    assert tasks.checkable().filter(pk=camera.pk).exists()


def test_outages_of_a_closed_facility_are_not_notified(mailoutbox):
    from cameras import notify
    from cameras.models import CameraOutage

    factories.province_user("a", "01", email="so@hanoi.gov.vn")
    open_facility = factories.facility("01", name="Khu Pháp Vân")
    closed = factories.facility("01", name="Khu Mê Linh")
    closed.status = FacilityStatus.CLOSED
    closed.save()
    for facility in (open_facility, closed):
        CameraOutage.objects.create(
            camera=factories.camera(facility, name=f"Cam {facility.name}"),
            kind="offline", started_at=timezone.now(),
        )
    assert notify.send_pending() == 1
    body = mailoutbox[0].body
    assert f"Cam {open_facility.name}" in body and f"Cam {closed.name}" not in body
    # Nothing is left over to be sent when the facility reopens.
    assert not CameraOutage.objects.filter(start_notified_at__isnull=True).exists()


# --- check_registry ------------------------------------------------------------------------


def test_check_registry_lists_states_the_rules_would_not_allow_and_changes_nothing(
    capsys, django_user_model
):
    connected_never_passed = factories.camera(name="Cam nối tay")
    Camera.objects.filter(pk=connected_never_passed.pk).update(connection_status=S.CONNECTED)
    stale_reason = factories.passed_check(factories.camera(name="Cam lý do cũ"), status="connected")
    Camera.objects.filter(pk=stale_reason.pk).update(status_reason="Không đạt chuẩn")
    secret_url = factories.camera(name="Cam lộ mật khẩu")
    Camera.objects.filter(pk=secret_url.pk).update(stream_url="rtsp://10.0.0.9/live?pwd=123")
    fine = factories.passed_check(factories.camera(name="Cam tốt"), status="connected")
    decomposed = factories.camera(name=unicodedata.normalize("NFD", "Cam hành lang"))
    # Accounts made before the name rule: a Cyrillic "а", and two names that differ in case.
    django_user_model.objects.create_user("\u0430dmin")
    django_user_model.objects.create_user("Operator.HN")
    django_user_model.objects.create_user("operator.hn")
    django_user_model.objects.create_user("vnpt.hcm")
    before = list(Camera.objects.order_by("pk").values_list("connection_status", "status_reason"))
    with translation.override("en"):
        call_command("check_registry")
    out = capsys.readouterr().out
    assert "Cam nối tay" in out and "connected without ever passing a check" in out
    assert "Cam lý do cũ" in out and "no longer applies" in out
    assert "Cam lộ mật khẩu" in out
    assert fine.name not in out
    assert f"camera {decomposed.pk} " in out and "(not NFC)" in out
    assert "account “\u0430dmin”" in out
    assert "“operator.hn” and “Operator.HN” differ only in capital letters" in out
    assert "vnpt.hcm" not in out
    after = list(Camera.objects.order_by("pk").values_list("connection_status", "status_reason"))
    assert before == after


# --- The camera list's "Connect" button (one camera, one click) ------------------------------


def test_operator_connects_a_waiting_camera_from_its_row(operator, client):
    waiting = factories.passed_check(factories.camera(name="Cổng"))
    unchecked = factories.camera(name="Sân")
    c = english(client, operator)
    page = c.get(changelist()).content.decode()
    # The button is on the waiting camera's row only (a registered camera has nothing to connect).
    assert f'name="_connect_one" value="{waiting.pk}"' in page
    assert f'name="_connect_one" value="{unchecked.pk}"' not in page
    response = c.post(changelist() + "?q=ng", {"_connect_one": waiting.pk})
    # Back to the same list, filters kept, with the lifecycle's own report.
    assert response.status_code == 302 and response["Location"] == changelist() + "?q=ng"
    waiting.refresh_from_db()
    assert waiting.connection_status == S.CONNECTED
    assert waiting.status_changes.latest("at").by == operator
    messages = [str(m) for m in c.get(response["Location"]).context["messages"]]
    assert any("1 camera changed" in m for m in messages), messages


def test_the_row_button_goes_through_the_lifecycle_and_the_scope(operator, client):
    never_passed = factories.passed_check(factories.camera(name="Cổng"))
    # Eligible on paper, but with no dated passing check the table's rule refuses it.
    never_passed.state.verdict_at = never_passed.state.full_checked_at = None
    never_passed.state.save()
    elsewhere = factories.passed_check(factories.camera(factories.facility("79"), name="HCM"))
    c = english(client, operator)
    c.post(changelist(), {"_connect_one": never_passed.pk})
    page = c.post(changelist(), {"_connect_one": elsewhere.pk}, follow=True)
    never_passed.refresh_from_db()
    elsewhere.refresh_from_db()
    # Refused (and a check queued, as for the bulk action), never connected.
    assert never_passed.connection_status != S.CONNECTED
    assert elsewhere.connection_status == S.ELIGIBLE
    assert "That camera is not in your list." in page.content.decode()


def test_who_may_not_connect_sees_no_button_and_is_refused(province_admin, client):
    camera = factories.passed_check(factories.camera())
    c = english(client, province_admin)
    assert "_connect_one" not in c.get(changelist()).content.decode()
    assert c.post(changelist(), {"_connect_one": camera.pk}).status_code == 403
    camera.refresh_from_db()
    assert camera.connection_status == S.ELIGIBLE
