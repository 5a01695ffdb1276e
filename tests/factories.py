"""Small builders for test data (plain functions: explicit, no magic)."""

import itertools

from cameras.models import Camera, Zone
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
