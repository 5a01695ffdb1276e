"""Running totals of the checks for the metrics endpoint: outcomes and probe durations.

Each batch adds what its probes did to `CheckTally` (cameras/models.py): per outcome ("ok", an
error kind of cameras/probe.py, or "denied" for an address the target policy refused) and per
probe-duration bucket, the number of checks and their summed probe time. The metrics endpoint
(reports/metrics.py) reads the rows at scrape time as Prometheus counters and a histogram.

Why rows in the database and not prometheus-client's multiprocess mode: checks run in the
worker processes of any number of task clusters on any number of machines, and none of them
serves HTTP. Multiprocess mode shares a directory of files between the processes of ONE
machine, so the web process answering a scrape would see only the checks of the clusters on
its own machine (none, on a web-only machine), and each cluster machine would need its own
exporter and files cleaned after every dead worker. A row per (outcome, bucket) is correct
across any number of processes and machines, survives restarts (counters never go back to
zero when a worker is recycled) and costs two statements per batch, not one per check.

The write is one UPDATE of a few dozen rows shared by every batch: it runs after the batch's
own transaction, in a short one of its own, so concurrent batches wait for each other for the
length of one UPDATE, not of a whole batch. Metrics must never fail a check whose results are
already written: a database error here is logged and the counts of that batch are lost.
"""

import logging

from django.db import DatabaseError, transaction
from django.db.models import Case, F, Q, Value, When

from cameras.models import CheckTally

logger = logging.getLogger(__name__)

# Upper bounds (seconds) of the probe-duration buckets: a refusal answers in a few milliseconds,
# a routine check of a live camera in tens to hundreds, a silent camera at the deadline (10 s by
# default). Prometheus' own writing of each bound, as stored in CheckTally.le.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
INF = "+Inf"
OK = "ok"
DENIED = "denied"


def bucket_label(bound):
    """A bucket's bound as Prometheus writes it: "0.25", "1.0", "+Inf"."""
    return INF if bound == float("inf") else repr(float(bound))


def bucket_of(duration_ms):
    """The label of the smallest bucket holding a probe of `duration_ms` milliseconds."""
    seconds = duration_ms / 1000
    for bound in BUCKETS:
        if seconds <= bound:
            return bucket_label(bound)
    return INF


def outcome_of(result, refusal=None):
    """A check's outcome: "ok" (the stream answered, whatever the verdict), "denied" (the
    address was refused before connecting), else the probe's error kind."""
    if refusal:
        return DENIED
    if result.ok:
        return OK
    return result.error_kind or "invalid"


def count(results):
    """{(outcome, bucket label): [checks, summed milliseconds]} of `results`, an iterable of
    (ProbeResult, refusal message or None) as a batch's probes return them."""
    totals = {}
    for result, refusal in results:
        key = (outcome_of(result, refusal), bucket_of(result.duration_ms))
        entry = totals.setdefault(key, [0, 0])
        entry[0] += 1
        entry[1] += max(0, int(result.duration_ms))
    return totals


def record(results):
    """Add a batch's probe results to the running totals (two statements, whatever the size)."""
    totals = count(results)
    if not totals:
        return
    try:
        with transaction.atomic():
            _add(totals)
    except DatabaseError:
        logger.warning("check counts of a batch were not recorded", exc_info=True)


def _add(totals):
    keys = sorted(totals)
    # Rows appear once per (outcome, bucket) ever seen; afterwards this INSERT does nothing.
    CheckTally.objects.bulk_create(
        [CheckTally(outcome=outcome, le=le) for outcome, le in keys], ignore_conflicts=True
    )
    match = {key: Q(outcome=key[0], le=key[1]) for key in keys}

    def increment(position):
        return Case(
            *(When(match[key], then=Value(totals[key][position])) for key in keys),
            default=Value(0),
        )

    selected = Q()
    for condition in match.values():
        selected |= condition
    CheckTally.objects.filter(selected).update(
        checks=F("checks") + increment(0), duration_ms=F("duration_ms") + increment(1)
    )


def snapshot():
    """Every row as {(outcome, bucket label): (checks, summed milliseconds)} (one query)."""
    return {
        (outcome, le): (checks, duration_ms)
        for outcome, le, checks, duration_ms in CheckTally.objects.values_list(
            "outcome", "le", "checks", "duration_ms"
        )
    }

