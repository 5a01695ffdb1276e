"""What a token may do beyond its account's scope: a read-only token never writes."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from api.models import ApiToken


class TokenAccessPermission(permissions.BasePermission):
    """Refuses unsafe methods (POST, PUT, PATCH, DELETE) to a read-only token (403)."""

    message = _("This token is read-only: create a read-and-write token to send changes.")

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken) or request.method in permissions.SAFE_METHODS:
            return True
        return not token.read_only
