"""Camera snapshots kept and shown: sealed files, retention, the one scoped view.

Who sees a picture: national administrators, the province admins and operator engineers of the
camera's province, the managers of its facility (SNAPSHOT_FACILITY_MANAGERS), national officials
only with SNAPSHOT_NATIONAL_OFFICIALS; never a province viewer, another province, another
facility's manager or an expired grant. Every look is an account event; the picture is never
cached, carries its viewer's name, and is not a JPEG on disk.
"""

import datetime
import io
import os

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from cameras import snapshots
from cameras.models import Camera, CameraSnapshot
from cameras.probe import ProbeResult
from facilities.roles import second_factor_required
from portal.models import AccountEvent, AccountEventKind
from tests import factories

pytestmark = pytest.mark.django_db


def a_picture(shade=120, size=(640, 360)):
    """A JPEG as the probe returns it: a corridor of sorts (edges, not one colour)."""
    image = Image.new("RGB", size, (shade, shade, shade))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 40):
        draw.rectangle((x, 60, x + 18, 300), fill=(20, 40, 200 - shade // 2))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def probed(jpeg=None):
    jpeg = jpeg or a_picture()
    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    return ProbeResult(ok=True, snapshot=jpeg, snapshot_width=width, snapshot_height=height)


@pytest.fixture(autouse=True)
def snapshot_dir(settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    return settings.SNAPSHOT_DIR


@pytest.fixture
def cam():
    return factories.camera(factories.facility("01"))


@pytest.fixture
def shot(cam):
    (row,) = snapshots.save_many({cam.pk: probed()})
    return row


def look(client, user, snapshot):
    client.force_login(user)
    return client.get(reverse("camera_snapshot", args=[snapshot.pk]))


def views_of(user):
    return AccountEvent.objects.filter(event=AccountEventKind.SNAPSHOT_VIEWED, actor=user)


# --- Who sees -----------------------------------------------------------------------------


def _viewers(cam):
    other_facility = factories.facility("01")
    return {
        "superuser": (get_user_model().objects.create_superuser("root2", "", "x"), 200),
        "province admin": (factories.province_user("padmin", "01"), 200),
        "operator engineer": (factories.province_user("oper", "01", "connect_province"), 200),
        "province viewer": (factories.province_user("pview", "01", "view_province"), 404),
        "admin of another province": (factories.province_user("padmin79", "79"), 404),
        "facility manager": (factories.facility_manager("fm", cam.facility), 200),
        "another facility's manager": (factories.facility_manager("fm2", other_facility), 404),
        "national official": (factories.national_official("official"), 404),
    }


def test_each_role_sees_or_not_and_every_look_is_on_record(client, shot, cam):
    for role, (user, expected) in _viewers(cam).items():
        response = look(client, user, shot)
        assert response.status_code == expected, role
        assert views_of(user).count() == (1 if expected == 200 else 0), role
        if expected == 200:
            assert views_of(user).get().detail["snapshot"] == shot.pk
        client.logout()


def test_an_expired_grant_shows_nothing(client, shot):
    user = get_user_model().objects.create_user("late", password="x", is_staff=True)
    factories.grant_province(
        user, "01", expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert look(client, user, shot).status_code == 404
    assert not views_of(user).exists()


def test_settings_open_pictures_to_officials_and_close_them_to_managers(
    client, shot, cam, settings
):
    official = factories.national_official("official")
    manager = factories.facility_manager("fm", cam.facility)
    settings.SNAPSHOT_NATIONAL_OFFICIALS = True
    settings.SNAPSHOT_FACILITY_MANAGERS = False
    assert look(client, official, shot).status_code == 200
    client.logout()
    assert look(client, manager, shot).status_code == 404


@pytest.mark.real_second_factor
def test_pictures_need_the_second_factor(client, shot, cam):
    manager = factories.facility_manager("fm", cam.facility, password="S3cure-pass-word")
    client.force_login(manager)  # signed in, second factor not passed
    response = client.get(reverse("camera_snapshot", args=[shot.pk]))
    assert response.status_code in (302, 403)
    assert not views_of(manager).exists()


def test_facility_managers_who_see_pictures_must_use_two_factor(cam, settings):
    manager = factories.facility_manager("fm", cam.facility)
    settings.OTP_REQUIRED_FOR_MANAGERS = False
    settings.SNAPSHOT_FACILITY_MANAGERS = True
    assert second_factor_required(manager)
    settings.SNAPSHOT_FACILITY_MANAGERS = False
    manager = type(manager).objects.get(pk=manager.pk)  # grants are cached per request
    assert not second_factor_required(manager)


# --- The picture served -----------------------------------------------------------------------


def test_the_picture_is_never_cached_and_names_its_viewer(client, shot, superuser):
    response = look(client, superuser, shot)
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    served = Image.open(io.BytesIO(response.content)).convert("L")
    original = Image.open(io.BytesIO(snapshots.read(shot))).convert("L")
    assert served.size == original.size
    # The band with the viewer's name and the time darkens the bottom of the picture.
    bottom = (served.width // 2, served.height - 3)
    assert served.getpixel(bottom) < original.getpixel(bottom) - 30


# --- At rest ------------------------------------------------------------------------------


def test_the_file_on_disk_is_not_a_jpeg(shot, snapshot_dir):
    path = snapshots.path_of(shot)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xff\xd8") and b"JFIF" not in raw
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert snapshots.read(shot).startswith(b"\xff\xd8")


def test_at_most_snapshot_keep_per_camera(cam, settings, django_capture_on_commit_callbacks):
    settings.SNAPSHOT_KEEP = 3
    with django_capture_on_commit_callbacks(execute=True):
        for shade in range(60, 200, 25):
            snapshots.save_many({cam.pk: probed(a_picture(shade))})
    kept = list(CameraSnapshot.objects.filter(camera=cam))
    assert len(kept) == 3
    on_disk = sorted(p.name for p in snapshots.directory().iterdir())
    assert on_disk == sorted(row.file_name for row in kept)


def test_purge_removes_old_pictures_and_their_files(
    cam, settings, django_capture_on_commit_callbacks
):
    settings.SNAPSHOT_RETENTION_HOURS = 72
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        (old,) = snapshots.save_many({cam.pk: probed()}, now=now - datetime.timedelta(hours=73))
        (new,) = snapshots.save_many({cam.pk: probed(a_picture(90))}, now=now)
        assert snapshots.purge(now) == 1
    assert list(CameraSnapshot.objects.all()) == [new]
    assert not snapshots.path_of(old).exists()
    assert snapshots.path_of(new).exists()


def test_deleting_a_camera_deletes_its_pictures(cam, shot, django_capture_on_commit_callbacks):
    path = snapshots.path_of(shot)
    with django_capture_on_commit_callbacks(execute=True):
        Camera.objects.filter(pk=cam.pk).delete()
    assert not path.exists()


def test_a_frozen_picture_is_flagged_on_save(cam):
    jpeg = a_picture()
    snapshots.save_many({cam.pk: probed(jpeg)})
    (second,) = snapshots.save_many({cam.pk: probed(jpeg)})
    assert second.warnings == ["frozen"]


def test_key_rotation_reseals_the_pictures(settings, shot):
    old = settings.CAMERA_CREDENTIALS_KEYS[0]
    new = Fernet.generate_key().decode()
    before = snapshots.path_of(shot).read_bytes()
    settings.CAMERA_CREDENTIALS_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_credentials_key", stdout=out)
    assert "1 of 1 files re-sealed" in out.getvalue()
    assert snapshots.path_of(shot).read_bytes() != before
    settings.CAMERA_CREDENTIALS_KEYS = [new]
    assert snapshots.read(shot).startswith(b"\xff\xd8")


def test_the_purge_runs_every_hour():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="cameras.purge_snapshots")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "cameras.tasks.purge_snapshots",
        Schedule.MINUTES,
        60,
    )


# --- The camera page ------------------------------------------------------------------------


def test_the_camera_page_shows_warnings_to_its_readers_and_the_picture_to_those_allowed(
    client, cam
):
    black = Image.new("RGB", (640, 360))
    out = io.BytesIO()
    black.save(out, format="JPEG")
    (row,) = snapshots.save_many({cam.pk: probed(out.getvalue())})
    assert row.warnings == ["black"]
    page = reverse("admin:cameras_camera_change", args=[cam.pk])
    picture_url = reverse("camera_snapshot", args=[row.pk])

    admin = factories.province_user("padmin", "01")
    client.force_login(admin)
    content = client.get(page).content.decode()
    assert 'class="picture-warnings"' in content
    assert picture_url in content
    # Showing the page is not a look at the picture: the browser's request for it is.
    assert not views_of(admin).exists()
    client.logout()

    viewer = factories.province_user("pview", "01", "view_province")
    client.force_login(viewer)
    content = client.get(page).content.decode()
    assert 'class="picture-warnings"' in content
    assert picture_url not in content


def test_a_picture_no_key_opens_does_not_stop_a_key_rotation(settings, shot):
    other = Fernet.generate_key().decode()
    settings.CAMERA_CREDENTIALS_KEYS = [other]  # the picture's key is gone
    out = io.StringIO()
    call_command("rotate_credentials_key", stdout=out)
    assert "1 camera snapshot files open with no key" in out.getvalue()
