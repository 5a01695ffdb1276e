from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_national_officials_group(sender, **kwargs):
    """The group through which Telecommunications Department officials read everything."""
    from django.contrib.auth.models import Group, Permission

    from facilities.roles import NATIONAL_OFFICIALS_GROUP

    permission = Permission.objects.filter(
        codename="view_all", content_type__app_label="facilities"
    ).first()
    if permission is None:
        return
    group, _created = Group.objects.get_or_create(name=NATIONAL_OFFICIALS_GROUP)
    group.permissions.add(permission)


class FacilitiesConfig(AppConfig):
    name = "facilities"
    verbose_name = _("Facilities")

    def ready(self):
        post_migrate.connect(ensure_national_officials_group, sender=self)
