"""The Prometheus endpoint `/metrics`: who may read it, and that what it says is the registry's
state as a scraper reads it (parsed with prometheus-client's own parser)."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Task
from prometheus_client.parser import text_string_to_metric_families

from cameras import tally, tasks
from cameras.choices import ConnectionStatus, Health, SweepTrigger
from cameras.models import Sweep
from cameras.probe import ProbeResult
from facilities.choices import FacilityStatus
from tests import factories
from tests.fake_rtsp import closed_port
from tests.test_scale_redis import redis_url  # noqa: F401  (fixture: starts a redis-server)

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scrape-token-0123456789"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
# The scrape's queries (provinces, cameras, last sweep, due cameras, check tallies, queue,
# failures): a fixed number, whatever the size of the registry.
SCRAPE_QUERIES = 7


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    return settings


def scrape(client, **extra):
    response = client.get("/metrics", **{**AUTH, **extra})
    assert response.status_code == 200, response.status_code
    return parse(response.content.decode())


def parse(text):
    """{(sample name, frozenset of label pairs): value} of an exposition."""
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


# --- Who may read it ---------------------------------------------------------------------------


def test_without_a_configured_token_the_endpoint_does_not_exist(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    # Not even with a token that would be right if one were set, nor from loopback.
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_a_missing_or_wrong_token_is_refused(client, metrics_on, authorization):
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", **extra)
    assert response.status_code == 403
    assert b"portal_cameras" not in response.content


def test_the_right_token_from_loopback_reads_the_metrics(client, metrics_on):
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"
    # A scraper gets no session: nothing is written for it.
    assert "sessionid" not in response.cookies
    # The scheme is case-insensitive (RFC 7235).
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200


def test_only_reading_is_allowed(client, metrics_on):
    assert client.post("/metrics", **AUTH).status_code == 405


def test_an_address_outside_the_allowed_networks_is_refused_even_with_the_token(
    client, metrics_on
):
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40", **AUTH).status_code == 403
    metrics_on.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40", **AUTH).status_code == 200
    # Loopback is only the default: a list without it refuses it.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", **AUTH).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.21.0.1", **AUTH).status_code == 403


def test_an_ipv4_client_of_a_dual_stack_listener_is_matched_as_ipv4(client, metrics_on):
    assert client.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1", **AUTH).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1", **AUTH).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.0.0.1", **AUTH).status_code == 403


def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_saw(client, metrics_on):
    """The proxy on loopback must not make every visitor a loopback client."""
    metrics_on.TRUSTED_PROXY_COUNT = 1
    outside = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9", **AUTH
    )
    assert outside.status_code == 403
    # A client cannot forge the hop the proxy writes: only the last one counts.
    forged = client.get(
        "/metrics",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9",
        **AUTH,
    )
    assert forged.status_code == 403
    inside = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1", **AUTH
    )
    assert inside.status_code == 200


def test_a_wrong_network_setting_names_the_entry(client, metrics_on):
    from django.core.exceptions import ImproperlyConfigured

    metrics_on.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "intranet"]
    with pytest.raises(ImproperlyConfigured, match="'intranet' is not a network"):
        client.get("/metrics", **AUTH)


# --- What it says ------------------------------------------------------------------------------


def result(ok, duration_ms, error_kind=""):
    return ProbeResult(ok=ok, error_kind=error_kind, duration_ms=duration_ms)


@pytest.fixture
def registry():
    """A small registry in two provinces, with sweeps, due cameras, tallies, queue, failures."""
    now = timezone.now()
    hanoi = factories.facility("01")
    hcm = factories.facility("79")
    closed = factories.facility("79", status=FacilityStatus.CLOSED)
    long_ago = now - datetime.timedelta(hours=1)
    later = now + datetime.timedelta(minutes=3)
    # Hà Nội: two connected online, one eligible offline; all due, one of them held by a batch.
    factories.camera(
        hanoi,
        connection_status=ConnectionStatus.CONNECTED,
        health=Health.ONLINE,
        next_check_at=now - datetime.timedelta(seconds=90),
    )
    factories.camera(
        hanoi,
        connection_status=ConnectionStatus.CONNECTED,
        health=Health.ONLINE,
        next_check_at=long_ago,
        claimed_until=later,
    )
    factories.camera(
        hanoi,
        connection_status=ConnectionStatus.ELIGIBLE,
        health=Health.OFFLINE,
        next_check_at=now - datetime.timedelta(seconds=30),
    )
    # Hồ Chí Minh: one registered never checked (due, no time), one not yet due, one
    # decommissioned and one of a closed facility (both long due but never checked).
    factories.camera(hcm)
    factories.camera(hcm, health=Health.ONLINE, next_check_at=later)
    factories.camera(
        hcm, connection_status=ConnectionStatus.DECOMMISSIONED, next_check_at=long_ago
    )
    factories.camera(closed, health=Health.DEGRADED, next_check_at=long_ago)

    # Sweeps: the last finished scheduled one started 7 minutes ago and took 2; a newer one
    # is still running, and a newer one on request finished (neither counts).
    def sweep(trigger, started_minutes_ago, took_minutes=None, cameras=0):
        row = Sweep.objects.create(trigger=trigger, cameras=cameras)
        started = now - datetime.timedelta(minutes=started_minutes_ago)
        finished = None if took_minutes is None else started + datetime.timedelta(
            minutes=took_minutes
        )
        Sweep.objects.filter(pk=row.pk).update(started_at=started, finished_at=finished)

    sweep(SweepTrigger.SCHEDULE, 12, 1, cameras=6)
    sweep(SweepTrigger.SCHEDULE, 7, 2, cameras=5)
    sweep(SweepTrigger.SCHEDULE, 2)
    sweep(SweepTrigger.REQUEST, 1, 0.5, cameras=1)

    # Checks: two batches' worth of probes, added up.
    tally.record([(result(True, 40), None), (result(True, 180), None)])
    tally.record(
        [
            (result(True, 45), None),
            (result(False, 9950, "timeout"), None),
            (result(False, 3, "refused"), None),
            (result(False, 12_000, "no_video"), None),
            (result(False, 1, "dns"), "the address 10.0.0.1 is not allowed"),
        ]
    )

    # Queue: two tasks waiting. Failures: two of the batch task, one of the snapshot.
    broker = get_broker()
    broker.enqueue("task one")
    broker.enqueue("task two")
    for func in ["cameras.tasks.check_batch"] * 2 + ["reports.tasks.take_snapshot"]:
        Task.objects.create(
            id=uuid.uuid4().hex,
            name=func,
            func=func,
            started=now,
            stopped=now,
            success=False,
        )
    Task.objects.create(
        id=uuid.uuid4().hex, name="ok", func="cameras.tasks.sweep", started=now, stopped=now
    )
    return now


def test_cameras_by_province_status_and_health(client, metrics_on, registry):
    samples = scrape(client)
    cameras = {
        labels: n for (name, labels), n in samples.items() if name == "portal_cameras"
    }

    def labels(code, province_name, status, health):
        return frozenset(
            {
                "province": code,
                "province_name": province_name,
                "status": status,
                "health": health,
            }.items()
        )

    assert cameras == {
        labels("01", "Hà Nội", "connected", "online"): 2,
        labels("01", "Hà Nội", "eligible", "offline"): 1,
        labels("79", "Hồ Chí Minh", "registered", "unknown"): 1,
        labels("79", "Hồ Chí Minh", "registered", "online"): 1,
        labels("79", "Hồ Chí Minh", "decommissioned", "unknown"): 1,
        labels("79", "Hồ Chí Minh", "registered", "degraded"): 1,
    }


def test_sweep_lag_and_duration_come_from_the_last_finished_scheduled_sweep(
    client, metrics_on, registry, settings
):
    settings.CAMERA_CHECK_INTERVAL = 5
    samples = scrape(client)
    # The scrape reads the clock a moment after the fixture did.
    assert 7 * 60 <= value(samples, "portal_sweep_lag_seconds") < 7 * 60 + 30
    assert value(samples, "portal_sweep_last_duration_seconds") == 120
    assert value(samples, "portal_sweep_last_cameras") == 5
    assert value(samples, "portal_sweep_interval_seconds") == 300
    finished = value(samples, "portal_sweep_last_finished_timestamp_seconds")
    assert finished == pytest.approx((registry - datetime.timedelta(minutes=5)).timestamp())


def test_no_finished_sweep_leaves_the_lag_absent_rather_than_zero(client, metrics_on):
    names = {name for name, _labels in scrape(client)}
    assert "portal_sweep_lag_seconds" not in names
    assert "portal_sweep_interval_seconds" in names


def test_due_cameras_no_batch_holds(client, metrics_on, registry):
    samples = scrape(client)
    # Due and free: Hà Nội's first and third, and the never-checked one. Not: the one a batch
    # holds, the one not yet due, the decommissioned one, the closed facility's.
    assert value(samples, "portal_cameras_due_unclaimed") == 3
    # The oldest due time among them: 90 s ago (the held camera's hour does not count).
    assert 90 <= value(samples, "portal_check_oldest_due_seconds") < 120


def test_checks_by_outcome_and_probe_duration_histogram(client, metrics_on, registry):
    samples = scrape(client)
    outcomes = {
        dict(labels)["outcome"]: n
        for (name, labels), n in samples.items()
        if name == "portal_camera_checks_total"
    }
    assert outcomes == {"ok": 3, "timeout": 1, "refused": 1, "no_video": 1, "denied": 1}

    def bucket(le):
        return value(samples, "portal_camera_probe_duration_seconds_bucket", le=le)

    # 1 ms (denied), 3 ms (refused); 40, 45 ms; 180 ms; 9.95 s; 12 s (past the last bound).
    assert bucket("0.01") == 2
    assert bucket("0.025") == 2
    assert bucket("0.05") == 4
    assert bucket("0.1") == 4
    assert bucket("0.25") == 5
    assert bucket("5.0") == 5
    assert bucket("10.0") == 6
    assert bucket("+Inf") == 7
    assert value(samples, "portal_camera_probe_duration_seconds_count") == 7
    total = (40 + 180 + 45 + 9950 + 3 + 12_000 + 1) / 1000
    assert value(samples, "portal_camera_probe_duration_seconds_sum") == pytest.approx(total)


def test_queue_depth_and_failed_tasks(client, metrics_on, registry):
    samples = scrape(client)
    assert value(samples, "portal_task_broker_up") == 1
    assert value(samples, "portal_task_queue_depth") == 2
    assert value(samples, "portal_task_failures", func="cameras.tasks.check_batch") == 2
    assert value(samples, "portal_task_failures", func="reports.tasks.take_snapshot") == 1
    assert ("portal_task_failures", frozenset({("func", "cameras.tasks.sweep")})) not in samples


def test_an_empty_portal_still_gives_a_valid_histogram(client, metrics_on):
    samples = scrape(client)
    assert value(samples, "portal_camera_probe_duration_seconds_bucket", le="+Inf") == 0
    assert value(samples, "portal_camera_probe_duration_seconds_count") == 0
    assert value(samples, "portal_cameras_due_unclaimed") == 0
    assert value(samples, "portal_check_oldest_due_seconds") == 0


def test_a_real_check_is_counted_with_its_outcome_and_duration(client, metrics_on, settings):
    """Through the real sweep and batch task (sync mode): a camera whose port is closed."""
    settings.CAMERA_PROBE_DEADLINE = 4.0
    factories.camera(stream_url=f"rtsp://127.0.0.1:{closed_port()}/stream")
    before = scrape(client)
    assert ("portal_camera_checks_total", frozenset({("outcome", "refused")})) not in before
    tasks.sweep(due_only=False)
    tasks.sweep(due_only=False)
    samples = scrape(client)
    assert value(samples, "portal_camera_checks_total", outcome="refused") == 2
    assert value(samples, "portal_camera_probe_duration_seconds_count") == 2
    # A refusal answers within the probe's deadline, and its time is counted.
    assert value(samples, "portal_camera_probe_duration_seconds_bucket", le="5.0") == 2


@pytest.mark.django_db(transaction=True)
def test_batches_recording_at_the_same_time_lose_no_count():
    """Batches of several clusters add to the same rows at once: every check is counted."""
    from django.db import connections

    def batches(worker):
        try:
            for n in range(10):
                slow = result(False, 5000 + worker * 10 + n, "timeout")
                tally.record([(result(True, 30), None), (slow, None)])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=batches, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = tally.snapshot()
    assert rows[("ok", "0.05")][0] == 40
    assert rows[("timeout", "5.0")][0] + rows[("timeout", "10.0")][0] == 40
    assert sum(ms for _checks, ms in rows.values()) == 40 * 30 + sum(
        5000 + worker * 10 + n for worker in range(4) for n in range(10)
    )


@pytest.fixture
def redis_broker(request, monkeypatch):
    """django-q2 configured with the Redis broker, as with REDIS_URL (its settings are read once,
    at import, so they are set on its Conf here), on a redis-server of the test's own."""
    from django_q.conf import Conf

    from reports import metrics

    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", request.getfixturevalue("redis_url"))
    metrics._broker.cache_clear()
    yield get_broker()
    metrics._broker.cache_clear()


