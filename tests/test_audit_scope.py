"""Which account events a province admin reads (facilities/audit_scope.py).

The finding these tests pin down: a province admin could read everything an account did (its
logins, client addresses, browser strings, views of another province's facilities) by granting
that account something on one of its own facilities, and kept that sight after the grant expired.

The rule: a province admin reads the events about its provinces' objects and grants, and the
sign-in events of the accounts whose live grants all lie within its provinces; national officials
and superusers read everything. Each account below produces its own traffic through the real
login, facility and logout pages, so the events are the ones the portal writes.
"""

import datetime
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facilities import roles
from facilities.audit_scope import visible_account_events
from facilities.roles import second_factor_required
from portal.account_events import record_event
from portal.actor import acting_as
from portal.models import AccountEvent
from tests import factories
from tests.second_factor import code_for, give_app

pytestmark = pytest.mark.django_db

PASSWORD = "Mat-khau-dung-2021"
SIGN_IN = {"login", "logout", "login_failed", "password_changed", "locked_out"}


# --- Grants ----------------------------------------------------------------------------------


def hold(user, how, code, facility, expires_on=None):
    """Give `user` access in province `code` (or to `facility`, which is in it), as `how` says."""
    if how == "facility":
        return factories.grant_facility(user, facility, expires_on=expires_on)
    if how == "facility_via_group":
        return factories.group_grant_facility(user, facility, expires_on=expires_on)
    if how == "province_role":
        # Province roles are staff accounts (facilities/roles.py, grant_province_role).
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        return factories.grant_province(user, code, "connect_province", expires_on=expires_on)
    if how == "province_role_via_group":
        return factories.group_grant_province(user, code, "view_province", expires_on=expires_on)
    raise ValueError(how)


# --- The cast --------------------------------------------------------------------------------


@pytest.fixture
def scene(django_user_model):
    """Hà Nội (01) and Hồ Chí Minh (79): a facility and a province admin each, a national
    official and a superuser; `scene.account(name)` makes a plain account."""
    make = django_user_model.objects.create_user
    scene = SimpleNamespace(
        f01=factories.facility("01", name="Khu cách ly Pháp Vân"),
        f79=factories.facility("79", name="Khu cách ly Thủ Đức"),
        admin01=factories.province_user("admin01", "01", password=PASSWORD),
        admin79=factories.province_user("admin79", "79", password=PASSWORD),
        official=factories.national_official("official", password=PASSWORD, is_staff=True),
        root=django_user_model.objects.create_superuser("root", "", PASSWORD),
        account=lambda name, **fields: make(name, password=PASSWORD, **fields),
    )
    return scene


def own_traffic(client, user, *, address, agent, facilities=()):
    """What the account does itself: a mistyped password, a login, the facility pages, a logout."""
    meta = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent}
    # Staff accounts, and facility managers who may see camera pictures, give their second
    # factor after the password (tests/test_twofactor.py). A fresh copy: grants are cached.
    needs_code = second_factor_required(type(user).objects.get(pk=user.pk))
    app = give_app(user) if needs_code else None
    wrong = client.post(reverse("login"), {"username": user.username, "password": "sai"}, **meta)
    assert wrong.status_code == 200
    right = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **meta)
    assert right.status_code == 302
    if app is not None:
        code = client.post(reverse("otp_verify"), {"code": code_for(app)}, **meta)
        assert code.status_code == 302
    for facility in facilities:
        assert client.get(reverse("facility_detail", args=[facility.pk]), **meta).status_code == 200
    assert client.post(reverse("logout"), **meta).status_code == 302


def lock_out(client, user, settings, *, address):
    """Failed logins up to the lock-out."""
    settings.AXES_FAILURE_LIMIT = 2
    for _attempt in range(2):
        client.post(
            reverse("login"), {"username": user.username, "password": "sai"}, REMOTE_ADDR=address
        )


def change_own_password(user):
    with acting_as(user):
        user.set_password("Mat-khau-moi-2021")
        user.save()


def seen(reader, account):
    """Sorted (event, object) of the events by or about `account` that `reader` may read."""
    events = visible_account_events(reader).filter(Q(actor=account) | Q(account=account))
    return sorted((e.event, e.object_repr) for e in events)


def everything_about(account):
    events = AccountEvent.objects.filter(Q(actor=account) | Q(account=account))
    return sorted((e.event, e.object_repr) for e in events)


# --- (a) A grant on one's own facility opens nothing else ------------------------------------


@pytest.mark.parametrize(
    "held_in_79", ["facility", "facility_via_group", "province_role_via_group"]
)
def test_granting_another_provinces_manager_shows_the_grant_and_nothing_else(
    client, scene, held_in_79
):
    roaming = scene.account("roaming")
    hold(roaming, held_in_79, "79", scene.f79)
    roles.grant_facility_manager(scene.admin01, roaming, scene.f01)
    own_traffic(
        client, roaming, address="203.0.113.66", agent="Roaming/7.0", facilities=[scene.f79]
    )
    assert ("login", "") in everything_about(roaming)  # the traffic is on record

    # Province 01 reads its own grant, not the account's logins nor its views of 79's facility.
    assert seen(scene.admin01, roaming) == [("grant", "Khu cách ly Pháp Vân")]
    # Province 79 reads the view of its facility, but the account also lives in 01: no logins.
    assert seen(scene.admin79, roaming) == [("view", "Khu cách ly Thủ Đức")]


