"""Grants: guardian object permissions on provinces and facilities, with who, when and until when.

Kept apart from facilities/models.py so the scope (facilities/access.py) reads these tables without
importing the models whose querysets call it: the foreign keys name Province and Facility by string.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class GrantFields(models.Model):
    """Who made a grant, when, and until when it works (guardian itself keeps neither)."""

    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True, null=True)
    expires_on = models.DateField(
        _("ends on"),
        null=True,
        blank=True,
        help_text=_("The grant stops working after this day. Leave empty for no end."),
    )

    class Meta:
        abstract = True


# Direct foreign-key permission tables: guardian's recommended set-up for per-object grants that are
# queried in bulk (scope subqueries join on an integer key instead of a generic object_pk text).
class ProvinceUserObjectPermission(UserObjectPermissionBase, GrantFields):
    content_object = models.ForeignKey(
        "facilities.Province",
        on_delete=models.CASCADE,
        related_name="user_grants",
    )

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("province grant to a user")
        verbose_name_plural = _("province grants to users")


class ProvinceGroupObjectPermission(GroupObjectPermissionBase, GrantFields):
    content_object = models.ForeignKey(
        "facilities.Province",
        on_delete=models.CASCADE,
        related_name="group_grants",
    )

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("province grant to a group")
        verbose_name_plural = _("province grants to groups")


class FacilityUserObjectPermission(UserObjectPermissionBase, GrantFields):
    content_object = models.ForeignKey(
        "facilities.Facility",
        on_delete=models.CASCADE,
        related_name="user_grants",
    )

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("facility grant to a user")
        verbose_name_plural = _("facility grants to users")


class FacilityGroupObjectPermission(GroupObjectPermissionBase, GrantFields):
    content_object = models.ForeignKey(
        "facilities.Facility",
        on_delete=models.CASCADE,
        related_name="group_grants",
    )

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("facility grant to a group")
        verbose_name_plural = _("facility grants to groups")
