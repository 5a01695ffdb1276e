"""What one account may see of the report: its provinces and the matching scoped querysets.

Pages, exports and the background export jobs (which run with their owner's scope, not the
task's) all start here, so a report never shows what `facilities.access.restrict` would not.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from cameras.models import Camera
from facilities import access
from facilities.models import Facility, Province
from portal.errors import NotFound
from reports.models import DailySnapshot


class Scope:
    """The viewer's provinces (optionally one of them) and the matching scoped querysets."""

    def __init__(self, user, code=None):
        self.user = user
        provinces = Province.objects.restrict(user, access.VIEW).order_by("code")
        if code:
            provinces = provinces.filter(code=code)
        self.provinces = list(provinces)
        if not self.provinces:
            # The 63 province codes are public reference data: telling a wrong code from one not
            # delegated reveals nothing a reader may not know.
            if code and not Province.objects.filter(code=code).exists():
                raise NotFound(_("There is no province with code %(code)s.") % {"code": code})
            raise PermissionDenied(_("No province's report has been delegated to your account."))
        self.province = self.provinces[0] if code else None
        self.national = self.province is None and access.sees_everything(user, access.VIEW)
        self.facilities = Facility.objects.restrict(user, access.VIEW)
        self.cameras = Camera.objects.restrict(user, access.VIEW)
        self.snapshots = DailySnapshot.objects.restrict(user, access.VIEW)
        if not self.national:
            # Facility-level grants elsewhere must not leak partial provinces into the report.
            ids = [p.pk for p in self.provinces]
            self.facilities = self.facilities.filter(province_id__in=ids)
            self.cameras = self.cameras.filter(facility__province_id__in=ids)
            self.snapshots = self.snapshots.filter(province_id__in=ids)

    @property
    def one_province(self):
        """The province when the scope is exactly one, else None."""
        return self.provinces[0] if len(self.provinces) == 1 else None

    @property
    def total_label(self):
        return _("National total") if self.national else _("Total")
