"""The audit trail: who did what, when, from where, with nothing secret in it.

Two records, both read-only in the admin (portal/admin.py):
- changes to the registry, grants, accounts and hand-made report snapshots are auditlog LogEntry
  rows, written by auditlog's model signals (registrations in portal/auditlog_setup.py);
- account events (login, logout, failed login, password change, lock-out, grant, revoke, export,
  view of a sensitive page) are `portal.models.AccountEvent` rows written by `record_event`, each
  also one JSON line in the access log file (portal/accesslog.py).

Every entry knows its actor: the request's user on the web (portal/middleware.py puts the request
in the audit context), `acting_as(user)` around code that runs for someone outside a request
(management commands with --actor), and the inactive "system" account otherwise (django-q2 tasks,
commands without --actor). Each entry also stores the province it is about, so the admin scopes
the record with a queryset filter.
"""

import contextlib
import copy
import dataclasses
import datetime
import json
import logging
import re
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import smart_str

from portal.client import client_address

access_log = logging.getLogger("portal.access")

EVENTS = (
    "login",
    "logout",
    "login_failed",
    "password_changed",
    "locked_out",
    "grant",
    "revoke",
    "export",
    "view",
)
# What an account does to get in or to keep its password: the events a province admin reads of
# the accounts living within its provinces (`visible_account_events`).
SIGN_IN_EVENTS = ("login", "logout", "login_failed", "password_changed", "locked_out")
# Events whose actor is whoever is at the keyboard, authenticated or not: never the system.
ANONYMOUS_EVENTS = ("login_failed", "locked_out")

SYSTEM_USERNAME = "system"
REDACTED = "********"
# Keys of `detail` dicts whose values are never written, whatever a caller passes.
SECRET_KEY_RE = re.compile(r"pass|secret|token|credential|cookie|authori[sz]ation|api_?key", re.I)
# NUL and other control characters: PostgreSQL refuses NUL in text and jsonb, and none of them
# belongs in a user name or a user agent.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclasses.dataclass(frozen=True)
class AuditContext:
    """What the current code runs for: a request, an explicit actor, or both."""

    request: object = None
    actor: object = None
    remote_addr: str | None = None
    request_id: str | None = None


_context = ContextVar("portal_audit_context", default=None)


def current_context():
    return _context.get()


@contextlib.contextmanager
def request_context(request):
    """Used by portal.middleware.AuditMiddleware around each request."""
    token = _context.set(
        AuditContext(
            request=request,
            remote_addr=getattr(request, "client_address", None),
            request_id=getattr(request, "request_id", None),
        )
    )
    try:
        yield
    finally:
        _context.reset(token)


@contextlib.contextmanager
def acting_as(user, *, remote_addr=None):
    """Attribute every audit entry written inside the block to `user`.

    For management commands (`--actor`) and tasks (`acting_as(system_actor())`); nests properly,
    unlike auditlog's own `set_actor`, whose exit leaves an enclosing block without an actor.
    Inside a request the request's address and id are kept.
    """
    outer = _context.get()
    token = _context.set(
        AuditContext(
            request=outer.request if outer else None,
            actor=user,
            remote_addr=remote_addr or (outer.remote_addr if outer else None),
            request_id=(outer.request_id if outer else None) or _new_request_id(),
        )
    )
    try:
        yield user
    finally:
        _context.reset(token)


def _new_request_id():
    import uuid

    return uuid.uuid4().hex


def system_actor():
    """The inactive "system" account that probes, schedules and unattended commands act as.

    Created on first use; it can never log in (inactive, unusable password).
    """
    from auditlog.context import disable_auditlog
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: SYSTEM_USERNAME}).first()
    if user is None:
        with disable_auditlog():
            user, _created = User._default_manager.get_or_create(
                **{User.USERNAME_FIELD: SYSTEM_USERNAME},
                defaults={"is_active": False, "password": "!"},
            )
    return user


def is_system(user):
    return user is not None and user.get_username() == SYSTEM_USERNAME and not user.is_active


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False)


def current_actor(fallback_to_system=True):
    """Who the code running now acts for.

    An explicit `acting_as` wins; in a request, its user (None for an anonymous visitor); outside
    any request, an actor set with auditlog's `set_actor`, else the system account.
    """
    ctx = _context.get()
    if ctx is not None:
        if ctx.actor is not None:
            return ctx.actor
        if ctx.request is not None:
            user = getattr(ctx.request, "user", None)
            return user if _authenticated(user) else None
    actor = _auditlog_set_actor()
    if actor is not None:
        return actor
    return system_actor() if fallback_to_system else None


