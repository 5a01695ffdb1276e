"""The audit record by province: which province an entry is about, and who reads which entries.

The audit trail (portal/) writes the records and knows no province: this module answers its
question "which province is this object about?" (registered in FacilitiesConfig.ready()), and
decides, from the grants, which log entries and account events each account may read.
"""

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import F, Q

from facilities import access
from facilities.grants import (
    FacilityGroupObjectPermission,
    FacilityUserObjectPermission,
    ProvinceGroupObjectPermission,
    ProvinceUserObjectPermission,
)
from facilities.models import Facility, Province
from facilities.perms import VIEW_ALL
from portal.account_events import SIGN_IN_EVENTS
from portal.audit_provinces import entry_province, previous_state
from portal.models import AccountEvent

# --- Province of an audited object -------------------------------------------------------------


def _province_route(model):
    """How to find the province of a `model` instance, or None when it has none.

    ("self",): it is a province; ("attr", attname): a foreign key to Province;
    ("via", name, attname): a foreign key to Facility, whose province is the one.
    """
    if issubclass(model, Province):
        return ("self",)
    # A one-to-one to Province (a readiness plan) names its province as a foreign key does.
    fks = [f for f in model._meta.concrete_fields if f.many_to_one or f.one_to_one]
    for field in fks:
        if field.related_model is Province:
            return ("attr", field.attname)
    for field in fks:
        if field.related_model is Facility:
            return ("via", field.name, field.attname)
    return None


def loaded_with(model):
    """The facility (with its province id) of a model under a facility, read with its previous
    state by the audit trail, so the province of an update costs no query."""
    route = _province_route(model)
    if route is not None and route[0] == "via":
        return {route[1]: ["province"]}
    return {}


def _cached_facility(obj, name, attname):
    field = obj._meta.get_field(name)
    if field.is_cached(obj):
        return True, getattr(obj, name)
    old = previous_state(obj)
    if old is not None and getattr(old, attname) == getattr(obj, attname) and field.is_cached(old):
        return True, getattr(old, name)
    return False, None


def province_ids(objects):
    """{id(obj): province id} for `objects`, with at most one query per model."""
    result, missing = {}, {}
    for obj in objects:
        route = _province_route(type(obj))
        if route is None:
            continue
        if route[0] == "self":
            result[id(obj)] = obj.pk
        elif route[0] == "attr":
            result[id(obj)] = getattr(obj, route[1])
        else:
            found, facility = _cached_facility(obj, route[1], route[2])
            if found:
                result[id(obj)] = facility.province_id if facility is not None else None
            elif getattr(obj, route[2]) is not None:
                missing.setdefault(getattr(obj, route[2]), []).append(obj)
    if missing:
        rows = Facility._base_manager.filter(pk__in=list(missing)).values_list("pk", "province_id")
        for facility_id, province_id in rows:
            for obj in missing[facility_id]:
                result[id(obj)] = province_id
    return result


# --- Who reads which part of the record --------------------------------------------------------


