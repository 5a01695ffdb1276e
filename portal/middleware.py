"""Per request: a request id, the client address, and the audit context.

Replaces auditlog's AuditlogMiddleware, which takes the first X-Forwarded-For value as the client:
anyone can write that header, and a malformed value reaches PostgreSQL's inet column and fails the
request. Here X-Forwarded-For is read only as far as TRUSTED_PROXY_COUNT proxies wrote it, and only
a valid address is ever kept.
"""

import uuid

from portal.account_events import record_event
from portal.actor import request_context
from portal.client import client_address

# Admin pages whose mere viewing is an account event (the object is in the response context).
SENSITIVE_ADMIN_PAGES = {"cameras_camera_change", "facilities_facility_change"}


class AuditMiddleware:
    """Request id (X-Request-ID), client address and audit context for every request.

    Placed after AuthenticationMiddleware; the user is read when an entry is written, so a login
    in the middle of the request is seen.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        request.client_address = client_address(request)
        with request_context(request):
            response = self.get_response(request)
            self._record_sensitive_view(request, response)
        response["X-Request-ID"] = request.request_id
        return response

    @staticmethod
    def _record_sensitive_view(request, response):
        match = getattr(request, "resolver_match", None)
        if (
            match is None
            or request.method != "GET"
            or response.status_code != 200
            or match.namespace != "admin"
            or match.url_name not in SENSITIVE_ADMIN_PAGES
        ):
            return
        obj = (getattr(response, "context_data", None) or {}).get("original")
        if obj is not None:
            record_event("view", request, target=obj)
