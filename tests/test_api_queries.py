"""Query budget of every API endpoint, per role, pinned at two sizes (5 and 50 cameras): a page
costs the same queries whatever the registry's size or the page's rows (STYLE.md, "Counts without
N+1"; tests/test_query_budget.py does the same for the pages). bench/bench_api.py measures the
camera list's time at 100,000 cameras.

Each call is made with a token, after one call that recorded the token's use (written at most
once a minute: api/tokens.py).
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cameras.models import Camera
from reports.snapshot import take_snapshot
from tests import factories
from tests.api_helpers import api_client

pytestmark = pytest.mark.django_db

ROLES = ("superuser", "province_admin", "operator", "official", "facility_manager")
# Queries of each endpoint and role when this test was written: never more, at either size.
# (token + owner, the account's grants unless superuser, the page; a disclosure adds the
# account's count in the database cache, 7 statements, and the events' one INSERT; a bulk result
# reads the scope, the standard, the cameras and their central ids, and writes in a handful of
# statements.)
BUDGET = {
    "cameras": {"superuser": 2, "province_admin": 3, "operator": 3, "official": 3,
                "facility_manager": 3},
    "cameras filtered": {"superuser": 2, "province_admin": 3, "operator": 3, "official": 3,
                         "facility_manager": 3},
    "camera": {"superuser": 2, "province_admin": 3, "operator": 3, "official": 3,
               "facility_manager": 3},
    "facilities": {"superuser": 2, "province_admin": 3, "operator": 3, "official": 3,
                   "facility_manager": 3},
    "facility": {"superuser": 2, "province_admin": 3, "operator": 3, "official": 3,
                 "facility_manager": 3},
    "provinces": {"superuser": 2, "province_admin": 3, "operator": 3, "official": 3,
                  "facility_manager": 3},
    "snapshots": {"superuser": 2, "province_admin": 3, "operator": 3, "official": 3,
                  "facility_manager": 3},
    "status": {"superuser": 3, "province_admin": 4, "operator": 4, "official": 4,
               "facility_manager": 4},
    "standard": {"superuser": 2, "province_admin": 2, "operator": 2, "official": 2,
                 "facility_manager": 2},
    "camera connection": {"superuser": 10, "operator": 10},
    "facility connection": {"superuser": 12, "operator": 13},
    "connections": {"superuser": 12, "operator": 13},
}


class Cast:
    def __init__(self):
        User = get_user_model()
        self.hanoi = factories.facility("01", name="Khu Hà Nội", status="active")
        self.hcm = factories.facility("79", name="Khu Hồ Chí Minh", status="active")
        users = {
            "superuser": User.objects.create_superuser("quantri", "", "x"),
            "province_admin": factories.province_user("so_hanoi", "01", "manage_province"),
            "operator": factories.province_user("viettel_hn", "01", "connect_province"),
            "official": factories.national_official("cuc", is_staff=True),
            "facility_manager": factories.facility_manager("quan_ly", self.hanoi),
        }
        self.clients = {role: api_client(user) for role, user in users.items()}
        self.grow(5)

    def grow(self, total):
        """Cameras up to `total`, half in each province, every one connectable, and a day of
        snapshots more."""
        have = Camera.objects.count()
        for n in range(have, total):
            facility = self.hanoi if n % 2 == 0 else self.hcm
            factories.passed_check(factories.camera(facility, name=f"Camera {n:03d}"))
        take_snapshot(timezone.localdate() - datetime.timedelta(days=total))

    def url(self, endpoint):
        camera = Camera.objects.filter(facility=self.hanoi).order_by("pk").first()
        return {
            "cameras": reverse("api:camera-list"),
            "cameras filtered": reverse("api:camera-list")
            + "?province=01&connection_status=eligible&health=online&updated_since=2021-06-01",
            "camera": reverse("api:camera-detail", args=[camera.pk]),
            "facilities": reverse("api:facility-list"),
            "facility": reverse("api:facility-detail", args=[self.hanoi.pk]),
            "provinces": reverse("api:province-list"),
            "snapshots": reverse("api:snapshot-list"),
            "status": reverse("api:status"),
            "standard": reverse("api:standard"),
            "camera connection": reverse("api:camera-connection", args=[camera.pk]),
            "facility connection": reverse("api:facility-connection", args=[self.hanoi.pk]),
            "connections": reverse("api:connections"),
        }[endpoint]

    def call(self, role, endpoint):
        client = self.clients[role]
        url = self.url(endpoint)
        # Every Hà Nội camera reported connected (the first time) or again (after).
        payload = [
            {"camera": pk, "status": "connected", "central_id": f"VT-{pk}"}
            for pk in Camera.objects.filter(facility=self.hanoi).values_list("pk", flat=True)
        ]
        with CaptureQueriesContext(connection) as queries:
            if endpoint == "connections":
                response = client.post(url, payload, content_type="application/json")
            else:
                response = client.get(url)
        assert response.status_code == 200, (endpoint, role, response.content[:300])
        body = response.json()
        rows = body["results"] if isinstance(body, dict) and "results" in body else body
        return len(queries), rows


CASES = [(endpoint, role) for endpoint, roles in BUDGET.items() for role in roles]


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_costs_the_same_queries_at_5_and_50_cameras(role):
    cast = Cast()
    endpoints = [endpoint for endpoint, of in CASES if of == role]
    cast.call(role, "standard")  # the token's first use is recorded once
    if "camera connection" in endpoints:
        # The first disclosure of the period creates the account's count in the cache.
        cast.call(role, "camera connection")
    small = {endpoint: cast.call(role, endpoint) for endpoint in endpoints}
    Camera.objects.update(connection_status="eligible")
    cast.grow(50)
    large = {endpoint: cast.call(role, endpoint) for endpoint in endpoints}
    over = [
        f"{endpoint}: {small[endpoint][0]} queries with 5 cameras, {large[endpoint][0]} with 50,"
        f" at most {BUDGET[endpoint][role]}"
        for endpoint in endpoints
        if large[endpoint][0] != small[endpoint][0]
        or large[endpoint][0] > BUDGET[endpoint][role]
    ]
    assert not over, "\n".join(over)
    # The larger registry is really in the lists' answers.
    for endpoint in ("cameras", "facility connection"):
        if endpoint in endpoints:
            assert len(_rows(large[endpoint][1])) > len(_rows(small[endpoint][1]))


def _rows(answer):
    return answer["cameras"] if isinstance(answer, dict) and "cameras" in answer else answer
