"""django-q2 tasks that check camera streams: the periodic sweep and its batches.

Flow: `sweep` (every CAMERA_CHECK_INTERVAL minutes, or on request) takes the due, enabled
cameras, claims them in batches of CAMERA_CHECK_BATCH_SIZE and enqueues one `check_batch` task
per batch. Any worker of any cluster (several machines share a Redis broker) runs a batch: it
probes its cameras in a thread pool of CAMERA_CHECK_THREADS (PyAV releases the GIL, probes are
I/O bound), judges each result against the active standard, and writes the whole batch's health
in a few statements. The batch that completes a sweep sends the e-mail notices.

All of it is written to the cameras' check states (CameraState), never to the registry row
people edit: a camera's own row changes only when a verdict moves its connection status (an
audited save) or when its checks are stopped (isolation, below).

Leases: claiming is one atomic UPDATE that sets `claim_token` and `claimed_until` on states whose
lease is empty or expired (portable to SQLite and PostgreSQL; on PostgreSQL a concurrent UPDATE
re-checks the WHERE on the row it waited for, so two sweeps never both win a row). A batch only
probes and writes rows that still carry its token. A batch whose worker died simply leaves its
rows to be claimed again once the lease expires.

Routine and full checks: a *routine* check opens the stream and stops at the first video
keyframe (cameras/probe.py, sample_seconds=0): it tells online from offline, and judges what it
saw (video at all, codec, picture size, time to first picture), at a fraction of the time and
CPU of a *full* check, which also samples CAMERA_PROBE_SAMPLE_SECONDS of stream for the frame
rate, bit rate and keyframe interval and so gives the verdict on the whole standard. Only a full
check can find a camera eligible, and connecting needs a recent one (cameras/lifecycle.py); a
routine check never overwrites the full check's measurements with nothing (cameras/health.py).
A check is full (`full_check_due`) when the camera is new or its address or credentials changed
(verdict pending), on request ("Check now", a refused connect, a reinstatement, an import: every
sweep with the "request" trigger), when its stored verdict is not a pass on the active standard
(below it, failing, another version), when it is not online (recovering from offline, degraded,
never checked), and once CAMERA_FULL_CHECK_HOURS have passed since its last full check. Those
daily full checks are spread: a sweep takes at most twice its share of them (cameras / sweeps
per period), so cameras registered together do not all sample their streams in the same sweep
every day; the others are checked routinely and take their turn in the next sweeps. The mode is
decided when a sweep claims a camera (`claim_full` on its state) and full checks go in batches
of their own, so a batch of routine checks is not held up by one that samples 2 s of stream.

Isolation: every claim adds one to `unfinished_checks`, every written result resets it. A camera
whose previous check never finished (its batch died: an FFmpeg crash, a killed worker) is checked
alone in a batch of its own, so one bad stream cannot take its neighbours down again; after
CAMERA_CHECK_CRASH_LIMIT unfinished checks in a row its checks are stopped, with a reason on the
camera and in the next notice, until its address or credentials change.
"""

import datetime
import logging
import math
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django_q.tasks import async_task

from cameras import conf, health, notify, probe, snapshots, standard, tally, targets
from cameras.choices import ConnectionStatus, Health, SweepTrigger
from cameras.models import (
    Camera,
    CameraOutage,
    CameraState,
    CameraStatusChange,
    ConnectionStandard,
    Sweep,
)
from cameras.queue import request_checks
from facilities.choices import FacilityStatus
from portal.actor import acting_as, system_actor

logger = logging.getLogger(__name__)

BATCH_TASK = "cameras.tasks.check_batch"


