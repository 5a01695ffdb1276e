"""The Prometheus metrics of the portal (`/metrics`), read from the database at each scrape.

Every figure is read at scrape time, in a fixed handful of queries, from what the web and the
task clusters already write to the shared database (and, with the Redis broker, one LLEN):

=========================================  ===================================================
cameras by province, status and health     one GROUP BY over cameras, facilities, states
                                           (and the 63 provinces' names)
sweep lag and duration                     the last finished scheduled Sweep row
cameras due but not taken by a sweep       one COUNT and MIN over the check states
checks by outcome, probe durations         the CheckTally rows (cameras/tally.py), a few dozen
task queue depth                           django-q2's broker: OrmQ COUNT, or Redis LLEN
failed tasks                               django-q2's Failure rows, grouped by function
=========================================  ===================================================

Why not prometheus-client's own counters in each process (multiprocess mode): the figures that
matter are made by task-cluster processes on any number of machines, none of which serves HTTP;
multiprocess mode only merges the processes of one machine (a shared directory of files) and
needs the files of every dead worker cleaned up. Read from the database they are the same
whichever gunicorn worker answers, however many clusters and machines run checks, and after any
restart. The one figure made inside a probe, its duration, is a histogram whose bucket counts
each batch adds to CheckTally (two statements per batch), so it is read the same way.

Cost: the scrape's queries are bounded and do not grow with the number of cameras (a test pins
them); their time does, linearly, in the two scans of cameras. At 100,000 cameras a scrape took
0.33 s of CPU on SQLite and 0.8 s of server time on PostgreSQL (a shared 2-core machine at load
8), each scan within three times a bare COUNT(*) of the same join; JIT never starts (planner
cost about 6,700). Figures: bench/README.md, "Metrics scrape".

Access (README, "Production", "Metrics"): off (404) unless METRICS_TOKEN is set; then a request
needs `Authorization: Bearer <token>` and a client address in METRICS_ALLOWED_NETWORKS (loopback
by default). The client address is the audit trail's, so TRUSTED_PROXY_COUNT applies.
"""

import functools
import hmac
import ipaddress
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, F, Min, Q
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Failure
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from redis.exceptions import RedisError

from cameras import conf as camera_conf
from cameras import tally
from cameras.choices import SweepTrigger
from cameras.models import Camera, Sweep
from cameras.tasks import checkable
from facilities.models import Province

logger = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST


# --- Access ------------------------------------------------------------------------------------


def enabled():
    """Whether the endpoint exists: only with a token configured (otherwise it is a 404)."""
    return bool(settings.METRICS_TOKEN)


def token_matches(authorization):
    """Whether an Authorization header value carries the configured bearer token."""
    scheme, _space, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    # In constant time: the comparison must not tell how much of a guess was right.
    return hmac.compare_digest(presented.strip().encode(), settings.METRICS_TOKEN.encode())


def allowed_networks():
    """METRICS_ALLOWED_NETWORKS as ip_network objects (an invalid entry says what to fix)."""
    networks = []
    for entry in settings.METRICS_ALLOWED_NETWORKS:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"METRICS_ALLOWED_NETWORKS: {entry!r} is not a network, e.g. 10.0.0.0/8"
            ) from exc
    return networks


def address_allowed(address):
    """Whether the client `address` (a string, or None) lies in an allowed network."""
    if not address:
        return False
    ip = ipaddress.ip_address(address)
    # A dual-stack listener writes IPv4 clients as ::ffff:a.b.c.d.
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in allowed_networks())


# --- The figures -------------------------------------------------------------------------------


