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

Isolation: every claim adds one to `unfinished_checks`, every written result resets it. A camera
whose previous check never finished (its batch died: an FFmpeg crash, a killed worker) is checked
alone in a batch of its own, so one bad stream cannot take its neighbours down again; after
CAMERA_CHECK_CRASH_LIMIT unfinished checks in a row its checks are stopped, with a reason on the
camera and in the next notice, until its address or credentials change.
"""

import datetime
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django_q.tasks import async_task

from cameras import conf, health, notify, probe, standard, tally, targets
from cameras.choices import ConnectionStatus, SweepTrigger
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


def claim(ids, token, now=None):
    """Atomically lease the free cameras among `ids` to `token`; returns how many were won."""
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


def plan_sweep(trigger=SweepTrigger.SCHEDULE, *, ids=None, province=None, facility=None,
               due_only=True, batch_size=None, now=None):
    """Claim the cameras to check in batches; returns the Sweep and the batch tokens.

    ids/province/facility narrow the cameras (province by its two-digit code, facility by id).
    due_only: only cameras whose next check time has come (False for checks on request).
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
    rows = list(
        cameras.order_by(F("state__next_check_at").asc(nulls_first=True), "pk").values_list(
            "pk", "state__unfinished_checks"
        )
    )
    size = batch_size or conf.batch_size()
    # A camera whose last check never finished goes alone: if it crashes its batch again, it
    # takes nobody with it, and the count then really is its own.
    suspects = [[pk] for pk, unfinished in rows if unfinished]
    healthy = [pk for pk, unfinished in rows if not unfinished]
    groups = [healthy[i : i + size] for i in range(0, len(healthy), size)] + suspects

    sweep = Sweep.objects.create(trigger=trigger)
    tokens, claimed = [], 0
    for group in groups:
        token = uuid.uuid4().hex
        won = claim(group, token, now)
        if won:
            tokens.append(token)
            claimed += won
    Sweep.objects.filter(pk=sweep.pk).update(batches=len(tokens), cameras=claimed)
    sweep.batches, sweep.cameras = len(tokens), claimed
    return sweep, tokens


def sweep(trigger=SweepTrigger.SCHEDULE, ids=None, province=None, facility=None, due_only=True):
    """The periodic task: claim due cameras and enqueue one batch task per batch."""
    health.purge_history()
    planned, tokens = plan_sweep(
        trigger, ids=ids, province=province, facility=facility, due_only=due_only
    )
    if not tokens:
        _finish(planned.pk)
    for token in tokens:
        async_task(BATCH_TASK, token, planned.pk, group=f"sweep-{planned.pk}")
    return {"sweep": planned.pk, "cameras": planned.cameras, "batches": len(tokens)}


def _probe_all(cameras, progress=None, threads=None):
    """Probe cameras in a thread pool; {camera id: (ProbeResult, refusal message or None)}."""
    options = conf.probe_options()
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
                **options,
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
    results = _probe_all(cameras, progress, threads) if cameras else {}
    active = ConnectionStandard.current()
    next_check = _next_check(_sweep_start(sweep_id, started))
    with transaction.atomic():
        outcomes, requeue = _judge_and_write(token, cameras, results, active, next_check)
        _record_history(outcomes)
        _release(token, requeue)
    if requeue:
        transaction.on_commit(lambda: request_checks(requeue))
    # Every probe made counts for the metrics (outcome, duration), written or not.
    tally.record(results.values())
    summary = _summary(outcomes)
    if sweep_id is not None:
        _count_batch_done(sweep_id, summary)
    return summary


def _renew_lease(token, now):
    """Renewed at start: the lease counted from the claim may have run out while the task waited
    in the queue. Only rows still carrying our token are ours."""
    CameraState.objects.filter(claim_token=token).update(claimed_until=now + conf.lease())


def _leased_cameras(token):
    """The cameras leased to `token`, with what a probe needs: the address and credentials."""
    return list(
        Camera.objects.filter(state__claim_token=token).only(
            "pk", "stream_url", "username", "password"
        )
    )


def _sweep_start(sweep_id, started):
    """When the batch's sweep started (the next checks count from it), else the batch's start."""
    if sweep_id is None:
        return started
    base = Sweep.objects.filter(pk=sweep_id).values_list("started_at", flat=True).first()
    return base or started


def _judge_and_write(token, probed, results, active, next_check):
    """Judge each result against the `active` standard and write the batch's check states.

    probed: the cameras as loaded for their probes. Returns the Assessments and the ids of
    cameras to check again (their address or credentials changed while they were probed).
    """
    configs = {camera.pk: camera._check_config for camera in probed}
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
        verdict = standard.evaluate(result, active, url=camera.stream_url, refusal=refusal)
        if verdict.conclusive:
            state.verdict_standard_id = active.pk
        outcomes.append(
            health.assess(
                state,
                result,
                verdict,
                now=now,
                open_outage=open_outages.get(pk),
                next_check=next_check,
            )
        )
    if outcomes:
        health.bulk_write([o.state for o in outcomes], health.HEALTH_FIELDS)
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
    summary = {"cameras": 0, "successes": 0, "failures": 0, "busy": 0, "changed": 0}
    for outcome in outcomes:
        summary["cameras"] += 1
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
