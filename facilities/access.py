"""The scope: who may see or change which provinces, facilities and cameras.

Every user-facing queryset starts here, through `Model.objects.restrict(user, action)`. Grants are
guardian object permissions stored in the direct foreign-key tables of facilities/models.py, read
with subqueries (never per-object checks, never Python-side filtering of ids), and never with
global permissions except the national `view_all`: a model-wide `change_camera` given by mistake
opens nothing here.

Actions:
- "view":    read (national officials, every province role, facility managers on their facilities)
- "change":  edit the registry of a province (province admins)
- "connect": mark cameras connected or suspended (operator engineers only: the operator that
             takes the stream into its central system answers for the connection)
- "check":   run checks on request (operator engineers and province admins)
- "manage":  delegate facility-manager access (province admins)
"""

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils import timezone

from facilities.grants import (
    FacilityGroupObjectPermission,
    FacilityUserObjectPermission,
    ProvinceGroupObjectPermission,
    ProvinceUserObjectPermission,
)
from facilities.perms import VIEW_ALL, Role

VIEW, CHANGE, CONNECT, CHECK, MANAGE = "view", "change", "connect", "check", "manage"
ACTIONS = (VIEW, CHANGE, CONNECT, CHECK, MANAGE)

# Province-level permission codenames that carry each action.
PROVINCE_PERMS = {
    VIEW: (Role.PROVINCE_ADMIN, Role.OPERATOR, Role.PROVINCE_VIEWER),
    CHANGE: (Role.PROVINCE_ADMIN,),
    CONNECT: (Role.OPERATOR,),
    CHECK: (Role.PROVINCE_ADMIN, Role.OPERATOR),
    MANAGE: (Role.PROVINCE_ADMIN,),
}
# Facility-level grants: facility managers only read.
FACILITY_PERMS = {VIEW: (Role.FACILITY_MANAGER,), CHANGE: (), CONNECT: (), CHECK: (), MANAGE: ()}


def _check_action(action):
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")


def is_national_admin(user):
    return bool(user and user.is_active and user.is_superuser)


def granted_codenames(user):
    """Every permission codename the user holds through a grant still in force, in ONE query.

    Province and facility grants (direct or through a group) and the global `view_all` (direct
    or through a group). Cached on the user object, which Django loads once per request, so the
    admin's many permission questions cost one query per request whatever the page.
    """
    cached = getattr(user, "_portal_codenames", None)
    if cached is not None:
        return cached
    live = in_force()
    parts = [
        table.objects.filter(live, user=user).order_by().values_list("permission__codename")
        for table in (ProvinceUserObjectPermission, FacilityUserObjectPermission)
    ] + [
        table.objects.filter(live, group__user=user).order_by().values_list("permission__codename")
        for table in (ProvinceGroupObjectPermission, FacilityGroupObjectPermission)
    ]
    national = Permission.objects.filter(
        Q(user=user) | Q(group__user=user),
        codename=VIEW_ALL,
        content_type__app_label="facilities",
    ).order_by().values_list("codename")
    first, *rest = parts
    codenames = frozenset(row[0] for row in first.union(*rest, national))
    user._portal_codenames = codenames
    return codenames


