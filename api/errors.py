"""Errors of the API: JSON bodies in the caller's language, and a language the caller chooses.

Every refusal is a JSON object with a `detail` sentence (and, for invalid input, the errors by
field or by item), in Vietnamese or English: `?lang=vi|en` first, then the portal's language
cookie (the browsable API in a browser), then Accept-Language, else Vietnamese. Pages ignore
Accept-Language (portal/locale.py: most browsers here send en-US); a program states what it wants.

DRF's own messages that its Vietnamese catalog lacks are in ours (api/third_party_strings.py).
A plain Http404 carries Django's English ("No Camera matches the given query."): it becomes the
translated "Not found.". A throttled request gets 429 with Retry-After (DRF's handler sets it).
"""

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import NotFound as PortalNotFound


def _accepted(header):
    """Language codes of an Accept-Language header, most wanted first."""
    ranked = []
    for position, part in enumerate(header.split(",")):
        code, _semi, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if code and quality > 0:
            ranked.append((-quality, position, code.strip().lower()))
    return [code for _q, _p, code in sorted(ranked)]


def language_of(request):
    """The language an API request is answered in (see the module)."""
    codes = {code for code, _name in settings.LANGUAGES}
    asked = request.GET.get("lang", "")
    if asked in codes:
        return asked
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in codes:
        return cookie
    for code in _accepted(request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:200]):
        base = code.split("-")[0]
        if base in codes:
            return base
    return settings.LANGUAGE_CODE


def activate_for(request):
    language = language_of(request)
    translation.activate(language)
    request.LANGUAGE_CODE = language


def exception_handler(exc, context):
    if isinstance(exc, Http404) and not isinstance(exc, PortalNotFound):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, list):
        # A list-level error (a body that is not a list where one is expected...).
        response.data = {"detail": " ".join(str(item) for item in response.data)}
    elif isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": _("The request is not valid."), "errors": response.data}
    return response


def item_messages(errors):
    """"Item N, field F: message" for each error of a list of items' serializer errors (DRF
    gives them as a list, one entry per item, or as a dict by item index from 0)."""
    pairs = sorted(errors.items()) if isinstance(errors, dict) else enumerate(errors)
    lines = []
    for index, item_errors in ((index + 1, item_errors) for index, item_errors in pairs):
        if not item_errors:
            continue
        if not isinstance(item_errors, dict):
            item_errors = {"non_field_errors": item_errors}
        for field, messages in item_errors.items():
            for message in messages if isinstance(messages, list) else [messages]:
                lines.append(item_message(index, field, message))
    return lines


def item_message(index, field, message):
    if field in ("non_field_errors", None):
        return _("Item %(n)d: %(message)s") % {"n": index, "message": message}
    return _("Item %(n)d, field %(field)s: %(message)s") % {
        "n": index,
        "field": field,
        "message": message,
    }
