"""The rules of `cameras.health.assess`, one table each: when a camera goes offline, when an
eligible camera is demoted, when outages open and close.

`assess` is pure: these tests give it a camera's check state (with its camera) as plain objects,
a probe result and the verdict `cameras.standard.evaluate` makes of it against an unsaved
standard, and read what it returns.
No database (pytest-django refuses any query here), no RTSP server, no settings.
"""

import datetime
from types import SimpleNamespace

import pytest

from cameras.choices import ConnectionStatus, Health
from cameras.health import assess
from cameras.models import CameraOutage, ConnectionStandard
from cameras.probe import ProbeResult
from cameras.standard import evaluate

S = ConnectionStatus
NOW = datetime.datetime(2021, 8, 2, 9, 0, tzinfo=datetime.UTC)
FIRST_FAILURE = NOW - datetime.timedelta(minutes=10)
OFFLINE_AFTER = 3

# What a camera sends, and what the probe makes of it.
PLAYS = ProbeResult(ok=True, codec="h264", width=1280, height=720, fps=25.0,
                    time_to_first_frame_ms=900, keyframe_interval_s=1.0, bitrate_kbps=1800.0)
LOW_FPS = ProbeResult(ok=True, codec="h264", width=1280, height=720, fps=5.0,
                      time_to_first_frame_ms=900, keyframe_interval_s=1.0, bitrate_kbps=600.0)


# What assess reads of the camera itself; the rest is its check state.
CAMERA_FIELDS = ("connection_status", "status_reason")


def fails(kind):
    return ProbeResult(ok=False, error_kind=kind, error_message=f"{kind} (test)", duration_ms=8000)


def state_row(**fields):
    """A camera's check state with its camera, the fields `assess` reads, as plain objects (no
    model, no database): the status fields go to the camera, the others to the state."""
    camera = SimpleNamespace(pk=1, connection_status=S.ELIGIBLE, status_reason="")
    state = SimpleNamespace(
        camera=camera,
        camera_id=camera.pk,
        health=Health.ONLINE,
        health_changed_at=None,
        consecutive_failures=0,
        failing_since=None,
        last_error_kind="",
        verdict_pending=False,
    )
    for name, value in fields.items():
        setattr(camera if name in CAMERA_FIELDS else state, name, value)
    return state


def check(state, result, open_outage=None, offline_after=OFFLINE_AFTER):
    verdict = evaluate(result, ConnectionStandard(version=1))
    return assess(
        state, result, verdict, now=NOW, open_outage=open_outage, offline_after=offline_after
    )


def outage(kind):
    return CameraOutage(camera_id=1, kind=kind, started_at=FIRST_FAILURE)


# --- Health and offline_after ------------------------------------------------------------------

# (health before, failures before, offline_after, probe) -> (health after, failures after)
HEALTH = [
    pytest.param(Health.ONLINE, 0, 3, fails("timeout"), Health.ONLINE, 1,
                 id="online-1st-failure-of-3-stays-online"),
    pytest.param(Health.ONLINE, 1, 3, fails("timeout"), Health.ONLINE, 2,
                 id="online-2nd-failure-of-3-stays-online"),
    pytest.param(Health.ONLINE, 2, 3, fails("timeout"), Health.OFFLINE, 3,
                 id="online-3rd-failure-of-3-goes-offline"),
    pytest.param(Health.ONLINE, 0, 1, fails("timeout"), Health.OFFLINE, 1,
                 id="offline_after-1-first-failure-goes-offline"),
    pytest.param(Health.ONLINE, 2, 3, fails("unauthorized"), Health.OFFLINE, 3,
                 id="any-failure-kind-counts-towards-offline"),
    pytest.param(Health.UNKNOWN, 0, 3, fails("refused"), Health.UNKNOWN, 1,
                 id="never-checked-failing-once-stays-unknown"),
    pytest.param(Health.DEGRADED, 1, 3, fails("timeout"), Health.DEGRADED, 2,
                 id="degraded-failing-below-the-limit-stays-degraded"),
    pytest.param(Health.OFFLINE, 7, 3, fails("timeout"), Health.OFFLINE, 8,
                 id="offline-failing-again-stays-offline"),
    pytest.param(Health.OFFLINE, 7, 3, PLAYS, Health.ONLINE, 0,
                 id="offline-plays-to-standard-is-online-failures-reset"),
    pytest.param(Health.ONLINE, 2, 3, PLAYS, Health.ONLINE, 0,
                 id="one-good-check-resets-the-failure-count"),
    pytest.param(Health.ONLINE, 0, 3, LOW_FPS, Health.DEGRADED, 0,
                 id="plays-below-standard-is-degraded-at-once"),
    pytest.param(Health.OFFLINE, 4, 3, LOW_FPS, Health.DEGRADED, 0,
                 id="offline-plays-below-standard-is-degraded"),
    pytest.param(Health.ONLINE, 2, 3, fails("busy"), Health.ONLINE, 2,
                 id="busy-453-counts-neither-way"),
    pytest.param(Health.ONLINE, 32767, 3, fails("timeout"), Health.OFFLINE, 32767,
                 id="failure-count-stops-at-the-column-maximum"),
]


