"""cameras.probe against a real RTSP server (GStreamer) and misbehaving fakes.

No database: these tests only need sockets and PyAV. Every probe is timed,
and must return within its deadline plus DEADLINE_SLACK, whatever the
server does.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest

from cameras.probe import ERROR_KINDS, ProbeResult, probe
from tests.fake_rtsp import FakeRtspServer, closed_port, sleeping_resolver
from tests.rtsp_helpers import start_rtsp_farm, wait_for

DEADLINE = 3.0
# A bound, not a benchmark: the deadline must hold, with room for a slow CI box.
DEADLINE_SLACK = 1.5

# Fake server behaviour -> (error_kind, words the message must contain).
FAKE_EXPECTATIONS = {
    "401": ("unauthorized", "401"),
    "403": ("forbidden", "403"),
    "404": ("not_found", "404"),
    "453": ("busy", "453"),
    "503": ("server_error", "503"),
    # Connected, no reply: FFmpeg's inactivity limit (half the budget) fires.
    "silent": ("timeout", "did not answer"),
    # One byte a second never trips an inactivity limit; the interrupt
    # callback's wall-clock limit does.
    "drip": ("timeout", "did not answer"),
    # The handshake succeeded, so this is about the stream, not the camera
    # being unreachable: no_video, never timeout.
    "no_media": ("no_video", "no video"),
    # Mostly "does not speak RTSP" (our own look at the first bytes); when the
    # random bytes happen to parse as a reply FFmpeg rejects (~6%), "not
    # valid RTSP".
    "garbage": ("invalid", "RTSP"),
    "http": ("invalid", "HTTP"),
    # Accepting and closing at once is what overloaded cameras do; it is the
    # camera refusing us, not invalid data.
    "hangup": ("refused", "closed the connection"),
    # SYNs dropped: FFmpeg's connect gives up at its inactivity limit.
    "blackhole": ("timeout", "Could not connect"),
    # The relay answers the 302 for FFmpeg, which never learns where it
    # pointed (a closed port here): the verdict is never the target's
    # ("refused"), or probes would be a port scanner, and names the target's
    # host so the final address can be entered.
    "redirect": ("redirect", "redirected to rtsp://127.0.0.1:"),
}


def timed_probe(url, *args, deadline=DEADLINE, **kwargs) -> ProbeResult:
    start = time.monotonic()
    result = probe(url, *args, deadline=deadline, **kwargs)
    elapsed = time.monotonic() - start
    assert elapsed <= deadline + DEADLINE_SLACK, f"{url}: took {elapsed:.2f} s"
    assert result.duration_ms <= (deadline + DEADLINE_SLACK) * 1000
    assert result.error_kind in ("", *ERROR_KINDS)
    assert result.ok == (result.error_kind == "")
    return result


def assert_failed(result: ProbeResult, kind: str, words: str = "") -> None:
    assert (result.ok, result.error_kind) == (False, kind), result
    assert words in result.error_message, result.error_message
    assert len(result.error_message) < 120


# --------------------------------------------------------------------------
# Healthy streams (GStreamer farm)

OK_STREAMS = {
    # path: (codec, width, height, fps)
    "/h264_720p": ("h264", 1280, 720, 25),
    "/h265": ("hevc", 1280, 720, 25),
    "/lowres": ("h264", 640, 480, 25),
    "/lowfps": ("h264", 1280, 720, 5),
}


@pytest.mark.parametrize("path", OK_STREAMS)
def test_healthy_stream_facts(rtsp_farm, path):
    codec, width, height, fps = OK_STREAMS[path]
    # 2 s of stream: x265's first IDR comes without a pts, so two timed
    # keyframes of a 1 s GOP need a window of more than 1.5 s.
    # A generous deadline: gst-rtsp-server builds the pipeline (x265 takes
    # longest) before it answers DESCRIBE, and a busy CI box slows that down.
    result = timed_probe(rtsp_farm.url(path), deadline=8, sample_seconds=2.0)
    assert result.ok, result
    assert (result.codec, result.width, result.height) == (codec, width, height)
    assert result.fps == pytest.approx(fps, rel=0.10)
    assert 0 < result.time_to_first_frame_ms < 6000
    # The farm sends a keyframe every second.
    assert result.keyframe_interval_s == pytest.approx(1.0, rel=0.10)
    assert result.bitrate_kbps > 10
    assert result.error_message == ""


@pytest.mark.parametrize("path", OK_STREAMS)
def test_routine_probe_stops_at_the_first_keyframe_and_measures_no_frame_rate(rtsp_farm, path):
    codec, width, height, _fps = OK_STREAMS[path]
    result = timed_probe(rtsp_farm.url(path), deadline=8, sample_seconds=0)
    assert result.ok, result
    # What the handshake and the first keyframe tell, and nothing a sample would.
    assert (result.codec, result.width, result.height) == (codec, width, height)
    assert 0 < result.time_to_first_frame_ms < 6000
    assert (result.fps, result.keyframe_interval_s, result.bitrate_kbps) == (None, None, None)
    # It ends at the keyframe (a 1 s GOP), not after a 2 s sample.
    assert result.duration_ms < result.time_to_first_frame_ms + 1000


def test_routine_probe_tells_the_same_failures(rtsp_farm):
    assert_failed(
        timed_probe(rtsp_farm.url("/secure"), rtsp_farm.username, "wrong", sample_seconds=0),
        "unauthorized",
    )
    assert_failed(timed_probe(rtsp_farm.url("/audio_only"), sample_seconds=0), "no_video")
    assert_failed(
        timed_probe(f"rtsp://127.0.0.1:{closed_port()}/x", sample_seconds=0), "refused"
    )


def test_audio_only_stream_is_no_video(rtsp_farm):
    result = timed_probe(rtsp_farm.url("/audio_only"))
    assert_failed(result, "no_video", "no video track")


def test_secure_stream_without_credentials(rtsp_farm):
    result = timed_probe(rtsp_farm.url("/secure"))
    assert_failed(result, "unauthorized", "requires a username and password")


def test_secure_stream_wrong_password(rtsp_farm):
    result = timed_probe(rtsp_farm.url("/secure"), "cam", rtsp_farm.password + "x")
    assert_failed(result, "unauthorized", "rejected the username or password")


def test_secure_stream_right_password(rtsp_farm):
    # The canary password holds @ : / % +, which must be percent-encoded.
    result = timed_probe(
        rtsp_farm.url("/secure"), "cam", rtsp_farm.password, deadline=6, sample_seconds=1
    )
    assert result.ok, result
    assert (result.codec, result.width, result.height) == ("h264", 1280, 720)


def test_credentials_embedded_in_url(rtsp_farm):
    url = rtsp_farm.url("/secure").replace(
        "rtsp://", f"rtsp://cam:{quote(rtsp_farm.password, safe='')}@"
    )
    result = timed_probe(url, deadline=6, sample_seconds=0.5)
    assert result.ok, result


# --------------------------------------------------------------------------
# Misbehaving servers


@pytest.mark.parametrize("behaviour", FAKE_EXPECTATIONS)
def test_fake_server_error_kind(fake_rtsp, behaviour):
    kind, words = FAKE_EXPECTATIONS[behaviour]
    server = fake_rtsp(behaviour)
    result = timed_probe(server.url())
    assert_failed(result, kind, words)


def test_every_fake_behaviour_is_covered():
    assert set(FAKE_EXPECTATIONS) == set(FakeRtspServer.BEHAVIOURS)


def test_no_media_reports_codec_but_no_fake_facts(fake_rtsp):
    result = timed_probe(fake_rtsp("no_media").url())
    assert result.codec == "h264"
    assert result.fps is None and result.time_to_first_frame_ms is None


def test_redirect_to_a_live_stream_is_not_a_success(rtsp_farm):
    with FakeRtspServer("redirect", location=rtsp_farm.url("/h264_720p")) as server:
        result = timed_probe(server.url(), resolve=lambda host: "127.0.0.1")
    assert_failed(result, "redirect", f"rtsp://127.0.0.1:{rtsp_farm.port}/...")
    assert result.redirect_host == f"127.0.0.1:{rtsp_farm.port}"


def test_closed_port_is_refused():
    result = timed_probe(f"rtsp://127.0.0.1:{closed_port()}/stream")
    assert_failed(result, "refused", "refused")


def test_unresolvable_host_is_dns():
    result = timed_probe("rtsp://nonexistent.invalid/x")
    assert_failed(result, "dns", "nonexistent.invalid")


def test_slow_resolver_times_out_at_the_deadline():
    result = timed_probe("rtsp://camera.example/x", resolve=sleeping_resolver(5))
    assert_failed(result, "timeout", "Resolving")
    assert result.duration_ms >= DEADLINE * 1000 - 50


def test_abandoned_probe_never_connects(fake_rtsp):
    """A resolver that answers after the deadline must not lead to a connect."""
    server = fake_rtsp("silent")
    before = set(threading.enumerate())
    result = timed_probe(server.url(), deadline=0.5, resolve=sleeping_resolver(1.0))
    assert_failed(result, "timeout")
    workers = [t for t in set(threading.enumerate()) - before if t.name == "camera-probe"]
    assert len(workers) == 1, "the worker should still be asleep in the resolver"

    assert wait_for(lambda: not workers[0].is_alive(), timeout=5)
    assert server.connections == 0


def test_resolver_permission_error_is_invalid():
    def deny(host):
        raise PermissionError(host)

    result = timed_probe("rtsp://10.0.0.1/x", resolve=deny)
    assert_failed(result, "invalid", "address not allowed")
    assert result.error_message == "address not allowed"


def test_resolver_is_used_for_the_connection(fake_rtsp):
    server = fake_rtsp("404")
    url = f"rtsp://camera.example:{server.port}/x"
    result = timed_probe(url, resolve=lambda host: "127.0.0.1")
    assert_failed(result, "not_found")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/stream",
        "rtmp://127.0.0.1/live",
        "file:///etc/passwd",
        "rtsp:///stream",
        "rtsp://",
        "rtsp://127.0.0.1:99999/x",
        "rtsp://127.0.0.1:0/x",
        "rtsp://127.0.0.1/a b",
        "",
        "127.0.0.1:554/stream",
    ],
)
def test_bad_urls_are_invalid(url):
    result = timed_probe(url)
    assert_failed(result, "invalid")
    assert result.duration_ms < 100


# --------------------------------------------------------------------------
# Credentials never leak


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_canary_password_never_leaks(rtsp_farm, fake_rtsp, capfd, caplog):
    canary = rtsp_farm.password
    forms = {canary, quote(canary, safe=""), quote(canary)}
    libav = _ListHandler()
    logging.getLogger("libav").addHandler(libav)
    caplog.set_level(logging.DEBUG)
    try:
        url_with = f"rtsp://cam:{quote(canary, safe='')}@127.0.0.1:{closed_port()}/x"
        cases = [
            (rtsp_farm.url("/secure"), ("cam", canary + "x")),  # wrong password
            (fake_rtsp("401").url(), ("cam", canary)),
            (fake_rtsp("453").url(), ("cam", canary)),
            (fake_rtsp("garbage").url(), ("cam", canary)),
            (fake_rtsp("hangup").url(), ("cam", canary)),
            (fake_rtsp("silent").url(), ("cam", canary)),
            (f"rtsp://127.0.0.1:{closed_port()}/x", ("cam", canary)),
            (url_with, ()),
            ("rtsp://nonexistent.invalid/x", ("cam", canary)),
        ]
        with ThreadPoolExecutor(len(cases)) as pool:
            results = list(pool.map(lambda c: timed_probe(c[0], *c[1]), cases))
    finally:
        logging.getLogger("libav").removeHandler(libav)

    assert all(not r.ok for r in results)
    out, err = capfd.readouterr()
    seen = [repr(r) for r in results] + caplog.messages + libav.messages + [out, err]
    for text in seen:
        for form in forms:
            assert form not in text
    # The wrong password contains the canary too.
    assert [r.error_kind for r in results] == [
        "unauthorized",
        "unauthorized",
        "busy",
        "invalid",
        "refused",
        "timeout",
        "refused",
        "refused",
        "dns",
    ]


# --------------------------------------------------------------------------
# Concurrency


def test_concurrent_probes_keep_their_own_verdicts(rtsp_farm, fake_rtsp):
    """FFmpeg's log (used to tell 453 from 400) is per thread, not global."""
    cases = [(rtsp_farm.url("/h264_720p"), "")] * 3 + [(rtsp_farm.url("/lowres"), "")]
    for behaviour in ("401", "403", "404", "453", "503", "hangup", "garbage", "silent"):
        cases += [(fake_rtsp(behaviour).url(), FAKE_EXPECTATIONS[behaviour][0])] * 2
    with ThreadPoolExecutor(len(cases)) as pool:
        results = list(pool.map(lambda c: timed_probe(c[0], deadline=5, sample_seconds=0.5), cases))
    assert [r.error_kind for r in results] == [kind for _, kind in cases]


