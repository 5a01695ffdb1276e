"""django-axes wiring: the lock-out backend, the client address, and the lock-out account event.

Imported by Django as soon as anyone authenticates (the backend lives here), so the lock-out
receiver below is connected before the first failed login can lead to a lock-out.
"""

from axes.backends import AxesStandaloneBackend
from axes.signals import user_locked_out

from portal.client import client_address

# The audit trail (portal/auditlog_setup.py) may connect its own receiver for the same signal: both
# use this dispatch uid, so whichever connects first is the only one and a lock-out is one event.
LOCKED_OUT_UID = "portal.audit.locked_out"


class LockoutBackend(AxesStandaloneBackend):
    """AxesStandaloneBackend that lets authentication without a request through to the next backend.

    Every login a person makes (the login page, the admin login) carries its request and is
    counted and refused when locked out. Code that authenticates without a request (Django's test
    client `login()`, scripts) would make axes raise an error instead of answering; there is no
    client address to count there anyway.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request):
    """The client address axes counts failures by: the audit trail's (trusted proxies only)."""
    address = getattr(request, "client_address", None)
    if address:
        return address
    return client_address(request) or request.META.get("REMOTE_ADDR", "")


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    from portal.audit import record_event

    record_event("locked_out", request, username=str(username or ""))


user_locked_out.connect(on_locked_out, dispatch_uid=LOCKED_OUT_UID)


def lockout_response(request, original_response=None, credentials=None):
    """The lock-out page (HTTP 429), translated, telling how long to wait and what else to do."""
    from axes.helpers import get_cool_off
    from django.conf import settings
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