def _lease_free(now, field="state__claimed_until"):
    """Rows whose lease (`field`, a camera's by default) is empty or expired."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})


def _due(now):
    return Q(state__next_check_at__isnull=True) | Q(state__next_check_at__lte=now)


def checkable():
    """Cameras whose checks run: enabled, not decommissioned, of a facility that is not closed.

    Reopening a closed facility resumes its cameras' checks: nothing is stored when it closes.
    """
    return (
        Camera.objects.filter(check_enabled=True)
        .exclude(connection_status=ConnectionStatus.DECOMMISSIONED)
        .exclude(facility__status=FacilityStatus.CLOSED)
    )


def full_check_due(state, standard_id, now):
    """Whether the next check of a camera with this check `state` must be a full one.

    state: a CameraState, or anything with its attributes verdict_pending, full_checked_at,
    verdict_eligible, verdict_standard_id, health and consecutive_failures.
    standard_id: the active ConnectionStandard's id.
    """
    return full_check_needed(state, standard_id) or daily_full_due(state, now)


def full_check_needed(state, standard_id):
    """A full check is needed whatever the age of the last one: the camera is new or changed,
    has no pass on the active standard, or is not plainly online (recovering, degraded)."""
    return (
        state.verdict_pending
        or state.full_checked_at is None
        or state.verdict_eligible is not True
        or state.verdict_standard_id != standard_id
        or state.health != Health.ONLINE
        or state.consecutive_failures > 0
    )


def daily_full_due(state, now):
    """The last full check is older than CAMERA_FULL_CHECK_HOURS."""
    last = state.full_checked_at
    return last is not None and last <= now - conf.full_check_max_age()


def claim(ids, token, now=None, full=False):
    """Atomically lease the free cameras among `ids` to `token`; returns how many were won.

    full: the claimed checks are full ones (else routine).
    """
    now = now or timezone.now()
    # The lease test must sit in the UPDATE's own WHERE on the state row. A filter across the
    # camera or its facility makes Django write `WHERE camera_id IN (SELECT ... JOIN ...)`, the
    # lease test inside: PostgreSQL then re-checks a row it waited for against the subquery's
    # old snapshot, and two sweeps both win it. A correlated EXISTS keeps the lease test outside.
    return (
        CameraState.objects.filter(
            _lease_free(now, "claimed_until"),
            Exists(checkable().filter(pk=OuterRef("camera_id"))),
            camera_id__in=list(ids),
        ).update(
            claim_token=token,
            claimed_until=now + conf.lease(),
            claim_full=full,
            unfinished_checks=F("unfinished_checks") + 1,
        )
    )


def isolate_crashing(now=None):
    """Stop checking cameras whose last CAMERA_CHECK_CRASH_LIMIT checks never finished.

    Stopping is a change of the camera (audited, under the system actor): checks off, with the
    reason a person reads. The state is released and its notice is due.
    """
    now = now or timezone.now()
    limit = conf.crash_limit()
    isolated = []
    suspects = checkable().filter(_lease_free(now), state__unfinished_checks__gte=limit)
    for camera in suspects.select_related("state"):
        camera.check_enabled = False
        camera.check_disabled_reason = health.in_default_language(
            standard.reason_text, {"code": "crashed", "count": camera.state.unfinished_checks}
        )[:300]
        with transaction.atomic():
            with acting_as(system_actor()):
                camera.save(
                    update_fields=["check_enabled", "check_disabled_reason", "updated_at"]
                )
            camera.write_state(isolation_notified=False, claim_token="", claimed_until=None)
        logger.warning(
            "camera %s isolated: %s checks in a row never finished", camera.pk, limit
        )
        isolated.append(camera.pk)
    return isolated


# What planning reads of each due camera's state to decide between a routine and a full check.
_PLAN_FIELDS = (
    "pk",
    "state__unfinished_checks",
    "state__verdict_pending",
    "state__full_checked_at",
    "state__verdict_eligible",
    "state__verdict_standard_id",
    "state__health",
    "state__consecutive_failures",
)


@dataclass(frozen=True)
class _Due:
    """A due camera as planning sees it: the attributes `full_check_due` reads."""

    pk: int
    unfinished_checks: int
    verdict_pending: bool
    full_checked_at: datetime.datetime | None
    verdict_eligible: bool | None
    verdict_standard_id: int | None
    health: str
    consecutive_failures: int


def plan_modes(rows, now, full=None):
    """{camera id: True for a full check, False for a routine one} for the due `rows` (_Due).

    full: True makes every check full (checks on request); None applies `full_check_due`, with
    the daily full checks limited to twice the sweep's share of them (module docstring).
    """
    if full:
        return {row.pk: True for row in rows}
    standard_id = ConnectionStandard.current().pk
    per_day = conf.full_check_max_age() / conf.interval()
    daily_quota = max(1, math.ceil(2 * len(rows) / per_day))
    modes = {}
    for row in rows:
        if full_check_needed(row, standard_id):
            modes[row.pk] = True
        elif daily_full_due(row, now):
            # Due by age alone: within the quota, in due order.
            modes[row.pk] = daily_quota > 0
            daily_quota -= 1
        else:
            modes[row.pk] = False
    return modes


def plan_sweep(trigger=SweepTrigger.SCHEDULE, *, ids=None, province=None, facility=None,
               due_only=True, batch_size=None, now=None, full=None):
    """Claim the cameras to check in batches; returns the Sweep and the batch tokens.

    ids/province/facility narrow the cameras (province by its two-digit code, facility by id).
    due_only: only cameras whose next check time has come (False for checks on request).
    full: True makes every check a full one; None decides camera by camera (`plan_modes`).
    """
    now = now or timezone.now()
    isolate_crashing(now)
    cameras = checkable().filter(_lease_free(now))
    if ids is not None:
        cameras = cameras.filter(pk__in=list(ids))
    if province:
        cameras = cameras.filter(facility__province__code=province)
    if facility:
        cameras = cameras.filter(facility_id=facility)
    if due_only:
        cameras = cameras.filter(_due(now))
    rows = [
        _Due(*values)
        for values in cameras.order_by(
            F("state__next_check_at").asc(nulls_first=True), "pk"
        ).values_list(*_PLAN_FIELDS)
    ]
    modes = plan_modes(rows, now, full)
    size = batch_size or conf.batch_size()
    # A camera whose last check never finished goes alone: if it crashes its batch again, it
    # takes nobody with it, and the count then really is its own.
    suspects = [([row.pk], modes[row.pk]) for row in rows if row.unfinished_checks]
    groups = []
    for mode in (True, False):
        healthy = [row.pk for row in rows if not row.unfinished_checks and modes[row.pk] == mode]
        groups += [(healthy[i : i + size], mode) for i in range(0, len(healthy), size)]
    groups += suspects

    sweep = Sweep.objects.create(trigger=trigger)
    tokens, claimed = [], 0
    for group, mode in groups:
        token = uuid.uuid4().hex
        won = claim(group, token, now, full=mode)
        if won:
            tokens.append(token)
            claimed += won
    Sweep.objects.filter(pk=sweep.pk).update(batches=len(tokens), cameras=claimed)
    sweep.batches, sweep.cameras = len(tokens), claimed
    return sweep, tokens


def sweep(trigger=SweepTrigger.SCHEDULE, ids=None, province=None, facility=None, due_only=True):
    """The periodic task: claim due cameras and enqueue one batch task per batch.

    Checks asked for (the "request" trigger: a new or changed camera, "Check now", a refused
    connect) are full checks; the schedule's are routine unless `full_check_due`.
    """
    health.purge_history()
    planned, tokens = plan_sweep(
        trigger,
        ids=ids,
        province=province,
        facility=facility,
        due_only=due_only,
        full=True if trigger == SweepTrigger.REQUEST else None,
    )
    if not tokens:
        _finish(planned.pk)
    for token in tokens:
        async_task(BATCH_TASK, token, planned.pk, group=f"sweep-{planned.pk}")
    return {"sweep": planned.pk, "cameras": planned.cameras, "batches": len(tokens)}


def _probe_all(cameras, progress=None, threads=None, pictures=frozenset()):
    """Probe cameras in a thread pool; {camera id: (ProbeResult, refusal message or None)}.

    Each camera's check is full or routine as its claim says (`camera.state.claim_full`); the
    cameras of `pictures` also bring back a snapshot (cameras/snapshots.py, `wanted`).
    """
    options = {full: conf.probe_options(full) for full in (True, False)}
    picture_options = conf.snapshot_options()
    resolve = targets.resolver()

    def one(camera):
        refusals = []

        def guarded(host):
            try:
                return resolve(host)
            except PermissionError as exc:
                refusals.append(str(exc))
                raise

        try:
            result = probe.probe(
                camera.stream_url,
                camera.username or None,
                camera.password or None,
                resolve=guarded,
                **options[camera.state.claim_full],
                **(picture_options if camera.pk in pictures else {}),
            )
        except Exception as exc:  # noqa: BLE001 - a probe must never take the batch down
            # The type only: an exception's text may carry the stream address.
            logger.error("check of camera %s failed: %s", camera.pk, type(exc).__name__)
            result = probe.ProbeResult(
                ok=False, error_kind="invalid", error_message="The check failed unexpectedly."
            )
        return camera.pk, result, (refusals[0] if refusals else None)

    results = {}
    width = max(1, min(threads or conf.threads(), len(cameras)))
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="camera-check") as pool:
        futures = [pool.submit(one, camera) for camera in cameras]
        for future in as_completed(futures):
            pk, result, refusal = future.result()
            results[pk] = (result, refusal)
            if progress is not None:
                progress(1)
    return results


def _next_check(base):
    """When a camera checked in a sweep started at `base` is due again.

    Counted from the sweep's start, less a little slack, so the next sweep (one interval later)
    finds it due even if its batch ran late in the sweep.
    """
    every = conf.interval()
    return base + every - min(datetime.timedelta(seconds=60), every / 10)


def check_batch(token, sweep_id=None, progress=None, threads=None):
    """Probe the cameras leased to `token` and write their health, verdicts and history."""
    started = timezone.now()
    _renew_lease(token, started)
    cameras = _leased_cameras(token)
    base, trigger = _sweep_facts(sweep_id, started)
    pictures = snapshots.wanted(cameras, trigger, started) if cameras else set()
    results = _probe_all(cameras, progress, threads, pictures) if cameras else {}
    active = ConnectionStandard.current()
    next_check = _next_check(base)
    with transaction.atomic():
        outcomes, requeue = _judge_and_write(token, cameras, results, active, next_check)
        _record_history(outcomes)
        _release(token, requeue)
        # Only the pictures of results written: not those of an address changed meanwhile.
        written = {outcome.state.camera_id for outcome in outcomes}
        _save_pictures({pk: results[pk][0] for pk in pictures & written}, started)
    if requeue:
        transaction.on_commit(lambda: request_checks(requeue))
    # Every probe made counts for the metrics (outcome, duration), written or not.
    tally.record(results.values())
    summary = _summary(outcomes)
    if sweep_id is not None:
        _count_batch_done(sweep_id, summary)
    return summary


def _save_pictures(results, now):
    """Store the batch's pictures; a failure (a full disk, an unwritable SNAPSHOT_DIR) costs the
    pictures, never the checks' results, which are written in the same transaction."""
    if not results:
        return
    try:
        with transaction.atomic():
            snapshots.save_many(results, now=now)
    except Exception as exc:  # noqa: BLE001 - the health of the batch matters more
        logger.error("pictures of %d cameras not stored: %s", len(results), type(exc).__name__)


