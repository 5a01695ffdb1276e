"""Account events: logins, exports, sensitive views, grants (see the audit-trail issue).

The call every app makes is `record_event(...)`; how and where events are stored is this module's
business. This first version only writes the access log line; the audit-trail work stores entries.
"""

import json
import logging

from django.utils import timezone

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


def record_event(event, request=None, *, actor=None, username="", target=None, detail=None):
    """Record one account event.

    event:    one of EVENTS.
    request:  the request it happened in (gives actor, client address, user agent, request id).
    actor:    the acting user when there is no request (commands, tasks) or to override it.
    username: the attempted user name, for failed logins of unknown accounts.
    target:   the model instance the event is about (the camera viewed, the grant's object...).
    detail:   a small JSON-serialisable dict (export filters and row count...). Never secrets.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown account event {event!r}")
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    line = {
        "time": timezone.now().isoformat(),
        "event": event,
        "actor": actor.get_username() if actor is not None else None,
        "username": username or None,
        "target": f"{target._meta.label}:{target.pk}" if target is not None else None,
        "detail": detail or {},
    }
    access_log.info(json.dumps(line, ensure_ascii=False, default=str))
