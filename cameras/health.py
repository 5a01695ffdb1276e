"""Health of a camera from its checks: state transitions, outage periods, daily uptime.

`assess()` is pure: it takes a camera's check state (with its camera), a probe result and its
verdict and returns what changes (the state's fields, and the camera's status when the verdict
moves it, are updated in memory; outages and day counts are described), so a batch can write the
changes of all its cameras together (cameras/tasks.py).

Rules:
- online after a good probe that meets the standard; degraded when the stream plays but is below
  the standard; offline only after CAMERA_OFFLINE_AFTER consecutive failed checks;
- a busy camera (RTSP 453) is neither a failure nor a success and is not counted in uptime;
- one CameraOutage row per offline or degraded period, one CameraDay row per camera and day.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections, router
from django.db.models import (
    Case,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, NullIf
from django.utils import timezone, translation

from cameras import conf, lifecycle
from cameras.choices import ConnectionStatus, Health, PlacementState
from cameras.models import CameraDay, CameraOutage, Sweep
from cameras.standard import DEFINITE_KINDS, reasons_text
from portal.chunked import delete_in_chunks

# The fields of CameraState a check writes, saved for a whole batch at once (bulk_write), in
# three groups: what every check writes; the verdict, which a routine check that found nothing
# wrong leaves as the last full check wrote it; what only a full check measures.
CHECK_FIELDS = [
    "health",
    "health_changed_at",
    "consecutive_failures",
    "failing_since",
    "last_checked_at",
    "last_ok_at",
    "last_codec",
    "last_width",
    "last_height",
    "last_ttff_ms",
    "last_error_kind",
    "last_error_message",
    "next_check_at",
    "claimed_until",
    "claim_token",
    "unfinished_checks",
]
VERDICT_FIELDS = [
    "verdict_eligible",
    "verdict_reasons",
    "verdict_standard",
    "verdict_at",
    "verdict_pending",
]
SAMPLE_FIELDS = [
    "last_fps",
    "last_keyframe_interval_s",
    "last_bitrate_kbps",
    "full_checked_at",
]
# A full check writes them all.
HEALTH_FIELDS = CHECK_FIELDS + VERDICT_FIELDS + SAMPLE_FIELDS
ROUTINE_VERDICT_FIELDS = CHECK_FIELDS + VERDICT_FIELDS

# Connection status fields a verdict may change: saved per camera so the change is audited (and,
# a change of the camera, moves its updated_at).
STATUS_FIELDS = ["connection_status", "status_reason", "status_changed_at", "updated_at"]

# _judge_status's answer when only the reason of an unchanged status changed.
_SAME_STATUS = object()

OUTAGE_KINDS = (Health.OFFLINE, Health.DEGRADED)
# Statuses that follow the verdicts; connected, suspended and decommissioned cameras keep theirs.
JUDGED_STATUSES = (
    ConnectionStatus.REGISTERED,
    ConnectionStatus.ELIGIBLE,
    ConnectionStatus.INELIGIBLE,
)


def in_default_language(func, *args):
    """Text stored in the database is written in the portal's language (Vietnamese)."""
    with translation.override(settings.LANGUAGE_CODE):
        return func(*args)


@dataclass
class Assessment:
    """What one check changes: the state (in memory), outages, the day's counts, the status."""

    state: object
    # A full check (else routine), and the state's fields it wrote (HEALTH_FIELDS,
    # ROUTINE_VERDICT_FIELDS or CHECK_FIELDS).
    full: bool = True
    fields: list = field(default_factory=lambda: HEALTH_FIELDS)
    counted: bool = False
    success: bool = False
    previous_health: str = ""
    open_outage: CameraOutage | None = None
    close_outage: CameraOutage | None = None
    status_changed: bool = False
    # The lifecycle's history row when the verdict moved the connection status.
    status_change: object = None
    notes: list = field(default_factory=list)


