"""Readiness plans of the operators (issue 16, part 3): who reads and edits which province's plan
on the national view, its export and the admin, what the audit trail keeps, and what the pages
cost at two sizes."""

import csv
import datetime
import io

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from facilities.choices import Region
from facilities.models import Province
from readiness.choices import EquipmentKind
from readiness.models import EquipmentItem, ReadinessPlan, ResponseTeam
from readiness.status import not_ready_counts
from tests import factories

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("readiness:overview")
EXPORT = reverse("readiness:export_csv")
PLANS = reverse("admin:readiness_readinessplan_changelist")
ADD = reverse("admin:readiness_readinessplan_add")

CAST = [
    "anonymous",
    "no_grant",
    "other_operator",
    "this_admin",
    "operator",
    "expired_operator",
    "viewer",
    "facility_manager",
    "national_official",
    "superuser",
]


def plan(code, *, reviewed_days_ago=0, teams=1, equipment=None, deploy_hours=24):
    """A saved plan of province `code` with `teams` teams of 5 and `equipment` {kind: count}."""
    reviewed = (
        None
        if reviewed_days_ago is None
        else timezone.localdate() - datetime.timedelta(days=reviewed_days_ago)
    )
    created = ReadinessPlan.objects.create(
        province=factories.province(code), deploy_hours=deploy_hours, last_reviewed_on=reviewed
    )
    for n in range(teams):
        ResponseTeam.objects.create(
            plan=created, name=f"Đội {n + 1}", leader="Nguyễn Văn An", phone="0912 345 678", size=5
        )
    for kind, count in (equipment or {EquipmentKind.CAMERAS: 10}).items():
        EquipmentItem.objects.create(plan=created, kind=kind, count=count)
    return created


class World:
    """Hà Nội (01, Viettel) reviewed today; Hồ Chí Minh (79, VNPT) reviewed 40 days ago."""

    def __init__(self, django_user_model):
        self.f1 = factories.facility("01")
        self.p01 = plan("01", equipment={EquipmentKind.CAMERAS: 10, EquipmentKind.RECORDERS: 2})
        self.p79 = plan("79", reviewed_days_ago=40, equipment={EquipmentKind.CAMERAS: 7})
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        self.users = {
            "anonymous": None,
            "no_grant": django_user_model.objects.create_user(
                "no_grant", password="x", is_staff=True
            ),
            "other_operator": factories.province_user("other_operator", "79", "connect_province"),
            "this_admin": factories.province_user("this_admin", "01", "manage_province"),
            "operator": factories.province_user("operator", "01", "connect_province"),
            "expired_operator": django_user_model.objects.create_user(
                "expired", password="x", is_staff=True
            ),
            "viewer": factories.province_user("viewer", "01", "view_province"),
            "facility_manager": factories.facility_manager("facility_manager", self.f1),
            "national_official": factories.national_official("national_official", is_staff=True),
            "superuser": django_user_model.objects.create_superuser("boss", "", "x"),
        }
        # An operator engineer of Hà Nội whose grant ended yesterday.
        factories.grant_province(
            self.users["expired_operator"], "01", "connect_province", expires_on=yesterday
        )

    def client_for(self, client, who):
        if self.users[who] is not None:
            client.force_login(self.users[who])
        return client


@pytest.fixture
def world(django_user_model):
    return World(django_user_model)


ALL = "all"
SCOPE = {
    "anonymous": None,
    "no_grant": None,
    "other_operator": ["79"],
    "this_admin": ["01"],
    "operator": ["01"],
    "expired_operator": None,
    "viewer": ["01"],
    "facility_manager": None,
    "national_official": ALL,
    "superuser": ALL,
}


def _expected(who):
    expected = SCOPE[who]
    if expected == ALL:
        return list(Province.objects.order_by("code").values_list("code", flat=True))
    return expected


# --- The national view and its export ---------------------------------------------------------


@pytest.mark.parametrize("who", CAST)
def test_national_view_shows_only_the_scope(who, world, client):
    response = world.client_for(client, who).get(OVERVIEW)
    expected = _expected(who)
    if who == "anonymous":
        assert response.status_code == 302
    elif expected is None:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        assert [line.province.code for line in response.context["lines"]] == expected


