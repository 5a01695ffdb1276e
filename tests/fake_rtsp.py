"""Loopback RTSP servers that misbehave on purpose, for probe tests.

Stdlib only so the venv can import it. Every server listens on an ephemeral
port on 127.0.0.1 (or the ``host`` given: 127.0.0.2, ::1...), runs on daemon
threads and is a context manager::

    with FakeRtspServer("403") as srv:
        probe(srv.url())

Behaviours (``FakeRtspServer.BEHAVIOURS``):

* ``"401"`` ``"403"`` ``"404"`` ``"453"`` ``"503"`` -- answer every request
  with that status (401 carries Basic and Digest ``WWW-Authenticate``).
* ``"silent"``   -- accept, read, never answer.
* ``"drip"``     -- answer one byte per second, forever (slowloris in reverse:
  it defeats pure inactivity timeouts).
* ``"no_media"`` -- a correct OPTIONS/DESCRIBE/SETUP/PLAY handshake with an
  H.264 SDP, then no RTP at all.
* ``"garbage"``  -- random bytes in reply to the first request, then close.
* ``"http"``     -- an HTTP/1.1 400 reply, then close (a web server on the
  RTSP port).
* ``"hangup"``   -- accept and close immediately.
* ``"redirect"`` -- ``redirect_status`` (302) to ``location`` for the
  ``redirect_methods`` (DESCRIBE) and every request after OPTIONS (FFmpeg
  follows it by itself, to any host); with ``challenge=True`` first 401 until
  a request carries credentials.

Also here: :class:`ScriptedRtspServer`, which answers each request with raw
bytes given by the test (for replies no well-behaved server sends), and
:class:`TcpTrap`, a listener that only records whether anyone came.
* ``"blackhole"`` -- never complete the TCP handshake (a camera that is
  switched off or firewalled with DROP).
"""

from __future__ import annotations

import os
import socket
import threading
import time

# SPS/PPS of a 1280x720 constrained-baseline x264 stream, so a client that
# trusts the SDP could even learn the size without ever seeing a packet.
_SPROP = "Z0LAH9kAUAW7ARAAAAMAEAAAAwMg8YMkgA==,aMuDyyA="

_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    453: "Not Enough Bandwidth",
    503: "Service Unavailable",
}


def _sdp(port: int) -> str:
    return (
        "v=0\r\n"
        "o=- 0 0 IN IP4 127.0.0.1\r\n"
        "s=fake\r\n"
        "c=IN IP4 127.0.0.1\r\n"
        "t=0 0\r\n"
        "a=control:*\r\n"
        "m=video 0 RTP/AVP 96\r\n"
        "a=rtpmap:96 H264/90000\r\n"
        "a=fmtp:96 packetization-mode=1;profile-level-id=42C01F;"
        f"sprop-parameter-sets={_SPROP}\r\n"
        "a=control:track1\r\n"
    )


def _read_request(conn: socket.socket, buf: bytearray) -> tuple[str, dict[str, str]] | None:
    """Return (method, headers) of the next request, or None on EOF."""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        buf.extend(chunk)
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body_len = int(headers.get("content-length", "0") or 0)
    while len(rest) < body_len:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        rest += chunk
    buf[:] = rest[body_len:]
    method = lines[0].split(" ", 1)[0]
    return method, headers


def _response(code: int, cseq: str, extra: str = "", body: str = "") -> bytes:
    head = f"RTSP/1.0 {code} {_REASONS.get(code, 'Error')}\r\nCSeq: {cseq}\r\n{extra}"
    if body:
        head += f"Content-Length: {len(body.encode())}\r\n"
    return (head + "\r\n" + body).encode()


