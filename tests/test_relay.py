"""The probe's relay (cameras/relay.py): no redirect ever takes a probe to another address.

Real sockets and the real FFmpeg (through cameras.probe) throughout: hostile servers from
tests/fake_rtsp.py on 127.0.0.2, and traps (listeners that record whether anyone came) where the
redirects point. Where the policy matters, only 127.0.0.2 is allowed (the test settings allow all
of 127.0.0.0/8), so 127.0.0.3 stands for a denied address such as the portal's own loopback.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import translation

from cameras import relay as relay_module
from cameras.probe import _probe_direct, probe
from cameras.relay import ProtocolError, Redirect, Relay, ServerStream
from cameras.standard import reason_text
from cameras.targets import resolver
from tests.fake_rtsp import FakeRtspServer, ScriptedRtspServer, TcpTrap
from tests.rtsp_helpers import start_rtsp_farm, wait_for

DEADLINE = 3.0
CAMERA = "127.0.0.2"
DENIED = "127.0.0.3"


@pytest.fixture
def policy_resolve(settings):
    """The probe's resolver under a policy that allows 127.0.0.2 alone."""
    settings.CAMERA_ALLOWED_NETWORKS = [f"{CAMERA}/32"]
    resolve = resolver()
    with pytest.raises(PermissionError):
        resolve(DENIED)  # the traps' host really is refused
    return resolve


def relay_threads():
    return [t for t in threading.enumerate() if t.name == "camera-probe-relay"]


# --------------------------------------------------------------------------
# The parser: what a server sends, split as FFmpeg reads it

OPTIONS_OK = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY\r\n\r\n"
SDP = b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nm=video 0 RTP/AVP 96\r\n"
DESCRIBE_OK = (
    b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\n"
    b"Content-Length: " + str(len(SDP)).encode() + b"\r\n\r\n" + SDP
)
FRAME = b"$\x00\x00\x0c" + bytes(range(12))
SERVER_REQUEST = b"GET_PARAMETER rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 7\r\n\r\n"
# A body that reads like a redirect is a body, not a message.
BODY_LOOKS_LIKE_302 = b"RTSP/1.0 302 Found\r\nLocation: rtsp://10.9.9.9/\r\n\r\n"
DECOY = (
    b"RTSP/1.0 200 OK\r\nCSeq: 3\r\ncontent-length: "
    + str(len(BODY_LOOKS_LIKE_302)).encode()
    + b"\r\n\r\n"
    + BODY_LOOKS_LIKE_302
)
STREAM = OPTIONS_OK + DESCRIBE_OK + FRAME + SERVER_REQUEST + FRAME + DECOY + FRAME + b"\r\n"


def feed_all(pieces):
    stream = ServerStream()
    passed = []
    for piece in pieces:
        chunks, redirect = stream.feed(piece)
        passed += chunks
        if redirect is not None:
            return b"".join(passed), redirect
    return b"".join(passed), None


@pytest.mark.parametrize("piece", [len(STREAM), 1, 3, 7, 64])
def test_well_formed_stream_passes_unchanged_however_it_is_cut(piece):
    pieces = [STREAM[i : i + piece] for i in range(0, len(STREAM), piece)]
    assert feed_all(pieces) == (STREAM, None)


# Start lines FFmpeg reads as a 3xx: it drops every CR, skips leading blanks and reads the status
# with atoi(); the relay reads them the same way.
REDIRECT_LINES = [
    b"RTSP/1.0 302 Moved Temporarily\r\n",
    b"RTSP/1.0 301 Moved Permanently\r\n",
    b"RTSP/1.0 303 See Other\r\n",
    b"RTSP/1.0 307 Temporary Redirect\r\n",
    b"RTSP/1.0 3\r02 Moved\r\n",
    b"  RTSP/1.0 302 Moved\r\n",
    b"RTSP/1.0\t302\tMoved\n",
    b"\rRTSP/2.0 399\r\n",
]


