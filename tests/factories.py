"""Small builders for test data (plain functions: explicit, no magic)."""

import itertools

from cameras.choices import Zone
from cameras.models import Camera, CameraState
from facilities.models import Facility, Province

_seq = itertools.count(1)


def province(code="01"):
    return Province.objects.get(code=code)


def facility(province_code="01", **fields):
    n = next(_seq)
    fields.setdefault("name", f"Khu cách ly số {n}")
    fields.setdefault("planned_cameras", 2)
    return Facility.objects.create(province=province(province_code), **fields)


# Fields of a camera's check state (health, last probe, verdict...) the builders accept too.
STATE_FIELDS = frozenset(f.name for f in CameraState._meta.concrete_fields) - {"camera"}


def camera(facility_obj=None, **fields):
    """A saved camera; check-state fields among `fields` are written to its state, as a check
    would write them."""
    n = next(_seq)
    if facility_obj is None:
        facility_obj = facility()
    state = {name: fields.pop(name) for name in list(fields) if name in STATE_FIELDS}
    fields.setdefault("name", f"Camera {n}")
    fields.setdefault("zone", Zone.GATE)
    fields.setdefault("stream_url", f"rtsp://10.0.0.{n % 250 + 1}:554/stream1")
    created = Camera.objects.create(facility=facility_obj, **fields)
    if state:
        created.write_state(**state)
    return created


def passed_check(camera_obj, *, at=None, status="eligible"):
    """The camera as its checks leave it after a passing verdict on the active standard.

    Written with queryset updates, as a sweep writes (no audit entry); `at` backdates it.
    """
    from django.utils import timezone

    from cameras.choices import Health
    from cameras.models import ConnectionStandard

    at = at or timezone.now()
    Camera.objects.filter(pk=camera_obj.pk).update(connection_status=status)
    CameraState.objects.filter(camera_id=camera_obj.pk).update(
        health=Health.ONLINE,
        last_checked_at=at,
        last_ok_at=at,
        verdict_eligible=True,
        verdict_reasons=[],
        verdict_standard=ConnectionStandard.current(),
        verdict_at=at,
        verdict_pending=False,
    )
    return Camera.objects.select_related("state").get(pk=camera_obj.pk)
