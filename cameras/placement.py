"""Placement review: a province admin judges from a camera's picture where it looks.

Approving or rejecting is a row of `PlacementReview`. A rejection (with a reason from the
national guidance: inside a room, a bathroom, the wrong zone, obstructed, other + text) marks the
camera's `placement_review` rejected and moves it along the lifecycle's "reject_placement" rows: a
registered or eligible camera becomes ineligible, a connected one is suspended and the province's
operator engineers get an e-mail; the checks then leave its status alone (cameras/health.py).
Only a picture taken after the rejected one can be approved; approving lifts the mark and queues
a check, whose verdict decides eligibility again (a suspended camera waits for the operator to
connect it again, as after any suspension).
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cameras import lifecycle
from cameras.choices import (
    ConnectionStatus,
    PlacementDecision,
    PlacementRejection,
    PlacementState,
)
from cameras.models import Camera, CameraSnapshot, PlacementReview
from facilities.perms import Role
from facilities.roles import province_role_holders
from portal.actor import acting_as

S = ConnectionStatus


class Refused(Exception):
    """The review cannot be made; `message` says why, translated."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def latest_review(camera):
    return camera.placement_reviews.order_by("-at", "-pk").first()


def review(camera, snapshot, user, decision, *, reason="", note="", now=None):
    """Record `user`'s review of `camera` from `snapshot`; returns the PlacementReview.

    The caller has checked that `user` may change the camera and see its pictures (the page's
    scope). Raises Refused for a rejection without a reason, an approval of a picture not newer
    than the rejected one, or a picture that is not the camera's.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    if snapshot.camera_id != camera.pk:
        raise Refused(_("This picture is not of this camera."))
    if decision == PlacementDecision.REJECTED:
        if reason not in PlacementRejection.values:
            raise Refused(_("Choose why the placement is rejected."))
        if reason == PlacementRejection.OTHER and not note:
            raise Refused(_("Explain in the note why the placement is rejected."))
    elif decision == PlacementDecision.APPROVED:
        reason, note = "", note
        last = latest_review(camera)
        if (
            last is not None
            and last.decision == PlacementDecision.REJECTED
            and snapshot.taken_at <= last.snapshot_taken_at
        ):
            raise Refused(
                _(
                    "The placement was rejected from this picture or a newer one: move the "
                    "camera, then use “Check now” for a new picture and approve that one."
                )
            )
    else:
        raise Refused(_("Approve or reject the placement."))

    with transaction.atomic(), acting_as(user):
        camera = Camera.objects.select_for_update().select_related("facility").get(pk=camera.pk)
        entry = PlacementReview.objects.create(
            camera=camera,
            snapshot=snapshot,
            snapshot_taken_at=snapshot.taken_at,
            decision=decision,
            reason=reason,
            note=note,
            by=user,
            at=now,
        )
        if decision == PlacementDecision.REJECTED:
            _reject(camera, entry, user, now)
        else:
            _approve(camera)
    return entry


def _reason_text(entry):
    with translation.override(settings.LANGUAGE_CODE):
        return _("Placement rejected: %(reason)s") % {"reason": entry.reason_text()}


def _reject(camera, entry, user, now):
    camera.placement_review = PlacementState.REJECTED
    camera.save(update_fields=["placement_review", "updated_at"])
    text = _reason_text(entry)
    status = camera.connection_status
    roles = frozenset({lifecycle.PROVINCE_ADMIN})
    if status in (S.REGISTERED, S.ELIGIBLE, S.CONNECTED):
        target = S.SUSPENDED if status == S.CONNECTED else S.INELIGIBLE
        transition = lifecycle.move(
            camera, target, user=user, roles=roles, reason=text, now=now, review=True
        )
        if lifecycle.NOTIFY_OPERATOR in transition.effects:
            transaction.on_commit(lambda: notify_operators(camera, text))
    elif status in (S.INELIGIBLE, S.SUSPENDED):
        # Already out of the connected count: the reason says why now.
        camera.status_reason = text
        camera.save(update_fields=["status_reason", "updated_at"])


def _approve(camera):
    was_rejected = camera.placement_review == PlacementState.REJECTED
    camera.placement_review = PlacementState.APPROVED
    camera.save(update_fields=["placement_review", "updated_at"])
    if was_rejected:
        # The checks judge it again; a suspended camera waits for the operator.
        lifecycle._queue_check(camera)


def notify_operators(camera, text):
    """Tell the operator engineers of the camera's province that it was suspended."""
    holders = province_role_holders(Role.OPERATOR, [camera.facility.province_id])
    to = sorted({u.email for u in holders.get(camera.facility.province_id, ()) if u.email})
    if not to:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Camera suspended after a placement review: %(camera)s") % {
            "camera": camera.name
        }
        body = _(
            "The province suspended the camera “%(camera)s” of “%(facility)s” after reviewing "
            "its picture. %(reason)s\n\nStop taking its stream until the province approves a "
            "new picture and the camera is connected again."
        ) % {"camera": camera.name, "facility": camera.facility.name, "reason": text}
    return EmailMessage(subject, body, to=to).send()


def latest_snapshot_ids(camera_ids):
    """{camera id: id of its newest snapshot} in one query."""
    latest = {}
    rows = CameraSnapshot.objects.filter(camera_id__in=list(camera_ids)).order_by(
        "camera_id", "-taken_at", "-pk"
    )
    for camera_id, pk in rows.values_list("camera_id", "pk"):
        latest.setdefault(camera_id, pk)
    return latest