def _renew_lease(token, now):
    """Renewed at start: the lease counted from the claim may have run out while the task waited
    in the queue. Only rows still carrying our token are ours."""
    CameraState.objects.filter(claim_token=token).update(claimed_until=now + conf.lease())


def _leased_cameras(token):
    """The cameras leased to `token`, with what a probe needs: the address, credentials and
    whether the check is a full one."""
    return list(
        Camera.objects.filter(state__claim_token=token)
        .select_related("state")
        .only(
            "pk", "stream_url", "username", "password", "state__claim_full",
            "state__verdict_pending",
        )
    )


def _sweep_facts(sweep_id, started):
    """When the batch's sweep started (the next checks count from it), else the batch's start;
    and what started it (a check on request takes a picture of every camera)."""
    if sweep_id is None:
        return started, SweepTrigger.REQUEST
    row = Sweep.objects.filter(pk=sweep_id).values_list("started_at", "trigger").first()
    if row is None:
        return started, SweepTrigger.REQUEST
    return row[0] or started, row[1]


def _judge_and_write(token, probed, results, active, next_check):
    """Judge each result against the `active` standard and write the batch's check states.

    probed: the cameras as loaded for their probes. Returns the Assessments and the ids of
    cameras to check again (their address or credentials changed while they were probed).
    """
    configs = {camera.pk: camera._check_config for camera in probed}
    full_checks = {camera.pk: camera.state.claim_full for camera in probed}
    # Each camera row, then its state, is locked (PostgreSQL), in the order a person's save
    # takes them: a save of a new address waits for this batch, or is seen here.
    fresh = {
        camera.pk: camera
        for camera in Camera.objects.select_for_update(of=("self", "state"))
        .select_related("state")
        .filter(state__claim_token=token, pk__in=list(results))
        .order_by("pk")
    }
    open_outages = {
        outage.camera_id: outage
        for outage in CameraOutage.objects.filter(camera_id__in=list(fresh), ended_at=None)
    }
    now = timezone.now()
    outcomes, requeue = [], []
    for pk, (result, refusal) in results.items():
        camera = fresh.get(pk)
        if camera is None:
            continue  # lease lost (expired and re-claimed): the new holder reports
        state = camera.state
        if camera._check_config != configs.get(pk):
            # Address or credentials changed while we probed: this result is about the old
            # ones. Release the camera and check it again.
            requeue.append(pk)
            continue
        full = full_checks[pk]
        verdict = standard.evaluate(
            result, active, url=camera.stream_url, refusal=refusal, routine=not full
        )
        outcome = health.assess(
            state,
            result,
            verdict,
            now=now,
            open_outage=open_outages.get(pk),
            next_check=next_check,
            full=full,
        )
        if "verdict_standard" in outcome.fields:
            state.verdict_standard_id = active.pk
        outcomes.append(outcome)
    # One UPDATE per group of fields written (at most three: full checks, routine checks that
    # found something wrong, routine checks that did not), never one per camera.
    by_fields = {}
    for outcome in outcomes:
        by_fields.setdefault(id(outcome.fields), (outcome.fields, []))[1].append(outcome.state)
    for fields, states in by_fields.values():
        health.bulk_write(states, fields)
    return outcomes, requeue


