"""Pages at national scale (issue 13): what each page counts, reads and indexes.

/facilities/ in pages with the page's figures counted in one grouped query; the admin lists'
figures counted for their page only (the whole list only when sorted or filtered by them); the
camera list reading narrow rows with its uptime for the page; the audit record's province
indexed and its lists counted only as far as their pages; the camera export in chunks; JIT off
on PostgreSQL; trigram search indexes on PostgreSQL. Figures at 100,000 cameras:
bench/README.md ("Pages at national scale").
"""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cameras.models import Camera, CameraDay
from facilities import audit_scope
from facilities.models import Facility
from portal import admin_scope
from portal.account_events import record_event
from reports import exports
from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
POSTGRESQL = connection.vendor == "postgresql"


def _english(client, user):
    """The pages in English: the new strings' Vietnamese reaches the catalog when the branch's
    translations are merged (the crawl test checks that every page is Vietnamese)."""
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _facilities(n, code="01", cameras_each=0):
    made = [factories.facility(code, name=f"Khu cách ly {i:03d}") for i in range(n)]
    for facility in made:
        for _ in range(cameras_each):
            factories.camera(facility)
    return made


# --- /facilities/ ----------------------------------------------------------------------------


def test_my_facilities_lists_50_a_page_with_each_facilitys_figures(client):
    official = factories.national_official("official")
    made = _facilities(52)
    counted = made[1]
    factories.camera(counted, connection_status="connected", health="online")
    factories.camera(counted, connection_status="eligible", health="degraded")
    factories.camera(counted, connection_status="ineligible", health="offline")
    factories.camera(counted, connection_status="decommissioned", health="online")
    client = _english(client, official)

    first = client.get(reverse("my_facilities"))
    rows = first.context["facilities"]
    assert [f.name for f in rows] == [f"Khu cách ly {i:03d}" for i in range(50)]
    row = next(f for f in rows if f.pk == counted.pk)
    # Decommissioned cameras are not counted; degraded counts as online.
    assert (row.camera_total, row.connected_total, row.online_total) == (3, 1, 2)
    assert all(f.camera_total == 0 for f in rows if f.pk != counted.pk)
    body = first.content.decode()
    assert "Facilities 1 to 50 of 52" in body and "Page 1 of 2" in body
    assert 'href="?page=2" rel="next"' in body

    second = client.get(reverse("my_facilities"), {"page": 2})
    assert [f.name for f in second.context["facilities"]] == ["Khu cách ly 050", "Khu cách ly 051"]
    assert 'href="?page=1" rel="prev"' in second.content.decode()
    # A page past the end is the last one; a malformed one the first.
    assert client.get(reverse("my_facilities"), {"page": 99}).context["page"].number == 2
    assert client.get(reverse("my_facilities"), {"page": "x"}).context["page"].number == 1


def test_a_facility_manager_reads_its_facilities_on_one_page_without_a_pager(client):
    mine, other = _facilities(2)
    manager = factories.facility_manager("manager", mine)
    factories.camera(mine, connection_status="connected", health="offline")
    factories.camera(other, connection_status="connected", health="online")
    page = _english(client, manager).get(reverse("my_facilities"))
    [row] = page.context["facilities"]
    assert (row.pk, row.camera_total, row.connected_total, row.online_total) == (mine.pk, 1, 1, 0)
    assert "Page 1 of" not in page.content.decode()


def test_my_facilities_reads_the_same_queries_for_3_facilities_and_for_two_pages(
    client, django_assert_max_num_queries
):
    official = factories.national_official("official")
    client.force_login(official)
    _facilities(3, cameras_each=2)
    with django_assert_max_num_queries(9) as small:
        assert client.get(reverse("my_facilities")).status_code == 200
    _facilities(60, code="79", cameras_each=1)
    with django_assert_max_num_queries(9) as large:
        page = client.get(reverse("my_facilities"))
    assert len(page.context["facilities"]) == 50
    assert len(large.captured_queries) == len(small.captured_queries)


# --- Admin lists: figures of the page ----------------------------------------------------------


def _column(page, name):
    """The ?o= index of list column `name` (after the action checkbox, when there is one)."""
    return page.context["cl"].list_display.index(name)


