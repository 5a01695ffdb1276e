"""Small builders for test data (plain functions: explicit, no magic)."""

import itertools

from cameras.choices import Zone
from cameras.models import Camera
from facilities.models import Facility, Province

_seq = itertools.count(1)


def province(code="01"):
    return Province.objects.get(code=code)


def facility(province_code="01", **fields):
    n = next(_seq)
    fields.setdefault("name", f"Khu cách ly số {n}")
    fields.setdefault("planned_cameras", 2)
    return Facility.objects.create(province=province(province_code), **fields)


def camera(facility_obj=None, **fields):
    n = next(_seq)
    if facility_obj is None:
        facility_obj = facility()
    fields.setdefault("name", f"Camera {n}")
    fields.setdefault("zone", Zone.GATE)
    fields.setdefault("stream_url", f"rtsp://10.0.0.{n % 250 + 1}:554/stream1")
    return Camera.objects.create(facility=facility_obj, **fields)


def passed_check(camera_obj, *, at=None, status="eligible"):
    """The camera as its checks leave it after a passing verdict on the active standard.

    Written with a queryset update, as a sweep writes health (no audit entry); `at` backdates it.
    """
    from django.utils import timezone

    from cameras.choices import Health
    from cameras.models import ConnectionStandard

    at = at or timezone.now()
    Camera.objects.filter(pk=camera_obj.pk).update(
        connection_status=status,
        health=Health.ONLINE,
        last_checked_at=at,
        last_ok_at=at,
        verdict_eligible=True,
        verdict_reasons=[],
        verdict_standard=ConnectionStandard.current(),
        verdict_at=at,
        verdict_pending=False,
    )
    return Camera.objects.get(pk=camera_obj.pk)
