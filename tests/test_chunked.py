"""Purges delete in chunks of short transactions, and only what is past its retention."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cameras import health
from cameras.choices import Health
from cameras.models import CameraDay, CameraOutage
from facilities.models import Facility
from portal import chunked
from portal.audit_retention import purge_expired
from portal.models import AccountEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def chunk_of_4(monkeypatch):
    monkeypatch.setattr(chunked, "CHUNK", 4)


def deletes(queries, table):
    return [q for q in queries if q["sql"].startswith(f'DELETE FROM "{table}"')]


def test_old_history_goes_in_chunks_and_recent_history_stays(settings, chunk_of_4):
    settings.CAMERA_HISTORY_DAYS = 30
    today = timezone.localdate()
    now = timezone.now()
    cameras = [factories.camera() for _ in range(5)]
    for camera in cameras:
        for age in (31, 40):
            CameraDay.objects.create(camera=camera, day=today - datetime.timedelta(days=age))
        CameraOutage.objects.create(
            camera=camera,
            kind=Health.OFFLINE,
            started_at=now - datetime.timedelta(days=40),
            ended_at=now - datetime.timedelta(days=31),
        )
    kept_day = CameraDay.objects.create(camera=cameras[0], day=today - datetime.timedelta(days=29))
    still_open = CameraOutage.objects.create(
        camera=cameras[1], kind=Health.OFFLINE, started_at=now - datetime.timedelta(days=50)
    )

    with CaptureQueriesContext(connection) as ctx:
        assert health.purge_history(now) == 15
    # 10 old days in 3 deletes of at most 4 rows, 5 outages in 2.
    assert len(deletes(ctx.captured_queries, "cameras_cameraday")) == 3
    assert len(deletes(ctx.captured_queries, "cameras_cameraoutage")) == 2
    assert list(CameraDay.objects.all()) == [kept_day]
    assert list(CameraOutage.objects.all()) == [still_open]


def test_audit_retention_removes_old_entries_in_chunks(settings, chunk_of_4):
    settings.AUDIT_RETENTION_DAYS = 365
    now = timezone.now()
    facilities = [factories.facility("01") for _ in range(9)]
    old = now - datetime.timedelta(days=366)
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Facility),
        object_pk__in=[str(f.pk) for f in facilities[:6]],
    ).update(timestamp=old)
    user = factories.province_user("tinh01", "01")
    events = [
        AccountEvent.objects.create(event="login", actor=user, username="tinh01")
        for _ in range(5)
    ]
    AccountEvent.objects.filter(pk__in=[e.pk for e in events[:3]]).update(timestamp=old)
    young_entries = LogEntry.objects.filter(timestamp__gt=old).count()

    with CaptureQueriesContext(connection) as ctx:
        result = purge_expired(now=now)
    assert result["entries"] == 6 and result["events"] == 3
    assert len(deletes(ctx.captured_queries, "auditlog_logentry")) == 2
    assert LogEntry.objects.count() == young_entries
    assert set(AccountEvent.objects.values_list("pk", flat=True)) == {e.pk for e in events[3:]}