@pytest.mark.parametrize("line", REDIRECT_LINES)
def test_a_redirect_is_held_back_with_its_host_and_port_only(line):
    reply = line + b"CSeq: 2\r\nLOCATION:  rtsp://cam:s3cret@10.1.2.3:8554/live?token=abc\r\n\r\n"
    passed, (redirect, cseq) = feed_all([OPTIONS_OK, reply, FRAME])
    assert passed == OPTIONS_OK
    assert redirect == Redirect(scheme="rtsp", host="10.1.2.3", port=8554)
    assert redirect.address == "10.1.2.3:8554"
    assert "s3cret" not in repr(redirect) and "token" not in repr(redirect)
    assert cseq == b"2"
    assert relay_module.refusal(cseq) == b"RTSP/1.0 502 Bad Gateway\r\nCSeq: 2\r\n\r\n"


@pytest.mark.parametrize(
    "location, address",
    [
        (b"rtsp://[fd00::5]/x", "[fd00::5]"),
        (b"rtsps://Camera.Example.VN:322/x", "camera.example.vn:322"),
        (b"", ""),
        (b"rtsp://bad host/x", ""),
        (b"rtsp://\xff/x", ""),
    ],
)
def test_redirect_address_is_a_clean_host_or_nothing(location, address):
    assert Redirect.from_location(location).address == address


# Replies where FFmpeg's reading and a simpler one could differ on where a message starts (or
# what its status is): the relay passes none of them on.
UNCLEAR = {
    "status 0302 (atoi: 302)": b"RTSP/1.0 0302 Moved\r\n\r\n",
    "status +302": b"RTSP/1.0 +302 Moved\r\n\r\n",
    "status 302x": b"RTSP/1.0 302x Moved\r\n\r\n",
    "status after a vertical tab": b"RTSP/1.0 \x0b302 Moved\r\n\r\n",
    "no status": b"RTSP/1.0\r\n\r\n",
    "frame under 8 bytes": b"$\x00\x00\x00RTSP/1.0 302 Moved\r\n\r\n",
    "frame inside a message": b"RTSP/1.0 200 OK\r\n$\x00\x00\x08abcdefghCSeq: 2\r\n\r\n",
    "CR then $": b"\r$\x00\x00\x08abcdefgh\r\n",
    "NUL in a line": b"RTSP/1.0 200 OK\r\n\x00\r\nRTSP/1.0 302 Moved\r\n\r\n",
    "Content-Length twice": b"RTSP/1.0 200 OK\r\nContent-Length: 0\r\nContent-Length: 9\r\n\r\n",
    "Content-Length not digits": b"RTSP/1.0 200 OK\r\nContent-Length: 9 x\r\n\r\n",
    "negative Content-Length": b"RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n",
    "body over 1 MiB": b"RTSP/1.0 200 OK\r\nContent-Length: 2000000\r\n\r\n",
    "line over 4000 bytes": b"RTSP/1.0 200 OK\r\nX: " + b"a" * 5000,
    "HTTP server": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    "random bytes": bytes(range(1, 36)) + b"\n",
}


@pytest.mark.parametrize("name", UNCLEAR)
def test_unclear_replies_are_refused_not_guessed(name):
    stream = ServerStream()
    assert stream.feed(OPTIONS_OK) == ([OPTIONS_OK], None)
    with pytest.raises(ProtocolError):
        stream.feed(UNCLEAR[name])


# --------------------------------------------------------------------------
# Hostile cameras, real FFmpeg: nothing reaches where a redirect points


@pytest.mark.parametrize("status", [301, 302])
@pytest.mark.parametrize("method", ["OPTIONS", "DESCRIBE"])
@pytest.mark.parametrize("where", ["denied host", "allowed host, other port"])
def test_redirect_reaches_nothing_and_names_the_target(policy_resolve, status, method, where):
    with TcpTrap(DENIED if where == "denied host" else CAMERA) as trap:
        with FakeRtspServer(
            "redirect",
            host=CAMERA,
            location=trap.url("/real/stream?user=x"),
            redirect_status=status,
            redirect_methods=(method,),
        ) as camera:
            result = probe(camera.url(), deadline=DEADLINE, resolve=policy_resolve)
        time.sleep(0.2)  # anything on its way to the trap has arrived
    assert (trap.connections, bytes(trap.received)) == (0, b"")
    assert (result.ok, result.error_kind) == (False, "redirect")
    assert result.redirect_host == f"{trap.host}:{trap.port}"
    assert result.error_message == (
        f"The camera redirected to rtsp://{trap.host}:{trap.port}/...; enter the final address."
    )
    assert [m for m, _ in camera.requests] == (
        ["OPTIONS"] if method == "OPTIONS" else ["OPTIONS", "DESCRIBE"]
    )


