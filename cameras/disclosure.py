"""Connection details on request: a camera's stream address, user name and password, to whom,
for which cameras, how often, and on record.

Everywhere else the credentials are write-only (the camera form never shows them back, exports
and the audit trail never hold them). The operator engineer who takes a stream into its central
system needs them, so they are disclosed here, and only here (the API's connection endpoints
and the button on the camera's admin page both call this module):

- to whom: the operator engineers serving the camera's province and the national
  administrators, which is exactly the scope of the "connect" action
  (`Camera.objects.restrict(user, CONNECT)`, facilities/access.py): a grant past its end date,
  a province admin, a national official or another province's operator gets nothing;
- for which cameras: eligible, connected or suspended ones (a camera that never passed a check,
  or a decommissioned one, is not the operator's to connect);
- on record: one account event "connection details disclosed" per camera, with the account,
  the camera (and so its province) and the client's address; nothing secret in it;
- how often: at most CONNECTION_DETAILS_RATE cameras per account and period, counted in the
  cache every web process shares (Redis, or the database's cache table: portal/settings.py),
  for the API and the admin page together.

The count is of cameras, not requests: a facility's batch of 40 cameras takes 40 from the
budget, so the batch form is no way around the limit. The window is fixed (counted per period,
from the start of the period): Redis increments atomically; the database cache reads and writes
(two requests at the same moment can both pass the limit by a few), which is enough for a limit
meant to slow a stolen token down, not to count to the unit.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cameras.choices import ConnectionStatus
from cameras.models import Camera
from facilities import access
from portal.account_events import record_events
from portal.models import AccountEventKind

S = ConnectionStatus

# The statuses in which an operator is given what connecting needs: waiting for it, connected
# (a central system that lost them), suspended (to connect again).
DISCLOSABLE_STATUSES = (S.ELIGIBLE, S.CONNECTED, S.SUSPENDED)

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Details:
    """What connecting one camera needs."""

    camera_id: int
    name: str
    facility_id: int
    stream_url: str
    username: str
    password: str


class RateExceeded(Exception):
    """The account asked for more connection details than its budget of the period allows."""

    def __init__(self, wait, limit, period):
        super().__init__(f"connection details: limit {limit} per {period} s reached")
        self.wait = wait
        self.limit = limit
        self.period = period


def in_scope(user):
    """Cameras whose connection details `user` could receive in the right status."""
    return Camera.objects.restrict(user, access.CONNECT)


def disclosable(user):
    """Cameras whose connection details `user` may receive now."""
    return in_scope(user).filter(connection_status__in=DISCLOSABLE_STATUSES)


def may_ask(user, camera):
    """Whether `user` is one of those the details of `camera` are for (status aside): the
    button on the camera page shows only to them."""
    return access.can(user, access.CONNECT, camera)


def status_refusal(camera):
    """Why the details of `camera` (in scope) are not given in its status, or None."""
    if camera.connection_status in DISCLOSABLE_STATUSES:
        return None
    return _(
        "Connection details are given only for eligible, connected or suspended cameras; "
        "“%(camera)s” is “%(status)s”."
    ) % {"camera": camera.name, "status": camera.get_connection_status_display()}


WHO_REFUSAL = gettext_lazy(
    "Only the operator engineers serving the camera's province and the national administrators "
    "receive connection details."
)


def rate():
    """(cameras, seconds) of CONNECTION_DETAILS_RATE ("2000/hour")."""
    count, _slash, period = settings.CONNECTION_DETAILS_RATE.partition("/")
    return int(count), PERIODS[period.strip().rstrip("s")]


def take(user, n, now=None):
    """Take `n` cameras from the account's budget of the current period, or raise RateExceeded
    (then nothing is taken)."""
    limit, period = rate()
    now = time.time() if now is None else now
    window = int(now // period)
    key = f"portal:connection-details:{user.pk}:{window}"
    # The key outlives its window a little: a clock between two processes may lag. Read first:
    # on the database cache an `add` of a key that exists costs a failed INSERT.
    if cache.get(key) is None and cache.add(key, n, timeout=period + 60):
        count = n
    else:
        count = cache.incr(key, n)
    if count > limit:
        cache.decr(key, n)
        raise RateExceeded(wait=max(1, int((window + 1) * period - now) + 1), limit=limit,
                           period=period)


def disclose(cameras, request, *, via):
    """The connection details of `cameras` (already checked: in `disclosable(user)`, their
    facility loaded), each recorded as an account event of the request's account, all in one
    INSERT. `via`: "api" or "admin"."""
    cameras = list(cameras)
    record_events(
        AccountEventKind.CONNECTION_DETAILS,
        request,
        targets=cameras,
        detail=lambda camera: {"camera": camera.pk, "via": via},
    )
    return [
        Details(
            camera_id=camera.pk,
            name=camera.name,
            facility_id=camera.facility_id,
            stream_url=camera.stream_url,
            username=camera.username,
            password=camera.password,
        )
        for camera in cameras
    ]