def assess(state, result, verdict, *, now, open_outage=None, offline_after=None, next_check=None,
           full=True):
    """Update a camera's check `state` from one probe result and its verdict.

    The status of `state.camera` follows the verdict (in memory too) while the camera is not
    connected yet.
    open_outage: the camera's outage in progress, if any (read by the caller for the whole batch).
    next_check:  when the camera is due again.
    full:        a full check (frame rate sampled, the verdict on the whole standard); False for
                 a routine one (handshake and first keyframe). A routine check that plays and
                 finds nothing wrong updates health and the facts it saw (codec, size, time to
                 first frame) and keeps the last full check's frame rate, bit rate, keyframe
                 interval and verdict: it can make a camera online, never eligible, and never
                 ineligible for lack of a frame rate. What it finds wrong (no video, a codec or
                 size below the standard, a slow first picture) is a verdict like a full check's.
    """
    offline_after = offline_after or conf.offline_after()
    outcome = Assessment(state=state, previous_health=state.health, full=full)
    state.last_checked_at = now
    state.next_check_at = next_check
    state.claimed_until = None
    state.claim_token = ""
    state.unfinished_checks = 0

    if not verdict.conclusive:
        # Busy: the camera works but has no room for us now. Nothing is concluded.
        state.last_error_kind = verdict.error_kind
        state.last_error_message = (result.error_message or "")[:300]
        outcome.fields = CHECK_FIELDS
        return outcome

    # A routine check that found nothing wrong has no verdict of its own to write.
    keeps_verdict = not verdict.whole_standard and verdict.eligible
    if not full:
        outcome.fields = CHECK_FIELDS if keeps_verdict else ROUTINE_VERDICT_FIELDS
    outcome.counted = True
    if result.ok:
        outcome.success = True
        state.consecutive_failures = 0
        state.failing_since = None
        state.last_ok_at = now
        state.last_codec = (result.codec or "")[:20]
        if full or (result.width and result.height):
            state.last_width = result.width
            state.last_height = result.height
        state.last_ttff_ms = result.time_to_first_frame_ms
        if full:
            state.last_fps = result.fps
            state.last_keyframe_interval_s = result.keyframe_interval_s
            state.last_bitrate_kbps = result.bitrate_kbps
        state.last_error_kind = ""
        state.last_error_message = ""
        if keeps_verdict:
            new_health = Health.ONLINE if state.verdict_eligible else Health.DEGRADED
        else:
            new_health = Health.ONLINE if verdict.eligible else Health.DEGRADED
    else:
        # The last good facts (codec, resolution...) are kept: they say what the camera sent
        # when it last worked, next to the error of now.
        state.consecutive_failures = min(state.consecutive_failures + 1, 32767)
        state.failing_since = state.failing_since or now
        state.last_error_kind = verdict.error_kind[:20]
        state.last_error_message = (result.error_message or "")[:300]
        if state.consecutive_failures >= offline_after:
            new_health = Health.OFFLINE
        else:
            new_health = state.health

    if full:
        state.full_checked_at = now
    pending = state.verdict_pending
    if not keeps_verdict:
        state.verdict_eligible = verdict.eligible
        state.verdict_reasons = verdict.as_json()
        state.verdict_at = now
        state.verdict_pending = False

    if new_health != state.health:
        state.health = new_health
        state.health_changed_at = now

    # Outages: driven by the outage row in progress, so a row left open by hand or by an older
    # version of this code is closed as soon as the state no longer matches it.
    wanted = new_health if new_health in OUTAGE_KINDS else None
    if open_outage is not None and open_outage.kind != wanted:
        open_outage.ended_at = now
        outcome.close_outage = open_outage
    if wanted and (open_outage is None or open_outage.kind != wanted):
        started = state.failing_since if wanted == Health.OFFLINE else now
        outcome.open_outage = CameraOutage(
            camera_id=state.camera_id,
            kind=wanted,
            started_at=started or now,
            error_kind=state.last_error_kind if wanted == Health.OFFLINE else "",
            reason=in_default_language(reasons_text, state.verdict_reasons),
        )

    if keeps_verdict:
        return outcome  # a routine check never passes a camera: the status stays
    change = _judge_status(state.camera, verdict, pending, new_health, now)
    outcome.status_changed = change is not None
    if change is not None and change is not _SAME_STATUS:
        outcome.status_change = change
    return outcome


def _judge_status(camera, verdict, pending, new_health, now):
    """Apply the verdict to the connection status of a camera that is not connected yet.

    Returns the unsaved history row of the transition (cameras/lifecycle.py), or None.
    """
    status = camera.connection_status
    if status not in JUDGED_STATUSES:
        return None
    if getattr(camera, "placement_review", "") == PlacementState.REJECTED:
        # A person rejected where it looks: no verdict makes it eligible, and its reason stays
        # the review's, until a newer picture is approved (cameras/placement.py).
        return None
    if status == ConnectionStatus.ELIGIBLE and not pending and not verdict.eligible:
        # An eligible camera is not demoted by one network hiccup: only by what the stream showed
        # (below standard), a set-up fault (credentials, path...) or by going offline.
        if not (
            verdict.reachable
            or verdict.error_kind in DEFINITE_KINDS
            or new_health == Health.OFFLINE
        ):
            return None
    new_status = ConnectionStatus.ELIGIBLE if verdict.eligible else ConnectionStatus.INELIGIBLE
    reason = "" if verdict.eligible else in_default_language(reasons_text, verdict.reasons)
    if new_status == status:
        if reason != camera.status_reason:
            # Still ineligible, for other reasons now: the reason follows, no transition.
            camera.status_reason = reason
            return _SAME_STATUS
        return None
    return lifecycle.judge(camera, verdict.eligible, reason, now=now)


