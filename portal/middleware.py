"""Per request: a request id, the client address, and the audit context.

Replaces auditlog's AuditlogMiddleware, which takes the first X-Forwarded-For value as the client:
anyone can write that header, and a malformed value reaches PostgreSQL's inet column and fails the
request. Here X-Forwarded-For is read only as far as TRUSTED_PROXY_COUNT proxies wrote it, and only
a valid address is ever kept.
"""

import ipaddress
import uuid

from django.conf import settings

from portal import audit

# Admin pages whose mere viewing is an account event (the object is in the response context).
SENSITIVE_ADMIN_PAGES = {"cameras_camera_change", "facilities_facility_change"}


def parse_address(value):
    """`value` as a canonical IP address string, or None if it is not exactly one address.

    Accepts the forms proxies write: "203.0.113.7", "203.0.113.7:51234", "2001:db8::1",
    "[2001:db8::1]:443". Zone ids ("fe80::1%eth0") are refused: PostgreSQL's inet rejects them.
    """
    if not value or not isinstance(value, str) or len(value) > 64:
        return None
    value = value.strip()
    if value.startswith("["):
        end = value.find("]")
        if end == -1 or (end + 1 < len(value) and value[end + 1] != ":"):
            return None
        value = value[1:end]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if getattr(address, "scope_id", None):
        return None
    return str(address)


def client_address(request):
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For hop our own proxies vouch for.

    With TRUSTED_PROXY_COUNT = n > 0, the last n hops of X-Forwarded-For were written by our
    proxies, the n-th from the right being the address the outermost one saw. Anything to its left
    was sent by the client and is ignored. A header too short or not an address falls back to
    REMOTE_ADDR (the nearest proxy), never to a value the client chose.
    """
    remote = parse_address(request.META.get("REMOTE_ADDR"))
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",")] if forwarded else []
    if len(hops) < count:
        return remote
    return parse_address(hops[-count]) or remote


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
        with audit.request_context(request):
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
            audit.record_event("view", request, target=obj)
