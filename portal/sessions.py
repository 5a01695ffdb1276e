"""Sliding session expiry that writes the session at most once a minute, not on every page.

Sessions stay in the database, so an account can be signed out from the server (made inactive,
or its rows deleted). Django's SESSION_SAVE_EVERY_REQUEST renews the idle timer by rewriting the
row on every request: every read-only page view then needs the database's write lock, which on the
embedded SQLite is one lock for the whole portal, shared with the background checks (issue 13
measured "database is locked" on session saves under load). Here a session is written when
something in it changed, or when it was last renewed more than SESSION_RENEW_SECONDS (60) ago;
its expiry (row and cookie) then starts again from that request.

So SESSION_IDLE_MINUTES still means idle minutes, within SESSION_RENEW_SECONDS: a session
ends between (idle time - renewal interval) and the idle time after its last request.
"""

import time

from django.conf import settings

# The time (whole seconds since the epoch) the session was last written, kept in the session.
RENEWED_AT = "_renewed_at"


def stamp_on_login(sender, request, user, **kwargs):
    """Signing in writes a new session anyway: it counts as its renewal (user_logged_in).

    So the first page after signing in writes nothing either (and the test client's
    force_login, which saves the session itself, leaves it stamped as a browser's login does).
    """
    session = getattr(request, "session", None)
    if session is not None:
        session[RENEWED_AT] = int(time.time())


def renewal_due(session, now=None):
    """Whether `session` (loaded) was last written more than SESSION_RENEW_SECONDS ago."""
    stamp = session.get(RENEWED_AT)
    now = time.time() if now is None else now
    return not isinstance(stamp, int) or now - stamp >= settings.SESSION_RENEW_SECONDS


class SessionRenewalMiddleware:
    """Marks the session for saving when its renewal is due (placed after SessionMiddleware).

    A visitor without a session (anonymous, no cookie) or whose cookie names no stored session
    gets none: renewing must never create a session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # session_key does not load the session; a page that read the user already did.
        if session is None or session.session_key is None:
            return response
        if session.modified or renewal_due(session):
            # Loading a stale cookie's session (above) forgets its key: nothing to renew.
            if session.session_key is not None:
                session[RENEWED_AT] = int(time.time())
        return response