@pytest.mark.parametrize("before, failures, offline_after, result, after, failures_after", HEALTH)
def test_health_after_one_check(before, failures, offline_after, result, after, failures_after):
    state = state_row(
        health=before,
        consecutive_failures=failures,
        failing_since=FIRST_FAILURE if failures else None,
    )
    outcome = check(state, result, offline_after=offline_after)
    assert (state.health, state.consecutive_failures) == (after, failures_after)
    assert outcome.previous_health == before
    assert state.health_changed_at == (NOW if after != before else None)


# (failing since before, probe) -> failing since after
FAILING_SINCE = [
    pytest.param(None, fails("timeout"), NOW, id="first-failure-starts-the-failing-period"),
    pytest.param(FIRST_FAILURE, fails("timeout"), FIRST_FAILURE,
                 id="later-failure-keeps-its-start"),
    pytest.param(FIRST_FAILURE, PLAYS, None, id="a-good-check-ends-the-failing-period"),
    pytest.param(FIRST_FAILURE, fails("busy"), FIRST_FAILURE, id="busy-leaves-it-as-it-was"),
]


@pytest.mark.parametrize("since, result, since_after", FAILING_SINCE)
def test_failing_since(since, result, since_after):
    state = state_row(consecutive_failures=1 if since else 0, failing_since=since)
    check(state, result)
    assert state.failing_since == since_after


# (probe) -> (counted in uptime, a success)
COUNTED = [
    pytest.param(PLAYS, True, True, id="plays-to-standard-counts-as-success"),
    pytest.param(LOW_FPS, True, True, id="plays-below-standard-still-counts-as-success"),
    pytest.param(fails("timeout"), True, False, id="failure-counts-as-failure"),
    pytest.param(fails("busy"), False, False, id="busy-is-not-counted"),
]


@pytest.mark.parametrize("result, counted, success", COUNTED)
def test_what_counts_in_uptime(result, counted, success):
    outcome = check(state_row(), result)
    assert (outcome.counted, outcome.success) == (counted, success)


# --- Demotion: an eligible camera is not demoted by one network hiccup -------------------------