def test_credentials_never_reach_the_redirect_target(policy_resolve):
    """The camera takes the credentials (it is the checked host), then redirects.

    The target is a camera that would ask for them (401): it never sees a connection.
    """
    canary = "Cn-relay-canary-7731"
    with FakeRtspServer("401", host=DENIED) as lure:
        with FakeRtspServer(
            "redirect", host=CAMERA, location=lure.url("/secure"), challenge=True
        ) as camera:
            result = probe(
                camera.url(), "admin", canary, deadline=DEADLINE, resolve=policy_resolve
            )
        time.sleep(0.2)
    assert (lure.connections, lure.requests) == (0, [])
    assert result.error_kind == "redirect"
    # The credentials were in play: the checked camera got them, after its challenge.
    assert [("authorization" in headers) for _m, headers in camera.requests] == [
        False,
        True,
        True,
    ]
    assert canary not in repr(result)


def _redirect_reply(start_line: bytes, location: bytes) -> bytes:
    return start_line + b"\r\nCSeq: {cseq}\r\nLocation: " + location + b"\r\n\r\n"


OPTIONS_REPLY = b"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n"
# DESCRIBE replies that plain FFmpeg takes for a redirect (checked below, on this FFmpeg build),
# and what the probe reports for them through the relay.
SMUGGLED = {
    "CR inside the status": (lambda loc: _redirect_reply(b"RTSP/1.0 3\r02 Moved", loc), "redirect"),
    "leading blanks": (lambda loc: _redirect_reply(b"  RTSP/1.0 302 Moved", loc), "redirect"),
    "tabs": (lambda loc: _redirect_reply(b"RTSP/1.0\t302\tMoved", loc), "redirect"),
    "LF line ends": (
        lambda loc: b"RTSP/1.0 302 Moved\nCSeq: {cseq}\nLocation: " + loc + b"\n\n",
        "redirect",
    ),
    "status 0302": (lambda loc: _redirect_reply(b"RTSP/1.0 0302 Moved", loc), "invalid"),
    "status +302": (lambda loc: _redirect_reply(b"RTSP/1.0 +302 Moved", loc), "invalid"),
    "status 302x": (lambda loc: _redirect_reply(b"RTSP/1.0 302x Moved", loc), "invalid"),
    "vertical tab": (lambda loc: _redirect_reply(b"RTSP/1.0 \x0b302 Moved", loc), "invalid"),
    "empty frame first": (
        lambda loc: b"$\x00\x00\x00" + _redirect_reply(b"RTSP/1.0 302 Moved", loc),
        "invalid",
    ),
    "frame in the header": (
        lambda loc: b"RTSP/1.0 302 Moved\r\n$\x00\x00\x08abcdefgh"
        b"CSeq: {cseq}\r\nLocation: " + loc + b"\r\n\r\n",
        "invalid",
    ),
}


@pytest.mark.parametrize("name", SMUGGLED)
def test_redirects_plain_ffmpeg_follows_are_stopped_by_the_relay(policy_resolve, name):
    make, kind = SMUGGLED[name]
    outcomes = {}
    for run in (_probe_direct, probe):
        with TcpTrap(DENIED) as trap:
            replies = {"OPTIONS": OPTIONS_REPLY, "DESCRIBE": make(trap.url().encode())}
            with ScriptedRtspServer(replies, host=CAMERA) as camera:
                result = run(camera.url(), deadline=DEADLINE, resolve=policy_resolve)
            time.sleep(0.2)
        outcomes[run.__name__] = (trap.reached, result.error_kind)
    # Without the relay FFmpeg goes to the denied address: the reply is a real way out.
    assert outcomes["_probe_direct"][0] is True
    assert outcomes["probe"] == (False, kind)


