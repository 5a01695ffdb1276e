"""The client's address of a request, as far as our own proxies vouch for it.

auditlog's AuditlogMiddleware takes the first X-Forwarded-For value as the client: anyone can write
that header, and a malformed value reaches PostgreSQL's inet column and fails the request. Here
X-Forwarded-For is read only as far as TRUSTED_PROXY_COUNT proxies wrote it, and only a valid
address is ever kept.
"""

import ipaddress

from django.conf import settings


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
