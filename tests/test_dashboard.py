"""The progress dashboards as an official reads them (issue 12): headline figures that are defined
and add up, a province table that sorts and leaves out empty provinces, the deadline as one line,
and a trend chart that reads well from its first day."""

import datetime
import os
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cameras.models import Camera
from facilities.models import Facility
from reports import charts, counters, dashboard
from reports.conf import progress_deadline
from reports.snapshot import Counts, counts_by_province, take_snapshot
from reports.templatetags.reports_tags import pct
from tests import factories
from tests.test_reports import (  # noqa: F401 - fixtures, used by name
    HANOI,
    HCM,
    _grow,
    hanoi_admin,
    national,
    registry,
)

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def _number(text):
    """A figure as the page writes it (1.234 in Vietnamese) back to an int."""
    return int(text.replace(".", "").replace(",", ""))


def rendered_sums(html):
    """{total key: (total, {part key: value})} of the "how the figures add up" lines."""
    sums = {}
    for key, body in re.findall(r'<li data-sum="(\w+)">(.*?)</li>', html, re.S):
        total = _number(re.search(r"<b data-total>([\d.,]+)</b>", body).group(1))
        parts = {
            part: _number(value)
            for part, value in re.findall(r'data-part="(\w+)"><b>([\d.,]+)</b>', body)
        }
        sums.setdefault(key, []).append((total, parts))
    return sums


def rendered_figures(html):
    """{figure key: (value, whole or None)} of the big numbers at the top."""
    figures = {}
    for key, body in re.findall(
        r'<div class="card figure" data-figure="(\w+)">(.*?)<p class="definition">', html, re.S
    ):
        value = _number(re.search(r"<span data-value>([\d.,]+)</span>", body).group(1))
        whole = re.search(r"<span data-whole>([\d.,]+)</span>", body)
        figures[key] = (value, _number(whole.group(1)) if whole else None)
    return figures


@pytest.fixture
def every_state(registry):  # noqa: F811
    """The shared registry plus what it lacks: a connected camera never checked yet, a degraded
    eligible one, a suspended one online; every connection status meets every health."""
    factories.camera(registry["hcm"], connection_status="connected", health="unknown")
    factories.camera(registry["hcm"], connection_status="eligible", health="degraded")
    factories.camera(registry["hcm"], connection_status="suspended", health="online")
    factories.camera(registry["closed"], connection_status="eligible", health="offline")
    return registry


# --- Headline figures -------------------------------------------------------------------------


def test_live_figures_are_defined_and_their_parts_add_up_to_the_totals(
    client,
    national,  # noqa: F811
    every_state,
):
    client.force_login(national)
    response = client.get(reverse("reports:progress"))
    html = response.content.decode()
    sums = rendered_sums(html)
    figures = rendered_figures(html)

    for key, equations in sums.items():
        for total, parts in equations:
            assert total == sum(parts.values()), f"{key}: {total} = {parts}"
    for addition in response.context["sums"]:
        assert addition.adds_up

    # Every camera of the registry is accounted for: 14 of the shared registry and 4 more.
    [(in_registry, parts)] = sums["cameras_in_registry"]
    assert in_registry == Camera.objects.count() == 18
    assert parts == {"cameras_registered": 14, "cameras_decommissioned": 2, "cameras_in_closed": 2}
    # The statuses partition the registered cameras, the eligible ones in turn.
    registered = sums["cameras_registered"]
    by_status = next(parts for _t, parts in registered if "cameras_unchecked" in parts)
    assert by_status == {"cameras_unchecked": 2, "cameras_eligible": 10, "cameras_ineligible": 2}
    [(eligible, parts)] = sums["cameras_eligible"]
    assert parts == {"cameras_waiting": 3, "cameras_connected": 5, "cameras_suspended": 2}
    # Connected cameras by health: online (degraded included), offline, never checked.
    [(connected, parts)] = sums["cameras_connected"]
    assert parts == {"connected_online": 3, "connected_offline": 1, "connected_unknown": 1}
    by_health = next(parts for _t, parts in registered if "cameras_online" in parts)
    assert by_health == {"cameras_online": 6, "cameras_offline": 5, "cameras_health_unknown": 3}

    # The big numbers are the totals of the sums and of the province table.
    grand = response.context["grand"].counts
    assert figures["cameras_registered"] == (grand.cameras_registered, None) == (14, None)
    assert figures["cameras_connected"][0] == connected == grand.cameras_connected
    assert figures["cameras_online"][0] == by_health["cameras_online"]
    assert figures["facilities_connected"] == (grand.facilities_connected, grand.facilities)
    [(facilities, parts)] = sums["facilities"]
    assert facilities == grand.facilities
    assert parts["facilities_connected"] == grand.facilities_connected
    # What remains is what the list of facilities not yet connected counts on its own.
    assert parts["facilities_not_connected"] == response.context["not_connected_total"] == 3
    total_row = html.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert f'data-label="Camera đã đăng ký" class="num">{grand.cameras_registered}<' in total_row

    # Each big number carries its definition; both percentages are stated.
    assert len(re.findall(r'<p class="definition">\s*\S', html)) == len(figures) == 4
    percentages = html.split('class="sums"', 1)[1].split("</details>", 1)[0]
    assert percentages.count("÷") == 3, "the three percentages' definitions"