def _loopback_v6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# Some containers run without an IPv6 loopback: nothing to test there.
@pytest.mark.skipif(not _loopback_v6(), reason="this machine has no IPv6 loopback (::1)")
def test_ipv6_camera_is_relayed_and_its_redirect_stopped():
    with FakeRtspServer("no_media", host="::1") as camera:
        result = probe(camera.url(), deadline=DEADLINE)
    assert (result.error_kind, result.codec) == ("no_video", "h264")

    with TcpTrap("::1") as trap:
        with FakeRtspServer("redirect", host="::1", location=trap.url()) as camera:
            result = probe(camera.url(), deadline=DEADLINE)
        time.sleep(0.2)
    assert not trap.reached
    assert (result.error_kind, result.redirect_host) == ("redirect", f"[::1]:{trap.port}")


# --------------------------------------------------------------------------
# Real streams through the relay: the same facts as FFmpeg connecting itself


@pytest.mark.parametrize("path, codec", [("/h264_720p", "h264"), ("/h265", "hevc")])
def test_farm_streams_give_the_same_facts_as_a_direct_connection(rtsp_farm, path, codec):
    url = rtsp_farm.url(path)
    relayed = probe(url, deadline=8, sample_seconds=2.0)
    direct = _probe_direct(url, deadline=8, sample_seconds=2.0)
    assert relayed.ok and direct.ok, (relayed, direct)
    assert (relayed.codec, relayed.width, relayed.height) == (codec, 1280, 720)
    assert (relayed.codec, relayed.width, relayed.height) == (
        direct.codec,
        direct.width,
        direct.height,
    )
    assert relayed.fps == pytest.approx(direct.fps, rel=0.10)
    assert relayed.keyframe_interval_s == pytest.approx(direct.keyframe_interval_s, rel=0.10)
    assert relayed.bitrate_kbps == pytest.approx(direct.bitrate_kbps, rel=0.5)


@pytest.fixture(scope="module")
def basic_farm():
    farm = start_rtsp_farm("--auth", "basic")
    yield farm
    farm.stop()


@pytest.mark.parametrize("auth", ["digest", "basic"])
def test_secure_path_authenticates_through_the_relay(rtsp_farm, request, auth):
    """The request URI names the relay; the server matches the path and checks the same URI."""
    farm = rtsp_farm if auth == "digest" else request.getfixturevalue("basic_farm")
    good = probe(farm.url("/secure"), "cam", farm.password, deadline=6, sample_seconds=1)
    assert good.ok, good
    assert (good.codec, good.width, good.height) == ("h264", 1280, 720)
    wrong = probe(farm.url("/secure"), "cam", farm.password + "x", deadline=6)
    assert (wrong.error_kind, wrong.error_message) == (
        "unauthorized",
        "The camera rejected the username or password (401 Unauthorized).",
    )