@pytest.mark.parametrize("who", CAST)
def test_export_holds_only_the_scope(who, world, client):
    response = world.client_for(client, who).get(EXPORT)
    expected = _expected(who)
    if who == "anonymous":
        assert response.status_code == 302
        return
    if expected is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:] if row[0]] == expected


def test_national_view_lists_provinces_not_ready_and_totals(world, client):
    client.force_login(world.users["national_official"])
    context = client.get(OVERVIEW).context
    not_ready = {line.province.code: line.status for line in context["not_ready"]}
    # Hà Nội is ready; Hồ Chí Minh was reviewed too long ago; every other province has no plan.
    assert "01" not in not_ready
    assert not_ready["79"] == "not_reviewed"
    assert not_ready["02"] == "no_plan"
    assert len(not_ready) == Province.objects.count() - 1
    by_operator = {group.key: group for group in context["by_operator"]}
    assert by_operator["viettel"].equipment == {"cameras": 10, "recorders": 2}
    assert by_operator["vnpt"].equipment == {"cameras": 7}
    assert (by_operator["viettel"].teams, by_operator["viettel"].people) == (1, 5)
    by_region = {group.key: group for group in context["by_region"]}
    assert by_region["north"].equipment["cameras"] == 10
    assert by_region["south"].equipment["cameras"] == 7


def test_review_days_come_from_the_setting(world, client, settings):
    settings.READINESS_REVIEW_DAYS = 60
    client.force_login(world.users["superuser"])
    statuses = {line.province.code: line.status for line in client.get(OVERVIEW).context["lines"]}
    assert statuses["79"] == "ready"


def test_export_cells_are_spreadsheet_safe_and_totals_follow(world, client):
    Province.objects.filter(code="79").update(name="=HYPERLINK(1)")
    client.force_login(world.users["operator"])
    text = b"".join(client.get(EXPORT).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:2] == ["01", "Hà Nội"]
    # The totals follow the provinces: the operator's, then the region's (in the page's language).
    with translation.override("vi"):
        assert rows[2][1] == gettext("Total, operator %(name)s") % {"name": "Viettel"}
        assert rows[3][1] == gettext("Total, region %(name)s") % {"name": Region.NORTH.label}
    client.force_login(world.users["other_operator"])
    text = b"".join(client.get(EXPORT).streaming_content).decode("utf-8-sig")
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_export_is_an_account_event(world, client):
    from portal.models import AccountEvent

    client.force_login(world.users["operator"])
    b"".join(client.get(EXPORT).streaming_content)
    event = AccountEvent.objects.filter(event="export").latest("pk")
    assert event.actor == world.users["operator"]
    assert event.detail["export"] == "readiness" and event.detail["rows"] == 3


# --- The admin --------------------------------------------------------------------------------

ADMIN_LIST = {
    "anonymous": None,
    "no_grant": None,
    "other_operator": ["79"],
    "this_admin": ["01"],
    "operator": ["01"],
    "expired_operator": None,
    "viewer": ["01"],
    "facility_manager": None,
    "national_official": ["01", "79"],
    "superuser": ["01", "79"],
}


@pytest.mark.parametrize("who", CAST)
def test_plan_changelist_shows_only_the_scope(who, world, client):
    response = world.client_for(client, who).get(PLANS)
    if response.status_code != 200:
        assert ADMIN_LIST[who] is None
        return
    codes = sorted(p.province.code for p in response.context["cl"].result_list)
    assert codes == ADMIN_LIST[who]