def test_facility_list_counts_the_page_and_sorts_the_whole_list_by_a_figure(admin_client_vi):
    few, many, none = _facilities(3)
    for _ in range(3):
        factories.camera(many)
    factories.camera(many, connection_status="decommissioned")
    factories.camera(few, connection_status="connected")
    url = reverse("admin:facilities_facility_changelist")
    page = admin_client_vi.get(url)
    rows = page.context["cl"].result_list
    figures = {f.pk: (f.registered_total, f.connected_total) for f in rows}
    assert figures == {few.pk: (1, 1), many.pk: (3, 0), none.pk: (0, 0)}
    # Sorting by "registered / planned" sorts every facility by its count, not only a page.
    column = _column(page, "registered_of_planned")
    descending = admin_client_vi.get(url, {"o": f"-{column}"})
    assert [f.pk for f in descending.context["cl"].result_list] == [many.pk, few.pk, none.pk]


def test_province_list_figures_follow_the_readers_scope(client):
    _facilities(2, code="01", cameras_each=2)
    _facilities(1, code="79", cameras_each=1)
    admin01 = factories.province_user("admin01", "01")
    page = _english(client, admin01).get(reverse("admin:facilities_province_changelist"))
    [row] = page.context["cl"].result_list
    assert (row.code, row.facility_total, row.camera_total, row.connected_total) == ("01", 2, 4, 0)


def test_province_list_sorts_every_province_by_its_cameras(admin_client_vi):
    _facilities(1, code="48", cameras_each=3)
    _facilities(2, code="79", cameras_each=1)
    _facilities(1, code="01")
    url = reverse("admin:facilities_province_changelist")
    column = _column(admin_client_vi.get(url), "camera_count")
    page = admin_client_vi.get(url, {"o": f"-{column}"})
    rows = page.context["cl"].result_list
    assert [(p.code, p.facility_total, p.camera_total) for p in rows[:2]] == [
        ("48", 1, 3),
        ("79", 2, 2),
    ]
    assert len(rows) == 63 and {p.camera_total for p in rows[2:]} == {0}


def test_camera_list_reads_narrow_rows_and_the_pages_uptime(admin_client_vi):
    camera = factories.camera(factories.facility("01"), password="mat-khau-bi-mat")
    today = timezone.localdate()
    CameraDay.objects.create(camera=camera, day=today, checks=4, successes=3)
    CameraDay.objects.create(
        camera=camera, day=today - datetime.timedelta(days=6), checks=4, successes=1
    )
    CameraDay.objects.create(
        camera=camera, day=today - datetime.timedelta(days=7), checks=4, successes=4
    )
    url = reverse("admin:cameras_camera_changelist")
    page = admin_client_vi.get(url)
    [row] = page.context["cl"].result_list
    assert {"username", "password", "status_reason"} <= row.get_deferred_fields()
    assert (row.uptime_today, row.uptime_7d) == (75.0, 50.0)
    assert "75\u00a0%" in page.content.decode()
    # Sorted by uptime, the list computes it for every camera in its own query.
    other = factories.camera(camera.facility)
    CameraDay.objects.create(camera=other, day=today, checks=4, successes=4)
    column = _column(page, "uptime")
    by_uptime = admin_client_vi.get(url, {"o": f"-{column}"})
    assert [c.pk for c in by_uptime.context["cl"].result_list] == [other.pk, camera.pk]


def test_a_list_action_still_saves_whole_cameras(admin_client_vi):
    # The page reads narrow rows; an action on the list must not: a camera saved with its
    # credentials deferred would count as a new address and start its checks over.
    camera = factories.camera(factories.facility("01"), password="mat-khau-bi-mat")
    camera.write_state(verdict_pending=False)
    url = reverse("admin:cameras_camera_changelist")
    response = admin_client_vi.post(
        url,
        {"action": "decommission_selected", "_selected_action": [camera.pk], "apply": "1",
         "reason": "Đã tháo"},
    )
    assert response.status_code in (200, 302)
    camera.refresh_from_db()
    assert camera.connection_status == "decommissioned"
    assert camera.password == "mat-khau-bi-mat"
    assert camera.state.verdict_pending is False


# --- The audit record --------------------------------------------------------------------------


def _plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if POSTGRESQL:
            # A test database is too small for the planner to prefer any index: this asks
            # whether an index CAN serve the query's condition, i.e. whether the expressions
            # match (no plain scan of the table or of another index left to choose).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_a_province_admins_audit_scope_reads_the_province_index():
    factories.camera(factories.facility("01"))
    admin01 = factories.province_user("admin01", "01")
    entries = audit_scope.visible_log_entries(admin01)
    assert entries.exists()
    assert "portal_logentry_province_idx" in _plan(entries.order_by().values("pk"))


