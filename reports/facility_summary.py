"""One facility's cameras summed up for the people who answer for it: registered against planned,
connected, online and offline now, and when they were last checked.

The definitions are the progress report's (reports/snapshot.py), for one facility: decommissioned
cameras are not counted (their checks have stopped, their health is stale); online means health
`online` or `degraded`, offline means `offline`, and `unknown` (never checked yet) is neither.
The facility page and the facility admin page already list every camera of the facility, so the
summary is counted from that list in Python: no query of its own.
"""

import dataclasses
import datetime

from django.utils.translation import gettext_lazy as _

from cameras.choices import ConnectionStatus, Health
from reports.snapshot import ONLINE_HEALTH

# How the registered cameras compare with the planned number (a key for badges and filters).
FEWER, MORE, AS_PLANNED = "fewer", "more", "as_planned"
COMPARISON_TEXT = {
    FEWER: _("Fewer cameras registered than planned"),
    MORE: _("More cameras registered than planned"),
    AS_PLANNED: _("As many cameras registered as planned"),
}
# The same, short, for a column of the facility list.
COMPARISON_SHORT_TEXT = {
    FEWER: _("fewer than planned"),
    MORE: _("more than planned"),
    AS_PLANNED: _("as planned"),
}


def registered(cameras):
    """The cameras of a queryset that count as registered: all but decommissioned ones."""
    return cameras.exclude(connection_status=ConnectionStatus.DECOMMISSIONED)


def comparison(registered_count, planned):
    """FEWER, MORE or AS_PLANNED: the registered cameras against the planned number."""
    if registered_count < planned:
        return FEWER
    if registered_count > planned:
        return MORE
    return AS_PLANNED


@dataclasses.dataclass(frozen=True)
class FacilitySummary:
    """The headline figures of one facility's cameras."""

    planned: int
    registered: int
    connected: int
    online: int
    offline: int
    unchecked: int
    # The offline cameras themselves (Camera objects), so a page can name them.
    offline_cameras: tuple
    last_checked_at: datetime.datetime | None

    @property
    def comparison(self):
        return comparison(self.registered, self.planned)

    @property
    def differs_from_plan(self):
        return self.comparison != AS_PLANNED

    @property
    def comparison_text(self):
        return COMPARISON_TEXT[self.comparison]


def summarise(cameras, planned):
    """The FacilitySummary of `cameras` (Camera objects of one facility, each with its `state`
    loaded: select_related("state")) against the facility's `planned` number of cameras."""
    counted = [c for c in cameras if c.connection_status != ConnectionStatus.DECOMMISSIONED]
    offline = tuple(c for c in counted if c.state.health == Health.OFFLINE)
    checks = [c.state.last_checked_at for c in counted if c.state.last_checked_at is not None]
    return FacilitySummary(
        planned=planned,
        registered=len(counted),
        connected=sum(c.connection_status == ConnectionStatus.CONNECTED for c in counted),
        online=sum(c.state.health in ONLINE_HEALTH for c in counted),
        offline=len(offline),
        unchecked=sum(c.state.health == Health.UNKNOWN for c in counted),
        offline_cameras=offline,
        last_checked_at=max(checks, default=None),
    )
