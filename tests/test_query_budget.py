"""Query budget of the main pages, per role, pinned at two sizes of the registry (issue 13).

Each page a role opens runs at most the queries it ran when this test was written (the figures of
bench/RESULTS.md's baseline, where bench/national.py measures the same pages at 100,000 cameras),
and the same number with 2 cameras or with 14 and ten times the facilities, audit entries and
account events: a page whose queries grow with its rows is an N+1 waiting for a national registry.

Pinned elsewhere, not repeated here: the camera list of a superuser and a province admin
(test_access, test_camera_pages, test_registry), the facility and province lists of a superuser
(test_registry), a facility's admin page for its province admin (test_facility_pages), the
facility page of a facility manager and a superuser (test_facility_pages, test_camera_state),
the dashboard of a national official and a province admin (test_reports, test_dashboard), the
check-status answer for a province admin (test_camera_pages), the export jobs (test_exports_xlsx).
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cameras.models import Camera, CameraDay, CameraOutage
from portal.account_events import record_event
from reports.snapshot import take_snapshot
from tests import factories

pytestmark = pytest.mark.django_db

STAFF = ("superuser", "province_admin", "operator", "official")
EVERYONE = (*STAFF, "facility_manager")
AUDIT_READERS = ("superuser", "province_admin", "official")

# The page, who may open it, and the text the larger registry adds to it (None: the page shows
# counts or one object, not the rows added).
PAGES = {
    "camera list": ("admin:cameras_camera_changelist", STAFF, "Camera mở rộng"),
    "camera search": ("admin:cameras_camera_changelist", STAFF, "Camera mở rộng"),
    "camera page": ("admin:cameras_camera_change", STAFF, None),
    "facility list": ("admin:facilities_facility_changelist", STAFF, "Khu mở rộng"),
    "facility admin page": ("admin:facilities_facility_change", STAFF, "Camera mở rộng"),
    "province list": ("admin:facilities_province_changelist", STAFF, None),
    "audit log": ("admin:auditlog_logentry_changelist", AUDIT_READERS, "Camera mở rộng"),
    "account events": ("admin:portal_accountevent_changelist", AUDIT_READERS, None),
    "my facilities": ("my_facilities", EVERYONE, None),
    "facility page": ("facility_detail", EVERYONE, "Camera mở rộng"),
    "dashboard": ("reports:progress", STAFF, None),
    "province dashboard": ("reports:province", STAFF, None),
    "check status": ("camera_check_status", EVERYONE, '"id": '),
    "progress export": ("reports:export_progress", STAFF, None),
    "facilities export": ("reports:export_facilities", STAFF, "Khu mở rộng"),
    "cameras export": ("reports:export_cameras", STAFF, "Camera mở rộng"),
}
PINNED_ELSEWHERE = {
    ("camera list", "superuser"),
    ("camera list", "province_admin"),
    ("facility list", "superuser"),
    ("province list", "superuser"),
    ("facility admin page", "province_admin"),
    ("facility page", "facility_manager"),
    ("facility page", "superuser"),
    ("dashboard", "official"),
    ("dashboard", "province_admin"),
    ("check status", "province_admin"),
}
# Queries of each page and role when this test was written (on SQLite and PostgreSQL alike):
# never more. Roles: su(peruser), pa (province admin), op(erator), off(icial), fm (facility
# manager).
BUDGET = {
    "camera list": {"op": 10, "off": 10},
    "camera search": {"su": 9, "pa": 10, "op": 10, "off": 10},
    "camera page": {"su": 18, "pa": 19, "op": 18, "off": 17},
    "facility list": {"pa": 10, "op": 10, "off": 10},
    "facility admin page": {"su": 13, "op": 13, "off": 13},
    "province list": {"pa": 9, "op": 9, "off": 9},
    "audit log": {"su": 10, "pa": 10, "off": 10},
    "account events": {"su": 9, "pa": 10, "off": 10},
    "my facilities": {"su": 6, "pa": 7, "op": 7, "off": 7, "fm": 7},
    "facility page": {"pa": 10, "op": 10, "off": 10},
    "dashboard": {"su": 13, "op": 14},
    "province dashboard": {"su": 13, "pa": 14, "op": 14, "off": 14},
    "check status": {"su": 7, "op": 8, "off": 8, "fm": 8},
    "progress export": {"su": 12, "pa": 13, "op": 13, "off": 13},
    "facilities export": {"su": 9, "pa": 10, "op": 10, "off": 10},
    "cameras export": {"su": 9, "pa": 10, "op": 10, "off": 10},
}
SHORT = {
    "superuser": "su",
    "province_admin": "pa",
    "operator": "op",
    "official": "off",
    "facility_manager": "fm",
}
CASES = [
    (page, role)
    for page, (_url, roles, _text) in PAGES.items()
    for role in roles
    if (page, role) not in PINNED_ELSEWHERE
]


@dataclass
class Cast:
    """The five accounts of the bench (bench/national.py) over a registry of Hà Nội (01) and
    Hồ Chí Minh (79): a province admin and an operator engineer of Hà Nội, a facility manager of
    three of its facilities."""

    users: dict
    facility: object  # the facility manager's first facility

    def url(self, page):
        name = PAGES[page][0]
        if page in ("camera page",):
            camera = Camera.objects.filter(facility=self.facility).order_by("pk").first()
            return reverse(name, args=[camera.pk])
        if page in ("facility admin page", "facility page"):
            return reverse(name, args=[self.facility.pk])
        if page == "province dashboard":
            return reverse(name, args=["01"])
        if page == "camera search":
            # Found in both registries: an empty result would skip the page's per-row reads.
            return reverse(name) + "?q=camera"
        if page == "check status":
            ids = Camera.objects.order_by("pk").values_list("pk", flat=True)
            query = {"ids": ",".join(map(str, ids)), "since": timezone.now().isoformat()}
            return reverse(name) + "?" + urlencode(query)
        return reverse(name)


def test_every_page_and_role_has_a_budget():
    budgeted = {(page, role) for page, roles in BUDGET.items() for role in roles}
    assert budgeted == {(page, SHORT[role]) for page, role in CASES}


def _cameras(facility, count, prefix, start=0):
    healths = ["online", "offline", "degraded", "unknown"]
    statuses = ["registered", "eligible", "connected", "ineligible"]
    for n in range(start, start + count):
        camera = factories.camera(
            facility,
            name=f"{prefix} {n}",
            connection_status=statuses[n % 4],
            health=healths[n % 4],
            last_error_kind="timeout" if n % 4 == 1 else "",
            last_checked_at=timezone.now(),
        )
        CameraDay.objects.create(camera=camera, day=timezone.localdate(), checks=4, successes=3)
        if n % 4 == 1:
            CameraOutage.objects.create(
                camera=camera, kind="offline", started_at=timezone.now(), error_kind="timeout"
            )


@pytest.fixture
def cast():
    users = {
        "superuser": get_user_model().objects.create_superuser("quantri", "qt@example.vn", "x"),
        "province_admin": factories.province_user("so_hanoi", "01", "manage_province"),
        "operator": factories.province_user("ky_su_hanoi", "01", "connect_province"),
        "official": factories.national_official("cuc_vien_thong", is_staff=True),
    }
    mine = [factories.facility("01", status="active") for _ in range(3)]
    users["facility_manager"] = factories.facility_manager("quan_ly", mine[0])
    for facility in mine[1:]:
        factories.grant_facility(users["facility_manager"], facility)
    _cameras(mine[0], 1, "Camera")
    _cameras(factories.facility("79", status="active"), 1, "Camera")
    take_snapshot(timezone.localdate() - datetime.timedelta(days=1))
    for user in users.values():
        record_event("login", actor=user)
    return Cast(users=users, facility=mine[0])


def grow(cast):
    """From 2 cameras to 14 and from 4 facilities to 24, with their audit entries (every save
    writes one), account events, uptime rows, outages and two more days of snapshots."""
    for code in ("01", "79"):
        for n in range(10):
            facility = factories.facility(code, name=f"Khu mở rộng {code}-{n}", status="active")
            if n < 2:
                _cameras(facility, 1, "Camera mở rộng", start=100 * n + int(code))
    _cameras(cast.facility, 8, "Camera mở rộng")
    for back in (2, 3):
        take_snapshot(timezone.localdate() - datetime.timedelta(days=back))
    for user in cast.users.values():
        for event in ("logout", "login"):
            record_event(event, actor=user)


def _read(client, url):
    """(queries, text) of the page at `url`, an export read to its end."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if response.streaming:
            text = b"".join(response.streaming_content).decode()
        else:
            text = response.content.decode()
    return len(queries), text


@pytest.mark.parametrize("role", EVERYONE)
def test_no_page_runs_more_queries_than_today_at_either_size(role, cast, client):
    client.force_login(cast.users[role])
    pages = [page for page, role_of in CASES if role_of == role]
    small = {page: _read(client, cast.url(page)) for page in pages}
    grow(cast)
    large = {page: _read(client, cast.url(page)) for page in pages}
    over = [
        f"{page}: {small[page][0]} queries with 2 cameras, {large[page][0]} with 14, "
        f"at most {BUDGET[page][SHORT[role]]}"
        for page in pages
        if max(small[page][0], large[page][0]) > BUDGET[page][SHORT[role]]
        or large[page][0] > small[page][0]
    ]
    assert not over, "\n".join(over)
    # The larger registry is really on the pages that list rows: their counts were measured
    # with the rows shown.
    hidden = [
        page
        for page in pages
        if PAGES[page][2] is not None
        and large[page][1].count(PAGES[page][2]) <= small[page][1].count(PAGES[page][2])
    ]
    assert not hidden