def is_national_viewer(user):
    """Superusers and national officials (global `view_all`, normally through a group)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or VIEW_ALL in granted_codenames(user)


def sees_everything(user, action):
    _check_action(action)
    if is_national_admin(user):
        return True
    return action == VIEW and is_national_viewer(user)


def in_force(today=None):
    """Q on grant rows still in force on `today` (a grant works through its last day)."""
    today = today or timezone.localdate()
    return Q(expires_on__isnull=True) | Q(expires_on__gte=today)


def _granted(user_table, group_table, user, codenames):
    """Subquery of object ids granted to the user, directly or through a group, still in force."""
    direct = user_table.objects.filter(
        in_force(), user=user, permission__codename__in=codenames
    ).values("content_object_id")
    via_group = group_table.objects.filter(
        in_force(), group__user=user, permission__codename__in=codenames
    ).values("content_object_id")
    # Two IN-subqueries OR-ed, not a UNION: both databases plan them as semi-joins on the index.
    return direct, via_group


def province_ids(user, action):
    """(direct, via_group) subqueries of province ids on which `user` may do `action`."""
    return _granted(
        ProvinceUserObjectPermission, ProvinceGroupObjectPermission, user, PROVINCE_PERMS[action]
    )


def facility_ids(user, action):
    return _granted(
        FacilityUserObjectPermission, FacilityGroupObjectPermission, user, FACILITY_PERMS[action]
    )


def _in(field, subqueries):
    direct, via_group = subqueries
    return Q(**{f"{field}__in": direct}) | Q(**{f"{field}__in": via_group})


def restrict(queryset, user, action, province_field, facility_field=None):
    """`queryset` narrowed to what `user` may do `action` on.

    province_field: lookup from the model to its province's id ("pk" for Province itself).
    facility_field: lookup to the facility's id, for models under a facility.
    """
    _check_action(action)
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    if sees_everything(user, action):
        return queryset
    scope = _in(province_field, province_ids(user, action))
    if facility_field and FACILITY_PERMS[action]:
        scope |= _in(facility_field, facility_ids(user, action))
    return queryset.filter(scope)


def restrict_under(queryset, user, action, parent_field, parents):
    """`queryset` narrowed to the rows whose `parent_field` is a parent `user` may do `action`
    on, `parents` being that parent model's restricted queryset: a camera is in scope exactly
    when its facility is (same grants, same rules).

    One IN over the parents in scope, not the province and facility conditions OR-ed across
    the join: PostgreSQL plans the IN as a semi-join on the parent's index, but tested the OR
    row by row after joining every camera to its facility, and misjudged how many rows pass
    (a big province's camera list, 30,000 of 100,000 cameras: 290 ms to 46 ms for its page of
    ids, bench/README.md).
    """
    _check_action(action)
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    if sees_everything(user, action):
        return queryset
    return queryset.filter(**{f"{parent_field}__in": parents.values("pk")})


# Province roles that may see a camera's pictures: not the province's read-only viewers.
PICTURE_PROVINCE_ROLES = (Role.PROVINCE_ADMIN, Role.OPERATOR)


def restrict_pictures(queryset, user, province_field, facility_field):
    """`queryset` (cameras the user may read) narrowed to those whose pictures it may see.

    Pictures show people in quarantine: national administrators, the province admins and
    operator engineers of the camera's province, the managers of its facility while
    SNAPSHOT_FACILITY_MANAGERS is on, and national officials only while
    SNAPSHOT_NATIONAL_OFFICIALS is on. Province viewers never. Grants past their last day give
    nothing, as everywhere.
    """
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    if is_national_admin(user):
        return queryset
    if settings.SNAPSHOT_NATIONAL_OFFICIALS and is_national_viewer(user):
        return queryset
    scope = _in(
        province_field,
        _granted(
            ProvinceUserObjectPermission,
            ProvinceGroupObjectPermission,
            user,
            PICTURE_PROVINCE_ROLES,
        ),
    )
    if settings.SNAPSHOT_FACILITY_MANAGERS:
        scope |= _in(facility_field, facility_ids(user, VIEW))
    return queryset.filter(scope)


def may_see_pictures(user):
    """Whether `user` holds some grant through which it may see camera pictures (no query for
    national administrators; otherwise the grants read once per request)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if is_national_admin(user):
        return True
    if settings.SNAPSHOT_NATIONAL_OFFICIALS and is_national_viewer(user):
        return True
    codenames = granted_codenames(user)
    if any(code in codenames for code in PICTURE_PROVINCE_ROLES):
        return True
    return settings.SNAPSHOT_FACILITY_MANAGERS and Role.FACILITY_MANAGER in codenames


def can(user, action, obj):
    """Whether `user` may do `action` on one object (one EXISTS query, or none for admins)."""
    if obj is None or obj.pk is None:
        return False
    return type(obj).objects.restrict(user, action).filter(pk=obj.pk).exists()


def has_any_scope(user, action=VIEW):
    """Whether the user holds any province grant for `action` (or sees everything)."""
    _check_action(action)
    if not (user and user.is_authenticated and user.is_active):
        return False
    if sees_everything(user, action):
        return True
    return not granted_codenames(user).isdisjoint(PROVINCE_PERMS[action])