# (status before, pending first check, health before, failures before, probe)
#   -> (status after, a transition recorded)
DEMOTION = [
    pytest.param(S.ELIGIBLE, False, Health.ONLINE, 0, fails("timeout"), S.ELIGIBLE, False,
                 id="eligible-one-timeout-stays-eligible"),
    pytest.param(S.ELIGIBLE, False, Health.ONLINE, 0, fails("refused"), S.ELIGIBLE, False,
                 id="eligible-one-refusal-stays-eligible"),
    pytest.param(S.ELIGIBLE, False, Health.ONLINE, 0, fails("server_error"), S.ELIGIBLE, False,
                 id="eligible-one-server-error-stays-eligible"),
    pytest.param(S.ELIGIBLE, False, Health.ONLINE, 0, fails("unauthorized"), S.INELIGIBLE, True,
                 id="eligible-wrong-credentials-is-demoted-at-once"),
    pytest.param(S.ELIGIBLE, False, Health.ONLINE, 0, fails("not_found"), S.INELIGIBLE, True,
                 id="eligible-wrong-path-is-demoted-at-once"),
    pytest.param(S.ELIGIBLE, False, Health.ONLINE, 0, fails("dns"), S.INELIGIBLE, True,
                 id="eligible-unknown-host-is-demoted-at-once"),
    pytest.param(S.ELIGIBLE, False, Health.ONLINE, 0, LOW_FPS, S.INELIGIBLE, True,
                 id="eligible-playing-below-standard-is-demoted"),
    pytest.param(S.ELIGIBLE, False, Health.ONLINE, 2, fails("timeout"), S.INELIGIBLE, True,
                 id="eligible-timeout-that-makes-it-offline-is-demoted"),
    pytest.param(S.ELIGIBLE, False, Health.OFFLINE, 5, fails("timeout"), S.INELIGIBLE, True,
                 id="eligible-already-offline-timing-out-is-demoted"),
    pytest.param(S.ELIGIBLE, False, Health.ONLINE, 0, fails("busy"), S.ELIGIBLE, False,
                 id="eligible-busy-is-not-judged"),
    pytest.param(S.ELIGIBLE, True, Health.UNKNOWN, 0, fails("timeout"), S.INELIGIBLE, True,
                 id="eligible-first-check-after-an-edit-is-judged-on-a-timeout"),
    pytest.param(S.REGISTERED, False, Health.UNKNOWN, 0, fails("timeout"), S.INELIGIBLE, True,
                 id="registered-timeout-is-ineligible"),
    pytest.param(S.REGISTERED, False, Health.UNKNOWN, 0, PLAYS, S.ELIGIBLE, True,
                 id="registered-plays-to-standard-is-eligible"),
    pytest.param(S.INELIGIBLE, False, Health.DEGRADED, 0, PLAYS, S.ELIGIBLE, True,
                 id="ineligible-plays-to-standard-is-eligible"),
    pytest.param(S.CONNECTED, False, Health.ONLINE, 0, LOW_FPS, S.CONNECTED, False,
                 id="connected-below-standard-stays-connected"),
    pytest.param(S.CONNECTED, False, Health.ONLINE, 2, fails("unauthorized"), S.CONNECTED, False,
                 id="connected-going-offline-stays-connected"),
    pytest.param(S.SUSPENDED, False, Health.ONLINE, 0, fails("not_found"), S.SUSPENDED, False,
                 id="suspended-is-not-judged"),
]


@pytest.mark.parametrize(
    "status, pending, health, failures, result, status_after, transition", DEMOTION
)
def test_connection_status_after_one_check(
    status, pending, health, failures, result, status_after, transition
):
    state = state_row(
        connection_status=status,
        verdict_pending=pending,
        health=health,
        consecutive_failures=failures,
        failing_since=FIRST_FAILURE if failures else None,
    )
    outcome = check(state, result)
    assert state.camera.connection_status == status_after
    assert (outcome.status_change is not None) == transition
    if transition:
        change = outcome.status_change
        assert (change.source, change.target, change.at) == (status, status_after, NOW)
    # A conclusive check settles the first check after an edit; a busy camera leaves it pending.
    assert state.verdict_pending == (pending and not outcome.counted)


def test_a_demoted_camera_carries_the_reason_in_the_portals_language():
    state = state_row(connection_status=S.ELIGIBLE)
    outcome = check(state, LOW_FPS)
    assert state.camera.status_reason.startswith("Tốc độ khung hình 5 khung hình/giây thấp hơn")
    assert outcome.status_change.reason == state.camera.status_reason


def test_an_ineligible_camera_failing_for_another_reason_changes_its_reason_only():
    state = state_row(
        connection_status=S.INELIGIBLE, status_reason="Độ phân giải thấp.", health=Health.DEGRADED
    )
    outcome = check(state, fails("unauthorized"))
    assert state.camera.connection_status == S.INELIGIBLE
    assert state.camera.status_reason.startswith("Camera từ chối tên đăng nhập hoặc mật khẩu")
    assert (outcome.status_changed, outcome.status_change) == (True, None)


