"""Figures other apps add to the progress dashboards through reports/counters.py."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facilities.models import Facility
from reports import counters
from reports.snapshot import take_snapshot
from tests import factories

pytestmark = pytest.mark.django_db

LABEL = "Open problem reports"


def open_problems(province_ids):
    """Stands in for a later app's counter: one GROUP BY query (here: facilities per province)."""
    rows = (
        Facility.objects.filter(province_id__in=province_ids)
        .values("province_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["province_id"]: row["n"] for row in rows}


@pytest.fixture(autouse=True)
def _only_this_module_counters():
    """The apps' own counters (problems' open reports) set aside: these tests stand in one."""
    saved = dict(counters._registry)
    counters._registry.clear()
    yield
    counters._registry.clear()
    counters._registry.update(saved)


@pytest.fixture
def counter():
    counters.register("open_problems", LABEL, open_problems, order=10)
    yield
    counters.unregister("open_problems")


@pytest.fixture
def national_client(client, django_user_model):
    user = django_user_model.objects.create_user("cuc_vien_thong", password="x")
    group = Group.objects.create(name="Cục Viễn thông")
    group.permissions.add(Permission.objects.get(codename="view_all"))
    user.groups.add(group)
    client.force_login(user)
    factories.facility("01")
    factories.facility("01")
    factories.facility("79")
    return client


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response, len(queries)


def test_a_registered_counter_is_a_column_with_its_figure_per_province_and_total(
    national_client, counter
):
    response, _count = _queries(national_client, reverse("reports:progress"))
    lines = {line.province.code: line for line in response.context["lines"]}
    assert lines["01"].extra == ((LABEL, 2),)
    assert lines["79"].extra == ((LABEL, 1),)
    assert lines["02"].extra == ((LABEL, 0),)
    assert response.context["grand"].extra == ((LABEL, 3),)
    html = response.content.decode()
    assert f'<abbr title="{LABEL}">{LABEL}</abbr>' in html
    assert "?sort=-counter-open_problems#provinces" in html, "sortable like the other columns"
    assert f'<td data-label="{LABEL}" class="num">2</td>' in html
    # Sorted by the counter, largest first: Hà Nội (2) before Hồ Chí Minh (1).
    response, _count = _queries(
        national_client, reverse("reports:progress"), sort="-counter-open_problems"
    )
    assert [line.province.code for line in response.context["table"]["rows"]] == ["01", "79"]


@pytest.mark.parametrize("name, args", [("reports:progress", []), ("reports:province", ["01"])])
def test_a_counter_costs_one_query_however_many_provinces(national_client, name, args):
    # The national page shows 63 provinces, the province page one: one query more on both.
    url = reverse(name, args=args)
    _queries(national_client, url)  # per-process caches (content types...) filled
    _response, without = _queries(national_client, url)
    counters.register("open_problems", LABEL, open_problems)
    try:
        _response, with_counter = _queries(national_client, url)
    finally:
        counters.unregister("open_problems")
    assert with_counter == without + 1


def test_a_stored_day_shows_no_counter_column(national_client, counter):
    day = timezone.localdate() - datetime.timedelta(days=1)
    take_snapshot(day)
    response, _count = _queries(national_client, reverse("reports:progress"), date=day.isoformat())
    assert response.context["live"] is False
    assert LABEL not in response.content.decode()


def test_a_key_is_registered_once(counter):
    with pytest.raises(ValueError):
        counters.register("open_problems", LABEL, open_problems)