def test_the_live_table_counts_as_the_snapshot_does(every_state, django_assert_num_queries):
    """The dashboard reads the cameras once for the table and the sums: its counts must stay
    those of counts_by_province, which the stored snapshots and the exports use."""
    with django_assert_num_queries(2):
        counts, breakdowns = dashboard.live_counts(Facility.objects.all(), Camera.objects.all())
    assert counts == counts_by_province()
    hanoi = breakdowns[factories.province("01").pk]
    assert (hanoi.decommissioned, hanoi.in_closed) == (2, 2)


def test_a_stored_day_derives_the_parts_it_does_not_keep_and_says_so(
    client,
    national,  # noqa: F811
    every_state,
):
    take_snapshot(datetime.date(2021, 7, 1))
    client.force_login(national)
    response = client.get(reverse("reports:progress"), {"date": "2021-07-01"})
    html = response.content.decode()
    sums = rendered_sums(html)
    assert "cameras_in_registry" not in sums, "a snapshot does not keep the decommissioned"
    for key, equations in sums.items():
        for total, parts in equations:
            assert total == sum(parts.values()), key
    derived = re.findall(r'data-part="(\w+)"><b>[\d.,]+</b>[^<]*<sup>\*</sup>', html)
    assert set(derived) == {
        "cameras_unchecked",
        "cameras_eligible_not_connected",
        "cameras_health_unknown",
        "facilities_not_connected",
    }
    assert rendered_figures(html)["cameras_registered"][0] == 14


def test_large_figures_are_grouped_the_vietnamese_way(client, national):  # noqa: F811
    day = timezone.localdate() - datetime.timedelta(days=1)
    take_snapshot(day)
    from reports.models import DailySnapshot

    DailySnapshot.objects.filter(day=day, province__code="01").update(
        cameras_registered=12345, cameras_eligible=12000, cameras_connected=11000
    )
    client.force_login(national)
    html = client.get(reverse("reports:progress"), {"date": day.isoformat()}).content.decode()
    assert rendered_figures(html)["cameras_registered"] == (12345, None)
    assert "<span data-value>12.345</span>" in html
    assert ">12.000<" in html


# --- Deadline ---------------------------------------------------------------------------------


def test_the_default_deadline_is_the_letters():
    if "PROGRESS_DEADLINE" in os.environ:
        pytest.skip("PROGRESS_DEADLINE is set in this environment")
    assert progress_deadline() == datetime.date(2021, 6, 12)


def test_the_deadline_is_one_line_after_the_figures_not_a_banner(
    client,
    national,  # noqa: F811
    registry,  # noqa: F811
    settings,
):
    settings.PROGRESS_DEADLINE = "2021-06-12"
    client.force_login(national)
    html = client.get(reverse("reports:progress")).content.decode()
    line = re.search(r'<p class="deadline-line">(.*?)</p>', html, re.S).group(1)
    assert "12/06/2021" in line
    assert "badge-overdue" in line
    days = (timezone.localdate() - datetime.date(2021, 6, 12)).days
    assert f"{days:,}".replace(",", ".") in line
    assert html.index('class="figures"') < html.index('class="deadline-line"')
    assert "card deadline" not in html


