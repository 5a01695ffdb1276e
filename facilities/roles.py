"""Granting and revoking roles: the only code that writes guardian grants.

A grant never escalates: a province admin grants only facility-manager access (view_facility),
only on facilities of its own provinces, only to ordinary accounts other than itself. Province
roles are granted by national administrators.
"""

import functools
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from facilities import access
from facilities.grants import (
    FacilityUserObjectPermission,
    ProvinceGroupObjectPermission,
    ProvinceUserObjectPermission,
)
from facilities.models import Facility, Province
from facilities.perms import Role
from portal.account_events import record_event
from portal.actor import acting_as

NATIONAL_OFFICIALS_GROUP = "National officials"


class GrantGone(Exception):
    """The grant to revoke is not there (any more): a second click, or a page left open while
    someone else revoked it. Nothing was changed and nothing is recorded."""

    def __init__(self):
        super().__init__(_("This access no longer exists: it was already revoked."))


def _as_granter(func):
    """Grant-table audit entries name the granter, in a request or not (shell, commands)."""

    @functools.wraps(func)
    def wrapper(granter, *args, **kwargs):
        with acting_as(granter), transaction.atomic():
            return func(granter, *args, **kwargs)

    return wrapper


PROVINCE_ROLES = [
    (Role.PROVINCE_ADMIN, _("Province admin")),
    (Role.OPERATOR, _("Operator engineer")),
    (Role.PROVINCE_VIEWER, _("Province viewer")),
]


def _permission(codename):
    app_model = {Role.FACILITY_MANAGER: "facility"}.get(codename, "province")
    return Permission.objects.get(
        codename=codename, content_type__app_label="facilities", content_type__model=app_model
    )


def may_receive_facility_grant(granter, user):
    """Facility managers are ordinary accounts: never the granter, staff or a superuser."""
    return (
        user.pk != granter.pk
        and not user.is_staff
        and not user.is_superuser
        and user.is_active
    )


def grantable_facilities(granter):
    return Facility.objects.restrict(granter, access.MANAGE)


@_as_granter
def grant_facility_manager(granter, user, facility, expires_on=None, request=None):
    if not access.can(granter, access.MANAGE, facility):
        raise PermissionDenied(_("You can only grant access to facilities of your province."))
    if not may_receive_facility_grant(granter, user):
        raise PermissionDenied(
            _("Facility access can only be granted to other, ordinary (non-staff) accounts.")
        )
    grant, created = FacilityUserObjectPermission.objects.get_or_create(
        user=user,
        content_object=facility,
        permission=_permission(Role.FACILITY_MANAGER),
        defaults={"granted_by": granter, "expires_on": expires_on},
    )
    if not created and grant.expires_on != expires_on:
        grant.expires_on = expires_on
        grant.granted_by = granter
        grant.save()
    record_event(
        "grant",
        request,
        actor=granter,
        target=facility,
        detail={"user": user.get_username(), "permission": Role.FACILITY_MANAGER,
                "expires_on": expires_on.isoformat() if expires_on else None},
    )
    return grant


def facility_grants_visible_to(granter):
    """Facility-manager grants on facilities the granter manages (for listing and revoking)."""
    return (
        FacilityUserObjectPermission.objects.filter(
            content_object__in=grantable_facilities(granter),
            permission__codename=Role.FACILITY_MANAGER,
        )
        .select_related("user", "content_object__province", "granted_by")
        .order_by("content_object__province__code", "content_object__name", "user__username")
    )


@_as_granter
def revoke_facility_grant(granter, grant_id, request=None):
    # Another province's grant is as absent as a revoked one: its existence is not revealed.
    grant = facility_grants_visible_to(granter).filter(pk=grant_id).first()
    if grant is None:
        raise GrantGone
    facility, user = grant.content_object, grant.user
    _delete(grant)
    record_event(
        "revoke",
        request,
        actor=granter,
        target=facility,
        detail={"user": user.get_username(), "permission": Role.FACILITY_MANAGER},
    )