def test_the_audit_list_counts_only_as_far_as_its_pages(client, monkeypatch):
    monkeypatch.setattr(admin_scope.CappedPaginator, "MIN_CAP", 3)
    monkeypatch.setattr(admin_scope.CappedPaginator, "PAGES_AHEAD", 0)
    from portal.admin import LogEntryAdmin

    monkeypatch.setattr(LogEntryAdmin, "list_per_page", 2)
    _facilities(5, code="01")
    admin01 = factories.province_user("admin01", "01")
    assert audit_scope.visible_log_entries(admin01).count() > 4
    client = _english(client, admin01)
    url = reverse("admin:auditlog_logentry_changelist")
    page = client.get(url)
    cl = page.context["cl"]
    assert (cl.result_count, cl.paginator.more) == (3, True)
    assert "more than 3 log entries" in page.content.decode()
    # Further pages come within reach as one moves on.
    later = client.get(url, {"p": 3})
    assert later.status_code == 200 and len(later.context["cl"].result_list) >= 1


def test_capped_paginator_counts_exactly_below_its_cap():
    _facilities(2)
    paginator = admin_scope.CappedPaginator(Facility.objects.order_by("pk"), 1, cap=5)
    assert (paginator.count, paginator.more, paginator.num_pages) == (2, False, 2)


@pytest.mark.parametrize(
    "url_name", ["admin:auditlog_logentry_changelist", "admin:portal_accountevent_changelist"]
)
def test_a_province_admins_audit_lists_read_the_same_queries_small_and_large(
    url_name, client, django_assert_max_num_queries
):
    admin01 = factories.province_user("admin01", "01")
    client.force_login(admin01)
    facility = factories.facility("01")
    client.get(reverse(url_name))  # the content types of the type filter, cached per process
    with django_assert_max_num_queries(10) as small:
        assert client.get(reverse(url_name)).status_code == 200
    for _ in range(30):
        camera = factories.camera(facility)
        record_event("view", actor=admin01, target=camera)
    manager = factories.facility_manager("manager", facility)
    record_event("login", actor=manager)
    with django_assert_max_num_queries(10) as large:
        page = client.get(reverse(url_name))
    assert len(page.context["cl"].result_list) > 30
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.skipif(
    POSTGRESQL,
    reason="SQLite only: PostgreSQL's plans at test size say nothing of 500,000 rows; its "
    "lists read the time index backwards at national size (bench/RESULTS.md)",
)
def test_a_province_admins_audit_lists_read_newest_first_without_sorting_their_province():
    facility = factories.facility("01")
    admin01 = factories.province_user("admin01", "01")
    record_event("view", actor=admin01, target=facility)
    # Account events: the time index read backwards, stopping at the page; not every event
    # of the province collected and sorted (the big province's: 790 ms at 500,000 events).
    events = audit_scope.visible_account_events(admin01)
    assert events.exists()
    plan = _plan(events.order_by("-timestamp", "-pk")[:50])
    assert "portal_accountevent_timestamp" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan
    # Audit entries of one province: read in time order from the (province, time) index.
    entries = audit_scope.visible_log_entries(admin01)
    plan = _plan(entries.order_by("-timestamp", "-pk")[:50])
    assert "portal_logentry_province_idx" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan


# --- Exports ---------------------------------------------------------------------------------


def _selects(captured):
    """The queries that read, without the savepoints of the export's transaction (inside the
    test's) on PostgreSQL, where a streamed query is a cursor's DECLARE."""
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip("(").startswith(("SELECT", "DECLARE"))
    ]
    # Never a cursor WITH HOLD: PostgreSQL would compute every row before the first one.
    assert not [sql for sql in reads if " WITH HOLD " in sql]
    return reads