def exposition(now=None):
    """The metrics in Prometheus' text format (bytes), read from the database now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PortalCollector(now))
    return generate_latest(registry)


class PortalCollector:
    """A prometheus-client custom collector: each collect() reads the database afresh."""

    def __init__(self, now=None):
        self.now = now

    def collect(self):
        now = self.now or timezone.now()
        yield cameras_by_province()
        yield from sweep_figures(now)
        yield from due_figures(now)
        yield from check_figures()
        yield from queue_figures()
        yield task_failures()


def cameras_by_province():
    family = GaugeMetricFamily(
        "portal_cameras",
        "Cameras in the registry by province, connection status and health.",
        labels=["province", "province_name", "status", "health"],
    )
    provinces = {
        pk: (code, name) for pk, code, name in Province.objects.values_list("pk", "code", "name")
    }
    rows = (
        Camera.objects.order_by()
        # Grouped on an expression, not the bare column nor the province's code and name: SQLite
        # then scans the cameras once and sorts, instead of walking provinces and facilities
        # through their indexes (half the time at 100,000 cameras, bench/README.md); the 63
        # names come from their own small query.
        .values_list(F("facility__province_id") + 0, "connection_status", "state__health")
        .annotate(n=Count("pk"))
    )
    for province_id, status, health, n in rows:
        code, name = provinces[province_id]
        family.add_metric([code, name, status, health], n)
    return family


def sweep_figures(now):
    """Lag and duration of the last finished scheduled sweep, and the interval to compare with.

    Only scheduled sweeps: one on request or by command may cover a few cameras and would hide
    a schedule that stopped.
    """
    interval = camera_conf.interval().total_seconds()
    yield GaugeMetricFamily(
        "portal_sweep_interval_seconds",
        "CAMERA_CHECK_INTERVAL: seconds between two scheduled sweeps.",
        value=interval,
    )
    last = last_scheduled_sweep()
    if last is None:
        return  # no sweep finished yet: absent, so an alert sees "no data", not zero lag
    yield GaugeMetricFamily(
        "portal_sweep_lag_seconds",
        "Seconds since the start of the last finished scheduled sweep "
        "(about one interval plus a sweep's duration when all is well).",
        value=(now - last["started_at"]).total_seconds(),
    )
    yield GaugeMetricFamily(
        "portal_sweep_last_duration_seconds",
        "Seconds from the start to the end of the last finished scheduled sweep.",
        value=(last["finished_at"] - last["started_at"]).total_seconds(),
    )
    yield GaugeMetricFamily(
        "portal_sweep_last_cameras",
        "Cameras the last finished scheduled sweep took.",
        value=last["cameras"],
    )
    yield GaugeMetricFamily(
        "portal_sweep_last_finished_timestamp_seconds",
        "When the last finished scheduled sweep ended (Unix time).",
        value=last["finished_at"].timestamp(),
    )


def last_scheduled_sweep():
    """{started_at, finished_at, cameras} of the last finished scheduled sweep, or None (one
    query). The API's status answer (api/views.py) reports the same figures."""
    return (
        Sweep.objects.filter(trigger=SweepTrigger.SCHEDULE, finished_at__isnull=False)
        .order_by("-started_at")
        .values("started_at", "finished_at", "cameras")
        .first()
    )


def due_figures(now):
    """Cameras whose check is due and that no batch holds: what the next sweep must take.

    Right before a sweep there are many (a sweep's cameras fall due a little before the next
    one starts); a number that stays, or an age that grows past an interval, means the
    clusters do not keep up or no sweep runs.
    """
    due = (
        checkable()
        .filter(Q(state__next_check_at__isnull=True) | Q(state__next_check_at__lte=now))
        .filter(Q(state__claimed_until__isnull=True) | Q(state__claimed_until__lt=now))
        .order_by()
        .aggregate(n=Count("pk"), oldest=Min("state__next_check_at"))
    )
    yield GaugeMetricFamily(
        "portal_cameras_due_unclaimed",
        "Checked cameras whose check is due and that no batch holds.",
        value=due["n"],
    )
    oldest = due["oldest"]
    yield GaugeMetricFamily(
        "portal_check_oldest_due_seconds",
        "Seconds the longest-waiting due camera has been due (0 when none; cameras never "
        "checked have no due time and are not counted here).",
        value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )


def check_figures():
    """Checks by outcome (counter) and the probe durations (histogram), from CheckTally."""
    rows = tally.snapshot()
    checks = CounterMetricFamily(
        "portal_camera_checks",
        "Checks of camera streams by outcome: ok, an error kind, or denied (address refused).",
        labels=["outcome"],
    )
    by_outcome = {}
    by_bucket = {tally.bucket_label(bound): 0 for bound in tally.BUCKETS}
    by_bucket[tally.INF] = 0
    total_ms = 0
    for (outcome, le), (n, ms) in rows.items():
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        by_bucket[le] = by_bucket.get(le, 0) + n
        total_ms += ms
    for outcome in sorted(by_outcome):
        checks.add_metric([outcome], by_outcome[outcome])
    yield checks
    # Stored per bucket; Prometheus wants each bucket to count everything up to its bound.
    cumulative, running = [], 0
    for le in sorted(by_bucket, key=float):
        running += by_bucket[le]
        cumulative.append((le, running))
    yield HistogramMetricFamily(
        "portal_camera_probe_duration_seconds",
        "Wall time of each probe of a camera stream.",
        buckets=cumulative,
        sum_value=total_ms / 1000,
    )


def queue_figures():
    """Tasks waiting in django-q2's queue: the ORM broker's rows or the Redis list's length."""
    try:
        depth = _broker().queue_size()
    except RedisError:
        # An unreachable Redis must not take the other figures down with it. (The ORM broker
        # lives in the database: if that fails, every figure does.)
        logger.warning("metrics: the task broker did not answer", exc_info=True)
        depth = None
    yield GaugeMetricFamily(
        "portal_task_broker_up",
        "1 if the task broker answered the scrape's question, else 0.",
        value=0 if depth is None else 1,
    )
    if depth is not None:
        yield GaugeMetricFamily(
            "portal_task_queue_depth",
            "Tasks waiting in the task queue (not yet taken by a cluster).",
            value=depth,
        )


@functools.cache
def _broker():
    # One per process: a Redis broker holds a connection pool, not to be rebuilt at each scrape.
    return get_broker()


def task_failures():
    """Failed tasks django-q2 keeps, by task function (deleting them in the admin lowers it)."""
    family = GaugeMetricFamily(
        "portal_task_failures",
        "Failed background tasks stored by django-q2, by task function.",
        labels=["func"],
    )
    rows = Failure.objects.order_by().values_list("func").annotate(n=Count("id"))
    for func, n in rows:
        family.add_metric([func], n)
    return family