# --- Outages: one row per offline or degraded period --------------------------------------------

# (health before, failures before, outage in progress, probe)
#   -> (kind of the outage opened or None, kind of the outage closed or None)
OUTAGES = [
    pytest.param(Health.ONLINE, 0, None, PLAYS, None, None,
                 id="online-stays-online-no-outage"),
    pytest.param(Health.ONLINE, 0, None, fails("timeout"), None, None,
                 id="failing-below-offline_after-opens-nothing"),
    pytest.param(Health.ONLINE, 2, None, fails("timeout"), Health.OFFLINE, None,
                 id="going-offline-opens-an-offline-outage"),
    pytest.param(Health.OFFLINE, 5, outage(Health.OFFLINE), fails("timeout"), None, None,
                 id="still-offline-keeps-its-outage"),
    pytest.param(Health.OFFLINE, 5, outage(Health.OFFLINE), PLAYS, None, Health.OFFLINE,
                 id="back-online-closes-the-offline-outage"),
    pytest.param(Health.OFFLINE, 5, outage(Health.OFFLINE), LOW_FPS, Health.DEGRADED,
                 Health.OFFLINE, id="back-below-standard-closes-offline-opens-degraded"),
    pytest.param(Health.ONLINE, 0, None, LOW_FPS, Health.DEGRADED, None,
                 id="playing-below-standard-opens-a-degraded-outage"),
    pytest.param(Health.DEGRADED, 0, outage(Health.DEGRADED), LOW_FPS, None, None,
                 id="still-degraded-keeps-its-outage"),
    pytest.param(Health.DEGRADED, 0, outage(Health.DEGRADED), PLAYS, None, Health.DEGRADED,
                 id="degraded-meeting-the-standard-again-closes-it"),
    pytest.param(Health.DEGRADED, 2, outage(Health.DEGRADED), fails("timeout"), Health.OFFLINE,
                 Health.DEGRADED, id="degraded-going-offline-closes-degraded-opens-offline"),
    pytest.param(Health.DEGRADED, 0, outage(Health.DEGRADED), fails("timeout"), None, None,
                 id="degraded-failing-once-keeps-its-outage"),
    pytest.param(Health.ONLINE, 0, outage(Health.OFFLINE), PLAYS, None, Health.OFFLINE,
                 id="outage-left-open-on-an-online-camera-is-closed"),
    pytest.param(Health.OFFLINE, 5, outage(Health.OFFLINE), fails("busy"), None, None,
                 id="busy-leaves-the-outage-open"),
]


@pytest.mark.parametrize("health, failures, in_progress, result, opened, closed", OUTAGES)
def test_outages_after_one_check(health, failures, in_progress, result, opened, closed):
    state = state_row(
        health=health,
        consecutive_failures=failures,
        failing_since=FIRST_FAILURE if failures else None,
    )
    outcome = check(state, result, open_outage=in_progress)
    assert (outcome.open_outage.kind if outcome.open_outage else None) == opened
    assert (outcome.close_outage.kind if outcome.close_outage else None) == closed
    if closed:
        assert outcome.close_outage is in_progress and in_progress.ended_at == NOW
    elif in_progress is not None:
        assert in_progress.ended_at is None


def test_an_offline_outage_starts_at_the_first_failure_with_its_error():
    state = state_row(consecutive_failures=2, failing_since=FIRST_FAILURE)
    opened = check(state, fails("refused")).open_outage
    assert (opened.camera_id, opened.kind, opened.started_at, opened.error_kind) == (
        1,
        Health.OFFLINE,
        FIRST_FAILURE,
        "refused",
    )
    assert opened.reason.startswith("Camera từ chối kết nối")


def test_a_degraded_outage_starts_now_with_the_reason_and_no_error():
    opened = check(state_row(), LOW_FPS).open_outage
    assert (opened.kind, opened.started_at, opened.error_kind) == (Health.DEGRADED, NOW, "")
    assert opened.reason.startswith("Tốc độ khung hình 5 khung hình/giây thấp hơn")
