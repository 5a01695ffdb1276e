"""Safe stream targets: the portal never opens a stream on itself, its link or multicast groups.

The test settings allow loopback (probe tests run fake cameras there); these tests restore the
production default with override_settings.
"""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from cameras import targets
from cameras.choices import Zone
from cameras.forms import CameraForm
from cameras.models import Camera
from tests import factories

DEFAULT_POLICY = override_settings(CAMERA_ALLOWED_NETWORKS=[], CAMERA_DENIED_NETWORKS=[])

DENIED_LITERALS = [
    "rtsp://127.0.0.1:554/stream1",
    "rtsp://127.8.9.10/stream1",
    "rtsp://[::1]:554/stream1",
    "rtsp://169.254.169.254/latest/meta-data",
    "rtsp://169.254.10.20:554/stream1",
    "rtsp://[fe80::1]:554/stream1",
    "rtsp://224.0.0.251:554/stream1",
    "rtsp://[ff02::1]:554/stream1",
    "rtsp://0.0.0.0:554/stream1",
    "rtsp://[::]:554/stream1",
    "rtsp://255.255.255.255/stream1",
    # The same loopback spelled the ways the C library (and so FFmpeg) also reads it.
    "rtsp://[::ffff:127.0.0.1]:554/stream1",
    "rtsp://127.1:554/stream1",
    "rtsp://2130706433:554/stream1",
    "rtsp://0x7f.0.0.1:554/stream1",
]

ALLOWED_LITERALS = [
    "rtsp://10.0.0.5:554/stream1",
    "rtsp://172.16.4.2:554/stream1",
    "rtsp://192.168.1.64:554/Streaming/Channels/101",
    "rtsp://100.64.3.4:554/stream1",  # carrier-grade NAT, common on operators' networks
    "rtsp://113.160.1.2:554/stream1",  # a public address
    "rtsps://[2001:db8::10]:322/stream1",
    "rtsp://[fd12:3456::7]:554/stream1",  # unique-local IPv6, a private range
]


def camera_form(url, facility):
    return CameraForm(
        data={
            "facility": facility.pk,
            "name": "Camera cổng",
            "zone": Zone.GATE,
            "stream_url": url,
            "connection_status": "registered",
            "check_enabled": "on",
        }
    )


# --- At save ---------------------------------------------------------------------------------


@DEFAULT_POLICY
@pytest.mark.parametrize("url", DENIED_LITERALS)
def test_a_denied_literal_address_is_refused_by_the_model_rules(url):
    camera = Camera(name="Cam", zone=Zone.GATE, stream_url=url)
    with translation.override("en"), pytest.raises(ValidationError) as err:
        camera.full_clean(exclude=["facility"])
    [message] = err.value.message_dict["stream_url"]
    assert "the portal does not open streams there" in message


@DEFAULT_POLICY
@pytest.mark.parametrize("url", ALLOWED_LITERALS)
def test_private_and_public_addresses_are_accepted(url):
    Camera(name="Cam", zone=Zone.GATE, stream_url=url).full_clean(exclude=["facility"])


@DEFAULT_POLICY
@pytest.mark.django_db
def test_the_admin_form_refuses_a_cloud_metadata_address_and_saves_nothing():
    facility = factories.facility("01")
    form = camera_form("rtsp://169.254.169.254:554/x", facility)
    with translation.override("en"):
        assert not form.is_valid()
    errors = " ".join(form.errors["stream_url"])
    assert "leads to 169.254.169.254, a cloud metadata service address;" in errors
    assert not Camera.objects.exists()


@DEFAULT_POLICY
@pytest.mark.django_db
def test_a_host_name_resolving_to_a_denied_address_is_refused_at_save():
    # "localhost" resolves through /etc/hosts, with no network needed.
    facility = factories.facility("01")
    form = camera_form("rtsp://localhost:554/stream1", facility)
    assert not form.is_valid()
    # /etc/hosts decides which loopback address "localhost" is: either is named, never neither.
    assert "127.0.0.1" in str(form.errors["stream_url"]) or "::1" in str(
        form.errors["stream_url"]
    )


@DEFAULT_POLICY
@pytest.mark.django_db
def test_a_host_name_that_does_not_resolve_yet_is_accepted_and_checked_at_probe_time():
    facility = factories.facility("01")
    form = camera_form("rtsp://camera-01.invalid:554/stream1", facility)
    assert form.is_valid(), form.errors
    camera = form.save()
    assert camera.stream_url == "rtsp://camera-01.invalid:554/stream1"


@DEFAULT_POLICY
@pytest.mark.django_db
def test_an_unchanged_address_is_not_resolved_again_on_edit():
    camera = factories.camera(stream_url="rtsp://10.1.2.3:554/stream1")
    with override_settings(CAMERA_DENIED_NETWORKS=["10.0.0.0/8"]):
        # A later policy change does not block editing the name; the probe refuses the address.
        form = CameraForm(
            instance=camera,
            data={
                "facility": camera.facility_id,
                "name": "Renamed",
                "zone": camera.zone,
                "stream_url": "rtsp://camera-01.invalid/stream1",
                "connection_status": camera.connection_status,
            },
        )
        assert form.is_valid(), form.errors