def _record_history(outcomes):
    """Outages closed and opened, the day's check counts, and the connection statuses the
    verdicts moved (one audited save per camera) with their lifecycle history."""
    closed = [o.close_outage for o in outcomes if o.close_outage is not None]
    if closed:
        health.bulk_write(closed, ["ended_at"])
    opened = [o.open_outage for o in outcomes if o.open_outage is not None]
    if opened:
        CameraOutage.objects.bulk_create(opened)
    if outcomes:
        # The local day of the batch's checks (assess stamped them all with one time).
        day = timezone.localdate(outcomes[0].state.last_checked_at)
        health.add_day_counts(health.count_days(outcomes), day)
    changed = [o.state.camera for o in outcomes if o.status_changed]
    if changed:
        # One save per camera, under the system actor, so the audit log has each change.
        with acting_as(system_actor()):
            for camera in changed:
                camera.save(update_fields=health.STATUS_FIELDS)
    history = [o.status_change for o in outcomes if o.status_change is not None]
    if history:
        CameraStatusChange.objects.bulk_create(history)


def _release(token, requeue):
    """Give back the batch's leases: cameras to check again are due at once."""
    if requeue:
        CameraState.objects.filter(camera_id__in=requeue, claim_token=token).update(
            claim_token="", claimed_until=None, unfinished_checks=0, next_check_at=None
        )
    # Rows that were claimed but not probed (none normally) must not stay leased.
    CameraState.objects.filter(claim_token=token).update(claim_token="", claimed_until=None)


