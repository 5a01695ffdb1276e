"""Who calls the API: a token (`Authorization: Bearer cpt_...`), or the portal's session.

Tokens are the machine path: a program cannot type a second factor, so a token request is not
asked for one. What keeps a token from being a way around two-factor sign-in is that one is
created only from a session that passed the second factor (api/pages.py). A session, on the
other hand, reaches the API only once it passed the second factor where the portal asks for one:
portal/twofactor_gate.py answers a half-signed session's API request with a 403 and lets only
token requests through without a session; a password alone opens the API no more than it opens
the admin.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api import tokens

SCHEME = "Bearer"


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`; request.auth is then the ApiToken."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _space, key = header.partition(" ")
        if scheme.lower() != SCHEME.lower():
            return None  # another scheme or none: the session may still authenticate
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed(_("The Authorization header carries no token."))
        token = tokens.find(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        address = getattr(request._request, "client_address", None)
        refusal = tokens.refusal(token, address)
        if refusal is not None:
            raise exceptions.AuthenticationFailed(refusal)
        tokens.touch(token, address)
        return token.owner, token

    def authenticate_header(self, request):
        # A 401 names the scheme to use (without it DRF would answer 403).
        return f'{SCHEME} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The portal's session (the browsable API inside the portal), CSRF enforced; the
    two-factor gate has already turned away a session that must pass the second factor and
    has not."""
