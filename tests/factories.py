"""Small builders for test data (plain functions: explicit, no magic)."""

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from cameras.choices import Zone
from cameras.models import Camera, CameraState
from facilities.grants import (
    FacilityGroupObjectPermission,
    FacilityUserObjectPermission,
    ProvinceGroupObjectPermission,
    ProvinceUserObjectPermission,
)
from facilities.models import Facility, Province
from facilities.roles import NATIONAL_OFFICIALS_GROUP

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


# --- Accounts and grants ---------------------------------------------------------------------
# Written straight into the grant tables, as facilities/roles.py leaves them: tests of who may
# grant what go through roles.py and the delegation page instead.


def permission(codename):
    """A permission of the facilities app: view_all, manage_province, connect_province,
    view_province or view_facility."""
    return Permission.objects.get(codename=codename, content_type__app_label="facilities")


def grant_province(user, code, role="manage_province", **fields):
    """`user` holds a province role directly; `fields`: expires_on, granted_by."""
    return ProvinceUserObjectPermission.objects.create(
        user=user, content_object=province(code), permission=permission(role), **fields
    )


def grant_facility(user, facility_obj, **fields):
    """`user` manages `facility_obj` (view_facility) directly; `fields`: expires_on, granted_by."""
    return FacilityUserObjectPermission.objects.create(
        user=user, content_object=facility_obj, permission=permission("view_facility"), **fields
    )


def group_grant_province(user, code, role, **fields):
    """`user` holds a province role through a group of its own."""
    group = Group.objects.create(name=f"{user.get_username()} province {code}")
    user.groups.add(group)
    return ProvinceGroupObjectPermission.objects.create(
        group=group, content_object=province(code), permission=permission(role), **fields
    )


def group_grant_facility(user, facility_obj, **fields):
    """`user` manages `facility_obj` through a group of its own."""
    group = Group.objects.create(name=f"{user.get_username()} facility {facility_obj.pk}")
    user.groups.add(group)
    return FacilityGroupObjectPermission.objects.create(
        group=group, content_object=facility_obj, permission=permission("view_facility"), **fields
    )


def province_user(username, code="01", role="manage_province", *, password="x", **fields):
    """A staff account holding a province role (province roles work in the admin)."""
    fields.setdefault("is_staff", True)
    user = get_user_model().objects.create_user(username, password=password, **fields)
    grant_province(user, code, role)
    return user


def facility_manager(username, facility_obj, *, password="x", **fields):
    """An ordinary account managing one facility."""
    user = get_user_model().objects.create_user(username, password=password, **fields)
    grant_facility(user, facility_obj)
    return user


def national_official(username, *, password="x", **fields):
    """An account of the national officials group, which holds the global view_all."""
    user = get_user_model().objects.create_user(username, password=password, **fields)
    user.groups.add(Group.objects.get(name=NATIONAL_OFFICIALS_GROUP))
    return user


def passed_check(camera_obj, *, at=None, status="eligible"):
    """The camera as its checks leave it after a full check passing the active standard.

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
        full_checked_at=at,
    )
    return Camera.objects.select_related("state").get(pk=camera_obj.pk)