def _auditlog_set_actor():
    """The actor of an auditlog `set_actor` block the code is inside, if any.

    auditlog leaves its context variable set after the block exits (only its signal receiver is
    disconnected), so the variable alone would name a stale actor: the block counts only while
    its receiver is connected.
    """
    from auditlog.context import auditlog_value
    from auditlog.models import LogEntry
    from django.db.models.signals import pre_save

    context = auditlog_value.get(None)
    if not context or not _authenticated(context.get("actor")):
        return None
    key = (context.get("signal_duid"), id(LogEntry))
    with pre_save.lock:
        active = any(receiver[0] == key for receiver in pre_save.receivers)
    return context["actor"] if active else None


# --- Province of an audited object -------------------------------------------------------------


def _province_route(model):
    """How to find the province of a `model` instance, or None when it has none.

    ("self",): it is a province; ("attr", attname): a foreign key to Province;
    ("via", name, attname): a foreign key to Facility, whose province is the one.
    """
    from facilities.models import Facility, Province

    if issubclass(model, Province):
        return ("self",)
    fks = [f for f in model._meta.concrete_fields if f.many_to_one]
    for field in fks:
        if field.related_model is Province:
            return ("attr", field.attname)
    for field in fks:
        if field.related_model is Facility:
            return ("via", field.name, field.attname)
    return None


def _cached_facility(obj, name, attname):
    field = obj._meta.get_field(name)
    if field.is_cached(obj):
        return True, getattr(obj, name)
    # The state before an audited update, loaded with its facility (portal/auditlog_setup.py).
    old = getattr(obj, "_audit_old", None)
    if old is not None and getattr(old, attname) == getattr(obj, attname) and field.is_cached(old):
        return True, getattr(old, name)
    return False, None


def province_of(obj):
    """The id of the province an object belongs to (None for users, groups, standards)."""
    if obj is None:
        return None
    return province_ids_of([obj]).get(id(obj))


def province_ids_of(objects):
    """{id(obj): province id} for `objects`, with at most one query per model."""
    from facilities.models import Facility

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


def additional_data(obj):
    """auditlog's `get_additional_data` for every registered model: the province, for scoping."""
    province = province_of(obj)
    return {"province": province} if province is not None else None


# --- Account events ----------------------------------------------------------------------------


def clean_text(value, limit):
    return CONTROL_RE.sub("", smart_str(value or ""))[:limit]


