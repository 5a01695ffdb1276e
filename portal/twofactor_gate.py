"""The gate of two-factor sign-in: an account that must give its code sees nothing else.

`SecondFactorMiddleware` (after AuthenticationMiddleware) sends a signed-in account that must
use the second factor, and whose session has not passed it, to the enrolment page (no app yet)
or to the code page, whatever it asks for, the admin included. Left through: the sign-in and
sign-out pages (the portal's and the admin's), the two-factor pages themselves, the language
menu, static files and /metrics (its own token). Under /api/, a request that carries an API
token (`Authorization: Token ...` or `Bearer ...`) goes on as the token's account: the session
of a half-signed browser never stands in for it; an /api/ request without a token is a page
like any other and is answered 403 until the session is verified.

Who must: facilities/roles.py `second_factor_required` (staff, national readers; facility
managers when OTP_REQUIRED_FOR_MANAGERS is on), or anyone whose password was accepted while the
account has an app (the session is then PENDING, portal/twofactor.py).

A verified session costs the gate no query (the key in the session is enough); an unverified
one costs the grants' query, which the page would have made anyway (cached on the user).
"""

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from facilities.roles import second_factor_required
from portal import twofactor

API_PREFIX = "/api/"
# The API's machine answers (JSON, the schema); its pages (tokens, docs) are pages.
API_JSON_PREFIXES = ("/api/v1/", "/api/schema/")
TOKEN_SCHEMES = ("token ", "bearer ")


@functools.cache
def _open_paths():
    """Exact paths and path prefixes the gate lets through (their URLs never change)."""
    exact = frozenset(
        reverse(name)
        for name in (
            "login",
            "logout",
            "admin:login",
            "admin:logout",
            "otp_verify",
            "otp_setup",
            "set_language",
            "metrics",
        )
    )
    return exact, ("/" + settings.STATIC_URL.lstrip("/"),)


def is_open(path):
    exact, prefixes = _open_paths()
    return path in exact or path.startswith(prefixes)


def carries_api_token(request):
    if not request.path_info.startswith(API_PREFIX):
        return False
    return request.META.get("HTTP_AUTHORIZATION", "").lower().startswith(TOKEN_SCHEMES)


def code_still_needed(request):
    """Whether the signed-in account of `request` must still give its second factor."""
    user = request.user
    if not user.is_authenticated or twofactor.is_verified(request.session):
        return False
    return twofactor.is_pending(request.session) or second_factor_required(user)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if code_still_needed(request):
            if carries_api_token(request):
                # The API authenticates the token; a half-signed session counts for nothing.
                request.user = AnonymousUser()
            elif not is_open(request.path_info):
                return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request):
        if request.path_info.startswith(API_JSON_PREFIXES):
            return JsonResponse(
                {
                    "detail": _(
                        "Sign in with your second factor on the portal's code page first, or "
                        "use an API token."
                    )
                },
                status=403,
            )
        page = "otp_verify" if twofactor.has_second_factor(request.user) else "otp_setup"
        url = reverse(page)
        if request.method == "GET":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return redirect(url)


@receiver(user_logged_in, dispatch_uid="portal.twofactor.password_accepted")
def password_accepted(sender, request, user, **kwargs):
    """The password was right: ask for the code if the account has an app; where no code will
    be asked, the sign-in is complete (django-axes' count starts again)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if twofactor.has_second_factor(user):
        session[twofactor.PENDING] = True
    elif not second_factor_required(user):
        twofactor.sign_in_complete(request, user)
