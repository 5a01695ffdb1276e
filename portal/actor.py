"""Who the code running now acts for: the actor, client address and request id of audit records.

Every audit record knows its actor: the request's user on the web (portal/middleware.py puts the
request in the context with `request_context`), `acting_as(user)` around code that runs for
someone outside a request (management commands with --actor), and the inactive "system" account
otherwise (django-q2 tasks, commands without --actor).
"""

import contextlib
import dataclasses
import uuid
from contextvars import ContextVar

from auditlog.context import auditlog_value, disable_auditlog
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save

SYSTEM_USERNAME = "system"


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
            request_id=(outer.request_id if outer else None) or uuid.uuid4().hex,
        )
    )
    try:
        yield user
    finally:
        _context.reset(token)


def system_actor():
    """The inactive "system" account that probes, schedules and unattended commands act as.

    Created on first use; it can never log in (inactive, unusable password).
    """
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


def authenticated(user):
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
            return user if authenticated(user) else None
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
    context = auditlog_value.get(None)
    if not context or not authenticated(context.get("actor")):
        return None
    key = (context.get("signal_duid"), id(LogEntry))
    with pre_save.lock:
        active = any(receiver[0] == key for receiver in pre_save.receivers)
    return context["actor"] if active else None


def entry_context(actor=None):
    """Actor, address and request id for a LogEntry written now."""
    ctx = _context.get()
    actor = actor if actor is not None else current_actor()
    if not authenticated(actor):
        actor = None
    return {
        "actor": actor,
        "actor_email": (getattr(actor, "email", None) or None) if actor is not None else None,
        "remote_addr": ctx.remote_addr if ctx else None,
        "cid": ctx.request_id if ctx else None,
    }
