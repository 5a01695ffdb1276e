"""Which network addresses the portal may open a camera stream on.

Probing a stream address typed by a user is a request the server makes on the user's behalf, so an
address must not lead the portal to itself (loopback, 0.0.0.0), to the machine's neighbours on the
link (link-local, where cloud metadata services answer with credentials, 169.254.169.254), or to
multicast groups. Cameras live on operators' private networks, so private ranges are allowed.

Policy: built-in denied networks (DEFAULT_DENIED) plus settings.CAMERA_DENIED_NETWORKS, with
settings.CAMERA_ALLOWED_NETWORKS as exceptions. The most specific matching network decides; an
allowed network as specific as a denied one wins (so tests may allow 127.0.0.0/8). To accept only
some ranges, deny 0.0.0.0/0 and ::/0 and allow those ranges.

The check runs twice: when an address is saved (a literal IP always; a name if it resolves within
CAMERA_RESOLVE_TIMEOUT seconds) and when it is probed, on the address the name resolves to then,
through `resolver()` (a name may later be pointed at a denied address).
"""

import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

LOOPBACK = "loopback"
LINK_LOCAL = "link_local"
METADATA = "metadata"
MULTICAST = "multicast"
UNSPECIFIED = "unspecified"
BROADCAST = "broadcast"
CONFIGURED = "configured"

REASONS = {
    LOOPBACK: _("a loopback address (the portal's own server)"),
    LINK_LOCAL: _("a link-local address (where cloud metadata services answer)"),
    METADATA: _("a cloud metadata service address"),
    MULTICAST: _("a multicast address"),
    UNSPECIFIED: _("an unspecified address (0.0.0.0 or ::)"),
    BROADCAST: _("a broadcast address"),
    CONFIGURED: _("in a network the portal is configured not to reach"),
}

# (network, kind). Longest prefix wins, so the metadata hosts inside other ranges are named as such.
DEFAULT_DENIED = [
    ("127.0.0.0/8", LOOPBACK),
    ("::1/128", LOOPBACK),
    ("169.254.0.0/16", LINK_LOCAL),
    ("fe80::/10", LINK_LOCAL),
    ("169.254.169.254/32", METADATA),
    ("fd00:ec2::254/128", METADATA),  # AWS instance metadata over IPv6 (a unique-local address)
    ("100.100.100.200/32", METADATA),  # Alibaba Cloud metadata (in the shared 100.64/10 range)
    ("224.0.0.0/4", MULTICAST),
    ("ff00::/8", MULTICAST),
    ("0.0.0.0/8", UNSPECIFIED),  # Linux connects 0.0.0.0 to the local machine
    ("::/128", UNSPECIFIED),
    ("255.255.255.255/32", BROADCAST),
]


@dataclass(frozen=True)
class Refusal:
    """Why an address is refused: the address and the kind of network it is in."""

    address: str
    kind: str

    @property
    def reason(self):
        return REASONS[self.kind]

    def message(self):
        return _("The stream address leads to %(address)s, %(reason)s; the portal does not open "
                 "streams there. Use the camera's address on the operator's network.") % {
            "address": self.address,
            "reason": self.reason,
        }


class Policy:
    """Denied networks with their kind, and allowed exceptions, ready to test addresses."""

    def __init__(self, denied=None, allowed=None):
        if denied is None:
            extra = [(n, CONFIGURED) for n in _setting("CAMERA_DENIED_NETWORKS")]
            denied = [*DEFAULT_DENIED, *extra]
        if allowed is None:
            allowed = _setting("CAMERA_ALLOWED_NETWORKS")
        self.denied = [(ipaddress.ip_network(n, strict=False), kind) for n, kind in denied]
        self.allowed = [ipaddress.ip_network(n, strict=False) for n in allowed]

    def refusal(self, address):
        """A Refusal when `address` (text or ip_address) may not be reached, else None."""
        ip = normalize(address)
        deny_len, kind = -1, None
        for network, network_kind in self.denied:
            if ip.version == network.version and ip in network and network.prefixlen > deny_len:
                deny_len, kind = network.prefixlen, network_kind
        if kind is None:
            return None
        for network in self.allowed:
            if ip.version == network.version and ip in network and network.prefixlen >= deny_len:
                return None
        return Refusal(str(ip), kind)


