"""What the error pages may show, and the one log line of a refusal.

A PermissionDenied raised with a message (`PermissionDenied(_("Only national administrators grant
province roles."))`) carries a translated sentence written for the person refused: the 403 page
shows it. A plain Http404 may carry Django's internal English ("No Camera matches the given
query.", the URL resolver's details): the 404 page shows a generic sentence instead, unless the
code raised `NotFound`, whose message is written for people.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404


class NotFound(Http404):
    """A 404 whose message is a translated sentence the 404 page shows as the reason."""


def not_found_reason(exception):
    """The message of a NotFound, else "" (the page then says it in general words)."""
    return str(exception) if isinstance(exception, NotFound) else ""


def _one_line(text):
    # The path comes from the client: a line break in it must not start a forged log line.
    return text if text.isprintable() else repr(text)


class OneLineForbidden(logging.Filter):
    """Turns django.request's record of a PermissionDenied into one line without a traceback.

    Django logs every PermissionDenied as "Forbidden (Permission denied): PATH" with the whole
    traceback: a refusal is an expected answer, not a fault, and a page of stack per refusal buries
    the real errors. The line keeps the path and adds who was refused and why. Records of
    django.request carry `request` and `status_code` (documented in Django's logging reference).
    """

    def filter(self, record):
        denied = record.exc_info[1] if record.exc_info else None
        if isinstance(denied, PermissionDenied):
            request = getattr(record, "request", None)
            user = getattr(request, "user", None)
            record.msg = "Forbidden: %s user=%s reason=%s"
            record.args = (
                _one_line(request.path) if request is not None else "-",
                user.pk if user is not None and user.is_authenticated else "anonymous",
                _one_line(str(denied)) or "-",
            )
            record.exc_info = None
            record.exc_text = None
        return True