@_as_granter
def create_facility_manager(granter, *, username, password, first_name="", last_name="",
                            email=""):
    """An ordinary account for a facility manager: never staff, never superuser."""
    if not grantable_facilities(granter).exists():
        raise PermissionDenied(_("You do not manage any facility."))
    return get_user_model().objects.create_user(
        username=username,
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=False,
        is_superuser=False,
    )


def _require_national_admin(granter):
    if not access.is_national_admin(granter):
        raise PermissionDenied(_("Only national administrators grant province roles."))


@_as_granter
def grant_province_role(granter, user, province, role, expires_on=None, request=None):
    _require_national_admin(granter)
    if role not in dict(PROVINCE_ROLES):
        raise PermissionDenied(_("Unknown role."))
    if not user.is_staff:
        # Province roles work in the admin; their object grants are all they are given.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    grant, created = ProvinceUserObjectPermission.objects.get_or_create(
        user=user,
        content_object=province,
        permission=_permission(role),
        defaults={"granted_by": granter, "expires_on": expires_on},
    )
    if not created and grant.expires_on != expires_on:
        grant.expires_on = expires_on
        grant.save()
    record_event(
        "grant",
        request,
        actor=granter,
        target=province,
        detail={"user": user.get_username(), "permission": role,
                "expires_on": expires_on.isoformat() if expires_on else None},
    )
    return grant


def province_grants_visible_to(granter):
    if not access.is_national_admin(granter):
        return ProvinceUserObjectPermission.objects.none()
    return ProvinceUserObjectPermission.objects.select_related(
        "user", "content_object", "permission", "granted_by"
    ).order_by("content_object__code", "user__username")


@_as_granter
def revoke_province_grant(granter, grant_id, request=None):
    _require_national_admin(granter)
    grant = (
        ProvinceUserObjectPermission.objects.select_related("permission")
        .filter(pk=grant_id)
        .first()
    )
    if grant is None:
        raise GrantGone
    province, user, role = grant.content_object, grant.user, grant.permission.codename
    _delete(grant)
    record_event(
        "revoke",
        request,
        actor=granter,
        target=province,
        detail={"user": user.get_username(), "permission": role},
    )


def _delete(grant):
    """Delete `grant`, or GrantGone when a concurrent revoke deleted it first.

    Raised inside the revoke's transaction (_as_granter), so the audit entry the deletion
    signal wrote for the row that was not there is rolled back with it.
    """
    deleted, _by_model = grant.delete()
    if not deleted:
        raise GrantGone


def provinces_for_grants(granter):
    return Province.objects.restrict(granter, access.MANAGE)


def province_role_holders(role, province_ids, today=None):
    """{province id: set of the active accounts holding `role` on it}, for `province_ids`.

    Held directly or through a group, by a grant still in force on `today`; provinces nobody
    holds the role on are absent. Three queries whatever the number of provinces and accounts.
    """
    live = access.in_force(today)
    holders = defaultdict(set)
    direct = ProvinceUserObjectPermission.objects.filter(
        live,
        content_object_id__in=province_ids,
        permission__codename=role,
        user__is_active=True,
    ).select_related("user")
    for grant in direct:
        holders[grant.content_object_id].add(grant.user)
    provinces_of_group = defaultdict(set)
    group_grants = ProvinceGroupObjectPermission.objects.filter(
        live, content_object_id__in=province_ids, permission__codename=role
    ).values_list("content_object_id", "group_id")
    for province_id, group_id in group_grants:
        provinces_of_group[group_id].add(province_id)
    if provinces_of_group:
        memberships = (
            get_user_model()
            .groups.through.objects.filter(
                group_id__in=list(provinces_of_group), user__is_active=True
            )
            .select_related("user")
        )
        for membership in memberships:
            for province_id in provinces_of_group[membership.group_id]:
                holders[province_id].add(membership.user)
    return dict(holders)