def bulk_write(objects, fields):
    """Write `fields` of many rows of one model in one UPDATE (per slice of rows the database
    takes at once), whatever the number of rows.

    Django's bulk_update writes every field as CASE WHEN pk=... THEN value for every row, and
    building those conditions costs as much CPU as the probes of the batch themselves (more on
    CameraState, whose primary key is a relation). Most fields of a batch hold one value for every
    row (the check time, the released lease, the codec of identical cameras) or a few (online
    or failing with one error): a field with one value is written as that value, the others as
    CASE WHEN pk IN (rows holding a value) THEN that value, one condition per distinct value
    but the commonest, which is the ELSE. Figures: bench/README.md (bench_sweep_write.py).
    """
    if not objects:
        return
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    model_fields = [model._meta.get_field(name) for name in fields]
    size = connection.ops.bulk_batch_size(["pk", "pk", *fields], objects) or len(objects)
    for start in range(0, len(objects), size):
        rows = objects[start : start + size]
        values = {f.attname: _column(f, rows, connection) for f in model_fields}
        model.objects.filter(pk__in=[obj.pk for obj in rows]).update(**values)


def _column(model_field, rows, connection):
    """The value of `model_field` for `rows`: the one they share, or a CASE by distinct value."""
    groups = {}
    for obj in rows:
        value = getattr(obj, model_field.attname)
        groups.setdefault(_key(value), (value, []))[1].append(obj.pk)
    if len(groups) == 1:
        return next(iter(groups.values()))[0]
    # The value most rows hold is the ELSE: no condition to build, none for the database to test.
    common, *others = sorted(groups.values(), key=lambda group: -len(group[1]))
    case = Case(
        *[When(pk__in=pks, then=Value(value, output_field=model_field)) for value, pks in others],
        default=Value(common[0], output_field=model_field),
        output_field=model_field,
    )
    # As bulk_update does: PostgreSQL needs the CASE's type spelled out.
    if connection.features.requires_casted_case_in_updates:
        case = Cast(case, output_field=model_field)
    return case


def _key(value):
    # Lists and dicts (JSON fields) are grouped by their JSON text.
    if isinstance(value, (list, dict)):
        return ("json", json.dumps(value, sort_keys=True, default=str))
    return (type(value), value)


def count_days(outcomes):
    """{camera_id: (checks, successes)} to add to `day`'s rows."""
    counts = {}
    for outcome in outcomes:
        if outcome.counted:
            checks, successes = counts.get(outcome.state.camera_id, (0, 0))
            counts[outcome.state.camera_id] = (checks + 1, successes + int(outcome.success))
    return counts


def add_day_counts(counts, day):
    """Add check counts to the day's rows: one read, one bulk update, one bulk insert.

    Only the batch holding a camera's lease writes its row, so read-then-write cannot race.
    """
    if not counts:
        return
    existing = {
        row.camera_id: row for row in CameraDay.objects.filter(camera_id__in=counts, day=day)
    }
    changed, created = [], []
    for camera_id, (checks, successes) in counts.items():
        row = existing.get(camera_id)
        if row is None:
            created.append(
                CameraDay(camera_id=camera_id, day=day, checks=checks, successes=successes)
            )
        else:
            row.checks += checks
            row.successes += successes
            changed.append(row)
    if changed:
        bulk_write(changed, ["checks", "successes"])
    if created:
        CameraDay.objects.bulk_create(created)


def _uptime(start, end):
    days = (
        CameraDay.objects.filter(camera=OuterRef("pk"), day__gte=start, day__lte=end)
        .order_by()
        .values("camera")
        .annotate(
            pct=Cast(Sum("successes"), FloatField())
            * Value(100.0)
            / NullIf(Cast(Sum("checks"), FloatField()), Value(0.0))
        )
        .values("pct")
    )
    return Subquery(days, output_field=FloatField())