class FakeRtspServer:
    STATUS_CODES = ("401", "403", "404", "453", "503")
    BEHAVIOURS = (
        *STATUS_CODES,
        "silent",
        "drip",
        "no_media",
        "garbage",
        "http",
        "hangup",
        "blackhole",
        "redirect",
    )

    def __init__(
        self,
        behaviour: str,
        *,
        location: str | None = None,
        host: str = "127.0.0.1",
        redirect_status: int = 302,
        redirect_methods: tuple[str, ...] = ("DESCRIBE",),
        challenge: bool = False,
    ):
        if behaviour not in self.BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.behaviour = behaviour
        self.host = host
        # Where "redirect" points; by default a loopback port nobody serves.
        self.location = location or f"rtsp://127.0.0.1:{closed_port()}/elsewhere"
        self.redirect_status = redirect_status
        self.redirect_methods = redirect_methods
        self.challenge = challenge
        # (method, headers) of every request read, for tests that check what a client sent.
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(0 if behaviour == "blackhole" else 16)
        self._fillers: list[socket.socket] = []
        # A blocking accept() would not notice stop(); poll instead.
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"fake-rtsp-{behaviour}", daemon=True
        )

    # -- lifecycle -------------------------------------------------------
    def start(self) -> FakeRtspServer:
        if self.behaviour == "blackhole":
            self._fill_backlog()
        else:
            self._acceptor.start()
        return self

    def _fill_backlog(self) -> None:
        # Never accept, and occupy the (listen(0)) accept queue: Linux then
        # drops further SYNs, so connect() hangs as for a host that is down,
        # without sending a packet off the loopback interface.
        for _ in range(3):
            s = socket.socket(self._listener.family, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((self.host, self.port))
            except BlockingIOError:
                pass
            self._fillers.append(s)
        time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        if self._acceptor.is_alive():
            self._acceptor.join(timeout=2)
        self._listener.close()
        for s in self._fillers:
            s.close()
        with self._lock:
            conns, self._conns = self._conns, []
            threads = list(self._threads)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        for t in threads:
            t.join(timeout=2)

    def __enter__(self) -> FakeRtspServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def url(self, path: str = "/stream") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"rtsp://{host}:{self.port}{path}"

    # -- internals -------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.behaviour == "hangup":
                conn.close()
                continue
            conn.settimeout(0.2)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._conns.append(conn)
                self._threads.append(t)
            t.start()

    def _recv_request(self, conn: socket.socket, buf: bytearray):
        while not self._stop.is_set():
            try:
                request = _read_request(conn, buf)
            except TimeoutError:
                continue
            if request is not None:
                self.requests.append(request)
            return request
        return None

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; True if we should go on."""
        return not self._stop.wait(seconds)

    def _serve(self, conn: socket.socket) -> None:
        try:
            getattr(self, "_serve_" + self.behaviour, self._serve_status)(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def _serve_status(self, conn: socket.socket) -> None:
        code = int(self.behaviour)
        buf = bytearray()
        while (req := self._recv_request(conn, buf)) is not None:
            _, headers = req
            extra = ""
            if code == 401:
                extra = (
                    'WWW-Authenticate: Digest realm="fake", nonce="0123456789abcdef"\r\n'
                    'WWW-Authenticate: Basic realm="fake"\r\n'
                )
            conn.sendall(_response(code, headers.get("cseq", "0"), extra))

    def _serve_redirect(self, conn: socket.socket) -> None:
        buf = bytearray()
        while (req := self._recv_request(conn, buf)) is not None:
            method, headers = req
            cseq = headers.get("cseq", "0")
            if self.challenge and "authorization" not in headers:
                extra = 'WWW-Authenticate: Basic realm="fake"\r\n'
                conn.sendall(_response(401, cseq, extra))
            elif method == "OPTIONS" and method not in self.redirect_methods:
                conn.sendall(_response(200, cseq, "Public: OPTIONS, DESCRIBE\r\n"))
            else:
                extra = f"Location: {self.location}\r\n"
                conn.sendall(_response(self.redirect_status, cseq, extra))

    def _serve_silent(self, conn: socket.socket) -> None:
        while self._sleep(0.1):
            try:
                if not conn.recv(4096):
                    return
            except TimeoutError:
                pass

    def _serve_drip(self, conn: socket.socket) -> None:
        # A valid status line followed by an endless header: each byte resets
        # the client's inactivity timer, the header never ends.
        payload = b"RTSP/1.0 200 OK\r\nX-Drip: " + b"a" * 1_000_000
        for byte in payload:
            conn.sendall(bytes([byte]))
            if not self._sleep(1.0):
                return

    def _serve_no_media(self, conn: socket.socket) -> None:
        buf = bytearray()
        session = "Session: 12345678;timeout=60\r\n"
        while (req := self._recv_request(conn, buf)) is not None:
            method, headers = req
            cseq = headers.get("cseq", "0")
            if method == "OPTIONS":
                extra = "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n"
                conn.sendall(_response(200, cseq, extra))
            elif method == "DESCRIBE":
                extra = (
                    "Content-Type: application/sdp\r\n"
                    f"Content-Base: rtsp://127.0.0.1:{self.port}/stream/\r\n"
                )
                conn.sendall(_response(200, cseq, extra, _sdp(self.port)))
            elif method == "SETUP":
                transport = headers.get("transport", "RTP/AVP/TCP;unicast;interleaved=0-1")
                conn.sendall(_response(200, cseq, f"Transport: {transport}\r\n{session}"))
            elif method == "PLAY":
                conn.sendall(_response(200, cseq, session + "Range: npt=0.000-\r\n"))
            else:
                conn.sendall(_response(200, cseq, session))

    def _serve_garbage(self, conn: socket.socket) -> None:
        # What a non-RTSP service on the port does: reply with bytes that are
        # not RTSP, then drop the connection.
        if self._recv_request(conn, bytearray()) is None:
            return
        conn.sendall(os.urandom(4096))
        self._sleep(0.2)

    def _serve_http(self, conn: socket.socket) -> None:
        # A web server on the RTSP port (the commonest wrong-port mistake).
        if self._recv_request(conn, bytearray()) is None:
            return
        body = "<html><body>Bad Request</body></html>"
        conn.sendall(
            (
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}"
            ).encode()
        )


class ScriptedRtspServer(FakeRtspServer):
    """Answers each request with the raw bytes ``replies[method]`` (or ``replies["*"]``).

    ``{cseq}`` in a reply is replaced by the request's CSeq; a method without
    a reply gets the connection closed.
    """

    BEHAVIOURS = (*FakeRtspServer.BEHAVIOURS, "script")

    def __init__(self, replies: dict[str, bytes], **kwargs):
        super().__init__("script", **kwargs)
        self.replies = replies

    def _serve_script(self, conn: socket.socket) -> None:
        buf = bytearray()
        while (req := self._recv_request(conn, buf)) is not None:
            method, headers = req
            reply = self.replies.get(method, self.replies.get("*"))
            if reply is None:
                return
            conn.sendall(reply.replace(b"{cseq}", headers.get("cseq", "0").encode()))


class TcpTrap:
    """A listener that never answers and records whether anyone connected or sent a byte.

    Where a redirect points in tests: the probe must never reach it.
    """

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.connections = 0
        self.received = bytearray()
        self._stop = threading.Event()
        self._listener = socket.socket(
            socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM
        )
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name="tcp-trap", daemon=True)

    def __enter__(self) -> TcpTrap:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._listener.close()

    def url(self, path: str = "/elsewhere") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"rtsp://{host}:{self.port}{path}"

    @property
    def reached(self) -> bool:
        return bool(self.connections or self.received)

    def _run(self) -> None:
        conns: list[socket.socket] = []
        try:
            while not self._stop.is_set():
                try:
                    conn, _ = self._listener.accept()
                    conn.setblocking(False)
                    conns.append(conn)
                    self.connections += 1
                except TimeoutError:
                    pass
                except OSError:
                    return
                for conn in conns:
                    try:
                        self.received += conn.recv(4096)
                    except (BlockingIOError, OSError):
                        pass
        finally:
            for conn in conns:
                conn.close()


def sleeping_resolver(seconds: float, ip: str = "127.0.0.1"):
    """A ``resolve`` callable for ``probe`` that simulates a slow DNS server."""

    def resolve(host: str) -> str:
        time.sleep(seconds)
        return ip

    return resolve


def closed_port() -> int:
    """A loopback port with nothing listening on it (connect -> ECONNREFUSED)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
