"""Accounts and their roles: the only code that creates accounts for roles and writes grants.

A grant never escalates: a province admin creates and grants only facility managers
(view_facility), only on facilities of its own provinces, only to ordinary accounts other than
itself. National administrators create and grant every role: national officials (the "National
officials" group), the province roles and facility managers.

`ROLES` says once what each role is, what it may do (the delegation page's introduction) and
whether it works in the admin: only then is the account staff (`_open_the_admin`), and a new
account is never a superuser.
"""

import functools
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from facilities import access
from facilities.grants import (
    FacilityUserObjectPermission,
    ProvinceGroupObjectPermission,
    ProvinceUserObjectPermission,
)
from facilities.models import Facility, Province
from facilities.perms import VIEW_ALL, Role
from portal.account_events import record_event
from portal.actor import acting_as
from portal.text import username_problem

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


NATIONAL, PROVINCE, FACILITY = "national", "province", "facility"


@dataclass(frozen=True)
class RoleSpec:
    """A role an account can be given: the permission that makes it, where it is granted, what
    it may do (in words for the people who grant it) and whether it works in the admin."""

    codename: str
    label: str
    may: str
    granted_on: str
    works_in_admin: bool


ROLES = {
    spec.codename: spec
    for spec in (
        RoleSpec(
            VIEW_ALL,
            _("National official"),
            _(
                "Reads everything, in every province: facilities, cameras, progress reports and "
                "their exports, the audit record. Changes nothing."
            ),
            NATIONAL,
            works_in_admin=True,
        ),
        RoleSpec(
            Role.PROVINCE_ADMIN,
            _("Province admin"),
            _(
                "Adds and changes the facilities and cameras of its province, decommissions and "
                "reinstates cameras, runs checks, and creates facility-manager accounts for its "
                "facilities. Does not connect cameras."
            ),
            PROVINCE,
            works_in_admin=True,
        ),
        RoleSpec(
            Role.OPERATOR,
            _("Operator engineer"),
            _(
                "Reads the cameras of its province, runs checks, marks cameras connected (after "
                "a recent passing check) or suspended (with a reason)."
            ),
            PROVINCE,
            works_in_admin=True,
        ),
        RoleSpec(
            Role.PROVINCE_VIEWER,
            _("Province viewer"),
            _(
                "Reads the facilities, cameras and progress reports of its province. Changes "
                "nothing."
            ),
            PROVINCE,
            works_in_admin=True,
        ),
        RoleSpec(
            Role.FACILITY_MANAGER,
            _("Facility manager"),
            _(
                "Reads the page of its facility: its cameras, whether they are connected and "
                "online, and whom to call. Does not use the admin."
            ),
            FACILITY,
            works_in_admin=False,
        ),
    )
}
PROVINCE_ROLES = tuple(code for code, spec in ROLES.items() if spec.granted_on == PROVINCE)


def role_label(codename):
    """The translated name of the role a grant's permission makes (the codename if none)."""
    spec = ROLES.get(codename)
    return spec.label if spec else codename


def grantable_roles(granter):
    """The roles `granter` may create accounts for and grant, in the order of `ROLES`."""
    if access.is_national_admin(granter):
        return list(ROLES.values())
    if access.has_any_scope(granter, access.MANAGE):
        return [ROLES[Role.FACILITY_MANAGER]]
    return []


