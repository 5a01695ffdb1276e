"""Probe an RTSP/RTSPS camera: can we get video from it, and what does it send?

This is the only module that touches PyAV, and it imports nothing from Django:
it is called from worker threads (a ThreadPoolExecutor runs many probes at
once) and from benchmarks. FFmpeg never connects to the camera: it connects
to a loopback relay (cameras/relay.py) joined to the one address the
``resolve`` hook approved; see "No other address" below.

How the wall-clock ``deadline`` holds
-------------------------------------
FFmpeg is stopped cooperatively where it can be and abandoned where it cannot:

* DNS is resolved by us, never by FFmpeg: ``getaddrinfo`` cannot be
  interrupted, and resolving once also means the address connected to is the
  one the caller's ``resolve`` hook approved (no DNS-rebinding between an
  SSRF check and the connect).
* The TCP connect (and for rtsps:// the TLS handshake) is ours too, on the
  worker thread, limited like FFmpeg's I/O below; its errors (refused,
  unreachable, no answer to SYN) are told from the socket's own error.
* FFmpeg's ``timeout`` option (microseconds; ``stimeout`` is ignored since
  FFmpeg 5) is a socket *inactivity* limit: it ends silent servers.
* PyAV's ``timeout=(open, read)`` installs an ``interrupt_callback``, a
  wall-clock limit per phase: it ends servers that drip one byte per second,
  which an inactivity limit never catches. PyAV restarts that clock for
  ``avformat_open_input``, again for ``avformat_find_stream_info`` and again
  for each ``av_read_frame``; ``find_stream_info`` also *succeeds* when
  interrupted. Both open phases therefore get half of the remaining budget,
  so a server that answers the handshake but sends no media is seen as open
  in time to be reported as ``no_video`` rather than ``timeout``.
* All of that runs in a daemon thread; the caller waits on an Event until
  the deadline and then answers from what the thread has seen so far, and
  closes the relay: FFmpeg, left reading from it, sees the connection end and
  returns at once. The relay's own thread ends with the worker, or when the
  caller closes it, and by itself at ``read_timeout`` past the deadline at the
  latest (the bound a worker left behind had before the relay existed).

Measured on the 2-core dev machine against tests/fake_rtsp.py, returned
after (deadline=3 s / default 10 s):

=========================================  ==========  ==========
401/403/404/453/503, refused, hang-up      1-5 ms      1-5 ms
HTTP server on the port / random bytes     2-5 ms      2-5 ms
302 to anywhere (``redirect``)             2-10 ms     2-10 ms
NXDOMAIN                                   1-15 ms     1-15 ms
silent server (inactivity limit)           1.41 s      4.92 s
one byte per second (interrupt callback)   1.41 s      4.92 s
SYN dropped (our connect's limit)          1.35 s      4.86 s
handshake OK, no RTP (``no_video``)        2.92 s      9.93 s
resolver that hangs (thread backstop)      3.00 s      10.00 s
=========================================  ==========  ==========

Only the hanging resolver outlived the call: its thread ended when the
resolver returned, and then without connecting. An HTTP server or random
bytes are now told at once: the relay closes on a first line that is not
RTSP, where FFmpeg used to wait for more (about 200 ms).

A full probe and a routine one
------------------------------
``sample_seconds`` > 0 (a *full* probe) reads that much stream time after the
first keyframe to measure the frame rate, keyframe interval and bit rate.
``sample_seconds=0`` (a *routine* probe) stops at the first video keyframe:
the handshake (OPTIONS, DESCRIBE, SETUP, PLAY), the codec and picture size
(from the SDP's parameter sets, else from the keyframe), the time to first
frame, nothing more; ``fps``, ``keyframe_interval_s`` and ``bitrate_kbps``
are then None (the SDP's nominal rate is a guess, not a measurement). It also
opens with the smallest stream analysis FFmpeg allows (``probesize`` 32 bytes,
``analyzeduration`` 1 us) and tells the analysis's decoder to decode nothing
(``skip_frame=all``): ``find_stream_info`` returns after the first packet
instead of reading 0.5 s of stream, and allocates no picture buffers. Measured
on the 2-core dev machine against tests/rtsp_farm.py --farm (H.264 1280x720
10 fps, a keyframe every second), 150 probes 30 at once: full 2 s sample 12 s
and 17-20 ms CPU per probe; stop at the keyframe with the full analysis
4.9 s, 11-12 ms; with the smallest analysis 5.0 s, 8-10 ms (waiting for the
keyframe bounds the wall time); without its decode, 16 at once, 7 ms instead
of 10. bench/README.md has the figures through the task cluster.

A snapshot
----------
``snapshot=True`` decodes the first keyframe (and, for encoders that hand a
picture over late, the packets after it until the decoder does) and returns it
as a JPEG of at most ``snapshot_size`` pixels a side: FFmpeg's swscale scales
it (area-averaged), Pillow encodes it. A routine probe with a snapshot keeps
the smallest stream analysis but not ``skip_frame=all``. The JPEG is made on
the worker thread before the container closes; a picture still being decoded
at the deadline is dropped and the facts are returned without one. The JPEG
is a picture of people in quarantine: it is never logged (``repr`` of the
result hides it) and the caller stores it encrypted (cameras/snapshots.py).

Error messages and credentials
------------------------------
Credentials live in the URL only in memory, for the duration of the call.
PyAV's exception text embeds the URL (and, under concurrency, sometimes
another thread's FFmpeg log line: PyAV keeps one "last error" process-wide),
so messages are never built from ``str(exc)``: they are fixed sentences,
plus at most a sanitised RTSP reason phrase, and go through :func:`_scrub`
as a last line of defence.

FFmpeg's log goes to PyAV's callback (set up at import below) and from there
only into per-thread captures that this module reads to tell a 453 from a 400,
a stalled handshake from a hang-up (and, without the relay, to spot
redirects); the ``libav``
Python logger is silenced so an uncaptured line can never reach stderr.

No other address, whatever the camera answers
---------------------------------------------
FFmpeg follows an RTSP 3xx from OPTIONS or DESCRIBE by itself, to any host,
resolving it itself, and cannot be told not to. So it is never handed the
camera's address. The probe connects to the approved (ip, port) itself and
puts cameras/relay.py in front of that connection: FFmpeg gets
``rtsp://[user:password@]127.0.0.1:<relay port>/<path>``, the relay accepts
that one connection (then refuses any other), passes FFmpeg's bytes to the
camera unchanged, and passes the camera's on only as whole RTSP messages or
interleaved frames, parsed the way FFmpeg parses them. A 3xx is answered with
a 502 instead, and reported as ``redirect`` naming the target's host and
port (never its path or credentials) so that the final address can be
entered; a reply FFmpeg might read otherwise than the relay does is cut off.
FFmpeg's requests, and the credentials in them, thus reach the approved
address and no other; RTP over UDP, the only other way out, is off
(``rtsp_transport=tcp``). tests/test_relay.py shows each kind of redirect
that plain FFmpeg follows reaching nothing through the relay.

The request URI that reaches the camera names 127.0.0.1:<relay port>. RTSP
servers (gst-rtsp-server, common cameras) choose the stream by path, and
Digest stays consistent because FFmpeg hashes the URI it sent, which is the
one the camera reads; tested against the farm's /secure with Digest and
Basic. For rtsps:// the relay does TLS towards the camera (SNI with the
URL's host name; certificates unverified, as FFmpeg did not verify them
either) and FFmpeg speaks plain RTSP to the relay. Through the relay a probe
costs more CPU (every byte of the stream passes through Python): see
bench/README.md.
"""

