"""E-mail notices to province administrators: cameras that went offline or recovered.

Notices are driven by the outage rows, not by a sweep's memory: an offline period whose start
(or end) has not been told yet is told by the next sweep that finishes, so a sweep whose batch
died loses nothing. One e-mail per province, to the users holding manage_province on it (directly
or through a group, grant still in force) who have an e-mail address; nothing is sent when nothing
changed. Messages are in the portal's language (Vietnamese).

Telling is marking rows told, CHUNK rows per short transaction, never the whole backlog at once
in one write transaction; a notice lists at most LISTED cameras per kind of change and counts
the rest.
"""

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

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
from facilities.models import Province
from facilities.perms import Role
from facilities.roles import province_role_holders
from portal.chunked import breathe

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


# Changes marked told per transaction. Each chunk is a few statements on primary keys, a few
# milliseconds of write lock: the issue measured one transaction marking a backlog of 125,000
# outages that held SQLite's write lock for 20 s, and web requests timed out behind it.
CHUNK = 1000
# Cameras named per province and kind of change in one notice; the rest are counted ("and 1,234
# more"), so a backlog (a mail server down for a day, a network cut) gives a readable notice and
# the notifier's memory does not grow with it.
LISTED = 50


@dataclass
class Kind:
    """One kind of change told in notices: which rows are pending and how they are marked told.

    pending: a queryset of the rows not told yet (outages, or cameras' check states);
    order:   the order they are listed in;
    mark:    marks told the rows of a list of primary keys (an UPDATE);
    facts:   for a list of primary keys, (pk, province id, facility status) of each row;
    details: the rows of a list of primary keys with what a notice shows (camera, facility...).
    """

    key: str
    pending: object
    order: tuple
    mark: object
    facts: object
    details: object


def _kinds(now):
    outages = CameraOutage.objects.filter(kind=Health.OFFLINE)
    related = ("camera__facility__province",)

    def outage_facts(pks):
        return CameraOutage.objects.filter(pk__in=pks).values_list(
            "pk", "camera__facility__province_id", "camera__facility__status"
        )

    def outage_details(pks):
        return CameraOutage.objects.select_related(*related).filter(pk__in=pks)

    return (
        Kind(
            key="offline",
            pending=outages.filter(start_notified_at__isnull=True),
            order=("started_at", "pk"),
            mark=lambda pks: CameraOutage.objects.filter(pk__in=pks).update(
                start_notified_at=now
            ),
            facts=outage_facts,
            details=outage_details,
        ),
        Kind(
            key="recovered",
            pending=outages.filter(ended_at__isnull=False, end_notified_at__isnull=True),
            order=("ended_at", "pk"),
            mark=lambda pks: CameraOutage.objects.filter(pk__in=pks).update(end_notified_at=now),
            facts=outage_facts,
            details=outage_details,
        ),
        Kind(
            key="isolated",
            # The notice flag is check state, not an edit of the camera: the state's row is
            # locked and marked (its primary key is the camera's).
            pending=CameraState.objects.filter(
                isolation_notified=False, camera__check_disabled_reason__gt=""
            ),
            order=("pk",),
            mark=lambda pks: CameraState.objects.filter(pk__in=pks).update(
                isolation_notified=True
            ),
            facts=lambda pks: Camera.objects.filter(pk__in=pks).values_list(
                "pk", "facility__province_id", "facility__status"
            ),
            details=lambda pks: Camera.objects.select_related("facility__province").filter(
                pk__in=pks
            ),
        ),
    )


@dataclass
class Digest:
    """What one notice of one province tells: up to LISTED rows per kind, and how many in all.

    Rows are first noted by primary key (what a backlog costs is a count, not objects held);
    `load` then fetches the listed ones.
    """

    listed: dict = field(default_factory=lambda: defaultdict(list))
    counts: dict = field(default_factory=lambda: defaultdict(int))

    def note(self, key, pk):
        """Count a change; returns True when it is among the listed ones."""
        self.counts[key] += 1
        if len(self.listed[key]) < LISTED:
            self.listed[key].append(pk)
            return True
        return False

    def load(self, key, rows):
        """Replace the listed primary keys of `key` by their rows ({pk: row})."""
        self.listed[key] = [rows[pk] for pk in self.listed.get(key, []) if pk in rows]

    def context(self):
        context = {}
        for key in ("offline", "recovered", "isolated"):
            context[key] = self.listed.get(key, [])
            context[f"{key}_count"] = self.counts.get(key, 0)
            context[f"{key}_more"] = self.counts.get(key, 0) - len(context[key])
        return context


def _take(kind):
    """Mark the pending rows of `kind` told, CHUNK rows per transaction; yields the told keys.

    The pending rows are listed first without a transaction (a read: no write lock); each chunk
    then takes, in its own short transaction, those of its rows still pending (PostgreSQL locks
    them, skipping rows another notifier holds; SQLite serialises the transactions) and marks
    them, so two sweeps finishing together never tell the same change twice.
    """
    pks = list(kind.pending.order_by(*kind.order).values_list("pk", flat=True))
    held = None
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        if held is not None:
            # Let other writers (requests, check batches) in between chunks.
            breathe(held)
        began = time.monotonic()
        with transaction.atomic():
            won = list(
                kind.pending.filter(pk__in=chunk)
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)
            )
            if won:
                kind.mark(won)
        held = time.monotonic() - began
        if won:
            # Kept in the listed order.
            won = set(won)
            yield [pk for pk in chunk if pk in won]


def _take_pending():
    """Mark what is to be told as told, in short transactions; {province: Digest}."""
    now = timezone.now()
    digests = defaultdict(Digest)
    for kind in _kinds(now):
        listed = []
        for pks in _take(kind):
            facts = {pk: (province, status) for pk, province, status in kind.facts(pks)}
            for pk in pks:
                if pk not in facts:
                    continue
                province, status = facts[pk]
                # A closed facility's cameras are not told about: their changes are marked as
                # told so that reopening the facility does not send a backlog of stale notices.
                if status == FacilityStatus.CLOSED:
                    continue
                if digests[province].note(kind.key, pk):
                    listed.append(pk)
        if listed:
            rows = {row.pk: row for row in kind.details(listed)}
            for digest in digests.values():
                digest.load(kind.key, rows)
    provinces = Province.objects.in_bulk(list(digests))
    return {provinces[pk]: digest for pk, digest in digests.items() if pk in provinces}


def send_pending():
    """Send the notices of changes not told yet; returns the number of e-mails sent."""
    by_province = _take_pending()
    if not by_province:
        return 0
    recipients = province_admin_emails([province.pk for province in by_province])
    sent = 0
    for province, digest in sorted(by_province.items(), key=lambda item: item[0].code):
        to = recipients.get(province.pk)
        if not to:
            logger.info("no administrator e-mail for province %s: notice not sent", province.code)
            continue
        try:
            _message(province, digest.context(), to).send()
            sent += 1
        except Exception as exc:  # noqa: BLE001 - one province's mail server must not stop others
            logger.error("camera notice for province %s not sent: %s", province.code, exc)
    return sent


def _message(province, changes, to):
    with translation.override(settings.LANGUAGE_CODE):
        counts = []
        if changes["offline_count"]:
            n = changes["offline_count"]
            counts.append(ngettext("%(n)d camera offline", "%(n)d cameras offline", n) % {"n": n})
        if changes["recovered_count"]:
            n = changes["recovered_count"]
            counts.append(
                ngettext("%(n)d camera back online", "%(n)d cameras back online", n) % {"n": n}
            )
        if changes["isolated_count"]:
            n = changes["isolated_count"]
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
