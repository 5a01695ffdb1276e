"""Connection results reported in bulk by an operator's central system (POST /api/v1/connections/).

All or nothing, in two phases, as the CSV import (portal/csvimport.py):

1. Check every item, outside any transaction: the camera is one the account may connect
   (`restrict(user, CONNECT)`: its province's operator engineers, national administrators); the
   status change is one the connection lifecycle allows the operator now
   (`cameras.lifecycle.check`, the same call the camera form and the admin's bulk actions make:
   no second set of rules); a central id is not another camera's of the same operator. Every
   error is collected as "Item N, field F: message"; cameras refused only for want of a recent
   passing check get one queued, as the admin's "Mark selected cameras connected" does.
2. Only when every item passed: write them in one transaction, in which the scope and each
   camera's state are read again (a camera changed meanwhile refuses the whole request: send it
   again). The write is a handful of statements whatever the number of items (bulk UPDATE of the
   cameras, bulk INSERT of their status history and audit entries: portal/audit_bulk.py), so
   5,000 results hold SQLite's write lock well under a second (bench/bench_api.py).

Repeating a request changes nothing the second time: an item whose camera already has that status
(and that central id) is "unchanged", and no audit entry or history row is written for it.
The account acts as the operator (the lifecycle's OPERATOR role) whatever else it may do: a
national administrator decommissions through the admin, not through the operators' results.
"""

import copy
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.errors import item_message
from cameras import health, lifecycle
from cameras.models import Camera, CameraStatusChange, ConnectionStandard
from cameras.queue import request_checks
from cameras.tasks import checkable
from facilities import access
from facilities.models import Facility
from portal.audit_bulk import log_bulk_change

ROLES = frozenset({lifecycle.OPERATOR})
# The operator's transitions (connect, suspend) have no after-effects (a reinstatement's queued
# check is lifecycle.record's): the bulk write below would have to call it for them.
assert not any(t.effects for t in lifecycle.TRANSITIONS if t.by in ROLES)
# What an item may change on a camera: the lifecycle's fields and the central id.
FIELDS = [*lifecycle.FIELDS, "central_id"]
COLUMNS = [(name, Camera._meta.get_field(name).attname) for name in FIELDS]


@dataclass
class Item:
    """One result as the serializer validated it; `n` counts from 1."""

    n: int
    camera_id: int
    status: str
    reason: str = ""
    central_id: str | None = None


@dataclass
class Plan:
    """What phase 1 found: per item, its camera and transition (None: status unchanged)."""

    items: list
    cameras: dict = field(default_factory=dict)
    transitions: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    checks_queued: int = 0

    def changes(self, item):
        camera = self.cameras[item.camera_id]
        return self.transitions.get(item.n) is not None or (
            item.central_id is not None and item.central_id != camera.central_id
        )


class Conflict(Exception):
    """A camera changed between the check and the write: nothing was written."""


def in_scope(user, action, cameras):
    """Those of `cameras` that `user` may do `action` on: the cameras whose facility is in
    `Facility.objects.restrict(user, action)`, which is the scope's own rule for cameras
    (facilities/access.py, `restrict_under`), the facilities asked for by id.

    Not `Camera.objects.restrict(...).filter(pk__in=5,000 ids)`: SQLite plans that as every
    facility in scope times every id of the list on the (facility_id, id) index, 2.4 s for
    5,000 cameras of Hồ Chí Minh at national size (bench/bench_api.py); the facilities by id
    are read in a few milliseconds.
    """
    if not cameras:
        return []
    allowed = set(
        Facility.objects.restrict(user, action)
        .filter(pk__in={camera.facility_id for camera in cameras})
        .values_list("pk", flat=True)
    )
    return [camera for camera in cameras if camera.facility_id in allowed]


def _cameras(queryset):
    # The lifecycle reads the facility (closed?) and the check state (verdict); the audit
    # entry, the facility's province. Never the credentials.
    return queryset.select_related("facility__province", "state").defer(
        "username", "password", "search_text", "facility__search_text",
        "facility__province__search_text",
    )


