"""The national administrator registers a facility and its 3 cameras in the admin, then asks for
a check and sees its result arrive on the camera list, with a real task cluster doing the checks.

The facility's router is down when the cameras are registered (a relay to the camera farm, cut):
the checks queued at registration find nothing. Once it is back, "Check now" is what brings the
cameras' good news to the page, checked by a `manage.py qcluster` subprocess on the test
database, as in production (never django-q2's inline mode).
"""

import pytest
from django_q.models import Schedule

from cameras.choices import ConnectionStatus, Health, SweepTrigger
from cameras.models import Camera, CameraState, Sweep
from facilities.models import Facility
from tests import factories
from tests.browser.journey import admin_row, admin_tick_box, find, wait
from tests.browser.language import assert_vietnamese
from tests.rtsp_helpers import Relay, wait_for

pytestmark = pytest.mark.browser

PASSWORD = "S3cure-pass-word"  # tests/conftest.py, `superuser`
FACILITY = "Khu cách ly Trường Cao đẳng Y tế Hà Đông"
CAMERAS = [
    ("Camera cổng chính", "Cổng ra vào"),
    ("Camera hành lang tầng 1", "Hành lang bên ngoài phòng"),
    ("Camera sân trước", "Sân"),
]
# Seconds for the cluster to check 3 cameras on loopback (about 2 s when things work).
CHECK_TIMEOUT = 60

# Short limits: the farm answers at once on loopback; the rules do not depend on them.
FAST_CHECKS = {
    "Q_WORKERS": "1",
    "CAMERA_CHECK_BATCH_SIZE": "4",
    "CAMERA_CHECK_THREADS": "4",
    "CAMERA_PROBE_OPEN_TIMEOUT": "3",
    "CAMERA_PROBE_READ_TIMEOUT": "3",
    "CAMERA_PROBE_DEADLINE": "6",
    "CAMERA_PROBE_SAMPLE_SECONDS": "1",
}


def test_national_admin_adds_a_facility_and_cameras_and_checks_them(
    browser, sign_in, journey, superuser, rtsp_farm, task_cluster
):
    # Cameras of another facility are on the list too: the new ones must be picked out.
    elsewhere = factories.facility("01", name="Khu cách ly Ký túc xá Mễ Trì")
    # bulk_create queues no check (no camera there to answer).
    Camera.objects.bulk_create(
        Camera(facility=elsewhere, name=f"Camera Mễ Trì {n}", zone="gate",
               stream_url=f"rtsp://10.1.0.{n}:554/stream1")
        for n in (1, 2)
    )
    # The journey asks for checks itself: no scheduled sweep gets there first.
    Schedule.objects.all().delete()
    relay = Relay(rtsp_farm.port)
    relay.cut()
    cluster = task_cluster(**FAST_CHECKS)
    try:
        _walk(browser, sign_in, journey, relay, cluster)
    finally:
        if relay.listener is not None:
            relay.cut()


def _walk(browser, sign_in, journey, relay, cluster):
    sign_in(browser, "root", PASSWORD)
    add = journey("facility_and_3_cameras", browser)
    assert_vietnamese(browser, "Cơ sở cách ly", "Camera")

    # The facility: from the admin index's "Add" beside the facilities.
    add.click("#content-main a.addlink[href$='/facilities/facility/add/']", load=True)
    assert_vietnamese(browser)
    add.autocomplete("province", "Hà Nội", "01 Hà Nội")
    add.type("#id_name", FACILITY)
    add.type("#id_planned_cameras", "3")
    # "Save and add cameras": the camera form opens with the new facility chosen, and "Save and
    # add another" keeps it chosen for the next camera.
    add.click("input[name=_addcameras]", load=True)
    facility = Facility.objects.get(name=FACILITY)
    for n, (name, zone) in enumerate(CAMERAS):
        assert_vietnamese(browser)
        chosen = find(browser, "#id_facility option:checked")
        assert chosen.text == FACILITY, chosen.text
        add.type("#id_name", name)
        add.choose("#id_zone", zone)
        add.type("#id_stream_url", relay.url("/h264_720p"))
        last = n == len(CAMERAS) - 1
        add.click("input[name=_save]" if last else "input[name=_addanother]", load=True)
    assert_vietnamese(browser, *(name for name, _zone in CAMERAS))
    ids = list(facility.cameras.values_list("pk", flat=True))
    assert len(ids) == 3

    # The checks queued at registration ran in the cluster and found the router down.
    states = CameraState.objects.filter(camera__in=ids)
    assert wait_for(
        lambda: states.filter(last_checked_at__isnull=False, claim_token="").count() == 3
        or not cluster.alive(),
        CHECK_TIMEOUT,
    ), f"the registration checks did not run: {cluster.tail()}"
    assert cluster.alive(), cluster.tail()
    assert not states.filter(health=Health.ONLINE).exists()
    assert not Camera.objects.filter(pk__in=ids, connection_status=ConnectionStatus.ELIGIBLE)

    # The router is back: the administrator asks for a check of the three.
    relay.mend()
    check = journey("check_now", browser)
    for name, _zone in CAMERAS:
        check.click(admin_tick_box(browser, name), f"tick “{name}”")
    check.choose("select[name=action]", "Kiểm tra ngay")
    check.click("button[name=index]", load=True)
    message = find(browser, ".messagelist .success").text
    assert "3 camera" in message and "hàng đợi kiểm tra" in message

    # The page follows the checks by itself (cameras/check_status.py, camera_checks.js): the
    # status line says when every result is in and the rows change in place, no reload.
    status = find(browser, "#camera-check-status")
    assert wait(browser, CHECK_TIMEOUT).until(
        lambda _d: status.get_attribute("data-state") in ("done", "slow", "failed")
    ) and status.get_attribute("data-state") == "done", (status.text, cluster.tail())
    assert "3 camera" in status.text, status.text
    assert Sweep.objects.filter(
        trigger=SweepTrigger.REQUEST, cameras=3, finished_at__isnull=False
    ).exists()
    assert states.filter(health=Health.ONLINE).count() == 3

    assert_vietnamese(browser, FACILITY)
    for name, _zone in CAMERAS:
        row = admin_row(browser, name).text
        assert "Đủ điều kiện" in row, row
        assert "Trực tuyến" in row, row
    for name in ("Camera Mễ Trì 1", "Camera Mễ Trì 2"):
        assert "Chưa rõ" in admin_row(browser, name).text
