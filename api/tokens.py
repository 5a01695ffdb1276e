"""API tokens: making a key, storing only its digest, finding it again, and when it works.

A key is "cpt_" and 43 characters of base64url (32 random bytes from `secrets`): 256 bits that no
one guesses, so a plain SHA-256 of it is enough to store (a slow password hash protects guessable
secrets; this one is not, and every API request looks its key up). The digest is unique and
indexed: a request's key is found in one query, without comparing keys one by one. The first 12
characters (the "cpt_" and 8 random ones) are kept in clear to tell keys apart in lists.

A key works while it is not revoked, not expired, its account is active and, when the token lists
allowed networks, the request comes from one of them (the client address as the audit trail
reads it: portal/client.py, TRUSTED_PROXY_COUNT).
"""

import datetime
import hashlib
import ipaddress
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from api.models import ApiToken
from portal import twofactor
from portal.account_events import record_event
from portal.models import AccountEventKind

KEY_PREFIX = "cpt_"
SHOWN_LENGTH = 12


def new_key():
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


def parse_networks(text):
    """The networks of a form's text (commas, spaces or lines between them), canonical, or raise
    ValidationError naming the first that is not one."""
    networks = []
    for entry in text.replace(",", " ").split():
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ValidationError(
                _("“%(entry)s” is not a network: write an address (203.0.113.7) or a network in "
                  "CIDR form (203.0.113.0/24)."),
                code="network",
                params={"entry": entry[:60]},
            ) from None
    return list(dict.fromkeys(networks))


def max_days():
    return settings.API_TOKEN_MAX_DAYS


def is_service_account(user):
    """An account no person signs in with (no usable password): only a national administrator
    makes its tokens."""
    return user.is_active and not user.is_superuser and not user.has_usable_password()


def issue(owner, *, name, access, days, allowed_networks=(), created_by, request=None):
    """Create a token for `owner`; returns (token, key). The key exists only in this answer."""
    key = new_key()
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            owner=owner,
            name=name,
            prefix=key[:SHOWN_LENGTH],
            digest=digest(key),
            access=access,
            allowed_networks=list(allowed_networks),
            created_at=now,
            expires_at=now + datetime.timedelta(days=days),
            created_by=created_by,
        )
        record_event(
            AccountEventKind.TOKEN_CREATED,
            request,
            actor=created_by,
            target=owner,
            detail=_event_detail(token),
        )
    return token, key


def revoke(token, *, by, request=None):
    """Revoke `token` now (idempotent: a revoked token stays revoked at its first time)."""
    if token.revoked:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
        record_event(
            AccountEventKind.TOKEN_REVOKED,
            request,
            actor=by,
            target=token.owner,
            detail=_event_detail(token),
        )
    return token


def _event_detail(token):
    # The key's visible start names it; nothing of the secret part beyond it.
    return {
        "name": token.name,
        "starts_with": token.prefix,
        "access": token.access,
        "expires_at": token.expires_at,
        "allowed_networks": token.allowed_networks,
    }


def find(key):
    """The token of `key` with its owner, or None (one query)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    return ApiToken.objects.select_related("owner").filter(digest=digest(key)).first()


def refusal(token, address, now=None):
    """Why `token` does not work for a request from `address` now, or None."""
    now = now or timezone.now()
    if token.revoked:
        return _("This token was revoked.")
    if token.expired(now):
        return _("This token expired on %(when)s.") % {
            "when": formats.date_format(timezone.localtime(token.expires_at), "DATETIME_FORMAT")
        }
    if not token.owner.is_active:
        return _("The token's account is inactive.")
    if token.allowed_networks and not address_allowed(token.allowed_networks, address):
        return _("This token is not allowed from the address %(address)s.") % {
            "address": address or "?"
        }
    return None


def address_allowed(networks, address):
    if not address:
        return False
    ip = ipaddress.ip_address(address)
    # A dual-stack listener writes IPv4 clients as ::ffff:a.b.c.d.
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(
        ip.version == net.version and ip in net
        for net in (ipaddress.ip_network(entry) for entry in networks)
    )


def touch(token, address, now=None):
    """Record the token's use, at most once per API_TOKEN_TOUCH_SECONDS (or from a new address):
    API reads then write nothing most of the time, as page views do (portal/sessions.py)."""
    now = now or timezone.now()
    stale = token.last_used_at is None or (
        now - token.last_used_at
    ).total_seconds() >= settings.API_TOKEN_TOUCH_SECONDS
    if not stale and token.last_used_from == address:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address)
    token.last_used_at, token.last_used_from = now, address


def second_factor_passed(request):
    """Whether this request's session passed the second factor (portal/twofactor.py): what
    creating a token asks for, so that a token is never a way around two-factor sign-in. An
    account that has not set up two-factor sign-in (a facility manager, where it is optional)
    sets it up first."""
    return twofactor.is_verified(request.session)