from __future__ import annotations

import errno
import io
import ipaddress
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from urllib.parse import quote, unquote, urlsplit

import av
import av.error
import av.logging

from cameras import relay as _relay

logger = logging.getLogger(__name__)

ERROR_KINDS = (
    "unauthorized",
    "forbidden",
    "not_found",
    "busy",
    "server_error",
    "refused",
    "dns",
    "timeout",
    "no_video",
    "redirect",
    "invalid",
)

# RTSP status codes that mean "try again later", not "wrong request":
# 453 Not Enough Bandwidth is what most cameras send when their session limit
# is reached; 429 is used by a few HTTP-derived stacks.
BUSY_STATUS = frozenset({429, 453})

# Fewer distinct timestamps than this over the sample window are not worth a
# pts-based frame rate.
_MIN_FPS_PACKETS = 3
_MAX_PACKETS = 5000
# find_stream_info reads this much stream time at most before av.open returns.
# The default (5 s) plus H.264's decode-delay guessing made av.open on a 5 fps
# camera take 1.46 s; 0.5 s brings it to 0.85 s. Width/height still come from
# the SDP's sprop-parameter-sets or the first keyframe.
_ANALYZE_US = 500_000
# A routine probe's open: find_stream_info stops after the first packet (the smallest
# probesize FFmpeg accepts); codec and size come from the SDP or that packet.
_ROUTINE_OPEN = {"probesize": "32", "analyzeduration": "1"}
# ...and its decoder decodes nothing: find_stream_info otherwise decodes that packet to learn
# the pixel format (allocating 720p frame buffers), which a routine probe never needs. Measured
# on the farm, 16 at once: 10.1 ms CPU per routine probe with the decode, 6.8 ms without. One
# dict per stream (PyAV pairs them by index and ignores the surplus).
_ROUTINE_STREAMS = [{"skip_frame": "all"}] * 8

# A snapshot's longest side: enough to tell a corridor from a room, small enough that a
# leaked file shows no faces in detail and that 10,000 cameras' pictures fit in little disk.
SNAPSHOT_SIZE = 640
# JPEG quality of a snapshot: the picture warnings are judged on the decoded frame's JPEG.
_SNAPSHOT_QUALITY = 80
# AV_CODEC_FLAG2_CHUNKS (libavcodec/avcodec.h): packets may end anywhere inside a picture.
_FLAG2_CHUNKS = 1 << 15

_METHOD_FAILED = re.compile(r"method (\w+) failed: (\d+) \((.*)\)")
_READ_FAILED = re.compile(r"Failed reading RTSP data: (.*)")
_REDIRECT_LOG = "Redirecting to"
_URL_CREDS = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"]*@")


