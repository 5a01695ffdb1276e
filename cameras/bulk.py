"""One lifecycle transition applied to many cameras (the admin's bulk actions, later the API).

Each camera goes through the same checks as a single change (cameras/lifecycle.py); refusals are
collected, not raised, so an operator marking 300 cameras connected learns which 12 were refused
and why, and the cameras that only lack a recent check are checked with one request.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cameras import lifecycle
from cameras.queue import request_checks

# Refusals listed one by one on the page; the rest are counted.
SHOWN_REFUSALS = 20


@dataclass
class Outcome:
    done: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (camera, message)
    checks_queued: int = 0


def apply_to_each(cameras, transition, user, reason=""):
    """Move each camera of `cameras` along `transition`, as `user` holding the transition's role.

    `cameras` must already be restricted to the scope of that role (restrict(user, action)).
    """
    from cameras.tasks import checkable

    outcome = Outcome()
    wants_check = []
    roles = frozenset({transition.by})
    for camera in cameras:
        try:
            lifecycle.move(
                camera, transition.target, user=user, roles=roles, reason=reason, queue_check=False
            )
        except lifecycle.Refused as refused:
            outcome.refused.append((camera, refused.problem))
            if refused.wants_check:
                wants_check.append(camera.pk)
        else:
            outcome.done.append(camera)
    if wants_check:
        ids = list(checkable().filter(pk__in=wants_check).values_list("pk", flat=True))
        request_checks(ids)
        outcome.checks_queued = len(ids)
    return outcome


def report(model_admin, request, transition, outcome, skipped):
    """Tell the person what happened to each camera, in the admin's messages."""
    done = len(outcome.done)
    if done:
        model_admin.message_user(
            request,
            ngettext(
                "“%(action)s”: %(n)d camera changed.",
                "“%(action)s”: %(n)d cameras changed.",
                done,
            )
            % {"action": transition.label, "n": done},
            messages.SUCCESS,
        )
    for camera, message in outcome.refused[:SHOWN_REFUSALS]:
        model_admin.message_user(
            request,
            _("“%(camera)s” (%(facility)s) was not changed: %(reason)s")
            % {"camera": camera.name, "facility": camera.facility.name, "reason": message},
            messages.WARNING,
        )
    more = len(outcome.refused) - SHOWN_REFUSALS
    if more > 0:
        model_admin.message_user(
            request,
            ngettext(
                "%(n)d more camera was refused for the same kinds of reasons.",
                "%(n)d more cameras were refused for the same kinds of reasons.",
                more,
            )
            % {"n": more},
            messages.WARNING,
        )
    if outcome.checks_queued:
        model_admin.message_user(
            request,
            ngettext(
                "A check of %(n)d refused camera was queued: try again when it shows “Meets the "
                "connection standard”.",
                "Checks of %(n)d refused cameras were queued: try again when they show “Meets "
                "the connection standard”.",
                outcome.checks_queued,
            )
            % {"n": outcome.checks_queued},
            messages.INFO,
        )
    if skipped:
        model_admin.message_user(
            request,
            ngettext(
                "%(n)d camera was not changed: it is outside what you may change.",
                "%(n)d cameras were not changed: they are outside what you may change.",
                skipped,
            )
            % {"n": skipped},
            messages.WARNING,
        )