# --- Configuration ---------------------------------------------------------------------------


def test_configured_denied_networks_are_refused_and_allowed_exceptions_win():
    with override_settings(CAMERA_DENIED_NETWORKS=["10.9.0.0/16"], CAMERA_ALLOWED_NETWORKS=[]):
        assert targets.check_literal("rtsp://10.9.1.1/s") is not None
        assert targets.check_literal("rtsp://10.8.1.1/s") is None
    with override_settings(
        CAMERA_DENIED_NETWORKS=["10.9.0.0/16"], CAMERA_ALLOWED_NETWORKS=["10.9.5.0/24"]
    ):
        assert targets.check_literal("rtsp://10.9.5.7/s") is None
        assert targets.check_literal("rtsp://10.9.6.7/s") is not None


def test_an_allow_list_is_expressed_by_denying_everything_else():
    with override_settings(
        CAMERA_DENIED_NETWORKS=["0.0.0.0/0", "::/0"],
        CAMERA_ALLOWED_NETWORKS=["10.0.0.0/8"],
    ):
        assert targets.check_literal("rtsp://10.3.3.3/s") is None
        assert targets.check_literal("rtsp://192.168.1.1/s") is not None
        assert targets.check_literal("rtsp://[2001:db8::1]/s") is not None


def test_a_broad_allowed_network_does_not_reopen_loopback_or_metadata():
    with override_settings(CAMERA_ALLOWED_NETWORKS=["0.0.0.0/0"], CAMERA_DENIED_NETWORKS=[]):
        assert targets.check_literal("rtsp://127.0.0.1/s").kind == targets.LOOPBACK
        assert targets.check_literal("rtsp://169.254.169.254/s").kind == targets.METADATA


def test_the_test_settings_allow_loopback_for_the_fake_camera_farm():
    assert targets.check_literal("rtsp://127.0.0.1:8554/cam") is None
    assert targets.check_literal("rtsp://169.254.169.254/") is not None


# --- At probe time ---------------------------------------------------------------------------


@DEFAULT_POLICY
@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "169.254.169.254", "fe80::1", "0.0.0.0"])
def test_the_resolver_refuses_denied_literal_hosts(host):
    resolve = targets.resolver()
    with pytest.raises(PermissionError):
        resolve(host)


@DEFAULT_POLICY
def test_the_resolver_refuses_a_name_that_resolves_to_a_denied_address():
    resolve = targets.resolver(timeout=2)
    with pytest.raises(PermissionError) as err:
        resolve("localhost")
    # /etc/hosts decides which loopback address "localhost" is: either is named, never neither.
    assert "127.0.0.1" in str(err.value) or "::1" in str(err.value)


@DEFAULT_POLICY
def test_the_resolver_returns_the_address_of_an_allowed_host():
    resolve = targets.resolver()
    assert resolve("10.20.30.40") == "10.20.30.40"
    assert resolve("2001:db8::5") == "2001:db8::5"


@DEFAULT_POLICY
def test_the_resolver_reports_a_name_that_does_not_resolve_as_a_dns_failure():
    resolve = targets.resolver(timeout=2)
    with pytest.raises(socket.gaierror):
        resolve("camera-01.invalid")


def test_the_resolver_keeps_the_policy_it_was_made_with():
    with override_settings(CAMERA_ALLOWED_NETWORKS=[], CAMERA_DENIED_NETWORKS=[]):
        resolve = targets.resolver()
    with pytest.raises(PermissionError):
        resolve("127.0.0.1")


@DEFAULT_POLICY
def test_a_probe_through_the_resolver_never_connects_to_a_denied_address():
    # A real listener on loopback: if the probe connected, the listener would see it.
    probe = pytest.importorskip("cameras.probe").probe
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    try:
        result = probe(
            f"rtsp://localhost:{port}/stream1", "", "", deadline=3, resolve=targets.resolver()
        )
        assert not result.ok
        assert result.error_kind == "invalid"
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()


@DEFAULT_POLICY
@pytest.mark.django_db
def test_an_import_refuses_denied_literals_and_names_resolving_to_denied_addresses():
    from cameras.importer import CameraImporter

    facility = factories.facility("01", name="Khu A")
    data = (
        b"province_code,facility,name,zone,stream_url\n"
        b"01,Khu A,Cam 1,gate,rtsp://10.0.0.1/s\n"
        b"01,Khu A,Cam 2,gate,rtsp://localhost:554/s\n"
        b"01,Khu A,Cam 3,gate,rtsp://[::ffff:169.254.169.254]/s\n"
        b"01,Khu A,Cam 4,gate,rtsp://camera-4.invalid/s\n"
    )
    plan = CameraImporter().apply(data)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "stream_url"), (4, "stream_url")]
    assert not Camera.objects.filter(facility=facility).exists()