def with_uptime(queryset, today=None):
    """Annotate cameras with uptime_today and uptime_7d (percent, None without checks).

    Two correlated subqueries on the (camera, day) unique index, run for every row of the
    query: for sorting a whole list by uptime. A page that only shows uptimes reads them for
    its own cameras with `attach_uptime`.
    """
    today = today or timezone.localdate()
    return queryset.annotate(
        uptime_today=_uptime(today, today),
        uptime_7d=_uptime(today - datetime.timedelta(days=6), today),
    )


def uptime_sums(camera_ids, since, until):
    """{camera id: (checks, successes)} summed over the days [since, until] for `camera_ids`:
    ONE grouped query over their daily rows, read through the (camera, day) unique index, for
    up to about 10,000 ids (reports/exports.py UPTIME_BATCH). Cameras without checks in the
    window are absent.

    PostgreSQL: the ids come as one array, unnested and joined. Given as `IN (...)`, its stock
    costs scanned the whole window of every camera (700,000 rows at 100,000 cameras, 70 to
    400 ms a query) from 2,000 ids on; the planner estimates an unnested array at a few rows,
    so it keeps to the index (10,000 ids: 70,000 index rows). SQLite reads IN through the
    index anyway.
    """
    if not camera_ids:
        return {}
    using = router.db_for_read(CameraDay)
    if connections[using].vendor == "postgresql":
        table = connections[using].ops.quote_name(CameraDay._meta.db_table)
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"SELECT d.camera_id, SUM(d.checks), SUM(d.successes) "
                f"FROM unnest(%s::bigint[]) AS ids(id) "
                f"JOIN {table} d ON d.camera_id = ids.id AND d.day >= %s AND d.day <= %s "
                f"GROUP BY d.camera_id",
                [list(camera_ids), since, until],
            )
            rows = cursor.fetchall()
    else:
        rows = (
            CameraDay.objects.using(using)
            .filter(camera_id__in=camera_ids, day__gte=since, day__lte=until)
            .order_by()
            .values("camera_id")
            .annotate(checks_sum=Sum("checks"), successes_sum=Sum("successes"))
            .values_list("camera_id", "checks_sum", "successes_sum")
        )
    return {camera_id: (checks, successes or 0) for camera_id, checks, successes in rows}


def days_between(since, until):
    """A camera's daily rows of the days [since, until], as a relation to join and sum over
    (`Sum("<name>__checks")` after `annotate(<name>=days_between(...))`): one GROUP BY over
    the rows' days through the (camera, day) unique index, no subquery per row. Django does
    not quote the name in SQL: not an SQL keyword ("window" is one on PostgreSQL)."""
    return FilteredRelation("days", condition=Q(days__day__gte=since, days__day__lte=until))


def with_page_uptime(queryset, today=None):
    """Annotate cameras with uptime_today and uptime_7d (as `with_uptime`) from their last 7
    days joined and summed in the query itself: one GROUP BY over the rows' days, no subquery
    per row. For a page of cameras read by id (the admin's list), not for a whole table.
    """
    today = today or timezone.localdate()
    week = days_between(today - datetime.timedelta(days=6), today)
    on_day = Q(uptime_days__day=today)
    return queryset.annotate(uptime_days=week).annotate(
        uptime_today=_share(
            Sum("uptime_days__successes", filter=on_day), Sum("uptime_days__checks", filter=on_day)
        ),
        uptime_7d=_share(Sum("uptime_days__successes"), Sum("uptime_days__checks")),
    )


def _share(successes, checks):
    return (
        Cast(successes, FloatField())
        * Value(100.0)
        / NullIf(Cast(checks, FloatField()), Value(0.0))
    )


def purge_history(now=None):
    """Drop daily rows, ended outages and sweeps older than CAMERA_HISTORY_DAYS.

    In chunks of short transactions: a day of 100,000 cameras' rows, or the backlog after the
    retention was shortened, never holds the write lock at once (portal/chunked.py).
    """
    now = now or timezone.now()
    keep = datetime.timedelta(days=conf.history_days())
    cutoff_day = timezone.localdate(now) - keep
    deleted = delete_in_chunks(CameraDay.objects.filter(day__lt=cutoff_day))
    deleted += delete_in_chunks(CameraOutage.objects.filter(ended_at__lt=now - keep))
    deleted += delete_in_chunks(Sweep.objects.filter(started_at__lt=now - keep))
    return deleted
