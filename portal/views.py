"""Landing page (sends each account where it belongs) and the error pages."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpResponseServerError
from django.middleware import csrf
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from facilities import access
from facilities.models import Facility
from portal import errors


@login_required
def home(request):
    user = request.user
    if access.is_national_viewer(user) and not access.is_national_admin(user):
        # National officials read: their work page is the national progress report, not the
        # admin index they would have to find it from.
        return redirect("reports:progress")
    if user.is_staff and access.has_any_scope(user, access.VIEW):
        return redirect("admin:index")
    if access.has_any_scope(user, access.VIEW):
        # Province roles without the admin: the daily progress report is their work page.
        return redirect("reports:progress")
    if Facility.objects.restrict(user, access.VIEW).exists():
        return redirect("my_facilities")
    return render(request, "portal/home.html")


def _back_url(request):
    """The page the person came from, when it is one of ours (else None).

    Not the failed page itself when it was asked for as a page (it would fail again); a refused
    form's own page is the way back, to reload it.
    """
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or (request.method == "GET" and referer == request.build_absolute_uri()):
        return None
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return referer


def _error_page(request, template, status, reason=""):
    context = {"reason": reason, "back_url": _back_url(request)}
    return render(request, template, context, status=status)


def bad_request(request, exception):
    """400: a request the portal refused as malformed or suspicious. The exception's text is for
    the log (it can name hosts or fields), except the one case a person causes by normal work:
    a form with more fields than the server accepts (thousands of rows ticked at once)."""
    if isinstance(exception, TooManyFieldsSent):
        reason = _(
            "The form sent more fields than the portal accepts at once. Select fewer rows, or "
            "select all the list's rows across its pages, then send it again."
        )
    else:
        reason = ""
    return _error_page(request, "400.html", 400, reason)


def permission_denied(request, exception):
    """403, in the admin too: the reason the code gave (empty for a bare `raise PermissionDenied`:
    the page then gives a general one), and a way back."""
    return _error_page(request, "403.html", 403, str(exception))


def page_not_found(request, exception):
    """404: a NotFound's own sentence, never Django's internal message."""
    return _error_page(request, "404.html", 404, errors.not_found_reason(exception))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: Django's `reason` is for developers; say what to do instead.

    Django's reasons are the REASON_* sentences of django.middleware.csrf: a missing cookie, an
    origin or referer from another site, or a missing or stale token.
    """
    if reason == csrf.REASON_NO_CSRF_COOKIE:
        explanation = _(
            "Your browser did not send the portal's security cookie. Allow cookies for this "
            "site, reload the page and send the form again."
        )
    elif reason.startswith(("Origin checking failed", "Referer checking failed")):
        explanation = _(
            "The form was sent from a page the portal does not recognise as its own. Open the "
            "portal at its usual address and send the form again; if this keeps happening, tell "
            "the portal's administrator."
        )
    else:
        explanation = _(
            "The page was open for a long time, or you signed in again in another tab, so the "
            "form's security token is no longer valid. Go back, reload the page and send the "
            "form again."
        )
    return _error_page(request, "403_csrf.html", 403, explanation)


def server_error(request):
    """500: a fixed page that needs neither the database nor the request (either may be what
    failed), in the active language."""
    return HttpResponseServerError(loader.render_to_string("500.html"))