def second_factor_required(user):
    """Whether `user` must sign in with a second factor (portal/twofactor.py).

    Every account that works in the admin (staff: national administrators, national officials
    and every province role), and any national reader, even one made outside the roles above;
    facility managers who may see their cameras' pictures (SNAPSHOT_FACILITY_MANAGERS); every
    other account may set one up, and must when OTP_REQUIRED_FOR_MANAGERS is on. The grants
    are read once per request (access.py).
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff or user.is_superuser or access.is_national_viewer(user):
        return True
    if settings.SNAPSHOT_FACILITY_MANAGERS and access.may_see_pictures(user):
        # A facility manager who may see the cameras' pictures (of people in quarantine).
        return True
    return settings.OTP_REQUIRED_FOR_MANAGERS


def _open_the_admin(user, spec):
    """Roles that work in the admin need a staff account; their grants are all they are given."""
    if spec.works_in_admin and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def check_new_username(username, instance=None):
    """ValidationError unless `username` may name a new (or renamed) account.

    The safe character set of portal/text.py, and unique regardless of case: "Admin" is refused
    when "admin" exists, since the two read as one name in the audit log. `instance` is the
    account being renamed, which does not collide with itself.
    """
    problem = username_problem(username)
    if problem:
        raise ValidationError(problem, code="username_characters")
    others = get_user_model()._default_manager.filter(username__iexact=username)
    if instance is not None and instance.pk is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise ValidationError(
            _("An account with this user name already exists."), code="username_taken"
        )


def check_new_password(password, **account):
    """ValidationError unless the password validators accept `password` for a new account with
    the fields `account` (username, first_name, last_name, email: compared for similarity)."""
    password_validation.validate_password(password, get_user_model()(**account))


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


NATIONAL_ONLY = _(
    "Only national administrators create accounts for national officials and province roles, "
    "and grant or revoke these roles."
)


@_as_granter
def create_account(granter, role, *, username, password, first_name="", last_name="", email="",
                   place=None, expires_on=None, request=None):
    """A new account holding `role` on `place` (a province, a facility, None for a national
    official), made by `granter`: staff only if the role works in the admin, never superuser.

    The name and password rules apply here whatever the caller checked (ValidationError); a role
    the granter may not give is refused before anything is written (PermissionDenied).
    """
    if role not in {spec.codename for spec in grantable_roles(granter)}:
        raise PermissionDenied(NATIONAL_ONLY if role in ROLES else _("Unknown role."))
    spec = ROLES[role]
    check_new_username(username)
    names = {"first_name": first_name, "last_name": last_name, "email": email}
    check_new_password(password, username=username, **names)
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        is_staff=spec.works_in_admin,
        is_superuser=False,
        **names,
    )
    grant_role(granter, user, role, place, expires_on, request=request)
    return user


def grant_role(granter, user, role, place=None, expires_on=None, request=None):
    """Give `user` the role `role` on `place` (see create_account), by its grant function."""
    spec = ROLES.get(role)
    if spec is None:
        raise PermissionDenied(_("Unknown role."))
    if spec.granted_on == FACILITY:
        return grant_facility_manager(granter, user, place, expires_on, request=request)
    if spec.granted_on == PROVINCE:
        return grant_province_role(granter, user, place, role, expires_on, request=request)
    if expires_on is not None:
        raise ValueError("a national official's access (a group membership) has no end date")
    return grant_national_official(granter, user, request=request)


def _require_national_admin(granter):
    if not access.is_national_admin(granter):
        raise PermissionDenied(NATIONAL_ONLY)


@_as_granter
def grant_province_role(granter, user, province, role, expires_on=None, request=None):
    _require_national_admin(granter)
    if role not in PROVINCE_ROLES:
        raise PermissionDenied(_("Unknown role."))
    _open_the_admin(user, ROLES[role])
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


def _officials_group():
    return Group.objects.get(name=NATIONAL_OFFICIALS_GROUP)


@_as_granter
def grant_national_official(granter, user, request=None):
    """Make `user` a national official: a member of the group that holds `view_all`."""
    _require_national_admin(granter)
    if user.is_superuser:
        raise PermissionDenied(_("National administrators already see everything."))
    _open_the_admin(user, ROLES[VIEW_ALL])
    user.groups.add(_officials_group())
    record_event(
        "grant",
        request,
        actor=granter,
        detail={"user": user.get_username(), "permission": VIEW_ALL,
                "group": NATIONAL_OFFICIALS_GROUP},
    )


def national_officials_visible_to(granter):
    """The members of the national officials group, for national administrators."""
    if not access.is_national_admin(granter):
        return get_user_model().objects.none()
    return get_user_model().objects.filter(groups__name=NATIONAL_OFFICIALS_GROUP)


@_as_granter
def revoke_national_official(granter, user_id, request=None):
    _require_national_admin(granter)
    group = _officials_group()
    # The account's row is locked first, so of two revokes at once the second sees the first's
    # removal and says the access is gone instead of recording a second revoke.
    user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
    if user is None or not user.groups.filter(pk=group.pk).exists():
        raise GrantGone
    user.groups.remove(group)
    record_event(
        "revoke",
        request,
        actor=granter,
        detail={"user": user.get_username(), "permission": VIEW_ALL,
                "group": NATIONAL_OFFICIALS_GROUP},
    )


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