# --- (b) An expired grant opens nothing ------------------------------------------------------


@pytest.mark.parametrize("how", ["facility", "facility_via_group", "province_role"])
@pytest.mark.parametrize("also_in_79", [False, True], ids=["alone", "also_in_79"])
def test_an_expired_grant_gives_no_sight_of_the_account(client, scene, how, also_in_79):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    former = scene.account("former")
    hold(former, how, "01", scene.f01, expires_on=yesterday)
    if also_in_79:
        factories.grant_facility(former, scene.f79)
    own_traffic(
        client,
        former,
        address="203.0.113.50",
        agent="Former/1.0",
        facilities=[scene.f79] if also_in_79 else [],
    )

    assert seen(scene.admin01, former) == []
    # Its live grants are all in 79 now: that province's admin reads its sign-ins.
    expected_79 = everything_about(former) if also_in_79 else []
    assert seen(scene.admin79, former) == expected_79


def test_an_expired_grant_on_one_facility_does_not_share_the_account_with_its_new_province(
    client, scene
):
    """The issue's second half: the sight stayed after the grant ended."""
    manager = scene.account("manager79")
    factories.grant_facility(manager, scene.f79)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    roles.grant_facility_manager(scene.admin01, manager, scene.f01, expires_on=yesterday)
    own_traffic(client, manager, address="203.0.113.79", agent="M79/1.0", facilities=[scene.f79])

    assert seen(scene.admin01, manager) == [("grant", "Khu cách ly Pháp Vân")]


# --- (c) An account whose live grants are all in one province --------------------------------


@pytest.mark.parametrize(
    "how", ["facility", "facility_via_group", "province_role", "province_role_via_group"]
)
def test_the_admin_of_the_only_province_an_account_lives_in_reads_its_sign_ins(
    client, scene, settings, how
):
    local = scene.account("local")
    hold(local, how, "01", scene.f01)
    own_traffic(client, local, address="203.0.113.10", agent="Local/1.0", facilities=[scene.f01])
    change_own_password(local)
    lock_out(client, local, settings, address="203.0.113.11")

    everything = everything_about(local)
    assert {kind for kind, _object in everything} == SIGN_IN | {"view"}
    assert seen(scene.admin01, local) == everything
    assert seen(scene.admin79, local) == []


@pytest.mark.parametrize("kind", ["superuser", "view_all", "view_all_via_group"])
def test_national_accounts_sign_ins_stay_hidden_from_the_province_they_hold_a_grant_in(
    client, scene, kind
):
    national = scene.account("national", is_staff=True, is_superuser=kind == "superuser")
    factories.grant_facility(national, scene.f01)
    if kind == "view_all":
        national.user_permissions.add(factories.permission("view_all"))
    elif kind == "view_all_via_group":
        national.groups.add(Group.objects.get(name=roles.NATIONAL_OFFICIALS_GROUP))
    own_traffic(client, national, address="192.0.2.20", agent="National/1.0")

    assert len(everything_about(national)) == 3
    assert seen(scene.admin01, national) == []


def test_a_password_set_by_a_national_admin_is_not_shown_with_its_address(client, scene):
    local = scene.account("local")
    factories.grant_facility(local, scene.f01)
    client.force_login(scene.root)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[local.pk]),
        {
            "password1": "Dat-lai-boi-admin-21",
            "password2": "Dat-lai-boi-admin-21",
            "usable_password": "true",
        },
        REMOTE_ADDR="192.0.2.200",
    )
    assert response.status_code == 302
    reset = AccountEvent.objects.get(event="password_changed", account=local)
    assert (reset.actor, reset.remote_addr) == (scene.root, "192.0.2.200")

    assert not visible_account_events(scene.admin01).filter(pk=reset.pk).exists()


# --- (d) National readers read everything ----------------------------------------------------


def test_national_official_and_superuser_read_every_event(client, scene, settings):
    roaming = scene.account("roaming")
    factories.grant_facility(roaming, scene.f79)
    roles.grant_facility_manager(scene.admin01, roaming, scene.f01)
    former = scene.account("former")
    factories.grant_facility(
        former, scene.f01, expires_on=timezone.localdate() - datetime.timedelta(2)
    )
    local = scene.account("local")
    factories.grant_facility(local, scene.f01)
    own_traffic(client, roaming, address="203.0.113.66", agent="R/1", facilities=[scene.f79])
    own_traffic(client, former, address="203.0.113.50", agent="F/1")
    own_traffic(client, local, address="203.0.113.10", agent="L/1", facilities=[scene.f01])
    lock_out(client, local, settings, address="203.0.113.11")

    every = set(AccountEvent.objects.values_list("pk", flat=True))
    assert len(every) == 1 + 4 + 3 + 7  # the grant, then each account's own traffic
    for reader in (scene.official, scene.root):
        assert set(visible_account_events(reader).values_list("pk", flat=True)) == every
    nobody = scene.account("nobody", is_staff=True)
    assert not visible_account_events(nobody).exists()