def check(user, items, now=None):
    """Phase 1: a Plan whose `errors` list every problem (empty: ready to write)."""
    now = now or timezone.now()
    plan = Plan(items=items)
    ids = [item.camera_id for item in items]
    found = list(_cameras(Camera.objects.filter(pk__in=ids)))
    plan.cameras = {c.pk: c for c in in_scope(user, access.CONNECT, found)}
    missing = [c for c in found if c.pk not in plan.cameras]
    visible = {c.pk for c in in_scope(user, access.VIEW, missing)}
    first_item = {}
    wants_check = []
    standard = ConnectionStandard.current()
    for item in items:
        if item.camera_id in first_item:
            plan.errors.append(item_message(item.n, "camera", _(
                "camera %(id)d is already in item %(first)d: report each camera once."
            ) % {"id": item.camera_id, "first": first_item[item.camera_id]}))
            continue
        first_item[item.camera_id] = item.n
        camera = plan.cameras.get(item.camera_id)
        if camera is None:
            plan.errors.append(item_message(item.n, "camera", _(
                "Only the operator engineers serving the province can connect or suspend "
                "cameras."
            ) if item.camera_id in visible else _(
                "there is no camera %(id)d among the cameras you may see."
            ) % {"id": item.camera_id}))
            continue
        if item.status == camera.connection_status:
            continue  # already so: nothing to do for the status (idempotent)
        try:
            plan.transitions[item.n] = lifecycle.check(
                camera, item.status, ROLES, reason=item.reason, now=now, queue_check=False,
                standard=standard,
            )
        except lifecycle.Refused as refused:
            name = "reason" if refused.field == "status_reason" else "status"
            plan.errors.append(item_message(item.n, name, refused.problem))
            if refused.wants_check:
                wants_check.append(camera.pk)
    plan.errors += _central_id_errors(plan)
    if wants_check:
        # As the admin's bulk action: a camera lacking a recent passing check gets one, so the
        # central system can send its result again minutes later.
        queued = list(checkable().filter(pk__in=wants_check).values_list("pk", flat=True))
        request_checks(queued)
        plan.checks_queued = len(queued)
    return plan


def _central_id_errors(plan):
    """A central id names one camera among those of one operator's provinces."""
    errors = []
    reported = {}
    for item in plan.items:
        camera = plan.cameras.get(item.camera_id)
        if camera is None or item.central_id is None:
            continue
        operator_key = (_operator(camera), item.central_id)
        if operator_key in reported:
            errors.append(item_message(item.n, "central_id", _(
                "the central id “%(central_id)s” is also given in item %(first)d."
            ) % {"central_id": item.central_id, "first": reported[operator_key]}))
        reported.setdefault(operator_key, item.n)
    if not reported:
        return errors
    taken = (
        Camera.objects.filter(central_id__in={cid for _op, cid in reported})
        .exclude(pk__in=list(plan.cameras))
        .values_list("central_id", "facility__province__operator")
    )
    for central_id, operator in taken:
        n = reported.get((operator, central_id))
        if n is not None:
            errors.append(item_message(n, "central_id", _(
                "the central id “%(central_id)s” is already another camera's."
            ) % {"central_id": central_id}))
    return errors


def _operator(camera):
    return camera.facility.province.operator


def write(user, plan, now=None):
    """Phase 2: apply a Plan without errors in one transaction; returns the items' outcomes
    [(item, changed)]. Raises Conflict (nothing written) when a camera changed meanwhile."""
    assert not plan.errors
    now = now or timezone.now()
    ids = list(plan.cameras)
    with transaction.atomic():
        current = list(
            Camera.objects.filter(pk__in=ids)
            .select_for_update()
            .order_by()
            .only("pk", "facility_id", "updated_at")
        )
        now_in_scope = {c.pk: c.updated_at for c in in_scope(user, access.CONNECT, current)}
        if any(now_in_scope.get(pk) != camera.updated_at for pk, camera in plan.cameras.items()):
            raise Conflict
        before, after, changes, history = [], [], [], []
        outcomes = []
        for item in plan.items:
            camera = plan.cameras[item.camera_id]
            if not plan.changes(item):
                outcomes.append((item, False))
                continue
            old = copy.copy(camera)
            transition = plan.transitions.get(item.n)
            if transition is not None:
                history.append(
                    lifecycle.apply(camera, transition, by=user, reason=item.reason, now=now)
                )
            if item.central_id is not None:
                camera.central_id = item.central_id
            camera.updated_at = now
            before.append(old)
            after.append(camera)
            # Compared by column (connected_by_id), so no account is loaded to compare.
            changes.append(
                {name: getattr(camera, name) for name, column in COLUMNS
                 if getattr(old, column) != getattr(camera, column)}
            )
            outcomes.append((item, True))
        if after:
            # One UPDATE per slice of rows, each field one value or a CASE by distinct value
            # (Django's bulk_update took 0.9 s for 500 cameras: cameras/health.py says why).
            health.bulk_write(after, FIELDS)
            CameraStatusChange.objects.bulk_create(history, batch_size=500)
            log_bulk_change(before, changes, actor=user)
    return outcomes