def _change_data(plan_obj, *, deploy_hours=12, confirm=False, new_kind=None):
    team = plan_obj.teams.get()
    items = list(plan_obj.equipment.all())
    data = {
        "deploy_hours": deploy_hours,
        "notes": "",
        "teams-TOTAL_FORMS": 1,
        "teams-INITIAL_FORMS": 1,
        "teams-MIN_NUM_FORMS": 0,
        "teams-MAX_NUM_FORMS": 1000,
        "teams-0-id": team.pk,
        "teams-0-plan": plan_obj.pk,
        "teams-0-name": team.name,
        "teams-0-leader": "Trần Thị Bình",
        "teams-0-phone": team.phone,
        "teams-0-size": 6,
        "equipment-TOTAL_FORMS": len(items) + (1 if new_kind else 0),
        "equipment-INITIAL_FORMS": len(items),
        "equipment-MIN_NUM_FORMS": 0,
        "equipment-MAX_NUM_FORMS": 1000,
    }
    for i, item in enumerate(items):
        data.update(
            {
                f"equipment-{i}-id": item.pk,
                f"equipment-{i}-plan": plan_obj.pk,
                f"equipment-{i}-kind": item.kind,
                f"equipment-{i}-count": item.count,
            }
        )
    if new_kind:
        data.update(
            {
                f"equipment-{len(items)}-plan": plan_obj.pk,
                f"equipment-{len(items)}-kind": new_kind,
                f"equipment-{len(items)}-count": 4,
            }
        )
    if confirm:
        data["confirm_current"] = "on"
    return data


MAY_EDIT_01 = {"operator", "superuser"}


@pytest.mark.parametrize("who", CAST)
def test_only_the_provinces_operators_and_national_admins_edit_its_plan(who, world, client):
    c = world.client_for(client, who)
    url = reverse("admin:readiness_readinessplan_change", args=[world.p01.pk])
    c.post(url, _change_data(world.p01, deploy_hours=12))
    world.p01.refresh_from_db()
    changed = world.p01.deploy_hours == 12
    assert changed == (who in MAY_EDIT_01)
    assert (world.p01.teams.get().size == 6) == (who in MAY_EDIT_01)


@pytest.mark.parametrize("who", ["this_admin", "viewer", "national_official"])
def test_province_admins_and_officials_read_the_plan_read_only(who, world, client):
    c = world.client_for(client, who)
    response = c.get(reverse("admin:readiness_readinessplan_change", args=[world.p01.pk]))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert "Nguyễn Văn An" in response.content.decode()


def test_operator_adds_a_plan_only_for_its_own_province(world, client):
    world.p01.delete()
    c = world.client_for(client, "operator")
    data = {
        "deploy_hours": 48,
        "notes": "",
        "teams-TOTAL_FORMS": 1,
        "teams-INITIAL_FORMS": 0,
        "teams-MIN_NUM_FORMS": 0,
        "teams-MAX_NUM_FORMS": 1000,
        "teams-0-name": "Đội phản ứng nhanh",
        "teams-0-leader": "Lê Văn Cường",
        "teams-0-phone": "0987 654 321",
        "teams-0-size": 4,
        "equipment-TOTAL_FORMS": 0,
        "equipment-INITIAL_FORMS": 0,
        "equipment-MIN_NUM_FORMS": 0,
        "equipment-MAX_NUM_FORMS": 1000,
        "confirm_current": "on",
    }
    other = c.post(ADD, {**data, "province": factories.province("79").pk})
    assert other.status_code == 200
    assert "province" in other.context["adminform"].form.errors
    c.post(ADD, {**data, "province": factories.province("01").pk})
    created = ReadinessPlan.objects.get(province__code="01")
    assert (created.last_reviewed_on, created.reviewed_by) == (
        timezone.localdate(),
        world.users["operator"],
    )
    assert created.teams.get().province_id == created.province_id


@pytest.mark.parametrize("who", ["this_admin", "other_operator", "expired_operator"])
def test_others_cannot_add_a_plan(who, world, client):
    world.p01.delete()
    c = world.client_for(client, who)
    c.post(ADD, {"province": factories.province("01").pk, "deploy_hours": 5})
    assert not ReadinessPlan.objects.filter(province__code="01").exists()


def test_confirm_action_reviews_only_the_plans_the_user_edits(world, client):
    c = world.client_for(client, "operator")
    c.post(
        PLANS,
        {"action": "confirm_current", "_selected_action": [world.p01.pk, world.p79.pk]},
    )
    world.p01.refresh_from_db()
    world.p79.refresh_from_db()
    assert world.p01.reviewed_by == world.users["operator"]
    assert world.p79.last_reviewed_on < timezone.localdate()