@pytest.mark.rtsp
def test_farm_mode_serves_numbered_cameras():
    """--farm N: the benchmark's cameras, /cam/0..N-1 from one shared encoder."""
    farm = start_rtsp_farm("--farm", "40", "--farm-size", "320x240@10")
    # gst-rtsp-server trips an assertion when clients arrive while the shared media is being
    # set up or torn down (its last client leaving); one client that stays keeps it up, as in
    # the benchmark. Cameras are single devices: this is a property of the farm, not the probe.
    anchor = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "quiet", "-rtsp_transport", "tcp", "-i",
         farm.url("/cam/1"), "-c", "copy", "-f", "null", "-"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: probe(farm.url("/cam/2"), deadline=3).ok, timeout=15)
        paths = ["/cam/0", "/cam/39", "/cam/17", "/cam/40"]
        with ThreadPoolExecutor(len(paths)) as pool:
            results = list(
                pool.map(lambda p: timed_probe(farm.url(p), deadline=5, sample_seconds=1), paths)
            )
    finally:
        anchor.terminate()
        anchor.wait(timeout=10)
        farm.stop()
    for result in results[:3]:
        assert result.ok, result
        assert (result.width, result.height) == (320, 240)
        assert result.fps == pytest.approx(10, rel=0.10)
    assert_failed(results[3], "not_found")