# --- The province table -----------------------------------------------------------------------


def _codes(response):
    return [line.province.code for line in response.context["table"]["rows"]]


def test_provinces_with_nothing_registered_are_left_out_until_asked_for(
    client,
    national,  # noqa: F811
    registry,  # noqa: F811
):
    client.force_login(national)
    url = reverse("reports:progress")
    response = client.get(url)
    assert _codes(response) == ["01", "79"]
    assert response.context["table"]["hidden"] == 61
    assert len(response.context["lines"]) == 63, "subtotals and total still count all"
    assert response.context["grand"].counts == HANOI + HCM
    html = response.content.decode()
    assert "?all=1#provinces" in html

    response = client.get(url, {"all": "1"})
    assert len(_codes(response)) == 63
    assert (response.context["table"]["hidden"], response.context["table"]["empty"]) == (0, 61)
    tools = response.content.decode().split('<p class="table-tools', 1)[1].split("</p>", 1)[0]
    assert "all=1" not in tools and "#provinces" in tools, "the link hides them again"

    # A province whose figures dropped to nothing since the last snapshot stays: that is news.
    take_snapshot(timezone.localdate() - datetime.timedelta(days=1))
    Facility.objects.filter(pk=registry["hcm"].pk).update(status="closed")
    response = client.get(url)
    assert _codes(response) == ["01", "79"]
    assert response.context["table"]["rows"][1].counts == Counts()


def test_a_province_page_lists_its_province_even_when_empty(client, django_user_model):
    user = factories.province_user("so_tttt_danang", "48")
    client.force_login(user)
    for url in (reverse("reports:progress"), reverse("reports:province", args=["48"])):
        response = client.get(url)
        assert _codes(response) == ["48"]
        assert response.context["table"]["hidden"] == 0


def test_the_table_sorts_by_any_column_both_ways_with_ties_in_code_order(
    client,
    national,  # noqa: F811
    registry,  # noqa: F811
):
    client.force_login(national)
    url = reverse("reports:progress")

    def codes(sort):
        return _codes(client.get(url, {"all": "1", "sort": sort}))

    assert codes("-cameras_registered")[:3] == ["01", "79", "02"]
    ascending = codes("cameras_registered")
    assert ascending[-2:] == ["79", "01"]
    assert ascending[:3] == ["02", "04", "06"], "equal figures keep the code order"
    # A province without planned cameras has no percentage: last, whichever the direction.
    assert codes("-percent_planned_connected")[:2] == ["79", "01"]
    assert codes("percent_planned_connected")[:2] == ["01", "79"]
    # Names in Vietnamese order: Đà Nẵng among the D's, not after Yên Bái.
    names = [
        line.label
        for line in client.get(url, {"all": "1", "sort": "name"}).context["table"]["rows"]
    ]
    assert names.index("Cà Mau") < names.index("Đà Nẵng") < names.index("Gia Lai")
    assert names[-1] == "Yên Bái"
    # By operator: Viettel then VNPT (Vietnamese order), or VNPT first, each in code order.
    assert codes("operator")[:2] == ["01", "02"]
    assert codes("-operator")[:2] == ["48", "49"]

    # Not a column: the default order, never an error.
    for junk in ("password", "__class__", "-", "cameras_registered;drop", "-code"):
        response = client.get(url, {"sort": junk, "all": "1"})
        assert response.status_code == 200
        if junk == "-code":
            assert _codes(response)[0] == "96"
        else:
            assert _codes(response)[:2] == ["01", "02"]

    # Subtotals by operator and region are their own table, in their own order.
    response = client.get(url, {"sort": "-cameras_connected"})
    assert [line.label for line in response.context["by_operator"]] == ["Viettel", "VNPT"]
    assert [line.label for line in response.context["by_region"]] == [
        "Miền Bắc",
        "Miền Trung",
        "Miền Nam",
    ]


