"""django-q2 tasks that check camera streams: the periodic sweep and its batches.

Flow: `sweep` (every CAMERA_CHECK_INTERVAL minutes, or on request) takes the due, enabled
cameras, claims them in batches of CAMERA_CHECK_BATCH_SIZE and enqueues one `check_batch` task
per batch. Any worker of any cluster (several machines share a Redis broker) runs a batch: it
probes its cameras in a thread pool of CAMERA_CHECK_THREADS (PyAV releases the GIL, probes are
I/O bound), judges each result against the active standard, and writes the whole batch's health
in a few statements. The batch that completes a sweep sends the e-mail notices.

Leases: claiming is one atomic UPDATE that sets `claim_token` and `claimed_until` on rows whose
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
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from cameras import conf, health, notify, probe, standard, targets
from cameras.choices import ConnectionStatus, SweepTrigger
from cameras.models import Camera, CameraOutage, CameraStatusChange, ConnectionStandard, Sweep
from cameras.queue import request_checks
from facilities.choices import FacilityStatus
from portal.actor import acting_as, system_actor

logger = logging.getLogger(__name__)

BATCH_TASK = "cameras.tasks.check_batch"


def _lease_free(now):
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def _due(now):
    return Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)


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
    # The lease test must sit in the UPDATE's own WHERE on the camera row. A filter across the
    # facility makes Django write `WHERE id IN (SELECT ... JOIN ...)`: PostgreSQL then re-checks
    # a row it waited for against the subquery's old snapshot, and two sweeps both win it.
    open_facility = checkable().filter(pk__in=list(ids)).values_list("pk", flat=True)
    return (
        Camera.objects.filter(_lease_free(now), check_enabled=True, pk__in=list(open_facility))
        .exclude(connection_status=ConnectionStatus.DECOMMISSIONED)
        .update(
            claim_token=token,
            claimed_until=now + conf.lease(),
            unfinished_checks=F("unfinished_checks") + 1,
        )
    )


def isolate_crashing(now=None):
    """Stop checking cameras whose last CAMERA_CHECK_CRASH_LIMIT checks never finished."""
    now = now or timezone.now()
    limit = conf.crash_limit()
    isolated = []
    suspects = checkable().filter(_lease_free(now), unfinished_checks__gte=limit)
    for camera in suspects:
        camera.check_enabled = False
        camera.check_disabled_reason = health.in_default_language(
            standard.reason_text, {"code": "crashed", "count": camera.unfinished_checks}
        )[:300]
        camera.isolation_notified = False
        camera.claim_token = ""
        camera.claimed_until = None
        with acting_as(system_actor()):
            camera.save(
                update_fields=[
                    "check_enabled",
                    "check_disabled_reason",
                    "isolation_notified",
                    "claim_token",
                    "claimed_until",
                ]
            )
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
        cameras.order_by(F("next_check_at").asc(nulls_first=True), "pk").values_list(
            "pk", "unfinished_checks"
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
    # Renewed at start: the lease counted from the claim may have run out while the task
    # waited in the queue. Only rows still carrying our token are ours.
    Camera.objects.filter(claim_token=token).update(claimed_until=started + conf.lease())
    cameras = list(
        Camera.objects.filter(claim_token=token).only("pk", "stream_url", "username", "password")
    )
    configs = {camera.pk: camera._check_config for camera in cameras}
    results = _probe_all(cameras, progress, threads) if cameras else {}
    active = ConnectionStandard.current()
    base = started
    if sweep_id is not None:
        base = Sweep.objects.filter(pk=sweep_id).values_list("started_at", flat=True).first()
        base = base or started

    summary = {"cameras": 0, "successes": 0, "failures": 0, "busy": 0, "changed": 0}
    requeue = []
    with transaction.atomic():
        fresh = {
            camera.pk: camera
            for camera in Camera.objects.select_for_update().filter(
                claim_token=token, pk__in=list(results)
            )
        }
        open_outages = {
            outage.camera_id: outage
            for outage in CameraOutage.objects.filter(camera_id__in=list(fresh), ended_at=None)
        }
        now = timezone.now()
        outcomes = []
        for pk, (result, refusal) in results.items():
            camera = fresh.get(pk)
            if camera is None:
                continue  # lease lost (expired and re-claimed): the new holder reports
            if camera._check_config != configs.get(pk):
                # Address or credentials changed while we probed: this result is about the old
                # ones. Release the camera and check it again.
                requeue.append(pk)
                continue
            verdict = standard.evaluate(result, active, url=camera.stream_url, refusal=refusal)
            verdict_standard_id = active.pk if verdict.conclusive else camera.verdict_standard_id
            camera.verdict_standard_id = verdict_standard_id
            outcomes.append(
                health.assess(
                    camera,
                    result,
                    verdict,
                    now=now,
                    open_outage=open_outages.get(pk),
                    next_check=_next_check(base),
                )
            )
        if outcomes:
            health.bulk_write([o.camera for o in outcomes], health.HEALTH_FIELDS)
        closed = [o.close_outage for o in outcomes if o.close_outage is not None]
        if closed:
            health.bulk_write(closed, ["ended_at"])
        opened = [o.open_outage for o in outcomes if o.open_outage is not None]
        if opened:
            CameraOutage.objects.bulk_create(opened)
        health.add_day_counts(health.count_days(outcomes), timezone.localdate(now))
        changed = [o.camera for o in outcomes if o.status_changed]
        if changed:
            # One save per camera, under the system actor, so the audit log has each change.
            with acting_as(system_actor()):
                for camera in changed:
                    camera.save(update_fields=health.STATUS_FIELDS)
        history = [o.status_change for o in outcomes if o.status_change is not None]
        if history:
            CameraStatusChange.objects.bulk_create(history)
        if requeue:
            Camera.objects.filter(pk__in=requeue, claim_token=token).update(
                claim_token="", claimed_until=None, unfinished_checks=0, next_check_at=None
            )
        # Rows that were claimed but not probed (none normally) must not stay leased.
        Camera.objects.filter(claim_token=token).update(claim_token="", claimed_until=None)

    for outcome in outcomes:
        summary["cameras"] += 1
        if not outcome.counted:
            summary["busy"] += 1
        elif outcome.success:
            summary["successes"] += 1
        else:
            summary["failures"] += 1
        summary["changed"] += int(outcome.status_changed)
    if requeue:
        transaction.on_commit(lambda: request_checks(requeue))
    if sweep_id is not None:
        Sweep.objects.filter(pk=sweep_id).update(
            batches_done=F("batches_done") + 1,
            successes=F("successes") + summary["successes"],
            failures=F("failures") + summary["failures"],
        )
        if Sweep.objects.filter(pk=sweep_id, batches_done__gte=F("batches")).exists():
            _finish(sweep_id)
    return summary


def _finish(sweep_id):
    """Close the sweep once (whoever wins the UPDATE) and send the notices it produced."""
    won = Sweep.objects.filter(pk=sweep_id, finished_at__isnull=True).update(
        finished_at=timezone.now()
    )
    if won:
        notify.send_pending()
