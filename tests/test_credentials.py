"""Camera credentials belong to the address they were stored for.

A person who may edit a camera's address must not be able to point it at a server of their own and
receive the stored user name and password with the next check. Asserted on the wire: two real
RTSP listeners on different loopback addresses record every Authorization header the portal's
checks send them.
"""

import base64
import socket
import threading

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cameras import tasks
from cameras.importer import CameraImporter
from cameras.models import Camera
from cameras.validators import validate_stream_url
from tests import factories

pytestmark = pytest.mark.django_db

OLD = ("cam-user", "Old-Secret-4711")


class RecordingCamera:
    """An RTSP server that asks for Basic credentials and records what each request carries."""

    def __init__(self, host):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(8)
        self.listener.settimeout(0.1)
        self.host, self.port = host, self.listener.getsockname()[1]
        self.requests = []  # (method, Authorization header or None)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path="/live"):
        return f"rtsp://{self.host}:{self.port}{path}"

    def credentials_seen(self):
        seen = []
        for _method, auth in self.requests:
            if auth and auth.lower().startswith("basic "):
                seen.append(base64.b64decode(auth.split(" ", 1)[1]).decode())
            elif auth:
                seen.append(auth)
        return seen

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(5)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                self.requests.append((lines[0].split(" ")[0], headers.get("authorization")))
                conn.sendall(
                    (
                        "RTSP/1.0 401 Unauthorized\r\n"
                        f"CSeq: {headers.get('cseq', '0')}\r\n"
                        'WWW-Authenticate: Basic realm="camera"\r\n\r\n'
                    ).encode()
                )
        except OSError:
            return
        finally:
            conn.close()

    def stop(self):
        self.stopped.set()
        self.listener.close()
        self.thread.join(2)


@pytest.fixture
def servers():
    made = [RecordingCamera("127.0.0.5"), RecordingCamera("127.0.0.6")]
    yield made
    for server in made:
        server.stop()


@pytest.fixture(autouse=True)
def quick_probes(settings):
    settings.CAMERA_PROBE_OPEN_TIMEOUT = 2.0
    settings.CAMERA_PROBE_READ_TIMEOUT = 2.0
    settings.CAMERA_PROBE_DEADLINE = 4.0


@pytest.fixture
def province_admin(client):
    client.force_login(factories.province_user("sotttt", "01"))
    client.cookies["django_language"] = "en"
    return client


def stored_camera(url):
    return factories.camera(
        factories.facility("01"), stream_url=url, username=OLD[0], password=OLD[1]
    )


def edit(client, camera, **changes):
    camera.refresh_from_db()
    data = {
        "facility": camera.facility_id,
        "name": camera.name,
        "zone": camera.zone,
        "vendor": "",
        "model": "",
        "stream_url": camera.stream_url,
        "username": "",
        "password": "",
        "check_enabled": "on",
        "connection_status": camera.connection_status,
        "status_reason": camera.status_reason,
        **changes,
    }
    return client.post(
        reverse("admin:cameras_camera_change", args=[camera.pk]), data, follow=True
    )


def check_now(camera):
    """The check that follows a change of address, run in the foreground."""
    tasks.sweep(ids=[camera.pk], due_only=False)


def test_moving_to_another_host_without_new_credentials_sends_none_there(servers, province_admin):
    old, new = servers
    camera = stored_camera(old.url())
    check_now(camera)
    assert f"{OLD[0]}:{OLD[1]}" in old.credentials_seen()  # the stored ones work where they belong

    page = edit(province_admin, camera, stream_url=new.url())
    camera.refresh_from_db()
    assert (camera.username, camera.password) == ("", "")
    assert "its stored user name and password were removed" in page.content.decode()
    check_now(camera)
    assert new.requests, "the check reached the new address"
    assert new.credentials_seen() == []


def test_moving_with_new_credentials_sends_only_the_new_ones(servers, province_admin):
    old, new = servers
    camera = stored_camera(old.url())
    edit(province_admin, camera, stream_url=new.url(), username="new-user", password="New-pass-1")
    camera.refresh_from_db()
    assert (camera.username, camera.password) == ("new-user", "New-pass-1")
    check_now(camera)
    assert set(new.credentials_seen()) == {"new-user:New-pass-1"}
    assert not any(OLD[1] in seen for seen in new.credentials_seen())


def test_a_new_password_alone_on_a_new_host_keeps_no_old_user_name(servers, province_admin):
    old, new = servers
    camera = stored_camera(old.url())
    edit(province_admin, camera, stream_url=new.url(), password="Only-pass-2")
    camera.refresh_from_db()
    assert (camera.username, camera.password) == ("", "Only-pass-2")