@pytest.mark.redis
def test_with_the_redis_broker_the_queue_depth_is_the_list_length(
    client, metrics_on, redis_broker
):
    redis_broker.purge_queue()
    for n in range(3):
        redis_broker.enqueue(f"task {n}")
    samples = scrape(client)
    assert value(samples, "portal_task_broker_up") == 1
    assert value(samples, "portal_task_queue_depth") == 3
    redis_broker.purge_queue()


@pytest.mark.redis
def test_an_unreachable_redis_leaves_the_other_figures(client, metrics_on, monkeypatch):
    from django_q.conf import Conf

    from reports import metrics

    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", f"redis://127.0.0.1:{closed_port()}/0")
    metrics._broker.cache_clear()
    try:
        samples = scrape(client)
    finally:
        metrics._broker.cache_clear()
    assert value(samples, "portal_task_broker_up") == 0
    assert ("portal_task_queue_depth", frozenset()) not in samples
    assert ("portal_cameras_due_unclaimed", frozenset()) in samples


# --- What it costs -----------------------------------------------------------------------------


def scrape_queries(client):
    with CaptureQueriesContext(connection) as queries:
        scrape(client)
    return len(queries)


def test_the_scrape_runs_a_fixed_number_of_queries_whatever_the_registry_size(
    client, metrics_on, registry, django_assert_max_num_queries
):
    small = scrape_queries(client)
    # Ten times the cameras, in more provinces, with more tallies and failures.
    for code in ("01", "48", "79", "92"):
        place = factories.facility(code)
        for n in range(5):
            factories.camera(place, health=Health.OFFLINE if n % 2 else Health.ONLINE)
    tally.record([(result(False, 700 + n, "unauthorized"), None) for n in range(20)])
    large = scrape_queries(client)
    assert small == large
    with django_assert_max_num_queries(SCRAPE_QUERIES):
        scrape(client)