def test_heading_links_reverse_the_column_in_use_and_keep_the_day_and_the_toggle(
    client,
    national,  # noqa: F811
    registry,  # noqa: F811
):
    take_snapshot(datetime.date(2021, 7, 1))
    client.force_login(national)
    response = client.get(
        reverse("reports:progress"),
        {"date": "2021-07-01", "all": "1", "sort": "-cameras_connected"},
    )
    html = response.content.decode()
    heading = re.search(r'<th scope="col" class="num" aria-sort="descending">(.*?)</th>', html)
    assert "sort=cameras_connected" in heading.group(1)
    assert "date=2021-07-01" in heading.group(1) and "all=1" in heading.group(1)
    # Another figure column sorts largest first; a text column A to Z.
    assert re.search(r'href="\?[^"]*sort=-cameras_registered[^"]*"', html)
    assert re.search(r'href="\?[^"]*sort=name[^"]*"', html)
    # The day picker carries the order and the toggle along.
    assert '<input type="hidden" name="sort" value="-cameras_connected">' in html
    assert '<input type="hidden" name="all" value="1">' in html


@pytest.mark.parametrize(
    "params", [{}, {"all": "1", "sort": "-percent_planned_connected"}, {"sort": "name"}]
)
def test_sorting_and_showing_all_cost_no_query_per_province(
    client,
    national,  # noqa: F811
    registry,  # noqa: F811
    django_assert_max_num_queries,
    params,
):
    take_snapshot(timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(national)
    url = reverse("reports:progress")
    _grow(5)
    with django_assert_max_num_queries(14) as small:
        assert client.get(url, params).status_code == 200
    _grow(60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url, params)
    assert response.status_code == 200


def test_the_province_table_has_few_enough_columns_for_1366_px(client, national, registry):  # noqa: F811
    client.force_login(national)
    html = client.get(reverse("reports:progress")).content.decode()
    table = html.split('<table class="progress responsive">', 1)[1].split("</table>", 1)[0]
    first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", table, re.S).group(1)
    # The standard figures; each app's registered counter (reports/counters.py) adds a column.
    extra = len(counters.registered())
    assert first_row.count("<td") <= 14 + extra
    # Every short heading explains itself.
    assert table.count("<abbr title=") == len(dashboard.FIGURE_COLUMNS) + extra


# --- Small pieces -----------------------------------------------------------------------------


def test_percentages_are_compact_in_the_active_language():
    with translation.override("vi"):
        assert pct(13.3) == "13,3%"
        assert pct(25.0) == "25%"
        assert pct(None) == "\u2014"
    with translation.override("en"):
        assert pct(13.3) == "13.3%"


def test_a_line_is_empty_only_with_nothing_now_before_or_counted_elsewhere():
    line = dashboard.Line(label="x", counts=Counts())
    assert dashboard.is_empty(line)
    line.extra = (("Open problem reports", 1),)
    assert not dashboard.is_empty(line)
    line = dashboard.Line(label="x", counts=Counts(), previous=Counts(cameras_connected=1))
    assert not dashboard.is_empty(line)


# --- Trend chart ------------------------------------------------------------------------------

START = datetime.date(2021, 6, 5)
LABELS = ["Connected", "Online"]


def _chart(n, connected, online, *, gap=1):
    days = [START + datetime.timedelta(days=i * gap) for i in range(n)]
    svg = charts.trend_svg(days, [connected, online], title="Trend", labels=LABELS)
    return ET.fromstring(svg)


def _texts(root, cls):
    return [el for el in root.iter(f"{SVG}text") if cls in (el.get("class") or "").split()]


def test_a_chart_without_any_day_is_nothing():
    assert charts.trend_svg([], [[], []], title="Trend", labels=LABELS) == ""


def test_one_day_is_a_dot_per_series_with_its_value_and_date():
    with translation.override("vi"):
        root = _chart(1, [1234], [1200])
    assert not list(root.iter(f"{SVG}polyline")), "a one-point line draws nothing"
    dots = list(root.iter(f"{SVG}circle"))
    assert len(dots) == 2
    assert len({dot.get("cx") for dot in dots}) == 1
    assert sorted(el.text for el in _texts(root, "value")) == ["1.200", "1.234"]
    assert [el.text for el in _texts(root, "date")] == ["05/06"]
    assert "05/06/2021" in dots[0].find(f"{SVG}title").text
    # The two labels do not sit on each other.
    ys = sorted(float(el.get("y")) for el in _texts(root, "value"))
    assert ys[1] - ys[0] >= charts.LABEL_HEIGHT


def test_equal_values_on_one_day_share_one_label():
    root = _chart(1, [7], [7])
    assert [el.text for el in _texts(root, "value")] == ["7"]


def test_two_days_are_a_line_with_both_values_labelled():
    with translation.override("vi"):
        root = _chart(2, [1000, 2500], [900, 2400])
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2
    assert all(len(line.get("points").split()) == 2 for line in lines)
    assert sorted(el.text for el in _texts(root, "value")) == ["1.000", "2.400", "2.500", "900"]
    assert [el.text for el in _texts(root, "date")] == ["05/06", "06/06"]


def test_many_days_label_the_last_value_and_dates_that_do_not_overlap():
    connected = [1000 + 50 * i for i in range(30)]
    online = [900 + 40 * i for i in range(30)]
    with translation.override("vi"):
        root = _chart(30, connected, online)
    assert [len(line.get("points").split()) for line in root.iter(f"{SVG}polyline")] == [30, 30]
    assert sorted(el.text for el in _texts(root, "value")) == ["2.060", "2.450"]
    dates = _texts(root, "date")
    assert dates[-1].text == "04/07"
    xs = [float(el.get("x")) for el in dates]
    assert all(b - a >= charts.TICK_SPACING for a, b in zip(xs, xs[1:], strict=False))
    axis = [el.text for el in _texts(root, "tick") if el not in dates]
    assert axis == ["0", "1.000", "2.000", "3.000", "4.000"]


def test_axis_numbers_follow_the_language_and_make_room_for_themselves():
    with translation.override("en"):
        root = _chart(3, [1_200_000, 1_300_000, 1_400_000], [1, 2, 3])
    axis = [el for el in _texts(root, "tick") if "date" not in el.get("class")]
    assert axis[-1].text == "2,000,000"
    # Right-aligned at the plot's left edge, with room for 9 characters.
    assert float(axis[-1].get("x")) >= 9 * charts.TICK_CHAR_WIDTH


def test_days_missing_from_the_record_leave_a_gap_not_a_squeeze():
    root = _chart(3, [1, 2, 3], [1, 2, 3], gap=10)
    assert [el.text for el in _texts(root, "date")] == ["05/06", "15/06", "25/06"]


def test_the_dashboard_chart_with_no_snapshot_yet_is_todays_dot(
    client,
    national,  # noqa: F811
    registry,  # noqa: F811
):
    client.force_login(national)
    response = client.get(reverse("reports:progress"))
    assert len(response.context["trend_days"]) == 1
    root = ET.fromstring(str(response.context["trend_chart"]))
    assert not list(root.iter(f"{SVG}polyline"))
    assert len(list(root.iter(f"{SVG}circle"))) == 2
    take_snapshot(timezone.localdate() - datetime.timedelta(days=1))
    response = client.get(reverse("reports:progress"))
    root = ET.fromstring(str(response.context["trend_chart"]))
    assert len(list(root.iter(f"{SVG}polyline"))) == 2


def test_labels_at_the_bottom_of_the_plot_keep_the_order_of_their_values():
    root = _chart(5, [40000, 47000, 48000, 45000, 4], [12000, 12500, 13000, 12000, 0])
    labels = sorted(_texts(root, "value"), key=lambda el: float(el.get("y")))
    assert [el.text for el in labels] == ["4", "0"], "the higher value's label on top"
    ys = [float(el.get("y")) for el in labels]
    assert ys[1] - ys[0] >= charts.LABEL_HEIGHT