# --- (e) The admin pages ---------------------------------------------------------------------


@pytest.fixture
def leak_scene(client, scene):
    """Province 01 has granted 79's facility manager something; the manager then works in 79."""
    roaming = scene.account("roaming")
    factories.grant_facility(roaming, scene.f79)
    bystander = scene.account("bystander79")
    factories.grant_facility(bystander, scene.f79)
    roles.grant_facility_manager(scene.admin01, roaming, scene.f01)
    own_traffic(
        client, roaming, address="203.0.113.66", agent="RoamingBrowser/7.0", facilities=[scene.f79]
    )
    own_traffic(client, bystander, address="203.0.113.79", agent="Bystander/1.0")
    scene.roaming, scene.bystander = roaming, bystander
    return scene


def test_the_account_event_list_shows_a_province_admin_only_its_part(client, leak_scene):
    w = leak_scene
    hidden = AccountEvent.objects.filter(actor=w.roaming)
    assert {e.event for e in hidden} == {"login", "view", "logout"}
    client.force_login(w.admin01)

    page = client.get(reverse("admin:portal_accountevent_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    rows = [(e.event, e.username, e.object_repr) for e in page.context["cl"].result_list]
    assert ("grant", "admin01", "Khu cách ly Pháp Vân") in rows
    assert not [row for row in rows if row[1] in ("roaming", "bystander79")]
    for trace in ("203.0.113.66", "RoamingBrowser", "203.0.113.79", "Khu cách ly Thủ Đức"):
        assert trace not in html
    # The actor filter lists no account (it is typed): a hidden account's name finds nothing
    # of it, the admin's own name its own rows.
    url = reverse("admin:portal_accountevent_changelist")
    for name in ("roaming", "bystander79"):
        assert client.get(url, {"actor": name}).context["cl"].result_count == 0
    own = client.get(url, {"actor": "admin01"}).context["cl"].result_list
    assert own and {e.actor_id for e in own} == {w.admin01.pk}

    # A search on the hidden browser string or address finds nothing.
    for term in ("RoamingBrowser", "203.0.113.66"):
        found = client.get(reverse("admin:portal_accountevent_changelist"), {"q": term})
        assert found.context["cl"].result_count == 0
    # Asked for by id, a hidden event does not exist for this account, nor does its history.
    for event in hidden:
        for name in ("change", "history"):
            response = client.get(reverse(f"admin:portal_accountevent_{name}", args=[event.pk]))
            assert response.status_code == 302 and response.url == reverse("admin:index")


def test_the_account_event_list_shows_a_national_official_everything(client, leak_scene):
    w = leak_scene
    client.force_login(w.official)
    page = client.get(reverse("admin:portal_accountevent_changelist"))
    html = page.content.decode()
    for trace in ("203.0.113.66", "203.0.113.79", "Khu cách ly Thủ Đức"):
        assert trace in html
    url = reverse("admin:portal_accountevent_changelist")
    for name in ("roaming", "bystander79", "admin01"):
        assert client.get(url, {"actor": name}).context["cl"].result_count > 0


def test_the_change_log_shows_a_province_admin_no_account_entries(client, leak_scene):
    """LogEntry rows of users and groups have no province: no province admin reads them, even
    for an account it granted something (already so before the account-event fix)."""
    w = leak_scene
    about_roaming = LogEntry.objects.get_for_object(w.roaming)
    assert about_roaming.exists()
    client.force_login(w.admin01)
    page = client.get(reverse("admin:auditlog_logentry_changelist"), {"q": "roaming"})
    shown = {(e.content_type.model, e.object_repr) for e in page.context["cl"].result_list}
    # Only its own grant to the account, on its own facility.
    assert shown == {
        ("facilityuserobjectpermission", "Khu cách ly Pháp Vân | roaming | view_facility")
    }
    for entry in about_roaming:
        response = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
        assert response.status_code == 302


# --- Cost ------------------------------------------------------------------------------------


def test_the_scope_costs_the_same_queries_whatever_the_number_of_accounts(scene):
    """The rule is subqueries in one SELECT, not lists of account ids fetched first."""

    def add_accounts(start, count):
        for n in range(start, start + count):
            account = scene.account(f"account{n}")
            factories.grant_facility(account, scene.f01 if n % 2 else scene.f79)
            record_event("login", actor=account)

    def queries_to_list(reader):
        reader = type(reader).objects.get(pk=reader.pk)  # nothing cached on the account
        with CaptureQueriesContext(connection) as queries:
            shown = list(visible_account_events(reader))
        return len(queries), len(shown)

    add_accounts(0, 4)
    few, shown_of_few = queries_to_list(scene.admin01)
    add_accounts(4, 40)
    many, shown_of_many = queries_to_list(scene.admin01)
    assert (shown_of_few, shown_of_many) == (2, 22)
    # The reader's grants and the provinces it manages (both cached on it), then the events.
    assert few == many == 3