def clean_detail(value):
    """A JSON-safe copy of `detail` with secret-looking keys redacted and control characters out."""
    if isinstance(value, dict):
        return {
            clean_text(k, 100): REDACTED if SECRET_KEY_RE.search(str(k)) else clean_detail(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set)):
        return [clean_detail(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return clean_text(value, 1000)


def _request_address(request):
    if hasattr(request, "client_address"):
        return request.client_address
    return client_address(request)


def _account_for(event, actor, target, username, detail):
    """The account an event is about (for scoping): the user logging in, granted, locked out..."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if isinstance(target, User):
        return target
    if event in ("login", "logout", "password_changed") and _authenticated(actor):
        return actor
    name = detail.get("user") if event in ("grant", "revoke") else username
    if name and isinstance(name, str):
        return User._default_manager.filter(**{User.USERNAME_FIELD: name}).first()
    return None


def record_event(event, request=None, *, actor=None, username="", target=None, detail=None):
    """Record one account event (a row in the audit record and a line in the access log).

    event:    one of EVENTS.
    request:  the request it happened in (gives actor, client address, user agent, request id);
              defaults to the request being served, if any.
    actor:    the acting user when there is no request (commands, tasks) or to override it.
    username: the attempted user name, for failed logins and lock-outs.
    target:   the model instance the event is about (the camera viewed, the grant's object...).
              Its province scopes the event: pass the province for a one-province export.
    detail:   a small JSON-serialisable dict (export filters and row count...). Keys that look like
              secrets are redacted anyway.
    Returns the AccountEvent.
    """
    from django.contrib.contenttypes.models import ContentType

    from portal.models import AccountEvent

    if event not in EVENTS:
        raise ValueError(f"unknown account event {event!r}")
    ctx = _context.get()
    if request is None and ctx is not None:
        request = ctx.request
    if actor is None:
        if ctx is not None and ctx.actor is not None:
            actor = ctx.actor
        elif request is not None:
            user = getattr(request, "user", None)
            actor = user if _authenticated(user) else None
        elif event not in ANONYMOUS_EVENTS:
            actor = current_actor()
    if not _authenticated(actor):
        actor = None
    detail = clean_detail(detail or {})
    username = clean_text(username, 150) or (actor.get_username() if actor is not None else "")
    if request is not None:
        remote_addr = _request_address(request)
        request_id = getattr(request, "request_id", "") or (ctx.request_id if ctx else "") or ""
        user_agent = clean_text(request.META.get("HTTP_USER_AGENT"), 300)
    else:
        remote_addr = ctx.remote_addr if ctx else None
        request_id = (ctx.request_id if ctx else "") or ""
        user_agent = ""
    fields = {}
    if target is not None:
        fields = {
            "content_type": ContentType.objects.get_for_model(type(target)),
            "object_id": clean_text(target.pk, 64),
            "object_repr": clean_text(target, 200),
            "province_id": province_of(target),
        }
    entry = AccountEvent.objects.create(
        event=event,
        actor=actor,
        username=username,
        account=_account_for(event, actor, target, username, detail),
        remote_addr=remote_addr,
        user_agent=user_agent,
        request_id=request_id,
        detail=detail,
        **fields,
    )
    line = json.dumps(_log_line(entry, target), ensure_ascii=False, default=str)
    # Only what was committed: an event rolled back with its transaction never happened.
    transaction.on_commit(lambda: access_log.info(line))
    return entry


def _log_line(entry, target):
    return {
        "time": timezone.localtime(entry.timestamp).isoformat(),
        "event": entry.event,
        "actor": entry.actor.get_username() if entry.actor_id else None,
        "username": entry.username or None,
        "account": entry.account.get_username() if entry.account_id else None,
        "remote_addr": entry.remote_addr,
        "user_agent": entry.user_agent or None,
        "request_id": entry.request_id or None,
        "target": f"{target._meta.label}:{target.pk}" if target is not None else None,
        "object": entry.object_repr or None,
        "province": entry.province_id,
        "detail": entry.detail,
    }


# --- Writes that bypass save() -----------------------------------------------------------------


def log_bulk_change(objects, changes=None, actor=None, *, action="update"):
    """One audit entry per object for a write that sent no model signals.

    QuerySet.update(), bulk_update() and bulk_create() skip auditlog; whoever must use them on an
    audited model calls this in the same transaction:
    - action "update": `objects` as they were before, `changes` {field name: new value};
    - action "create": `objects` as created (with their primary keys);
    - action "delete": `objects` as they were.
    The actor defaults to the current one (request user, `acting_as`, else the system). Excluded
    fields are left out and secret fields redacted exactly as for a save(). Returns the entries.
    """
    from auditlog.diff import model_instance_diff
    from auditlog.models import LogEntry
    from auditlog.registry import auditlog
    from django.contrib.contenttypes.models import ContentType

    objects = list(objects)
    if not objects:
        return []
    actions = {
        "create": LogEntry.Action.CREATE,
        "update": LogEntry.Action.UPDATE,
        "delete": LogEntry.Action.DELETE,
    }
    if action not in actions:
        raise ValueError(f"unknown action {action!r}")
    if action == "update" and not changes:
        return []
    base = entry_context(actor)
    provinces = province_ids_of(objects)
    now = timezone.now()
    entries = []
    for obj in objects:
        model = type(obj)
        if not auditlog.contains(model):
            raise ValueError(f"{model._meta.label} is not audited")
        if action == "update":
            after = copy.copy(obj)
            for name, value in changes.items():
                setattr(after, name, value)
            diff = model_instance_diff(obj, after, fields_to_check=list(changes))
        elif action == "create":
            diff = model_instance_diff(None, obj)
        else:
            diff = model_instance_diff(obj, None)
        if action == "update" and not diff:
            continue
        province = provinces.get(id(obj))
        entries.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(model),
                object_pk=smart_str(obj.pk),
                object_id=obj.pk if isinstance(obj.pk, int) else None,
                object_repr=smart_str(obj),
                action=actions[action],
                changes=diff or {},
                additional_data={"province": province} if province is not None else None,
                timestamp=now,
                **base,
            )
        )
    return LogEntry.objects.bulk_create(entries)


def entry_context(actor=None):
    """Actor, address and request id for a LogEntry written now."""
    ctx = _context.get()
    actor = actor if actor is not None else current_actor()
    if not _authenticated(actor):
        actor = None
    return {
        "actor": actor,
        "actor_email": (getattr(actor, "email", None) or None) if actor is not None else None,
        "remote_addr": ctx.remote_addr if ctx else None,
        "cid": ctx.request_id if ctx else None,
    }


# --- Retention ---------------------------------------------------------------------------------

RETENTION_TASK = "portal.audit.purge_expired"
RETENTION_SCHEDULE = "portal.audit_retention"


def retention_cutoff(now=None):
    days = settings.AUDIT_RETENTION_DAYS
    if days < 1:
        # A retention of zero days would wipe the record: refuse rather than obey a typo.
        raise ValueError(f"AUDIT_RETENTION_DAYS must be at least 1, not {days}")
    return (now or timezone.now()) - datetime.timedelta(days=days)


def purge_expired(now=None):
    """Remove entries, events and access-log files older than AUDIT_RETENTION_DAYS (a task).

    Strictly older: nothing younger than the retention period is ever removed.
    """
    from auditlog.models import LogEntry

    from portal import accesslog
    from portal.models import AccountEvent

    cutoff = retention_cutoff(now)
    entries, _ = LogEntry.objects.filter(timestamp__lt=cutoff).delete()
    events, _ = AccountEvent.objects.filter(timestamp__lt=cutoff).delete()
    # A day's file holds lines up to its end: it goes once the whole day is past the cutoff.
    files = accesslog.remove_files_before(timezone.localtime(cutoff).date())
    return {"entries": entries, "events": events, "files": files}


def ensure_retention_schedule(using="default", now=None):
    """The daily django-q2 schedule of `purge_expired`, created once (post_migrate, idempotent)."""
    from django_q.models import Schedule

    from portal.schedule import ensure_schedule

    # At night, local time, away from the working day's traffic.
    local = timezone.localtime(now or timezone.now())
    first = (local + datetime.timedelta(days=1)).replace(hour=2, minute=30, second=0, microsecond=0)
    return ensure_schedule(
        RETENTION_SCHEDULE, RETENTION_TASK, Schedule.DAILY, next_run=first, using=using
    )


# --- Who reads which part of the record --------------------------------------------------------


def may_read(user):
    """National officials and superusers read the whole record; province admins their part."""
    from facilities import access

    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return access.is_national_viewer(user) or access.has_any_scope(user, access.MANAGE)


def entry_province():
    """The province id stored in a LogEntry's additional_data, as an integer expression."""
    from django.db.models import BigIntegerField
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    return Cast(KeyTextTransform("province", "additional_data"), output_field=BigIntegerField())


def _managed_provinces(user):
    from django.db.models import Q

    from facilities import access

    direct, via_group = access.province_ids(user, access.MANAGE)
    return lambda field: Q(**{f"{field}__in": direct}) | Q(**{f"{field}__in": via_group})


def visible_log_entries(user, queryset=None):
    """LogEntry rows `user` may read, annotated with `province_ref` (their province id).

    A province admin reads the entries about objects of its provinces (facilities, cameras,
    grants, snapshots); national officials and superusers read everything. Entries about users
    and groups have no province, so no province admin reads them, whatever it granted whom.
    """
    from auditlog.models import LogEntry

    from facilities import access

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
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from facilities import access
    from facilities.grants import (
        FacilityGroupObjectPermission,
        FacilityUserObjectPermission,
        ProvinceGroupObjectPermission,
        ProvinceUserObjectPermission,
    )

    def held(table, province):
        return table.objects.filter(access._live(), province_scope(province))

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
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    User = get_user_model()
    view_all = Permission.objects.filter(
        codename="view_all", content_type__app_label="facilities"
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
    from django.contrib.auth import get_user_model

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
    from django.db.models import F, Q

    from facilities import access
    from portal.models import AccountEvent

    queryset = queryset if queryset is not None else AccountEvent.objects.all()
    if not may_read(user):
        return queryset.none()
    if access.is_national_viewer(user):
        return queryset
    own_sign_ins = Q(event__in=SIGN_IN_EVENTS, account_id__in=province_accounts(user)) & (
        Q(actor__isnull=True) | Q(actor_id=F("account_id"))
    )
    return queryset.filter(_managed_provinces(user)("province_id") | own_sign_ins)