_cache = {}


def current_policy():
    """The Policy of the current settings, built once per distinct configuration."""
    key = (tuple(_setting("CAMERA_DENIED_NETWORKS")), tuple(_setting("CAMERA_ALLOWED_NETWORKS")))
    policy = _cache.get(key)
    if policy is None:
        if len(_cache) > 16:
            _cache.clear()
        policy = _cache[key] = Policy()
    return policy


def _setting(name):
    value = getattr(settings, name) or []
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    return list(value)


def normalize(address):
    """An ip_address; IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address it carries."""
    if isinstance(address, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        ip = address
    else:
        ip = ipaddress.ip_address(address)
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.scope_id:
            ip = ipaddress.ip_address(str(ip).split("%", 1)[0])
    return ip


def literal_address(host):
    """The IP address `host` spells without any DNS lookup, or None for a name.

    Beyond the usual forms this accepts what the C library does (127.1, 0x7f.0.0.1, 2130706433),
    because that is how FFmpeg will read the host.
    """
    host = (host or "").strip().strip("[]")
    if not host:
        return None
    try:
        return normalize(host)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return normalize(infos[0][4][0])


def url_host(url):
    try:
        return urlsplit((url or "").strip()).hostname or ""
    except ValueError:
        return ""


def _getaddrinfo(host, timeout):
    """All addresses of `host`, giving up after `timeout` s (the C resolver takes no timeout)."""
    if timeout is None:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        return _addresses(infos)
    outcome = {}

    def run():
        try:
            outcome["infos"] = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except Exception as exc:  # noqa: BLE001 - handed back to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise socket.gaierror(socket.EAI_AGAIN, f"resolving {host} took over {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return _addresses(outcome["infos"])


def _addresses(infos):
    seen = []
    for info in infos:
        ip = normalize(info[4][0])
        if ip not in seen:
            seen.append(ip)
    return seen


def check_literal(url, policy=None):
    """Refusal for a stream URL whose host is a literal denied IP; None otherwise (no DNS)."""
    ip = literal_address(url_host(url))
    if ip is None:
        return None
    return (policy or current_policy()).refusal(ip)


def check_on_save(url, timeout=None, policy=None):
    """Refusal for a stream URL whose host is, or resolves now to, a denied address.

    A name that does not resolve from the portal (yet, or only inside the operator's network) is
    accepted here: it is checked again, on what it resolves to, every time it is probed.
    """
    policy = policy or current_policy()
    host = url_host(url)
    if not host:
        return None
    ip = literal_address(host)
    if ip is not None:
        return policy.refusal(ip)
    if timeout is None:
        timeout = settings.CAMERA_RESOLVE_TIMEOUT
    if timeout <= 0:
        return None
    try:
        addresses = _getaddrinfo(host, timeout)
    except (OSError, UnicodeError, ValueError):
        return None
    return _first_refusal(addresses, policy)


def _first_refusal(addresses, policy):
    for ip in addresses:
        refusal = policy.refusal(ip)
        if refusal is not None:
            return refusal
    return None


def resolver(timeout=None, policy=None):
    """A callable(host) -> IP text for `probe(resolve=...)` that refuses denied addresses.

    Raises PermissionError (message without credentials) when the host is or resolves to a
    denied address — any of its addresses, since the connection could use any of them — and
    socket.gaierror when the name does not resolve (within `timeout` seconds, if given).
    The policy is read from the settings once, when the resolver is made.
    """
    policy = policy or current_policy()

    def resolve(host):
        ip = literal_address(host)
        addresses = [ip] if ip is not None else _getaddrinfo(host, timeout)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} has no address")
        refusal = _first_refusal(addresses, policy)
        if refusal is not None:
            raise PermissionError(str(refusal.message()))
        return str(addresses[0])

    return resolve