def _configure_av_logging() -> None:
    # VERBOSE so the per-thread capture also sees "Successfully connected",
    # which separates "could not connect in time" from "connected, no
    # answer" when FFmpeg connects itself (the benchmark's baseline; through
    # the relay the probe knows). Nothing is emitted anywhere: see the module
    # docstring.
    av.logging.set_level(av.logging.VERBOSE)
    # PyAV drops a log line identical to the previous one, process-wide: two
    # probes failing the same way at once would lose one thread's line.
    av.logging.set_skip_repeated(False)
    libav = logging.getLogger("libav")
    libav.addHandler(logging.NullHandler())
    libav.propagate = False


_configure_av_logging()


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    error_kind: str = ""  # "" when ok; else one of ERROR_KINDS
    error_message: str = ""  # short English sentence, never containing credentials
    codec: str = ""  # e.g. "h264", "hevc"
    width: int | None = None
    height: int | None = None
    fps: float | None = None  # from packet timestamps, not wall-clock counts
    time_to_first_frame_ms: int | None = None  # call start -> first keyframe packet
    keyframe_interval_s: float | None = None  # if two keyframes were seen
    bitrate_kbps: float | None = None  # packet bytes over the pts span
    duration_ms: int = 0  # wall time of the whole call
    # With error_kind "redirect": host[:port] the camera pointed to ("" if its
    # Location named none); never credentials or a path.
    redirect_host: str = ""
    # With ``snapshot=True``: the first keyframe as a JPEG (longest side at most
    # ``snapshot_size``), b"" when no picture could be decoded in time. A picture of
    # people: the caller stores it encrypted and never logs it (repr hides it).
    snapshot: bytes = field(default=b"", repr=False)
    snapshot_width: int | None = None
    snapshot_height: int | None = None


def _redirected(target: _relay.Redirect | None) -> ProbeResult:
    """The answer to a camera that redirected: where to, so the final address can be entered.

    Never the target's own verdict: that would make the probe a port scanner.
    """
    address = target.address if target is not None else ""
    if not address:
        message = "The camera redirected to another address; enter the final address."
    else:
        shown = address if len(address) <= 80 else address[:77] + "..."
        if target.scheme:
            shown = f"{target.scheme}://{shown}/..."
        message = f"The camera redirected to {shown}; enter the final address."
    return ProbeResult(
        ok=False, error_kind="redirect", error_message=message, redirect_host=address
    )


def probe(
    url: str,
    username: str | None = None,
    password: str | None = None,
    *,
    open_timeout: float = 5.0,
    read_timeout: float = 5.0,
    deadline: float = 10.0,
    sample_seconds: float = 2.0,
    resolve=None,
    snapshot: bool = False,
    snapshot_size: int = SNAPSHOT_SIZE,
) -> ProbeResult:
    """Connect to ``url`` over RTSP/TCP and report what the camera sends.

    Returns within ``deadline`` seconds (wall clock, DNS included) in every
    case; never raises for anything the camera or the network does.

    ``open_timeout`` bounds each of the two open phases (RTSP handshake, then
    stream analysis) and ``read_timeout`` each packet read; both are also
    capped by what is left of the deadline. ``sample_seconds`` is how much
    *stream* time (pts) is read after the first keyframe to measure fps,
    keyframe interval and bitrate; 0 makes a routine probe, which stops at the
    first keyframe and measures none of them (module docstring, "A full probe
    and a routine one"). ``time_to_first_frame_ms`` counts from the
    start of the call to the moment PyAV hands over the first keyframe packet,
    so it includes DNS, the handshake and FFmpeg's stream analysis.

    ``resolve(host) -> ip`` replaces DNS (for tests, and for an SSRF check by
    the caller: raising ``PermissionError`` yields ``invalid`` / "address not
    allowed"); it is bounded by the deadline like everything else. No
    connection is ever made to another address, whatever the camera answers:
    a redirect yields ``redirect`` with ``redirect_host``.
    Credentials may be given apart or inside the URL.

    ``snapshot=True`` also decodes the first keyframe into a JPEG whose longest
    side is at most ``snapshot_size`` pixels (module docstring, "A snapshot");
    the probe then reads on after the keyframe until the decoder hands over its
    picture, within the same deadline.
    """
    return _run(
        url,
        username,
        password,
        open_timeout=open_timeout,
        read_timeout=read_timeout,
        deadline=deadline,
        sample_seconds=sample_seconds,
        resolve=resolve,
        via_relay=True,
        snapshot_size=snapshot_size if snapshot else 0,
    )


def _probe_direct(url: str, username=None, password=None, **limits) -> ProbeResult:
    """:func:`probe` with FFmpeg connecting to the camera itself, as before the relay.

    For bench/bench_relay.py (the baseline of the relay's cost) and for tests
    showing what the relay prevents: FFmpeg then follows redirects to any
    host. Never use it on a user's address.
    """
    return _run(url, username, password, via_relay=False, **limits)