def test_every_change_is_in_the_audit_log_with_its_actor(world, client):
    operator = world.users["operator"]
    ReadinessPlan.objects.filter(pk=world.p01.pk).update(
        last_reviewed_on=timezone.localdate() - datetime.timedelta(days=10)
    )
    c = world.client_for(client, "operator")
    before = LogEntry.objects.count()
    c.post(
        reverse("admin:readiness_readinessplan_change", args=[world.p01.pk]),
        _change_data(world.p01, confirm=True, new_kind=EquipmentKind.NETWORK_KITS),
    )
    entries = list(LogEntry.objects.order_by("pk")[before:])
    assert {(e.content_type.model, e.action) for e in entries} == {
        ("readinessplan", LogEntry.Action.UPDATE),
        ("responseteam", LogEntry.Action.UPDATE),
        ("equipmentitem", LogEntry.Action.CREATE),
    }
    assert all(e.actor == operator for e in entries)
    province = world.p01.province_id
    assert [e.additional_data for e in entries] == [{"province": province}] * len(entries)
    plan_entry = next(e for e in entries if e.content_type.model == "readinessplan")
    assert "last_reviewed_on" in plan_entry.changes_dict


# --- The dashboards' counter ------------------------------------------------------------------


def test_not_ready_counter_counts_provinces_without_a_current_plan(world):
    ids = [factories.province(code).pk for code in ("01", "79", "02")]
    assert not_ready_counts(ids) == {ids[1]: 1, ids[2]: 1}


@pytest.fixture
def counter():
    """The dashboards' column, as production registers it (READINESS_DASHBOARD_COUNTER)."""
    from readiness import apps
    from reports import counters

    apps.register_counter()
    yield
    counters.unregister(apps.COUNTER_KEY)


def test_dashboard_shows_provinces_not_ready(world, client, counter):
    client.force_login(world.users["operator"])
    with translation.override("vi"):
        label = gettext("Provinces not ready")
    response = client.get(reverse("reports:progress"))
    assert label in response.content.decode()
    # Hà Nội's plan is current: its line counts 0, and so does the total.
    # (Other apps' counters may have columns of their own beside it.)
    with translation.override("vi"):
        extra = [(str(name), n) for name, n in response.context["grand"].extra]
    assert [(name, n) for name, n in extra if name == label] == [(label, 0)]
    client.force_login(world.users["national_official"])
    grand = client.get(reverse("reports:progress")).context["grand"]
    with translation.override("vi"):
        assert [n for name, n in grand.extra if str(name) == label] == [
            Province.objects.count() - 1
        ]


# --- Query counts at two sizes ----------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["national_official", "operator"])
def test_pages_cost_the_same_queries_at_two_sizes(who, world, client):
    c = world.client_for(client, who)
    small = {url: _queries(c, url) for url in (OVERVIEW, EXPORT, PLANS)}
    codes = Province.objects.exclude(code__in=["01", "79"]).values_list("code", flat=True)[:20]
    for code in codes:
        plan(code, teams=3, equipment={kind: 2 for kind in EquipmentKind.values})
    for n in range(5):
        ResponseTeam.objects.create(
            plan=world.p01, name=f"Thêm {n}", leader="A", phone="0912 345 678", size=2
        )
    large = {url: _queries(c, url) for url in (OVERVIEW, EXPORT, PLANS)}
    assert (who, large) == (who, small)
    assert (who, small) == (who, BUDGET[who])


# Session, account, second factor and grants, then the provinces with their plans, the teams
# and the equipment (two grouped queries); the export adds its account event; the admin list
# counts and reads its page.
BUDGET = {
    "national_official": {OVERVIEW: 6, EXPORT: 7, PLANS: 5},
    "operator": {OVERVIEW: 6, EXPORT: 7, PLANS: 5},
}


def test_plan_list_is_searched_by_province_name_without_accents(world, client):
    client.force_login(world.users["national_official"])
    response = client.get(PLANS, {"q": "ho chi minh"})
    assert [p.province.code for p in response.context["cl"].result_list] == ["79"]
