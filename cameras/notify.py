"""E-mail notices to province administrators: cameras that went offline or recovered.

Notices are driven by the outage rows, not by a sweep's memory: an offline period whose start
(or end) has not been told yet is told by the next sweep that finishes, so a sweep whose batch
died loses nothing. One e-mail per province, to the users holding manage_province on it (directly
or through a group, grant still in force) who have an e-mail address; nothing is sent when nothing
changed. Messages are in the portal's language (Vietnamese).
"""

import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cameras.choices import Health
from cameras.models import Camera, CameraOutage, CameraState
from facilities.choices import FacilityStatus
from facilities.perms import Role
from facilities.roles import province_role_holders

logger = logging.getLogger(__name__)


def province_admin_emails(province_ids, today=None):
    """{province id: sorted e-mail addresses of its active administrators}.

    Provinces none of whose administrators has an address are left out.
    """
    holders = province_role_holders(Role.PROVINCE_ADMIN, province_ids, today)
    emails = {}
    for province_id, users in holders.items():
        addresses = sorted({user.email for user in users if user.email})
        if addresses:
            emails[province_id] = addresses
    return emails


def _take_pending():
    """Mark what is to be told as told, inside one transaction, and return it.

    Rows are locked (PostgreSQL, skipping rows another notifier holds) or the whole write is
    serialised (SQLite), so two sweeps finishing together never tell the same change twice.
    """
    now = timezone.now()
    related = ("camera__facility__province",)
    with transaction.atomic():
        went_offline = list(
            CameraOutage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(*related)
            .filter(kind=Health.OFFLINE, start_notified_at__isnull=True)
            .order_by("started_at")
        )
        recovered = list(
            CameraOutage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(*related)
            .filter(kind=Health.OFFLINE, ended_at__isnull=False, end_notified_at__isnull=True)
            .order_by("ended_at")
        )
        isolated = list(
            Camera.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("facility__province")
            .filter(state__isolation_notified=False)
            .exclude(check_disabled_reason="")
        )
        told = (list(went_offline), list(recovered), list(isolated))
        # A closed facility's cameras are not told about: their changes are marked as told so
        # that reopening the facility does not send a backlog of stale notices.
        went_offline = [o for o in went_offline if not _closed(o.camera.facility)]
        recovered = [o for o in recovered if not _closed(o.camera.facility)]
        isolated = [c for c in isolated if not _closed(c.facility)]
        if told[0]:
            CameraOutage.objects.filter(pk__in=[o.pk for o in told[0]]).update(
                start_notified_at=now
            )
        if told[1]:
            CameraOutage.objects.filter(pk__in=[o.pk for o in told[1]]).update(
                end_notified_at=now
            )
        if told[2]:
            # The notice flag is check state, not an edit of the camera.
            CameraState.objects.filter(camera_id__in=[c.pk for c in told[2]]).update(
                isolation_notified=True
            )
    return went_offline, recovered, isolated


def _closed(facility):
    return facility.status == FacilityStatus.CLOSED


def send_pending():
    """Send the notices of changes not told yet; returns the number of e-mails sent."""
    went_offline, recovered, isolated = _take_pending()
    by_province = defaultdict(lambda: {"offline": [], "recovered": [], "isolated": []})
    for outage in went_offline:
        by_province[outage.camera.facility.province]["offline"].append(outage)
    for outage in recovered:
        by_province[outage.camera.facility.province]["recovered"].append(outage)
    for camera in isolated:
        by_province[camera.facility.province]["isolated"].append(camera)
    if not by_province:
        return 0
    recipients = province_admin_emails([province.pk for province in by_province])
    sent = 0
    for province, changes in sorted(by_province.items(), key=lambda item: item[0].code):
        to = recipients.get(province.pk)
        if not to:
            logger.info("no administrator e-mail for province %s: notice not sent", province.code)
            continue
        try:
            _message(province, changes, to).send()
            sent += 1
        except Exception as exc:  # noqa: BLE001 - one province's mail server must not stop others
            logger.error("camera notice for province %s not sent: %s", province.code, exc)
    return sent


def _message(province, changes, to):
    with translation.override(settings.LANGUAGE_CODE):
        counts = []
        if changes["offline"]:
            n = len(changes["offline"])
            counts.append(ngettext("%(n)d camera offline", "%(n)d cameras offline", n) % {"n": n})
        if changes["recovered"]:
            n = len(changes["recovered"])
            counts.append(
                ngettext("%(n)d camera back online", "%(n)d cameras back online", n) % {"n": n}
            )
        if changes["isolated"]:
            n = len(changes["isolated"])
            counts.append(
                ngettext("%(n)d camera no longer checked", "%(n)d cameras no longer checked", n)
                % {"n": n}
            )
        subject = _("[Camera portal] %(province)s: %(counts)s") % {
            "province": province.name,
            "counts": ", ".join(counts),
        }
        body = render_to_string(
            "cameras/email/health_notice.txt",
            {"province": province, **changes},
        )
    return EmailMessage(subject=subject, body=body, to=to)
