"""A loopback relay between FFmpeg and the one camera address the probe approved.

Stdlib only, no Django (cameras/probe.py imports it).

Why
---
FFmpeg follows an RTSP 301/302 (any 3xx) answer to OPTIONS or DESCRIBE by itself
(``ff_rtsp_connect``: "Status 302: Redirecting to ..."), to any host, which it
resolves itself, and offers no option to stop it. Handed a camera's address,
FFmpeg could be sent by the camera to the portal's own loopback, a cloud
metadata service or a neighbour on the portal's network, and would hand the
camera's credentials to whatever answered there with a 401. So FFmpeg is
never handed the camera's address, only this relay's, and the relay decides
what FFmpeg gets to read.

How the guarantee holds
-----------------------
* The probe opens the connection to the camera itself, before FFmpeg runs:
  :func:`dial` to the (ip, port) its resolver approved and, for rtsps://,
  :func:`start_tls` on top. The relay terminates TLS towards the camera and
  FFmpeg speaks plain RTSP to the relay. TLS sends SNI with the URL's host name
  (none for an IP address) and does not verify the certificate: FFmpeg did not
  verify RTSPS certificates either (its ``tls_verify`` is off by default), and
  cameras carry self-signed ones.
* The relay listens on 127.0.0.1 on an ephemeral port, accepts ONE connection
  and closes its listener at once: any further connection (FFmpeg opens none
  for RTSP over TCP) is refused, never relayed. The accepted connection is
  joined to the camera connection; the relay itself never opens a connection.
  FFmpeg's only other way out, RTP over UDP, is off: the probe sets
  ``rtsp_transport=tcp``, and a SETUP answer naming another transport is an
  error for FFmpeg, not a reason to open a socket.
* What FFmpeg sends goes to the camera unchanged. What the camera sends is
  split the way FFmpeg's RTSP client splits it (``ff_rtsp_read_reply``,
  ``ff_rtsp_tcp_read_packet``): interleaved frames (``$``, channel, 16-bit
  length, payload) and text messages (a start line, header lines up to an
  empty line, then Content-Length bytes of body; FFmpeg ends a line at LF and
  drops every CR). A message is passed on only once it has been read whole and
  is not a 3xx response. A 3xx is answered with ``RTSP/1.0 502 Bad Gateway``
  (same CSeq), both connections are closed, and the host and port of its
  Location are kept for the probe's message: nothing else of it, never
  userinfo or path.
* Where FFmpeg's reading and this one could part ways on where a message
  starts, the relay closes both connections instead of guessing (see
  :class:`ServerStream`): a NUL byte or a leading ``$`` in a text line, a line
  over 4000 bytes (FFmpeg truncates at 4095), a status code that is not three
  digits, a Content-Length that is not plain digits or comes twice, an
  interleaved frame under 8 bytes (FFmpeg's packet reader leaves those in the
  stream, to be read as text), a first line that is neither an RTSP response
  nor an RTSP request (an HTTP server, random bytes). FFmpeg then sees the
  connection close, which the probe reports as before.

So everything FFmpeg reads is a whole message that the relay parsed the way
FFmpeg does, none of them a redirect, and the only address FFmpeg's requests
and credentials can reach is the approved one.

The request URI FFmpeg sends names 127.0.0.1:<relay port>, not the camera.
RTSP servers (gst-rtsp-server, the embedded servers of common cameras) pick the
stream by the URI's path, and Digest authentication stays consistent: FFmpeg
computes its response over the URI it sent, which is the one the camera reads
in the request line. The tests check this against the GStreamer farm's
``/secure`` path with Digest and with Basic.

One thread per relay, stopped by :meth:`Relay.close` (the probe calls it when
its worker returns and when its caller gives up at the deadline) and by itself
at ``expires_at`` at the latest. The relay logs nothing: no bytes, no
Location, no credentials.
"""

from __future__ import annotations

import ipaddress
import re
import selectors
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

# FFmpeg reads a line into a 4096-byte buffer and silently truncates the rest;
# a shorter limit keeps every line the relay passes on whole for FFmpeg too.
MAX_LINE = 4000
MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
# ff_rtsp_tcp_read_packet leaves the payload of a frame shorter than this in
# the stream (and reads it as RTSP text); no RTP or RTCP packet is that short.
MIN_FRAME = 8
# Stop reading a side while this much of it waits for the other side.
_BACKLOG = 1024 * 1024
_RECV = 256 * 1024

