from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_national_officials_group(sender, **kwargs):
    """The group through which Telecommunications Department officials read everything."""
    from django.contrib.auth.models import Group, Permission

    from facilities.perms import VIEW_ALL
    from facilities.roles import NATIONAL_OFFICIALS_GROUP

    permission = Permission.objects.filter(
        codename=VIEW_ALL, content_type__app_label="facilities"
    ).first()
    if permission is None:
        return
    group, _created = Group.objects.get_or_create(name=NATIONAL_OFFICIALS_GROUP)
    group.permissions.add(permission)


class FacilitiesConfig(AppConfig):
    name = "facilities"
    verbose_name = _("Facilities")

    def ready(self):
        # Imported here, not above: these modules import models, which Django loads after the
        # app configs.
        from facilities import audit_scope
        from portal import audit_provinces, auditlog_setup

        post_migrate.connect(ensure_national_officials_group, sender=self)
        audit_provinces.register_province_resolver(
            audit_scope.province_ids, audit_scope.loaded_with
        )
        # The registry and its grants are audited in full (a facility's updated_at aside).
        auditlog_setup.register(self.get_model("Province"))
        auditlog_setup.register(self.get_model("Facility"), exclude=["updated_at"])
        for grants in (
            "ProvinceUserObjectPermission",
            "ProvinceGroupObjectPermission",
            "FacilityUserObjectPermission",
            "FacilityGroupObjectPermission",
        ):
            auditlog_setup.register(self.get_model(grants))
