"""Helpers for tests that need RTSP cameras (the fixtures are in tests/conftest.py).

* ``start_rtsp_farm(*args)``: start ``tests/rtsp_farm.py`` (GStreamer, under the SYSTEM python)
  on a free port and return an ``RtspFarm``; tests that need a farm with other options than the
  session's ``rtsp_farm`` start their own and are marked ``rtsp`` by hand.
* ``wait_for(predicate, timeout)``: poll until true.
* ``Relay(port)``: a TCP relay on loopback to a camera, which can be cut and mended.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
FARM_SCRIPT = Path(__file__).with_name("rtsp_farm.py")
# gst-rtsp-server starts in ~0.3 s; the margin is for a loaded CI machine.
READY_TIMEOUT = 30.0


@dataclass
class RtspFarm:
    port: int
    password: str
    username: str = "cam"
    process: subprocess.Popen | None = field(default=None, repr=False)

    def url(self, path: str, *, with_credentials: bool = False) -> str:
        auth = f"{self.username}:{self.password}@" if with_credentials else ""
        return f"rtsp://{auth}127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def start_rtsp_farm(*extra_args: str, password: str | None = None) -> RtspFarm:
    """Start tests/rtsp_farm.py on a free port and wait for its READY line."""
    # Characters that must survive percent-encoding in the URL userinfo.
    password = password or f"Cn{secrets.token_hex(6)}@:/%+"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.fail(f"{SYSTEM_PYTHON} not found: the RTSP farm needs the system python with gi")
    stderr = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [SYSTEM_PYTHON, str(FARM_SCRIPT), "--port", "0", "--password", password, *extra_args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    line: list[str] = []
    # readline() has no timeout; a reader thread keeps the wait bounded.
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(READY_TIMEOUT)
    ready = line[0].split() if line else []
    if len(ready) != 2 or ready[0] != "READY":
        proc.kill()
        proc.wait(timeout=5)
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")[-3000:]
        pytest.fail(
            f"RTSP farm did not print READY (waited up to {READY_TIMEOUT:g} s, "
            f"exit code {proc.returncode}). Is GStreamer installed for {SYSTEM_PYTHON} "
            "(python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-*)? "
            f"stdout={line!r}\nstderr:\n{err}"
        )
    return RtspFarm(port=int(ready[1]), password=password, process=proc)


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Relay:
    """A TCP relay on loopback to a real camera that can be cut (connection refused) and mended.

    The camera's address stays the same while its reachability changes, as when a facility's
    router goes down.
    """

    def __init__(self, target_port):
        self.target_port = target_port
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listener = None
        self.conns = []
        self.lock = threading.Lock()
        self.mend()

    def url(self, path):
        return f"rtsp://127.0.0.1:{self.port}{path}"

    def mend(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self):
        listener, self.listener = self.listener, None
        try:
            listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        listener.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