_WORDS = re.compile(rb"[ \t]+")
_STATUS_CODE = re.compile(rb"[0-9]{3}")
_REQUEST_LINE = re.compile(rb"[A-Za-z_][A-Za-z0-9_-]*[ \t]+[^ \t]+[ \t]+RTSP/[0-9]\.[0-9][ \t]*")
_LENGTH = re.compile(rb"[ \t]*([0-9]{1,7})[ \t]*")
_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?")

_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


NOT_RTSP = "not RTSP"


class ProtocolError(Exception):
    """The server sent something the relay will not pass on to FFmpeg."""


@dataclass(frozen=True)
class Redirect:
    """Where a 3xx answer pointed: scheme, host and port only ("" / None if unusable)."""

    scheme: str = ""
    host: str = ""
    port: int | None = None

    @classmethod
    def from_location(cls, location: bytes) -> Redirect:
        try:
            parts = urlsplit(location.decode("ascii").strip())
            host = parts.hostname or ""
            port = parts.port
        except (UnicodeDecodeError, ValueError):
            return cls()
        scheme = parts.scheme.lower()
        if scheme not in ("rtsp", "rtsps", "rtspu"):
            scheme = ""
        try:
            host = str(ipaddress.ip_address(host))
        except ValueError:
            if len(host) > 253 or not _HOST_NAME.fullmatch(host):
                return cls(scheme=scheme)
        return cls(scheme=scheme, host=host, port=port)

    @property
    def address(self) -> str:
        """host[:port], IPv6 in brackets; "" when the Location named no usable host."""
        if not self.host:
            return ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port is not None else host


# --------------------------------------------------------------------------
# What the server sends, message by message


class ServerStream:
    """Splits what a server sends into what FFmpeg will read as messages, holding back 3xx.

    ``feed(data)`` returns the bytes that may go to FFmpeg now and, when a 3xx
    response was found, ``(Redirect, cseq)`` (the 3xx and everything after it
    are dropped); it raises :class:`ProtocolError` where FFmpeg's reading and
    this one could differ.
    """

    def __init__(self):
        self._buf = bytearray()
        self._frame_left = 0  # payload bytes of the current interleaved frame still to come

    def feed(self, data: bytes) -> tuple[list[bytes], tuple[Redirect, bytes] | None]:
        out: list[bytes] = []
        if self._frame_left:
            take = min(self._frame_left, len(data))
            out.append(data[:take])
            self._frame_left -= take
            data = data[take:]
        buf = self._buf
        buf += data
        while buf:
            if buf[0] == 0x24:  # "$": an interleaved frame
                if len(buf) < 4:
                    break
                length = (buf[2] << 8) | buf[3]
                if length < MIN_FRAME:
                    raise ProtocolError("interleaved frame too short")
                end = 4 + length
                if len(buf) >= end:
                    out.append(bytes(buf[:end]))
                    del buf[:end]
                else:
                    out.append(bytes(buf))
                    self._frame_left = end - len(buf)
                    buf.clear()
                continue
            message = _message(buf)
            if message is None:
                break
            size, code, location, cseq = message
            if code is not None and 300 <= code < 400:
                buf.clear()
                return out, (Redirect.from_location(location), cseq)
            out.append(bytes(buf[:size]))
            del buf[:size]
        return out, None


def _message(buf: bytearray):
    """(size, status code or None, Location, CSeq) of the text message buf starts with.

    None while it is incomplete.
    """
    pos = 0
    first = True
    code = None
    length = None
    location = cseq = b""
    while True:
        end = buf.find(b"\n", pos)
        if end < 0:
            if len(buf) - pos > MAX_LINE or len(buf) > MAX_HEAD:
                raise ProtocolError("line or header too long")
            return None
        raw = bytes(buf[pos:end])
        pos = end + 1
        if len(raw) > MAX_LINE or pos > MAX_HEAD:
            raise ProtocolError("line or header too long")
        if b"\0" in raw:
            raise ProtocolError("NUL byte in a text line")
        line = raw.replace(b"\r", b"")
        if line.startswith(b"$"):
            # FFmpeg reads "$" at the start of ANY line as an interleaved frame.
            raise ProtocolError("interleaved frame inside a message")
        if not line:
            break
        if first:
            code = _start_line(line)
            first = False
            continue
        name = line[:15].lower()
        if name.startswith(b"content-length:"):
            match = _LENGTH.fullmatch(line, 15)
            if length is not None or match is None:
                raise ProtocolError("Content-Length unclear")
            length = int(match.group(1))
            if length > MAX_BODY:
                raise ProtocolError("body too large")
        elif name.startswith(b"location:"):
            location = line[9:]
        elif name.startswith(b"cseq:"):
            cseq = line[5:].strip(b" \t")
    size = pos + (length or 0)
    if len(buf) < size:
        return None
    return size, code, location, cseq


