"""Asks the accounts whose roles must acknowledge the guidance to do so when they sign in.

When the password is accepted (`password_accepted`, on Django's `user_logged_in`), an account
of GUIDANCE_ACK_ROLES with current versions it has not acknowledged gets a mark in its session.
`GuidanceGateMiddleware`, placed after the two-factor gate (portal/twofactor_gate.py), sends a
marked session to the acknowledgement page whatever it asks for, but only once the second factor
is given: before it, the two-factor gate answers. Left through: the pages the two-factor gate
leaves open (sign-in and -out, the code pages, language, static, /metrics), the guidance pages
themselves, and API requests with a token (a token is not a person signing in).

Asked at sign-in: a version uploaded while an account is signed in is asked at its next
sign-in. An unmarked session costs the gate no query; with no guidance document at all there
is nothing to acknowledge and no session is ever marked.
"""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from guidance.acknowledgement import must_acknowledge, pending_documents
from portal.twofactor_gate import API_JSON_PREFIXES, carries_api_token, code_still_needed, is_open

PENDING = "guidance_ack_pending"
PREFIX = "/guidance/"


def password_accepted(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    # The documents first: with none (a new installation, most tests) the account's grants are
    # not even read.
    if pending_documents(user) and must_acknowledge(user):
        session[PENDING] = True
    else:
        session.pop(PENDING, None)


def acknowledged(request):
    """The account acknowledged everything it was asked: the gate opens."""
    request.session.pop(PENDING, None)


def safe_next(request, default):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class GuidanceGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(PENDING)
            and request.user.is_authenticated
            and not carries_api_token(request)
            and not is_open(request.path_info)
            and not request.path_info.startswith(PREFIX)
            and not code_still_needed(request)
        ):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request):
        if request.path_info.startswith(API_JSON_PREFIXES):
            return JsonResponse(
                {"detail": _("Acknowledge the guidance on the portal first, or use an API token.")},
                status=403,
            )
        url = reverse("guidance:acknowledge")
        if request.method == "GET":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return redirect(url)