def _run(
    url,
    username,
    password,
    *,
    open_timeout=5.0,
    read_timeout=5.0,
    deadline=10.0,
    sample_seconds=2.0,
    resolve=None,
    via_relay,
    snapshot_size=0,
) -> ProbeResult:
    t0 = time.monotonic()
    try:
        target = _Target.parse(url, username, password)
    except _BadUrl as exc:
        return ProbeResult(
            ok=False, error_kind="invalid", error_message=str(exc), duration_ms=_ms(t0)
        )

    job = _Job(
        target,
        t0=t0,
        open_timeout=open_timeout,
        read_timeout=read_timeout,
        deadline=deadline,
        sample_seconds=sample_seconds,
        resolve=resolve,
        via_relay=via_relay,
        snapshot_size=snapshot_size,
    )
    thread = threading.Thread(target=job.run, name="camera-probe", daemon=True)
    thread.start()
    job.done.wait(max(0.0, t0 + deadline - time.monotonic()))
    result = job.finish()
    result = replace(result, error_message=_scrub(result.error_message, target.secrets))
    logger.debug(
        "probe %s:%s -> %s %s",
        target.host,
        target.port or "",
        result.error_kind or "ok",
        result.error_message,
    )
    return replace(result, duration_ms=_ms(t0))


# --------------------------------------------------------------------------
# URL handling


class _BadUrl(ValueError):
    pass


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int | None
    path: str  # path + query, as given
    userinfo: str  # percent-encoded "user:password", "" without credentials
    secrets: tuple[str, ...]

    @classmethod
    def parse(cls, url, username, password) -> _Target:
        if not isinstance(url, str) or not url:
            raise _BadUrl("The camera URL is empty.")
        if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
            raise _BadUrl("The camera URL contains spaces or control characters.")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise _BadUrl("The camera URL is malformed or has an invalid port.") from None
        scheme = parts.scheme.lower()
        if scheme not in ("rtsp", "rtsps"):
            raise _BadUrl("Only rtsp:// and rtsps:// camera URLs are supported.")
        host = parts.hostname or ""
        if not host:
            raise _BadUrl("The camera URL has no host.")
        if port == 0:
            raise _BadUrl("The camera URL has an invalid port.")
        # Credentials embedded in the URL count as well, unless given apart.
        if username is None and password is None and parts.username is not None:
            username = unquote(parts.username)
            password = unquote(parts.password) if parts.password is not None else None
        userinfo = ""
        secrets: list[str] = []
        if username or password:
            userinfo = quote(username or "", safe="")
            if password is not None:
                userinfo += ":" + quote(password, safe="")
                secrets.append(userinfo)
            if password:
                secrets += [password, quote(password, safe=""), quote(password)]
                secrets.append(f"{username or ''}:{password}")
        if parts.password:
            secrets += [parts.password, unquote(parts.password)]
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return cls(scheme, host, port, path, userinfo, tuple(s for s in secrets if s))

    @property
    def default_port(self) -> int:
        return self.port or (322 if self.scheme == "rtsps" else 554)

    def av_url(self, ip: str) -> str:
        """The URL for FFmpeg when it connects to the camera itself (no relay)."""
        host = f"[{ip}]" if ":" in ip else ip
        port = f":{self.port}" if self.port is not None else ""
        auth = f"{self.userinfo}@" if self.userinfo else ""
        return f"{self.scheme}://{auth}{host}{port}{self.path}"

    def relay_url(self, relay_port: int) -> str:
        """The URL for FFmpeg through the relay: plain RTSP (the relay does TLS), same path."""
        auth = f"{self.userinfo}@" if self.userinfo else ""
        return f"rtsp://{auth}127.0.0.1:{relay_port}{self.path}"


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    text = _URL_CREDS.sub(r"\1***@", text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)


def _fail(kind: str, message: str) -> ProbeResult:
    return ProbeResult(ok=False, error_kind=kind, error_message=message)