def test_camera_export_sums_uptime_per_batch_in_the_exports_order(monkeypatch):
    monkeypatch.setattr(exports, "UPTIME_BATCH", 3)
    monkeypatch.setattr(exports, "UPTIME_FIRST_BATCH", 1)
    hcm = factories.facility("79", name="A Thủ Đức")
    hn_b = factories.facility("01", name="B Mê Linh")
    hn_a = factories.facility("01", name="A Pháp Vân")
    cameras = [
        factories.camera(facility, name=name)
        for facility in (hcm, hn_b, hn_a)
        for name in ("Cổng", "Sân")
    ]
    today = timezone.localdate()
    CameraDay.objects.create(camera=cameras[3], day=today, checks=10, successes=5)
    CameraDay.objects.create(camera=cameras[0], day=today, checks=4, successes=4)
    CameraDay.objects.create(
        camera=cameras[0], day=today - datetime.timedelta(days=7), checks=4, successes=0
    )
    with CaptureQueriesContext(connection) as queries:
        rows = list(exports.camera_rows(Camera.objects.all()))
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("01", "A Pháp Vân", "Cổng"),
        ("01", "A Pháp Vân", "Sân"),
        ("01", "B Mê Linh", "Cổng"),
        ("01", "B Mê Linh", "Sân"),
        ("79", "A Thủ Đức", "Cổng"),
        ("79", "A Thủ Đức", "Sân"),
    ]
    assert [r[10] for r in rows] == [None, None, None, 0.5, 1.0, None]
    # The cameras in one streamed query, then one grouped query per batch of their uptime: a
    # first small batch (1 camera), then batches of 3 (3 and 2).
    assert len(_selects(queries)) == 1 + 3


def test_camera_export_queries_grow_with_batches_not_cameras():
    facility = factories.facility("01")
    for _ in range(3):
        factories.camera(facility)
    with CaptureQueriesContext(connection) as small:
        assert len(list(exports.camera_rows(Camera.objects.all()))) == 3
    for _ in range(30):
        factories.camera(facility)
    with CaptureQueriesContext(connection) as large:
        assert len(list(exports.camera_rows(Camera.objects.all()))) == 33
    assert len(_selects(large)) == len(_selects(small)) == 2


@pytest.mark.skipif(not POSTGRESQL, reason="PostgreSQL only: SQLite has no server-side cursor")
@pytest.mark.django_db(transaction=True)
def test_exports_stream_from_a_cursor_without_hold_outside_any_transaction():
    from facilities.models import Province
    from facilities.provinces import load_provinces

    # Transactional tests empty the tables after each other: provinces included.
    load_provinces(Province)
    # As a request runs: autocommit, no test transaction around it.
    factories.camera(factories.facility("01"))
    with CaptureQueriesContext(connection) as queries:
        assert len(list(exports.camera_rows(Camera.objects.all()))) == 1
    [declare] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DECLARE")]
    assert "WITHOUT HOLD" in declare


# --- PostgreSQL: JIT off, trigram indexes ----------------------------------------------------


def _databases(**env):
    code = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    environ = {**os.environ, **env}
    environ.pop("PG_JIT", None)
    environ.update(env)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_postgresql_connections_run_without_jit_unless_asked():
    url = "postgres://portal:portal@127.0.0.1:5432/portal"
    assert _databases(DATABASE_URL=url)["options"] == "-c jit=off"
    assert "options" not in _databases(DATABASE_URL=url, PG_JIT="1")
    assert "options" not in _databases(DATABASE_URL="")


@pytest.mark.skipif(not POSTGRESQL, reason="PostgreSQL only: SQLite has no JIT")
def test_the_test_connection_itself_runs_without_jit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.skipif(not POSTGRESQL, reason="PostgreSQL only: SQLite scans the folded column")
@pytest.mark.parametrize(
    "queryset,index",
    [
        (lambda: Camera.objects.filter(search_text__folded_contains="cong").values("pk"),
         "cameras_camera_search_trgm"),
        (lambda: Facility.objects.filter(search_text__folded_contains="phap van").values("pk"),
         "facilities_facility_search_trgm"),
    ],
)
def test_folded_search_reads_the_trigram_index_on_postgresql(queryset, index):
    assert index in _plan(queryset())


def test_log_entries_and_account_events_are_what_the_lists_show():
    # The scope by index keeps the same rows: another province's entries stay out.
    factories.camera(factories.facility("01"), name="Một")
    factories.camera(factories.facility("79"), name="Bảy chín")
    admin01 = factories.province_user("admin01", "01")
    shown = set(audit_scope.visible_log_entries(admin01).values_list("object_repr", flat=True))
    assert "Một" in shown and "Bảy chín" not in shown
    everything = set(LogEntry.objects.values_list("object_repr", flat=True))
    assert {"Một", "Bảy chín"} <= everything
