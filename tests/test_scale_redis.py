"""Scale-out: two task clusters share one sweep through django-q2's Redis broker.

Real parts only: a redis-server started here, two `manage.py qcluster` processes with REDIS_URL
against the test database, and the GStreamer camera farm. What a user cares about: every camera
is checked, none twice, and nothing is left queued.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from cameras.choices import Health
from cameras.models import Camera, CameraDay, CameraState
from facilities.models import Province
from facilities.provinces import load_provinces
from tests import factories

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parent.parent
CAMERAS = 12


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server); .ci/run does")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _ping(port):
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def _cluster_env(redis, data_dir):
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        REDIS_URL=redis,
        Q_SYNC="0",
        Q_WORKERS="1",
        DATA_DIR=data_dir,
        LOG_LEVEL="WARNING",
        CAMERA_ALLOWED_NETWORKS="127.0.0.0/8",
        CAMERA_CHECK_BATCH_SIZE="2",
        CAMERA_CHECK_THREADS="2",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = db["NAME"]
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    return env


def _manage(env, *args, **kwargs):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        **kwargs,
    )


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_two_clusters_share_a_sweep_through_redis(transactional_db, rtsp_farm, redis_url):
    # Transactional tests run last and empty the tables after each other: provinces included.
    load_provinces(Province)
    facility = factories.facility("01")
    # bulk_create: no check is queued at creation (that would probe inline in test settings).
    Camera.objects.bulk_create(
        Camera(
            facility=facility,
            name=f"Redis cam {n}",
            zone="gate",
            stream_url=rtsp_farm.url("/h264_720p"),
        )
        for n in range(CAMERAS)
    )
    ids = list(Camera.objects.filter(facility=facility).values_list("pk", flat=True))

    with tempfile.TemporaryDirectory() as data_dir:
        env = _cluster_env(redis_url, data_dir)
        clusters = [
            _manage(env, "qcluster", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        try:
            enqueue = subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "shell", "-c",
                 "from cameras.tasks import sweep; print(sweep(due_only=False))"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
            )
            assert enqueue.returncode == 0, enqueue.stderr[-2000:]
            assert f"'cameras': {CAMERAS}" in enqueue.stdout
            deadline = time.monotonic() + 120
            unchecked = CameraState.objects.filter(camera__in=ids, last_checked_at__isnull=True)
            while unchecked.exists():
                for cluster in clusters:
                    if cluster.poll() is not None:
                        pytest.fail(f"a cluster stopped: {cluster.stderr.read()[-2000:]!r}")
                assert time.monotonic() < deadline, "the clusters did not check every camera"
                time.sleep(0.5)
            # Let any duplicate (there must be none) reach the database before counting.
            time.sleep(2)
        finally:
            for cluster in clusters:
                _stop(cluster)

    # The work went through Redis: the sweep's 6 batches (2 cameras each) were pushed there and
    # taken off, and the ORM queue was never used.
    import redis
    from django_q.models import OrmQ

    stats = redis.Redis.from_url(redis_url).info("commandstats")
    assert stats["cmdstat_rpush"]["calls"] >= CAMERAS // 2
    assert redis.Redis.from_url(redis_url).llen("django_q:portal:q") == 0
    assert not OrmQ.objects.exists()

    cameras = CameraState.objects.filter(camera__in=ids)
    assert set(cameras.values_list("health", flat=True)) == {Health.ONLINE}
    assert set(cameras.values_list("last_width", "last_height")) == {(1280, 720)}
    # One check per camera: the leases kept the two clusters off each other's cameras.
    checks = dict(CameraDay.objects.filter(camera__in=ids).values_list("camera_id", "checks"))
    assert checks == {pk: 1 for pk in ids}
    assert not cameras.exclude(claim_token="").exists()
