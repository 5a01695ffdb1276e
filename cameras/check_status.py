"""Following the checks a person asked for: "Check now" shows progress and the result on the
same page (issue 12).

The request: "Check now" (the list's action or the button on a camera's page) queues checks
(cameras/queue.py) and remembers in the session which cameras and since when; the page that
follows the action takes that record once (`recall`) and shows a status line that polls
GET /cameras/check-status/?ids=...&since=... (cameras/views.py, static/portal/camera_checks.js).

The answer (`facts`): for each camera of `ids` that the user may read (through the scope; a
camera of another province is simply absent), what the list and the camera page show of its last
check, in the user's language, and whether the result asked for is still to come: `pending` while
its last check is older than the request. A result stamped after the request is the answer, even
from a check that a sweep had already started: it is about the camera as it is now. A camera whose
check never runs (no task cluster) stays pending; the page gives up after GIVE_UP_SECONDS and says
so.
"""

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from cameras.choices import ErrorKind
from cameras.models import Camera
from cameras.standard import reason_text
from facilities import access
from portal.badges import COLOURS

SESSION_KEY = "camera_checks"
# More cameras than a list page holds are never followed at once (the list shows 100).
MAX_FOLLOWED = 200
# The page polls every POLL_SECONDS, and stops after GIVE_UP_SECONDS without every result
# (a check takes at most the probe's deadline; a queue without a running cluster never answers).
POLL_SECONDS = 2
GIVE_UP_SECONDS = 300


def remember(session, ids, since):
    """Record that checks of `ids` were asked for at `since`, for the page that follows."""
    session[SESSION_KEY] = {
        "ids": [int(pk) for pk in list(ids)[:MAX_FOLLOWED * 5]],
        "since": since.isoformat(),
    }


def recall(session, shown_ids):
    """The recorded request, narrowed to the cameras the page shows, taken once; None if none.

    Returns {"ids": [...], "since": ISO time}. A record older than GIVE_UP_SECONDS is dropped:
    it belongs to a page left long ago.
    """
    record = session.pop(SESSION_KEY, None)
    if not record:
        return None
    since = parse_since(record.get("since"))
    if since is None or (timezone.now() - since).total_seconds() > GIVE_UP_SECONDS:
        return None
    shown = set(shown_ids)
    ids = [pk for pk in record.get("ids", []) if pk in shown][:MAX_FOLLOWED]
    if not ids:
        return None
    return {"ids": ids, "since": record["since"]}


def parse_ids(text):
    """Camera ids from "1,2,3" (anything else ignored), at most MAX_FOLLOWED."""
    ids = []
    for part in (text or "").split(","):
        part = part.strip()
        if part.isdigit():
            ids.append(int(part))
    return list(dict.fromkeys(ids))[:MAX_FOLLOWED]


def parse_since(text):
    """The request time sent back by the page (ISO 8601), or None when absent or unreadable."""
    try:
        since = parse_datetime(text or "")
    except ValueError:
        return None
    if since is not None and timezone.is_naive(since):
        since = timezone.make_aware(since)
    return since


def short_time(value, now=None):
    """A check time as the camera list shows it: the time alone today, with the day this year,
    else the date; in the server's time zone."""
    if value is None:
        return ""
    now = timezone.localtime(now or timezone.now())
    local = timezone.localtime(value)
    if local.date() == now.date():
        return formats.date_format(local, "H:i")
    if local.year == now.year:
        return formats.date_format(local, "H:i d/m")
    return formats.date_format(local, "SHORT_DATE_FORMAT")


def full_time(value):
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def error_label(kind):
    """The translated name of a stored error kind (never the probe's English sentence)."""
    return str(dict(ErrorKind.choices).get(kind, kind)) if kind else ""


def verdict_lines(state):
    """The verdict as lines of text: [] before any verdict."""
    if state.verdict_eligible is None:
        return []
    if state.verdict_eligible:
        return [gettext("Meets the connection standard")]
    return [str(reason_text(reason)) for reason in state.verdict_reasons]


def facts(user, ids, since=None, now=None):
    """What the page shows of each camera of `ids` the user may read (one query).

    since: the time checks were asked for; a camera is `pending` while its last check is older.
    """
    now = now or timezone.now()
    cameras = (
        Camera.objects.restrict(user, access.VIEW)
        .filter(pk__in=list(ids))
        .select_related("state")
        .order_by("pk")
    )
    rows = []
    for camera in cameras:
        state = camera.state
        checked = state.last_checked_at
        rows.append(
            {
                "id": camera.pk,
                "connection_status": {
                    "value": camera.connection_status,
                    "label": str(camera.get_connection_status_display()),
                    "colour": COLOURS.get(camera.connection_status, "grey"),
                },
                "health": {
                    "value": state.health,
                    "label": str(state.get_health_display()),
                    "colour": COLOURS.get(state.health, "grey"),
                },
                "eligible": state.verdict_eligible,
                "verdict": verdict_lines(state),
                "last_error": error_label(state.last_error_kind),
                "last_checked_at": {
                    "iso": checked.isoformat() if checked else "",
                    "short": short_time(checked, now),
                    "full": full_time(checked),
                },
                "pending": since is not None and (checked is None or checked < since),
                "checking": bool(state.claimed_until and state.claimed_until > now),
            }
        )
    return rows
