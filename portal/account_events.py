"""Account events: login, logout, failed login, password change, lock-out, grant, revoke, export,
view of a sensitive page, and the second factor's (set up, wrong code, recovery code used, new
recovery codes, reset by a national administrator).

Each is a `portal.models.AccountEvent` row written by `record_event`, and also one JSON line in the
access log file (portal/accesslog.py), with nothing secret in either. The event stores the
province it is about (portal/audit_provinces.py), so the admin scopes the record with a filter.
"""

import datetime
import json
import logging
import re

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import smart_str

from portal.actor import authenticated, current_actor, current_context
from portal.audit_provinces import province_of
from portal.client import client_address
from portal.models import AccountEvent, AccountEventKind

access_log = logging.getLogger("portal.access")

# What an account does to get in or to keep its password: the events a province admin reads of
# the accounts living within its provinces (facilities/audit_scope.py).
SIGN_IN_EVENTS = (
    AccountEventKind.LOGIN,
    AccountEventKind.LOGOUT,
    AccountEventKind.LOGIN_FAILED,
    AccountEventKind.PASSWORD_CHANGED,
    AccountEventKind.LOCKED_OUT,
    AccountEventKind.SECOND_FACTOR_ENROLLED,
    AccountEventKind.SECOND_FACTOR_FAILED,
    AccountEventKind.RECOVERY_CODE_USED,
    AccountEventKind.RECOVERY_CODES_RENEWED,
    AccountEventKind.SECOND_FACTOR_RESET,
)
# Events about the acting account itself.
SELF_EVENTS = (
    AccountEventKind.LOGIN,
    AccountEventKind.LOGOUT,
    AccountEventKind.PASSWORD_CHANGED,
    AccountEventKind.SECOND_FACTOR_ENROLLED,
    AccountEventKind.RECOVERY_CODE_USED,
    AccountEventKind.RECOVERY_CODES_RENEWED,
)
# The key that marks the credentials of Django's `user_login_failed` as a wrong second-factor
# code (portal/twofactor.py) rather than a wrong password: the same failure for django-axes,
# its own kind of event here.
WRONG_CODE_MARK = "second_factor"
# Events whose actor is whoever is at the keyboard, authenticated or not: never the system.
ANONYMOUS_EVENTS = (AccountEventKind.LOGIN_FAILED, AccountEventKind.LOCKED_OUT)

REDACTED = "********"
# Keys of `detail` dicts whose values are never written, whatever a caller passes.
SECRET_KEY_RE = re.compile(r"pass|secret|token|credential|cookie|authori[sz]ation|api_?key", re.I)
# NUL and other control characters: PostgreSQL refuses NUL in text and jsonb, and none of them
# belongs in a user name or a user agent.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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
    User = get_user_model()
    if isinstance(target, User):
        return target
    if event in SELF_EVENTS and authenticated(actor):
        return actor
    name = detail.get("user") if event in ("grant", "revoke") else username
    if authenticated(actor) and name == actor.get_username():
        return actor  # a view or an export: the actor's own name, no query
    if name and isinstance(name, str):
        return User._default_manager.filter(**{User.USERNAME_FIELD: name}).first()
    return None


def record_event(event, request=None, *, actor=None, username="", target=None, detail=None):
    """Record one account event (a row in the audit record and a line in the access log).

    event:    one of `AccountEventKind`'s values.
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
    entry = _new_event(event, request, actor, username, target, detail)
    entry.save()
    _log_on_commit([(entry, target)])
    return entry


def record_events(event, request=None, *, targets, detail):
    """Record one account event per object of `targets` (the cameras of one disclosure...), as
    `record_event` would one by one, in one INSERT. `detail(target)` gives each one's detail.
    Returns the AccountEvents."""
    pairs = [
        (_new_event(event, request, None, "", target, detail(target)), target)
        for target in targets
    ]
    AccountEvent.objects.bulk_create([entry for entry, _target in pairs])
    _log_on_commit(pairs)
    return [entry for entry, _target in pairs]


def _log_on_commit(pairs):
    lines = [json.dumps(_log_line(entry, target), ensure_ascii=False, default=str)
             for entry, target in pairs]

    def write():
        for line in lines:
            access_log.info(line)

    # Only what was committed: an event rolled back with its transaction never happened.
    transaction.on_commit(write)


def _new_event(event, request, actor, username, target, detail):
    """The unsaved AccountEvent of `record_event`'s arguments."""
    if event not in AccountEventKind.values:
        raise ValueError(f"unknown account event {event!r}")
    ctx = current_context()
    if request is None and ctx is not None:
        request = ctx.request
    if actor is None:
        if ctx is not None and ctx.actor is not None:
            actor = ctx.actor
        elif request is not None:
            user = getattr(request, "user", None)
            actor = user if authenticated(user) else None
        elif event not in ANONYMOUS_EVENTS:
            actor = current_actor()
    if not authenticated(actor):
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
    return AccountEvent(
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
