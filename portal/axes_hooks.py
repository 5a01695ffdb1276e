"""django-axes wiring: the lock-out backend, the client address and the lock-out page.

The lock-out itself is an account event, recorded by the audit trail's receiver of axes'
`user_locked_out` signal (portal/auditlog_setup.py).
"""

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render

from portal.client import client_address


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


def lockout_response(request, original_response=None, credentials=None):
    """The lock-out page (HTTP 429), translated, telling how long to wait and what else to do."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