def _first_bytes(ip: str, port: int, timeout: float) -> bytes:
    """Send a bare OPTIONS and return the start of whatever comes back."""
    deadline = time.monotonic() + timeout
    data = b""
    try:
        with socket.create_connection((ip, port), timeout=timeout) as sock:
            host = f"[{ip}]" if ":" in ip else ip
            sock.sendall(f"OPTIONS rtsp://{host}:{port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode())
            while len(data) < 8 and (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                chunk = sock.recv(64)
                if not chunk:
                    break
                data += chunk
    except OSError:
        pass
    return data


def _jpeg(frame, size: int) -> tuple[bytes, tuple[int, int]]:
    """The frame scaled (by FFmpeg's swscale, area-averaged) to fit ``size`` and JPEG-encoded."""
    width, height = frame.width, frame.height
    scale = min(1.0, size / max(width, height))
    # Even sizes: some JPEG encoders and viewers choke on odd chroma planes.
    w = max(2, int(width * scale) // 2 * 2)
    h = max(2, int(height * scale) // 2 * 2)
    rgb = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA")
    out = io.BytesIO()
    rgb.to_image().save(out, format="JPEG", quality=_SNAPSHOT_QUALITY, optimize=False)
    return out.getvalue(), (w, h)


def _default_resolve(host: str) -> str:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return infos[0][4][0]


# --------------------------------------------------------------------------
# The worker


class _Job:
    """State shared between the caller (waiting) and the worker thread."""

    def __init__(
        self,
        target,
        *,
        t0,
        open_timeout,
        read_timeout,
        deadline,
        sample_seconds,
        resolve,
        via_relay=True,
        snapshot_size=0,
    ):
        self.target = target
        # > 0: decode the first keyframe into a JPEG of at most this many pixels a side.
        self.snapshot_size = snapshot_size
        self.snapshot: bytes = b""
        self.snapshot_dims: tuple[int, int] | None = None
        self.via_relay = via_relay
        self.t0 = t0
        self.deadline = deadline
        self.open_timeout = open_timeout
        self.read_timeout = read_timeout
        self.sample_seconds = sample_seconds
        # Stop at the first keyframe: no frame rate, keyframe interval or bit rate.
        self.routine = sample_seconds <= 0
        self.resolve = resolve
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.result: ProbeResult | None = None
        self.abandoned = False
        self.phase = "resolve"  # -> "connect" -> "read"
        self.ip = ""
        self.connected = False  # our own connection to the camera is up
        self.relay: _relay.Relay | None = None
        self.logs: list = []
        # Facts, written by the worker under self.lock.
        self.codec = ""
        self.width: int | None = None
        self.height: int | None = None
        self.time_base: Fraction | None = None
        self.nominal_rate: Fraction | None = None
        self.pts: set[int] = set()
        self.keyframe_pts: set[int] = set()
        self.bytes = 0
        self.packets = 0
        self.first_keyframe_at: float | None = None
        self.picture_failed = False
        self.chunks_set = False

    # -- caller side ---------------------------------------------------------
    def finish(self) -> ProbeResult:
        with self.lock:
            if self.result is not None:
                return self.result
            self.abandoned = True
            result = self._backstop_result()
            relay = self.relay
        if relay is not None:
            # FFmpeg, still waiting on the relay, sees the connection end and
            # returns: the worker then ends well before its own limits.
            relay.close(wait=0)
        return result

    def _backstop_result(self) -> ProbeResult:
        waited = f"{self.deadline:g} s"
        if (redirected := self._redirect_result()) is not None:
            return redirected
        if self.phase == "resolve":
            return _fail("timeout", f"Resolving {self.target.host!r} took longer than {waited}.")
        if self.phase == "connect":
            return self._no_answer(waited)
        if self.first_keyframe_at is not None:
            return self._facts(ok=True)
        return self._no_keyframe(waited)

    def _no_answer(self, waited: str) -> ProbeResult:
        lines = [line[2] for line in list(self.logs)]
        if any(line.startswith("SDP:") for line in lines):
            return _fail(
                "timeout", f"The camera did not finish the RTSP handshake within {waited}."
            )
        if self.connected or any("Successfully connected" in line for line in lines):
            return _fail(
                "timeout", f"The camera accepted the connection but did not answer within {waited}."
            )
        return _fail("timeout", f"Could not connect to the camera within {waited}.")

    # -- worker side ---------------------------------------------------------
    def run(self) -> None:
        try:
            result = self._work()
        except BaseException as exc:  # noqa: BLE001
            # Never let a traceback reach threading.excepthook: PyAV's
            # exception text contains the credentialed URL.
            logger.debug("probe worker crashed: %s", type(exc).__name__)
            result = _fail("invalid", f"Unexpected error while probing ({type(exc).__name__}).")
        with self.lock:
            if self.result is None:
                self.result = result
        self.done.set()

    def _remaining(self) -> float:
        return self.t0 + self.deadline - time.monotonic()

    def _work(self) -> ProbeResult:
        ip_or_fail = self._resolve()
        if isinstance(ip_or_fail, ProbeResult):
            return ip_or_fail
        self.ip = ip_or_fail
        with self.lock:
            if self.abandoned:
                return _fail("timeout", "Abandoned after the deadline.")
            self.phase = "connect"

        # Leave the caller a little slack so that, normally, the worker's own
        # precise verdict arrives before the backstop fires.
        slack = min(0.3, 0.1 * self.deadline)
        budget = self._remaining() - slack
        if budget <= 0.05:
            return _fail("timeout", f"Resolving {self.target.host!r} used up the deadline.")
        io_to = min(self.open_timeout, self.read_timeout, budget / 2)
        url = self.target.av_url(ip_or_fail)
        if self.via_relay:
            failed = self._connect(ip_or_fail, io_to)
            if failed is not None:
                return failed
            url = self.target.relay_url(self.relay.port)
            budget = self._remaining() - slack
        open_to = min(self.open_timeout, budget / 2)
        read_to = min(self.read_timeout, budget)
        options = {
            "rtsp_transport": "tcp",
            "timeout": str(int(io_to * 1_000_000)),
            # We measure fps from pts ourselves; FFmpeg's 20-frame fps probe
            # would cost 4 s on a 5 fps camera.
            "fpsprobesize": "0",
            "analyzeduration": str(_ANALYZE_US),
        }
        if self.routine:
            options.update(_ROUTINE_OPEN)
        with av.logging.Capture() as logs:
            self.logs = logs
            container = None
            try:
                # A snapshot needs the decoder: only a routine probe without one decodes nothing.
                skip = self.routine and not self.snapshot_size
                extra = {"stream_options": _ROUTINE_STREAMS} if skip else {}
                container = av.open(url, options=options, timeout=(open_to, read_to), **extra)
                if (redirected := self._redirect_result()) is not None:
                    return redirected
                return self._read(container)
            except av.error.FFmpegError as exc:
                if (redirected := self._redirect_result()) is not None:
                    return redirected
                return self._classify_open_error(exc, time.monotonic() - self.t0)
            finally:
                if container is not None:
                    container.close()
                if self.relay is not None:
                    # FFmpeg has closed its side: the relay ends as soon as its
                    # TEARDOWN has reached the camera.
                    self.relay.close(grace=0.5)

    def _connect(self, ip: str, timeout: float) -> ProbeResult | None:
        """Connect to the approved address ourselves and put the relay in front of it.

        Failures to connect are told here, from the socket's own error: FFmpeg
        only ever connects to the relay, which always answers.
        """
        port = self.target.default_port
        started = time.monotonic()
        try:
            sock = _relay.dial(ip, port, timeout)
        except TimeoutError:
            waited = f"{time.monotonic() - self.t0:.1f} s"
            return _fail("timeout", f"Could not connect to the camera within {waited}.")
        except ConnectionRefusedError:
            return _fail("refused", f"Connection refused on port {port}.")
        except OSError as exc:
            if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                return _fail("refused", "The camera's network is unreachable.")
            name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            return _fail("refused", f"Could not connect to the camera ({name}).")
        with self.lock:
            self.connected = True
        if self.target.scheme == "rtsps":
            try:
                left = timeout - (time.monotonic() - started)
                sock = _relay.start_tls(sock, self.target.host, max(0.05, left))
            except TimeoutError:
                sock.close()
                waited = f"{time.monotonic() - self.t0:.1f} s"
                return _fail(
                    "timeout",
                    f"The camera accepted the connection but did not answer within {waited}.",
                )
            except OSError:
                sock.close()
                return _fail("invalid", "The camera did not complete the TLS (rtsps) handshake.")
        with self.lock:
            if self.abandoned:
                sock.close()
                return _fail("timeout", "Abandoned after the deadline.")
            # The relay outlives the deadline by no more than FFmpeg's own
            # limits allowed a worker left behind before it existed.
            expires_at = self.t0 + self.deadline + self.read_timeout
            self.relay = _relay.Relay(sock, expires_at=expires_at).start()
        return None

    def _resolve(self) -> str | ProbeResult:
        host = self.target.host
        try:
            if self.resolve is not None:
                ip = self.resolve(host)
            else:
                try:
                    ip = str(ipaddress.ip_address(host))
                except ValueError:
                    ip = _default_resolve(host)
            return str(ipaddress.ip_address(str(ip).split("%", 1)[0]))
        except PermissionError:
            return _fail("invalid", "address not allowed")
        except (OSError, UnicodeError):
            return _fail("dns", f"Could not resolve the camera host {host!r}.")
        except ValueError:
            return _fail("dns", f"The camera host {host!r} did not resolve to an IP address.")

    def _read(self, container) -> ProbeResult:
        video = next(iter(container.streams.video), None)
        if video is None:
            return _fail("no_video", "The stream has no video track.")
        cc = video.codec_context
        with self.lock:
            self.codec = cc.name if cc is not None else ""
            self.width = (cc.width or None) if cc is not None else None
            self.height = (cc.height or None) if cc is not None else None
            self.time_base = video.time_base
            self.nominal_rate = video.average_rate or video.guessed_rate
            self.phase = "read"

        stop_at = self.t0 + self.deadline - min(0.3, 0.1 * self.deadline)
        span_goal = self.sample_seconds / self.time_base if self.time_base else None
        packets = 0
        pts_min = pts_max = None
        demux = container.demux(video)
        try:
            for packet in demux:
                if packet.size == 0:  # flush packets at EOF
                    continue
                now = time.monotonic()
                packets += 1
                with self.lock:
                    self.packets = packets
                    self.bytes += packet.size
                    if packet.pts is not None:
                        self.pts.add(packet.pts)
                        pts_min = packet.pts if pts_min is None else min(pts_min, packet.pts)
                        pts_max = packet.pts if pts_max is None else max(pts_max, packet.pts)
                    if packet.is_keyframe:
                        # The very first packet after find_stream_info often
                        # has no pts although it is a real IDR (x265 always).
                        if self.first_keyframe_at is None:
                            self.first_keyframe_at = now
                        if packet.pts is not None:
                            self.keyframe_pts.add(packet.pts)
                    span = pts_max - pts_min if pts_min is not None else 0
                    abandoned = self.abandoned
                if self.first_keyframe_at is not None and self.want_picture():
                    # Decoded outside the lock: the caller may answer meanwhile.
                    self._decode(video, packet)
                if (
                    self.first_keyframe_at is not None
                    and span_goal is not None
                    and (span >= span_goal)
                    and not self.want_picture()
                ):
                    break
                if abandoned or now >= stop_at or packets >= _MAX_PACKETS:
                    break
        except av.error.FFmpegError as exc:
            if self.first_keyframe_at is None:
                return self._classify_read_error(exc)
        finally:
            demux.close()

        with self.lock:
            if self.first_keyframe_at is None:
                return self._no_keyframe(f"{time.monotonic() - self.t0:.1f} s")
            return self._facts(ok=True)

    def want_picture(self) -> bool:
        return bool(self.snapshot_size) and not self.snapshot and not self.picture_failed

    def _decode(self, video, packet) -> None:
        """Feed the decoder from the first keyframe on; keep its first picture as a JPEG.

        Encoders that reorder frames hand the keyframe's picture over only a few packets
        later, so this is called for each packet until a picture comes out. The JPEG is
        made here, in the worker, before the container closes: the frame's buffers belong
        to FFmpeg.
        """
        cc = video.codec_context
        if not self.chunks_set:
            # The RTSP demuxer hands a keyframe over in pieces (parameter sets and each
            # slice of a multi-slice encoder apart): decoded one by one, each piece would
            # give a picture missing its lower slices. CHUNKS makes the decoder gather
            # the pieces of a picture itself; it must be set before the decoder opens.
            cc.flags2 |= _FLAG2_CHUNKS
            self.chunks_set = True
        try:
            frames = cc.decode(packet)
        except av.error.FFmpegError:
            # A damaged first packet: the next ones may still decode.
            return
        if not frames:
            return
        try:
            jpeg, dims = _jpeg(frames[0], self.snapshot_size)
        except Exception as exc:  # noqa: BLE001 - never let a picture fail the probe
            logger.debug("snapshot encoding failed: %s", type(exc).__name__)
            self.picture_failed = True
            return
        with self.lock:
            if not self.abandoned:
                self.snapshot, self.snapshot_dims = jpeg, dims

    def _no_keyframe(self, waited: str, why: str = "") -> ProbeResult:
        """Caller holds self.lock."""
        if self.packets:
            msg = f"The camera sent video but no keyframe within {waited}"
        else:
            msg = f"The camera answered but sent no video within {waited}"
        return self._facts(ok=False, kind="no_video", message=f"{msg}{why}.")

    def _facts(self, *, ok: bool, kind: str = "", message: str = "") -> ProbeResult:
        """Summarise what was seen; caller holds self.lock."""
        fps = None
        keyframe_interval = None
        bitrate = None
        tb = None if self.routine else self.time_base
        if tb and len(self.pts) >= _MIN_FPS_PACKETS:
            # Unique pts, not packets: H.264 keyframes arrive as two packets
            # (parameter sets + IDR) with the same pts, which read as 25.8 fps
            # on a 25 fps stream.
            span = float((max(self.pts) - min(self.pts)) * tb)
            if span > 0:
                fps = (len(self.pts) - 1) / span
                # The last frame's bytes belong to one more frame interval.
                bitrate = self.bytes * 8 / (span + 1 / fps) / 1000
        # The SDP/stream guess is a last resort: on a stream that sent nothing
        # it reads 90000 (the RTP clock).
        nominal = self.nominal_rate
        if fps is None and ok and not self.routine and nominal and 0 < nominal <= 300:
            fps = float(nominal)
        if tb and len(self.keyframe_pts) >= 2:
            kps = sorted(self.keyframe_pts)
            keyframe_interval = float((kps[-1] - kps[0]) * tb) / (len(kps) - 1)
        ttff = None
        if self.first_keyframe_at is not None:
            ttff = int((self.first_keyframe_at - self.t0) * 1000)
        dims = self.snapshot_dims or (None, None)
        return ProbeResult(
            snapshot=self.snapshot,
            snapshot_width=dims[0],
            snapshot_height=dims[1],
            ok=ok,
            error_kind=kind,
            error_message=message,
            codec=self.codec,
            width=self.width,
            height=self.height,
            fps=round(fps, 3) if fps is not None else None,
            time_to_first_frame_ms=ttff,
            keyframe_interval_s=round(keyframe_interval, 3) if keyframe_interval else None,
            bitrate_kbps=round(bitrate, 1) if bitrate is not None else None,
        )

    # -- error classification ----------------------------------------------
    def _status(self) -> tuple[int, str] | None:
        """(code, reason) of the last failed RTSP request, from FFmpeg's log."""
        for _level, _name, message in reversed(list(self.logs)):
            m = _METHOD_FAILED.search(message)
            if m:
                reason = re.sub(r"[^\x20-\x7e]", "", m.group(3)).strip()[:40]
                return int(m.group(2)), reason
        return None

    def _redirect_result(self) -> ProbeResult | None:
        relay = self.relay
        if relay is not None and relay.redirect is not None:
            return _redirected(relay.redirect)
        # FFmpeg's own word for a redirect it followed: only possible without
        # the relay (the benchmark's baseline).
        if any(_REDIRECT_LOG in line[2] for line in list(self.logs)):
            return _redirected(None)
        return None

    def _read_failure(self) -> str:
        for _level, _name, message in reversed(list(self.logs)):
            m = _READ_FAILED.search(message)
            if m:
                return m.group(1).strip()
        return ""

    def _status_text(self, default: str) -> str:
        status = self._status()
        if status is None:
            return default
        code, reason = status
        return f"{code} {reason}".strip()

    def _classify_open_error(self, exc: av.error.FFmpegError, elapsed: float) -> ProbeResult:
        E = av.error
        creds = bool(self.target.userinfo)
        if isinstance(exc, E.HTTPUnauthorizedError):
            if creds:
                msg = "The camera rejected the username or password"
            else:
                msg = "The camera requires a username and password"
            return _fail("unauthorized", f"{msg} ({self._status_text('401 Unauthorized')}).")
        if isinstance(exc, E.HTTPForbiddenError):
            return _fail(
                "forbidden",
                f"The camera refused access to this stream ({self._status_text('403 Forbidden')}).",
            )
        if isinstance(exc, E.HTTPNotFoundError):
            return _fail(
                "not_found",
                f"The camera has no stream at this path ({self._status_text('404 Not Found')}).",
            )
        if isinstance(exc, E.HTTPServerError):
            return _fail(
                "server_error",
                f"The camera reported an internal error ({self._status_text('5xx')}).",
            )
        if isinstance(exc, E.HTTPTooManyRequestsError | E.HTTPClientError):
            return self._from_status(default_text="4xx")
        if isinstance(exc, E.ConnectionRefusedError):
            port = self.target.port or (322 if self.target.scheme == "rtsps" else 554)
            return _fail("refused", f"Connection refused on port {port}.")
        # FFmpeg's RTSP code reports a failed read of a reply as
        # AVERROR_INVALIDDATA, or as EPERM when it happens during SETUP/PLAY
        # (seen with a server slow to build an x265 pipeline); only its log
        # line says what the read failure was.
        why = self._read_failure().lower()
        if isinstance(exc, E.TimeoutError | E.ExitError) or any(
            w in why for w in ("timed out", "immediate exit")
        ):
            return self._no_answer(f"{elapsed:.1f} s")
        if isinstance(
            exc,
            E.ConnectionResetError | E.ConnectionAbortedError | E.BrokenPipeError | E.EOFError,
        ) or any(w in why for w in ("reset", "end of file", "broken pipe", "closed")):
            return self._closed()
        if self._status() is not None:
            return self._from_status(default_text="")
        if isinstance(exc, E.InvalidDataError):
            return _fail("invalid", "The camera's reply is not valid RTSP.")
        if isinstance(exc, E.OSError) and exc.errno in (101, 113):  # ENETUNREACH, EHOSTUNREACH
            return _fail("refused", "The camera's network is unreachable.")
        if isinstance(exc, E.ProtocolNotFoundError):
            return _fail("invalid", "This FFmpeg build cannot speak the URL's protocol.")
        return _fail("invalid", f"The stream could not be opened ({type(exc).__name__}).")

    def _closed(self) -> ProbeResult:
        """FFmpeg lost the connection before a usable reply: hang-up or not RTSP?

        FFmpeg cannot tell: the relay closes the connection on a reply it
        will not pass on (and plain FFmpeg takes a first line that does not
        start with "RTSP/" for a request *from* the server, answers 501 and
        then reports only the close). The relay knows whether the reply was
        unclear RTSP or no RTSP at all; to tell an HTTP server from other
        bytes, look at the first bytes ourselves, on a fresh connection to
        the same address, within the remaining time.
        """
        closed = _fail("refused", "The camera closed the connection without answering.")
        violation = self.relay.violation if self.relay is not None else ""
        if violation and violation != _relay.NOT_RTSP:
            # The relay cut a reply that FFmpeg might have read otherwise than it does.
            return _fail("invalid", "The camera's reply is not valid RTSP.")
        if self.target.scheme != "rtsp":
            # Over TLS only the relay saw the first bytes.
            if violation:
                return _fail("invalid", "The server on this port does not speak RTSP.")
            return closed
        budget = min(1.0, self._remaining() - 0.1)
        if budget <= 0.05:
            return closed
        first = _first_bytes(self.ip, self.target.port or 554, budget)
        if not first:
            return closed
        if first.startswith(b"RTSP/"):
            return _fail("refused", "The camera closed the connection during the RTSP handshake.")
        if first.startswith(b"HTTP/"):
            return _fail("invalid", "The server on this port speaks HTTP, not RTSP.")
        return _fail("invalid", "The server on this port does not speak RTSP.")

    def _from_status(self, default_text: str) -> ProbeResult:
        status = self._status()
        code = status[0] if status else None
        text = self._status_text(default_text)
        if code in BUSY_STATUS:
            return _fail("busy", f"The camera is busy or at its viewer limit ({text}).")
        if code is not None and 500 <= code < 600:
            return _fail("server_error", f"The camera reported an internal error ({text}).")
        if code is not None and 400 <= code < 500:
            return _fail("invalid", f"The camera rejected the request ({text}).")
        return _fail("invalid", "The camera's reply is not valid RTSP.")

    def _classify_read_error(self, exc: av.error.FFmpegError) -> ProbeResult:
        waited = f"{time.monotonic() - self.t0:.1f} s"
        E = av.error
        if isinstance(exc, E.TimeoutError | E.ExitError):
            why = ""
        elif isinstance(exc, E.EOFError):
            why = " (the stream ended)"
        else:
            why = " (the connection broke off)"
        with self.lock:
            return self._no_keyframe(waited, why)
