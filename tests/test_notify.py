"""Outage notices from a backlog: told in short transactions, summarised, each change once."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cameras import notify
from cameras.choices import Health
from cameras.models import Camera, CameraOutage, CameraState
from tests import factories

pytestmark = pytest.mark.django_db

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def outages(facility, count, *, ended=False):
    """`count` offline periods not told yet, of cameras named without digits (Camera A, B...)."""
    start = timezone.now() - datetime.timedelta(hours=2)
    made = []
    for i in range(count):
        camera = factories.camera(facility, name=f"Camera {facility.pk} {LETTERS[i]}")
        made.append(
            CameraOutage.objects.create(
                camera=camera,
                kind=Health.OFFLINE,
                started_at=start + datetime.timedelta(minutes=i),
                ended_at=timezone.now() if ended else None,
                start_notified_at=timezone.now() if ended else None,
            )
        )
    return made


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(notify, "CHUNK", 5)
    monkeypatch.setattr(notify, "LISTED", 3)


def marking_updates(queries, column):
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith("UPDATE") and f'"{column}"' in q["sql"].split("WHERE")[0]
    ]


def test_a_backlog_is_marked_told_a_chunk_per_transaction(small_chunks):
    factories.province_user("admin01", "01", email="so@hanoi.gov.vn")
    outages(factories.facility("01"), 12)
    with CaptureQueriesContext(connection) as ctx:
        assert notify.send_pending() == 1
    # 12 changes, 5 per chunk: three short writes, never one holding the whole backlog.
    assert len(marking_updates(ctx.captured_queries, "start_notified_at")) == 3
    assert not CameraOutage.objects.filter(start_notified_at__isnull=True).exists()


def test_a_backlog_notice_names_some_cameras_and_counts_the_rest(small_chunks):
    factories.province_user("admin01", "01", email="so@hanoi.gov.vn")
    factories.province_user("admin79", "79", email="so@hcm.gov.vn")
    hanoi = outages(factories.facility("01"), 12)
    hcm = outages(factories.facility("79"), 2)
    recovered = outages(factories.facility("01"), 4, ended=True)

    assert notify.send_pending() == 2
    by_to = {tuple(m.to): m for m in mail.outbox}
    hanoi_notice = by_to[("so@hanoi.gov.vn",)]
    # The subject counts every change; the body lists the first LISTED of each kind, oldest
    # first, and says how many more there are.
    assert "12 camera" in hanoi_notice.subject and "4 camera" in hanoi_notice.subject
    named = [o.camera.name for o in hanoi if o.camera.name in hanoi_notice.body]
    assert named == [o.camera.name for o in hanoi[:3]]
    assert "9" in hanoi_notice.body  # 12 - 3 not named
    assert sum(o.camera.name in hanoi_notice.body for o in recovered) == 3
    hcm_notice = by_to[("so@hcm.gov.vn",)]
    assert all(o.camera.name in hcm_notice.body for o in hcm)

    # Each change is told once.
    mail.outbox.clear()
    assert notify.send_pending() == 0
    assert mail.outbox == []


def test_a_change_told_by_another_notifier_meanwhile_is_not_told_again(small_chunks):
    rows = outages(factories.facility("01"), 8)
    kind = notify._kinds(timezone.now())[0]
    chunks = notify._take(kind)
    first = next(chunks)
    assert first == [o.pk for o in rows[:5]]
    # Another sweep's notifier takes one of the next chunk's rows before this one gets there.
    CameraOutage.objects.filter(pk=rows[6].pk).update(start_notified_at=timezone.now())
    assert list(chunks) == [[rows[5].pk, rows[7].pk]]


def test_isolated_cameras_are_told_once_in_chunks(small_chunks):
    factories.province_user("admin01", "01", email="so@hanoi.gov.vn")
    facility = factories.facility("01")
    cameras = [factories.camera(facility, name=f"Isolated {LETTERS[i]}") for i in range(7)]
    # As cameras/tasks.py isolates a camera that keeps killing its batch.
    Camera.objects.filter(pk__in=[c.pk for c in cameras]).update(
        check_enabled=False, check_disabled_reason="crashed 3 times"
    )
    CameraState.objects.filter(camera__in=cameras).update(isolation_notified=False)
    with CaptureQueriesContext(connection) as ctx:
        assert notify.send_pending() == 1
    assert len(marking_updates(ctx.captured_queries, "isolation_notified")) == 2
    assert "7 camera" in mail.outbox[0].subject
    assert not CameraState.objects.filter(isolation_notified=False).exists()
