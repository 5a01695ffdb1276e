"""The connection lifecycle of a camera: one table of allowed transitions, who may make each and
what each requires.

Every path that changes a camera's connection status goes through here: the admin form and its
bulk actions, the checks (cameras/health.py), and later the API. `Camera.save()` refuses a change
of status that is not a row of the table, so a path that forgets this module fails loudly instead
of putting a number into the Ministry's report that no rule allowed.

    registered -> eligible | ineligible        the checks, from a verdict
    eligible <-> ineligible                    the checks, from a verdict
    eligible | suspended -> connected          operator engineer of the province (or a national
                                               administrator): latest verdict on the whole active
                                               standard eligible and recent (CONNECT_MAX_AGE):
                                               a full check's, not a routine one's
    connected -> suspended                     operator engineer: a reason
    any -> decommissioned                      province admin (or a national admin): a reason
    decommissioned -> registered (reinstate)   province admin: queues a check
    registered | eligible -> ineligible        province admin, a rejected placement review
    connected -> suspended                     province admin, a rejected placement review:
                                               the operator engineers are told (e-mail)

The table is data: later work adds rows (a rejected placement review makes a camera ineligible or
suspends a connected one) without touching the code that applies them.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cameras import conf
from cameras.choices import ConnectionStatus
from cameras.models import REASON_STATUSES, CameraStatusChange, ConnectionStandard
from facilities import access
from facilities.choices import FacilityStatus

S = ConnectionStatus

# Who makes a transition. A national administrator holds both people's roles everywhere.
CHECKS = "checks"
OPERATOR = "operator"
PROVINCE_ADMIN = "province_admin"
ROLE_ACTIONS = {OPERATOR: access.CONNECT, PROVINCE_ADMIN: access.CHANGE}

# What a transition requires.
VERDICT = "verdict"  # a verdict of a check, supplied by the checks themselves
RECENT_PASS = "recent_pass"  # latest verdict eligible, on the active standard, recent
FACILITY_OPEN = "facility_open"  # the facility is not closed
REASON = "reason"  # a reason typed by the person

# What happens after.
STOP_CHECKS = "stop_checks"
QUEUE_CHECK = "queue_check"
NOTIFY_OPERATOR = "notify_operator"


@dataclass(frozen=True)
class Transition:
    """One row of the table: from which statuses to which, by whom, needing what, then what."""

    name: str
    sources: frozenset
    target: str
    by: str
    requires: tuple = ()
    effects: tuple = ()
    label: str = ""
    # Offered in the camera form's status menu; a placement review's rows are made from the
    # review page only (cameras/placement.py).
    in_form: bool = True

    def allows(self, source, target):
        return source in self.sources and target == self.target


_JUDGED = frozenset({S.REGISTERED, S.ELIGIBLE, S.INELIGIBLE})

TRANSITIONS = (
    Transition("judge", _JUDGED - {S.ELIGIBLE}, S.ELIGIBLE, CHECKS, (VERDICT,)),
    Transition("judge", _JUDGED - {S.INELIGIBLE}, S.INELIGIBLE, CHECKS, (VERDICT,)),
    Transition(
        "connect",
        frozenset({S.ELIGIBLE, S.SUSPENDED}),
        S.CONNECTED,
        OPERATOR,
        (RECENT_PASS, FACILITY_OPEN),
        label=gettext_lazy("Mark connected"),
    ),
    Transition(
        "suspend",
        frozenset({S.CONNECTED}),
        S.SUSPENDED,
        OPERATOR,
        (REASON,),
        label=gettext_lazy("Suspend"),
    ),
    Transition(
        "decommission",
        frozenset(S.values) - {S.DECOMMISSIONED},
        S.DECOMMISSIONED,
        PROVINCE_ADMIN,
        (REASON,),
        (STOP_CHECKS,),
        label=gettext_lazy("Decommission"),
    ),
    Transition(
        "reinstate",
        frozenset({S.DECOMMISSIONED}),
        S.REGISTERED,
        PROVINCE_ADMIN,
        (),
        (QUEUE_CHECK,),
        label=gettext_lazy("Reinstate"),
    ),
    Transition(
        "reject_placement",
        frozenset({S.REGISTERED, S.ELIGIBLE}),
        S.INELIGIBLE,
        PROVINCE_ADMIN,
        (REASON,),
        label=gettext_lazy("Reject the placement"),
        in_form=False,
    ),
    Transition(
        "reject_placement",
        frozenset({S.CONNECTED}),
        S.SUSPENDED,
        PROVINCE_ADMIN,
        (REASON,),
        (NOTIFY_OPERATOR,),
        label=gettext_lazy("Reject the placement"),
        in_form=False,
    ),
)



class Refused(Exception):
    """A transition the table does not allow for this actor, or whose requirements are not met.

    `message` is a translated sentence that says why and what to do; `check_queued` tells the
    caller that a check was asked for (the refusal may go away once it has run).
    """

    def __init__(self, message, *, check_queued=False, wants_check=False, field=None):
        super().__init__(message)
        self.message = message
        self.check_queued = check_queued
        # A check could lift the refusal (no recent passing verdict).
        self.wants_check = wants_check
        # The form field the refusal is about, when not the status itself.
        self.field = field
        # The refusal without what to do next (bulk actions say that once for all cameras).
        self.problem = message


def find(source, target, by=None):
    """The table row taking `source` to `target` (made by `by`, if given), or None."""
    for transition in TRANSITIONS:
        if transition.allows(source, target) and (by is None or transition.by == by):
            return transition
    return None


def is_allowed_edge(source, target):
    """Whether any row of the table takes `source` to `target` (Camera.save's guard)."""
    return source == target or find(source, target) is not None


def by_name(name):
    return next(t for t in TRANSITIONS if t.name == name)


def roles_of(user, camera, can=access.can):
    """The lifecycle roles `user` holds on `camera` (`can(user, action, camera)` answers)."""
    return frozenset(role for role, action in ROLE_ACTIONS.items() if can(user, action, camera))


def targets_for(camera, roles):
    """Statuses the holder of `roles` could move `camera` to now, requirements aside."""
    return [
        t.target
        for t in TRANSITIONS
        if t.by in roles and camera.connection_status in t.sources and t.in_form
    ]


def may_edit_reason(status, roles):
    """Whether the holder of `roles` may correct the reason of a camera in `status`: who could
    have made the transition into it."""
    return any(
        t.target == status and t.by in roles and REASON in t.requires and t.in_form
        for t in TRANSITIONS
    )


def offered_targets(camera, roles):
    """Statuses a form offers the holder of `roles`: the table's, and "connected" to an operator
    even before the camera passed, so that asking explains what is missing and queues a check."""
    offered = targets_for(camera, roles)
    if OPERATOR in roles and camera.connection_status in (S.REGISTERED, S.INELIGIBLE):
        offered.append(S.CONNECTED)
    return offered


def connect_max_age():
    return conf.connect_max_age()


def _status_label(status):
    return str(S(status).label) if status in S.values else status


def _refuse_edge(camera, target, roles):
    source = camera.connection_status
    transition = find(source, target)
    if transition is None:
        return Refused(
            _("A camera cannot go from “%(source)s” to “%(target)s”.")
            % {"source": _status_label(source), "target": _status_label(target)}
        )
    if transition.by == CHECKS:
        return Refused(
            _(
                "Only the portal's checks make a camera eligible or ineligible, from what its "
                "stream shows. Use “Check now” to check it again."
            )
        )
    if transition.by == OPERATOR:
        return Refused(
            _(
                "Only the operator engineers serving the province can connect or suspend "
                "cameras."
            )
        )
    return Refused(
        _("Only the province's administrators can decommission or reinstate cameras.")
    )


def _queue_check(camera):
    """Ask for a check of `camera` now, if its checks run; True when one was queued."""
    from cameras import queue

    if not camera.check_enabled or camera.connection_status == S.DECOMMISSIONED:
        return False
    if camera.facility.status == FacilityStatus.CLOSED:
        return False
    queue.request_check_on_commit(camera.pk)
    return True


def _recent_pass_problem(camera, now, config_changing, standard=None):
    """Why the latest verdict does not allow connecting, or None.

    Only a full check gives a verdict on the whole standard (cameras/tasks.py, "Routine and full
    checks"): the recent one that connecting needs is the last full check, whatever routine
    checks came after it. (A routine check that finds the camera below the standard writes its
    verdict, so a failure after the full check still refuses.)
    """
    if config_changing:
        return _(
            "The stream address or credentials are being changed: save them first, let the "
            "portal check the new stream, then mark the camera connected."
        )
    state = camera.state
    if state.verdict_pending or state.verdict_eligible is None:
        return _("This camera has not passed a check of its current stream yet.")
    if not state.verdict_eligible:
        from cameras.standard import reasons_text

        return _("Its latest check found it below the connection standard: %(reasons)s") % {
            "reasons": reasons_text(state.verdict_reasons)
        }
    if state.full_checked_at is None:
        return _("This camera has not passed a check of its current stream yet.")
    active = standard or ConnectionStandard.current()
    if state.verdict_standard_id != active.pk:
        return _(
            "Its latest check was judged by an earlier version of the connection standard "
            "(the active version is %(version)s)."
        ) % {"version": active.version}
    max_age = connect_max_age()
    if state.full_checked_at < now - max_age:
        return _(
            "Its latest full check (frame rate and the whole standard), at %(when)s, is older "
            "than %(minutes)s minutes; routine checks since then do not measure the frame rate."
        ) % {
            "when": formats.date_format(
                timezone.localtime(state.full_checked_at), "DATETIME_FORMAT"
            ),
            "minutes": int(max_age.total_seconds() // 60),
        }
    return None


def _need_pass(camera, problem, queue_check, config_changing):
    """The refusal of a connect that lacks a recent passing check; queues one when it can."""
    problem = problem or _("This camera has not passed a check of its current stream yet.")
    queued = queue_check and not config_changing and _queue_check(camera)
    follow = (
        _("A check was queued: try again when the camera shows “Meets the connection "
          "standard”.")
        if queued
        else _("Check the camera, then try again.")
    )
    refused = Refused(f"{problem} {follow}", check_queued=queued, wants_check=not config_changing)
    refused.problem = problem
    return refused


def check(camera, target, roles, *, reason="", now=None, config_changing=False,
          queue_check=True, standard=None, review=False):
    """The Transition taking `camera` to `target` for the holder of `roles`, or raise Refused.

    roles: the lifecycle roles of the person (`roles_of`), or {CHECKS} for the checks.
    config_changing: the same save changes the stream address or credentials.
    queue_check: when connecting is refused for want of a recent passing check, ask for one.
    standard: the active ConnectionStandard, when the caller checks many cameras (read once,
              not once per camera); read here otherwise.
    review: a placement review's transition (rows not offered in the camera form).
    """
    source = camera.connection_status
    if source == target:
        raise Refused(_("The camera is already “%(status)s”.") % {"status": _status_label(target)})
    transition = next(
        (
            t
            for t in TRANSITIONS
            if t.allows(source, target) and t.by in roles and (t.in_form or review)
        ),
        None,
    )
    now = now or timezone.now()
    if transition is None:
        if target == S.CONNECTED and OPERATOR in roles and source in (S.REGISTERED, S.INELIGIBLE):
            # Not eligible yet: say what the checks found, and check again.
            raise _need_pass(
                camera, _recent_pass_problem(camera, now, config_changing, standard),
                queue_check, config_changing,
            )
        raise _refuse_edge(camera, target, roles)
    if FACILITY_OPEN in transition.requires and camera.facility.status == FacilityStatus.CLOSED:
        raise Refused(
            _("The facility “%(facility)s” is closed: its cameras are not connected.")
            % {"facility": camera.facility.name}
        )
    if RECENT_PASS in transition.requires:
        problem = _recent_pass_problem(camera, now, config_changing, standard)
        if problem is not None:
            raise _need_pass(camera, problem, queue_check, config_changing)
    if REASON in transition.requires and not (reason or "").strip():
        raise Refused(
            _("Enter the reason for this change (“%(action)s”): it is shown to the province "
              "and the operator.") % {"action": transition.label},
            field="status_reason",
        )
    return transition


def apply(camera, transition, *, by=None, reason="", now=None):
    """Move `camera` (in memory) along `transition`; returns the unsaved history row.

    by: the person, None for the checks. The caller saves the camera (so the audit entry has the
    caller's actor) and then the history row (`record`). Reasons that no longer apply are
    cleared: a connected camera carries no "not connected" reason.
    """
    now = now or timezone.now()
    source = camera.connection_status
    target = transition.target
    camera.connection_status = target
    camera.status_changed_at = now
    camera.status_reason = (reason or "").strip() if target in REASON_STATUSES else ""
    if target == S.CONNECTED:
        camera.connected_at = now
        camera.connected_by = by
    if STOP_CHECKS in transition.effects:
        camera.check_enabled = False
    if QUEUE_CHECK in transition.effects:
        camera.check_enabled = True
        camera.check_disabled_reason = ""
    camera._lifecycle_edge = (source, target)
    return CameraStatusChange(
        camera_id=camera.pk,
        source=source,
        target=target,
        transition=transition.name,
        at=now,
        by=by,
        reason=camera.status_reason,
    )


# Fields a transition may write (for save(update_fields=...)); updated_at with them, since a
# transition is a change of the camera (Camera's docstring).
FIELDS = [
    "connection_status",
    "status_changed_at",
    "status_reason",
    "connected_at",
    "connected_by",
    "check_enabled",
    "check_disabled_reason",
    "updated_at",
]

# What a reinstated camera's check state starts from: its first check decides eligibility again.
REINSTATED_STATE = {"verdict_pending": True, "next_check_at": None}


def record(change, camera):
    """Save the history row of a transition whose camera was saved; queue what follows."""
    change.camera_id = camera.pk
    change.save()
    if change.transition == "reinstate":
        camera.write_state(**REINSTATED_STATE)
        _queue_check(camera)
    return change


def move(camera, target, *, user, roles, reason="", now=None, queue_check=True, review=False):
    """Check, apply and save one person's transition (admin actions, the API to come).

    Raises Refused (checked before any write, so a refusal's queued check is not rolled back).
    The camera is saved with the current audit actor (the request's user).
    """
    transition = check(
        camera, target, roles, reason=reason, now=now, queue_check=queue_check, review=review
    )
    with transaction.atomic():
        change = apply(camera, transition, by=user, reason=reason, now=now)
        camera.save(update_fields=FIELDS)
        record(change, camera)
    return transition


def judge(camera, verdict_eligible, reason, now=None):
    """The checks' transition from a verdict (cameras/health.py); the unsaved history row, or
    None when the table has no such row (a connected camera is not judged)."""
    target = S.ELIGIBLE if verdict_eligible else S.INELIGIBLE
    transition = find(camera.connection_status, target, CHECKS)
    if transition is None:
        return None
    return apply(camera, transition, by=None, reason=reason, now=now)


def problems(camera, now=None, max_age=None):
    """What about a camera's stored state the rules would not have allowed (check_registry).

    A list of translated sentences; empty when the state is one the table could have produced.
    """
    found = []
    status = camera.connection_status
    state = camera.state
    if status in (S.CONNECTED, S.SUSPENDED) and (
        state.last_ok_at is None or state.verdict_eligible is None
    ):
        found.append(_("connected without ever passing a check"))
    if status in (S.ELIGIBLE, S.INELIGIBLE) and state.verdict_eligible is None:
        found.append(_("eligible or ineligible without any check"))
    if status not in REASON_STATUSES and camera.status_reason:
        found.append(_("keeps a “not connected” reason that no longer applies"))
    if status in (S.SUSPENDED, S.DECOMMISSIONED) and not camera.status_reason:
        found.append(_("suspended or decommissioned without a reason"))
    return found


def guard(sender, instance, raw=False, **kwargs):
    """pre_save of Camera: a change of status that no row of the table allows is a bug."""
    if raw or instance._state.adding:
        return
    loaded = getattr(instance, "_loaded_status", None)
    if loaded is None or is_allowed_edge(loaded, instance.connection_status):
        return
    raise ValueError(
        f"camera {instance.pk}: {loaded} -> {instance.connection_status} is not a transition of "
        "cameras.lifecycle; change connection statuses through it"
    )