def _start_line(line: bytes) -> int | None:
    """The status code of a response, None for a request from the server."""
    first = line.lstrip(b" \t")
    words = _WORDS.split(first, 2)
    # FFmpeg: a first word starting with "RTSP/" makes a response, whose
    # status is atoi() of the second word.
    if words[0].startswith(b"RTSP/"):
        if len(words) < 2 or not _STATUS_CODE.fullmatch(words[1]):
            raise ProtocolError("unclear status line")
        return int(words[1])
    if _REQUEST_LINE.fullmatch(first):
        return None  # FFmpeg answers it (200 or 501); it cannot redirect
    raise ProtocolError(NOT_RTSP)


def refusal(cseq: bytes) -> bytes:
    """What FFmpeg gets instead of a 3xx: a final error that it does not retry."""
    head = b"RTSP/1.0 502 Bad Gateway\r\n"
    if re.fullmatch(rb"[0-9]{1,9}", cseq):
        head += b"CSeq: " + cseq + b"\r\n"
    return head + b"\r\n"


# --------------------------------------------------------------------------
# Connections


def dial(ip: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to (ip, port); an IP address, never a name (no DNS here)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((ip, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


def start_tls(sock: socket.socket, server_name: str, timeout: float) -> ssl.SSLSocket:
    """TLS on a dialled connection: SNI = server_name unless an IP, certificate unchecked."""
    sock.settimeout(timeout)
    return _TLS.wrap_socket(sock, server_hostname=server_name or None)


class _Side:
    """One socket of the relayed pair and the bytes waiting to be written to it."""

    def __init__(self, sock):
        self.sock = sock
        self.out = bytearray()
        self.open = True  # still readable
        self.tls = isinstance(sock, ssl.SSLSocket)

    def recv(self) -> bytes | None:
        """Bytes read, b"" at end of stream, None when nothing is there yet."""
        try:
            data = self.sock.recv(_RECV)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return None
        except OSError:
            return b""
        if data and self.tls:
            # Decrypted bytes can wait inside the TLS object with nothing left
            # on the socket for select() to report.
            while self.sock.pending():
                try:
                    more = self.sock.recv(_RECV)
                except OSError:
                    break
                if not more:
                    break
                data += more
        return data

    def flush(self) -> bool:
        """Write what is waiting; False once the socket is broken."""
        try:
            while self.out:
                sent = self.sock.send(self.out)
                del self.out[:sent]
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        except OSError:
            self.out.clear()
            return False
        return True

    def close(self) -> None:
        self.open = False
        self.out.clear()
        try:
            self.sock.close()
        except OSError:
            pass


class Relay:
    """Relays one FFmpeg connection to one already connected camera socket.

    ``redirect`` is set (a :class:`Redirect`) when the camera answered with a
    3xx; ``violation`` names what made the relay close on the camera's bytes
    (:data:`NOT_RTSP` when its first line was no RTSP at all).
    """

    def __init__(self, upstream: socket.socket, *, expires_at: float):
        self.expires_at = expires_at
        self.redirect: Redirect | None = None
        self.violation = ""
        self.failure = ""  # the relay's own error, if it ever has one (a bug, not the camera)
        self.accepted = 0
        upstream.setblocking(False)
        self._camera = _Side(upstream)
        self._client: _Side | None = None
        self._early = bytearray()  # parsed camera bytes that arrived before FFmpeg connected
        self._stream = ServerStream()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._lock = threading.Lock()
        self._stopping = False
        self._started = False
        self._ended = False
        self._thread = threading.Thread(target=self._run, name="camera-probe-relay", daemon=True)

    def start(self) -> Relay:
        self._started = True
        self._thread.start()
        return self

    def close(self, grace: float = 0.0, wait: float = 1.0) -> None:
        """Stop relaying; first give FFmpeg's last bytes (TEARDOWN) up to ``grace`` s to pass."""
        if not self._started:
            self._release()
            return
        if grace > 0:
            self._thread.join(grace)
        with self._lock:
            self._stopping = True
            if not self._ended:
                try:
                    self._wake_w.send(b"x")
                except OSError:
                    pass
        if wait > 0 and self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- the relay thread ----------------------------------------------------
    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        try:
            self._loop(selector)
        except Exception as exc:  # noqa: BLE001 - the probe must never see a traceback
            self.failure = type(exc).__name__
        finally:
            selector.close()
            self._release()

    def _release(self) -> None:
        for side in (self._camera, self._client):
            if side is not None:
                side.close()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            self._ended = True
            self._wake_r.close()
            self._wake_w.close()

    def _loop(self, selector) -> None:
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        selector.register(self._listener, selectors.EVENT_READ, "listen")
        registered: dict = {}
        while True:
            with self._lock:
                if self._stopping:
                    return
            left = self.expires_at - time.monotonic()
            if left <= 0 or self._finished():
                return
            self._interest(selector, registered)
            for key, mask in selector.select(min(left, 1.0)):
                if key.data == "wake":
                    try:
                        self._wake_r.recv(64)
                    except OSError:
                        pass
                elif key.data == "listen":
                    self._accept(selector)
                elif key.data == "camera":
                    self._from_camera(mask)
                elif key.data == "client":
                    self._from_client(mask)
            self._flush()

    def _finished(self) -> bool:
        if self._listener is not None:
            return False  # FFmpeg has yet to connect: it must still find the relay there
        client, camera = self._client, self._camera
        if not camera.open and not client.out:
            return True  # the camera is gone and all it sent that may pass has passed
        # FFmpeg is gone, and its last bytes (TEARDOWN) reached the camera.
        return not client.open and (not camera.open or not camera.out)

    def _waiting_for_client(self) -> int:
        return len(self._client.out) if self._client is not None else len(self._early)

    def _interest(self, selector, registered) -> None:
        """(Re)register the pair's sockets for what each side can do now."""
        wanted = {}
        camera, client = self._camera, self._client
        if camera.open:
            events = selectors.EVENT_WRITE if camera.out else 0
            if self._waiting_for_client() < _BACKLOG:
                events |= selectors.EVENT_READ
            if events:
                wanted[camera.sock] = (events, "camera")
        if client is not None and (client.open or client.out):
            events = selectors.EVENT_WRITE if client.out else 0
            if client.open and len(camera.out) < _BACKLOG:
                events |= selectors.EVENT_READ
            if events:
                wanted[client.sock] = (events, "client")
        for sock in [s for s in registered if s not in wanted]:
            selector.unregister(sock)
            del registered[sock]
        for sock, (events, data) in wanted.items():
            if sock not in registered:
                selector.register(sock, events, data)
            elif registered[sock] != events:
                selector.modify(sock, events, data)
            registered[sock] = events

    def _accept(self, selector) -> None:
        try:
            conn, _addr = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        # One connection only: with the listener closed, any other is refused.
        selector.unregister(self._listener)
        self._listener.close()
        self._listener = None
        self.accepted += 1
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._client = _Side(conn)
        self._client.out += self._early
        self._early = bytearray()

    def _to_client(self, data: bytes) -> None:
        if self._client is not None:
            self._client.out += data
        else:
            self._early += data

    def _from_camera(self, mask: int) -> None:
        camera = self._camera
        if mask & selectors.EVENT_WRITE and not camera.flush():
            camera.close()
            return
        if not mask & selectors.EVENT_READ and not camera.tls:
            return
        data = camera.recv()
        if data is None:
            return
        if not data:
            camera.close()
            return
        try:
            chunks, redirect = self._stream.feed(data)
        except ProtocolError as exc:
            self.violation = str(exc)
            camera.close()
            return
        for chunk in chunks:
            self._to_client(chunk)
        if redirect is not None:
            self.redirect, cseq = redirect
            self._to_client(refusal(cseq))
            camera.close()

    def _from_client(self, mask: int) -> None:
        client = self._client
        if mask & selectors.EVENT_WRITE and not client.flush():
            client.close()
            return
        if not (mask & selectors.EVENT_READ and client.open):
            return
        data = client.recv()
        if data is None:
            return
        if not data:
            client.open = False
            return
        if self._camera.open:
            self._camera.out += data

    def _flush(self) -> None:
        camera, client = self._camera, self._client
        if camera.open and camera.out and not camera.flush():
            camera.close()
        if client is not None and client.out and not client.flush():
            client.close()