def test_another_port_of_the_same_host_is_another_address(servers, province_admin):
    old, _new = servers
    camera = stored_camera(old.url())
    edit(province_admin, camera, stream_url=f"rtsp://{old.host}:{old.port + 1}/live")
    camera.refresh_from_db()
    assert (camera.username, camera.password) == ("", "")


def test_another_path_on_the_same_host_and_port_keeps_the_credentials(servers, province_admin):
    old, _new = servers
    camera = stored_camera(old.url("/live"))
    edit(province_admin, camera, stream_url=old.url("/Streaming/Channels/102"))
    camera.refresh_from_db()
    assert (camera.username, camera.password) == OLD
    check_now(camera)
    assert f"{OLD[0]}:{OLD[1]}" in old.credentials_seen()


def test_default_port_and_case_do_not_count_as_a_move(province_admin):
    camera = stored_camera("rtsp://cam.example.vn/live")
    edit(province_admin, camera, stream_url="rtsp://CAM.example.vn:554/live2")
    camera.refresh_from_db()
    assert (camera.username, camera.password) == OLD
    edit(province_admin, camera, stream_url="rtsps://cam.example.vn:554/live2")
    camera.refresh_from_db()
    assert (camera.username, camera.password) == ("", "")


def test_any_save_drops_credentials_of_a_moved_address_not_only_the_form():
    camera = stored_camera("rtsp://10.1.1.1/live")
    camera.stream_url = "rtsp://10.9.9.9/live"
    camera.save()
    camera.refresh_from_db()
    assert (camera.username, camera.password) == ("", "")
    assert camera.state.verdict_pending  # and the new address is judged afresh


def test_the_form_says_so_before_saving(province_admin):
    camera = stored_camera("rtsp://10.1.1.1/live")
    page = province_admin.get(reverse("admin:cameras_camera_change", args=[camera.pk]))
    assert "changing its scheme, host or port removes them" in page.content.decode()


# --- Credentials inside the address --------------------------------------------------------

SECRET_ADDRESSES = [
    "rtsp://10.0.0.5/live?user=admin&password=123456",
    "rtsp://10.0.0.5/live?USERNAME=admin",
    "rtsp://10.0.0.5/live?Pass=1",
    "rtsp://10.0.0.5/live?pwd=1",
    "rtsp://10.0.0.5/live?passwd=1",
    "rtsp://10.0.0.5/live?token=abc",
    "rtsp://10.0.0.5/live?auth=abc",
    "rtsp://10.0.0.5/live?channel=1&access_token=abc",
    "rtsp://10.0.0.5/user=admin&password=&channel=1&stream=0.sdp?",
    "rtsp://10.0.0.5/live;password=1",
    "rtsp://10.0.0.5/live?%70assword=1",
    "rtsp://admin:123456@10.0.0.5/live",
]
PLAIN_ADDRESSES = [
    "rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0",
    "rtsp://10.0.0.5:554/Streaming/Channels/101",
    "rtsp://10.0.0.5/h264?keyframe=1&monkey=2",
    "rtsp://10.0.0.5/live/ch00_0",
]


@pytest.mark.parametrize("url", SECRET_ADDRESSES)
def test_credentials_in_the_address_are_refused(url):
    with pytest.raises(ValidationError) as refused:
        validate_stream_url(url)
    assert refused.value.code == "stream_url_credentials"


@pytest.mark.parametrize("url", PLAIN_ADDRESSES)
def test_ordinary_parameters_are_accepted(url):
    validate_stream_url(url)


def test_the_admin_form_points_to_the_credential_fields(province_admin):
    camera = factories.camera(factories.facility("01"))
    page = edit(province_admin, camera, stream_url="rtsp://10.0.0.5/live?user=admin&pwd=123")
    camera.refresh_from_db()
    assert "pwd=123" not in camera.stream_url
    assert "enter the user name and password in their own fields" in page.content.decode()


def test_the_import_refuses_a_row_with_a_password_in_the_address():
    facility = factories.facility("01", name="Khu Pháp Vân")
    data = (
        "province_code,facility,name,zone,stream_url\n"
        f"01,{facility.name},Cổng,gate,rtsp://10.0.0.5/live?password=123456\n"
    ).encode()
    with translation_en():
        plan = CameraImporter().apply(data)
    assert plan.created == 0
    assert any(
        line.startswith("Row 2, column stream_url: Do not put a user name, password or token")
        for line in plan.error_lines()
    )
    assert not Camera.objects.filter(name="Cổng").exists()


def translation_en():
    from django.utils import translation

    return translation.override("en")