def _summary(outcomes):
    summary = {"cameras": 0, "successes": 0, "failures": 0, "busy": 0, "changed": 0, "full": 0}
    for outcome in outcomes:
        summary["cameras"] += 1
        summary["full"] += int(outcome.full)
        if not outcome.counted:
            summary["busy"] += 1
        elif outcome.success:
            summary["successes"] += 1
        else:
            summary["failures"] += 1
        summary["changed"] += int(outcome.status_changed)
    return summary


def _count_batch_done(sweep_id, summary):
    """Add the batch to its sweep; the batch that completes the sweep finishes it."""
    Sweep.objects.filter(pk=sweep_id).update(
        batches_done=F("batches_done") + 1,
        successes=F("successes") + summary["successes"],
        failures=F("failures") + summary["failures"],
        full_checks=F("full_checks") + summary["full"],
    )
    if Sweep.objects.filter(pk=sweep_id, batches_done__gte=F("batches")).exists():
        _finish(sweep_id)


def _finish(sweep_id):
    """Close the sweep once (whoever wins the UPDATE) and send the notices it produced."""
    won = Sweep.objects.filter(pk=sweep_id, finished_at__isnull=True).update(
        finished_at=timezone.now()
    )
    if won:
        notify.send_pending()


def purge_snapshots():
    """The hourly task: camera snapshots past SNAPSHOT_RETENTION_HOURS go, files and rows."""
    return {"deleted": snapshots.purge()}