def may_read(user):
    """National officials and superusers read the whole record; province admins their part."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return access.is_national_viewer(user) or access.has_any_scope(user, access.MANAGE)


def _managed_provinces(user):
    """Q on a province lookup: one of the provinces `user` manages.

    The province ids are read first (one small query over the grants) and given as values:
    with one province (a province admin's usual lot), `province = N` reads the entries of that
    province already in time order from the (province, timestamp) index (migration portal
    0002), where `IN (subquery)` sorted all of them (a big province's 150,000 entries: 550 ms on
    SQLite at 500,000). Not two IN-subqueries OR-ed either: PostgreSQL cannot turn an OR of
    subqueries into a join and tested each of 500,000 audit rows against both.
    """
    provinces = getattr(user, "_managed_province_ids", None)
    if provinces is None:
        direct, via_group = access.province_ids(user, access.MANAGE)
        provinces = sorted(direct.union(via_group).values_list("content_object_id", flat=True))
        # Read once per request (the account object lives as long as the request).
        user._managed_province_ids = provinces
    if len(provinces) == 1:
        return lambda field: Q(**{field: provinces[0]})
    return lambda field: Q(**{f"{field}__in": provinces})


def visible_log_entries(user, queryset=None):
    """LogEntry rows `user` may read, annotated with `province_ref` (their province id).

    A province admin reads the entries about objects of its provinces (facilities, cameras,
    grants, snapshots); national officials and superusers read everything. Entries about users
    and groups have no province, so no province admin reads them, whatever it granted whom.
    """
    queryset = (queryset if queryset is not None else LogEntry.objects.all()).annotate(
        province_ref=entry_province()
    )
    if not may_read(user):
        return queryset.none()
    if access.is_national_viewer(user):
        return queryset
    return queryset.filter(_managed_provinces(user)("province_ref"))


def _live_grant_holders(province_scope):
    """Q on accounts holding a live grant (directly or through a group) on a province, or on a
    facility of a province, that `province_scope(province lookup)` (a Q) admits."""

    def held(table, province):
        return table.objects.filter(access.in_force(), province_scope(province))

    direct = [
        held(ProvinceUserObjectPermission, "content_object_id").values("user_id"),
        held(FacilityUserObjectPermission, "content_object__province_id").values("user_id"),
    ]
    groups = get_user_model().groups.through.objects.filter(
        Q(group_id__in=held(ProvinceGroupObjectPermission, "content_object_id").values("group_id"))
        | Q(
            group_id__in=held(FacilityGroupObjectPermission, "content_object__province_id").values(
                "group_id"
            )
        )
    )
    return Q(pk__in=direct[0]) | Q(pk__in=direct[1]) | Q(pk__in=groups.values("user_id"))


def _national_accounts():
    """Q on accounts holding the national `view_all`, directly or through a group."""
    User = get_user_model()
    view_all = Permission.objects.filter(
        codename=VIEW_ALL, content_type__app_label="facilities"
    ).values("pk")
    groups = Group.permissions.through.objects.filter(permission_id__in=view_all)
    return Q(
        pk__in=User.user_permissions.through.objects.filter(permission_id__in=view_all).values(
            "user_id"
        )
    ) | Q(
        pk__in=User.groups.through.objects.filter(group_id__in=groups.values("group_id")).values(
            "user_id"
        )
    )


def province_accounts(user):
    """Subquery of the ids of the accounts that live within the provinces `user` manages.

    An account lives there when it holds at least one live grant (province or facility, direct
    or through a group) and no live grant anywhere else; superusers and national officials live
    nowhere. Only live grants count, on both sides: an expired grant neither brings an account in
    nor keeps it out, and a grant on one facility of the province does not bring in an account
    that also works for another province.
    """
    managed = _managed_provinces(user)
    return (
        get_user_model()
        ._default_manager.filter(_live_grant_holders(managed))
        .exclude(_live_grant_holders(lambda field: ~managed(field)))
        .exclude(is_superuser=True)
        .exclude(_national_accounts())
        .values("pk")
    )


def visible_account_events(user, queryset=None):
    """AccountEvent rows `user` may read.

    A province admin reads:
    - the events about objects of its provinces (grants, revocations, views, exports), whoever
      the actor;
    - the sign-in events (SIGN_IN_EVENTS) of the accounts that live within its provinces (see
      `province_accounts`), done by the account itself or by nobody signed in (failed logins,
      lock-outs). A password set by another account is that account's act, with its address.
    Nothing else of an account: not its views or exports of another province's objects.
    National officials and superusers read everything.
    """
    queryset = queryset if queryset is not None else AccountEvent.objects.all()
    if not may_read(user):
        return queryset.none()
    if access.is_national_viewer(user):
        return queryset
    own_sign_ins = Q(event__in=SIGN_IN_EVENTS, account_id__in=province_accounts(user)) & (
        Q(actor__isnull=True) | Q(actor_id=F("account_id"))
    )
    # The province as `province_id + 0`, which no index serves: the list (newest first) then
    # reads the time index backwards and stops at its page, where the province index, OR-ed
    # with the sign-ins, made SQLite collect and sort every matching event (the big
    # province's 100,000: 790 ms at 500,000 events; PostgreSQL reads the time index anyway).
    return queryset.alias(province_unindexed=F("province_id") + 0).filter(
        _managed_provinces(user)("province_unindexed") | own_sign_ins
    )