# --------------------------------------------------------------------------
# rtsps://: the relay does TLS towards the camera, FFmpeg speaks plain RTSP to the relay


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "camera.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class TlsFront:
    """An RTSPS camera: TLS (self-signed) in front of a plain RTSP server; records SNI."""

    def __init__(self, target_port, certificate):
        self.target_port = target_port
        self.server_names = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*certificate)
        self.context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path, host="127.0.0.1"):
        return f"rtsps://{host}:{self.port}{path}"

    def close(self):
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            conn.close()
            return
        self.sockets += [tls, upstream]
        for a, b in ((tls, upstream), (upstream, tls)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def rtsps_camera(rtsp_farm, certificate):
    front = TlsFront(rtsp_farm.port, certificate)
    yield front
    front.close()


def test_rtsps_stream_plays_through_the_relay_with_sni(rtsp_farm, rtsps_camera):
    url = rtsps_camera.url("/secure", host="camera.test")
    result = probe(
        url,
        "cam",
        rtsp_farm.password,
        deadline=8,
        sample_seconds=1,
        resolve=lambda host: "127.0.0.1",
    )
    assert result.ok, result
    assert (result.codec, result.width, result.height) == ("h264", 1280, 720)
    assert rtsps_camera.server_names == ["camera.test"]


def test_rtsps_by_ip_address_sends_no_sni(rtsps_camera):
    result = probe(rtsps_camera.url("/h264_720p"), deadline=8, sample_seconds=0.5)
    assert result.ok, result
    assert rtsps_camera.server_names == [None]


def test_rtsps_url_on_a_plain_rtsp_server_is_invalid(rtsp_farm):
    url = rtsp_farm.url("/h264_720p").replace("rtsp://", "rtsps://")
    result = probe(url, deadline=DEADLINE)
    assert (result.error_kind, result.error_message) == (
        "invalid",
        "The camera did not complete the TLS (rtsps) handshake.",
    )


# --------------------------------------------------------------------------
# The relay itself: one connection, bytes unchanged, no thread left behind


def test_relay_takes_one_connection_and_passes_client_bytes_unchanged():
    camera_end, probe_end = socket.socketpair()
    relay = Relay(probe_end, expires_at=time.monotonic() + 10).start()
    try:
        client = socket.create_connection(("127.0.0.1", relay.port), timeout=2)
        assert wait_for(lambda: relay.accepted == 1, timeout=2)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", relay.port), timeout=2)
        request = b"DESCRIBE rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 2\r\n\r\n\x00\xff$"
        client.sendall(request)
        camera_end.settimeout(2)
        received = b""
        while len(received) < len(request):
            received += camera_end.recv(4096)
        assert received == request
        camera_end.sendall(DESCRIBE_OK + FRAME)
        client.settimeout(2)
        answer = b""
        while len(answer) < len(DESCRIBE_OK + FRAME):
            answer += client.recv(4096)
        assert answer == DESCRIBE_OK + FRAME
        client.close()
        assert wait_for(lambda: not relay.alive, timeout=2)
    finally:
        relay.close()
        camera_end.close()


def test_relay_stops_at_its_expiry_without_a_client():
    camera_end, probe_end = socket.socketpair()
    relay = Relay(probe_end, expires_at=time.monotonic() + 0.3).start()
    assert wait_for(lambda: not relay.alive, timeout=2)
    camera_end.close()


def test_no_relay_thread_outlives_a_probe(rtsp_farm, fake_rtsp):
    before = set(relay_threads())
    assert probe(rtsp_farm.url("/lowres"), deadline=5, sample_seconds=0.5).ok
    # A silent camera: the probe answers at its deadline, long before FFmpeg's
    # own 5 s limits; closing the relay ends the worker's wait as well.
    silent = fake_rtsp("silent")
    result = probe(silent.url(), deadline=1.0, open_timeout=5, read_timeout=5)
    assert result.error_kind == "timeout"
    assert wait_for(lambda: not (set(relay_threads()) - before), timeout=1.0)
    workers = [t for t in threading.enumerate() if t.name == "camera-probe"]
    assert wait_for(lambda: not any(t.is_alive() for t in workers), timeout=2.0)


# --------------------------------------------------------------------------
# End to end: the check of a registered camera


@pytest.mark.django_db
def test_camera_that_redirects_is_ineligible_with_reason_redirect(
    settings, django_capture_on_commit_callbacks
):
    from cameras.choices import ConnectionStatus
    from tests import factories

    settings.CAMERA_ALLOWED_NETWORKS = [f"{CAMERA}/32"]
    settings.CAMERA_PROBE_DEADLINE = DEADLINE
    with TcpTrap(DENIED) as trap:
        with FakeRtspServer("redirect", host=CAMERA, location=trap.url("/cam1")) as camera:
            with django_capture_on_commit_callbacks(execute=True):
                registered = factories.camera(stream_url=camera.url())
        time.sleep(0.2)
    assert not trap.reached
    registered.refresh_from_db()
    target = f"{DENIED}:{trap.port}"
    assert registered.state.last_error_kind == "redirect"
    assert registered.connection_status == ConnectionStatus.INELIGIBLE
    assert registered.state.verdict_reasons == [{"code": "redirect", "host": target}]
    with translation.override("en"):
        assert reason_text(registered.state.verdict_reasons[0]) == (
            f"the camera redirects the stream to {target}, which the portal does not follow; "
            f"enter the stream address on {target} as the camera's address"
        )
    # The stored reason (in the portal's language) names where to look.
    assert target in registered.status_reason
