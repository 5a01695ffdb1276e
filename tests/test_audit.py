"""The audit trail: who did what, when, from where - and nothing secret in the record.

Runs on SQLite and, in CI, on PostgreSQL (whose inet column refuses a malformed address).
"""

import contextlib
import datetime
import json

import pytest
from auditlog.context import disable_auditlog, set_actor
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cameras import lifecycle
from cameras.choices import ConnectionStatus, Health
from cameras.models import Camera
from facilities import roles
from facilities.models import Facility, Province
from portal import accesslog, account_events, audit_bulk
from portal.actor import acting_as, is_system, system_actor
from portal.audit_retention import (
    RETENTION_SCHEDULE,
    RETENTION_TASK,
    ensure_retention_schedule,
    purge_expired,
)
from portal.models import AccountEvent, ImmutableRecordError
from tests import factories

pytestmark = pytest.mark.django_db

ADDR = "198.51.100.7"
UA = "Mozilla/5.0 (audit test)"
PASSWORD = "Mat-khau-dung-2021"


# --- Helpers -----------------------------------------------------------------------------------


@contextlib.contextmanager
def new_rows(model):
    """Collects the rows of `model` created inside the block (in creation order)."""
    start = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    found = []
    yield found
    found.extend(model.objects.filter(pk__gt=start).order_by("pk"))


def of_kind(events, kind):
    return [e for e in events if e.event == kind]


def entries_about(obj):
    return LogEntry.objects.get_for_object(obj).order_by("pk")


@pytest.fixture
def access_log_dir(settings, tmp_path):
    settings.ACCESS_LOG_DIR = tmp_path / "log"
    return settings.ACCESS_LOG_DIR


def access_log_text(directory):
    if not directory.is_dir():
        return ""
    return "".join(p.read_text(encoding="utf-8") for p in sorted(directory.iterdir()))


@pytest.fixture
def hoa(django_user_model):
    return django_user_model.objects.create_user("hoa", "hoa@example.vn", PASSWORD)


# --- Account events: one entry each, with actor and address ------------------------------------


def test_login_on_the_portal_page_is_one_event_with_actor_address_agent_and_request_id(
    client, hoa, access_log_dir, django_capture_on_commit_callbacks
):
    with new_rows(AccountEvent) as events, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("login"),
            {"username": "hoa", "password": PASSWORD},
            REMOTE_ADDR=ADDR,
            HTTP_USER_AGENT=UA,
        )
    assert response.status_code == 302
    [event] = events
    assert (event.event, event.actor, event.account, event.username) == ("login", hoa, hoa, "hoa")
    assert (event.remote_addr, event.user_agent) == (ADDR, UA)
    assert event.request_id == response["X-Request-ID"]
    [line] = access_log_text(access_log_dir).splitlines()
    logged = json.loads(line)
    assert (logged["event"], logged["actor"], logged["remote_addr"]) == ("login", "hoa", ADDR)
    assert logged["request_id"] == event.request_id


def test_admin_login_and_logout_are_one_event_each(client, superuser):
    with new_rows(AccountEvent) as events:
        client.post(
            reverse("admin:login"),
            {"username": "root", "password": "S3cure-pass-word", "next": "/admin/"},
            REMOTE_ADDR=ADDR,
        )
        client.post(reverse("admin:logout"), REMOTE_ADDR=ADDR)
    assert [(e.event, e.actor, e.remote_addr) for e in events] == [
        ("login", superuser, ADDR),
        ("logout", superuser, ADDR),
    ]


@pytest.mark.parametrize("username", ["hoa", "khong-ton-tai"])
def test_failed_login_is_one_event_with_the_typed_name_and_no_actor(client, hoa, username):
    with new_rows(AccountEvent) as events:
        response = client.post(
            reverse("login"), {"username": username, "password": "sai"}, REMOTE_ADDR=ADDR
        )
    assert response.status_code == 200
    [event] = events
    assert (event.event, event.actor, event.username, event.remote_addr) == (
        "login_failed",
        None,
        username,
        ADDR,
    )
    # An existing account is linked, so its province admin sees attacks on it.
    assert event.account == (hoa if username == "hoa" else None)
    assert "sai" not in json.dumps(event.detail)


def test_repeated_failures_lock_the_account_out_once(client, hoa, settings):
    limit = settings.AXES_FAILURE_LIMIT
    with new_rows(AccountEvent) as events:
        for _ in range(limit):
            client.post(reverse("login"), {"username": "hoa", "password": "sai"}, REMOTE_ADDR=ADDR)
    assert len(of_kind(events, "login_failed")) == limit
    [locked] = of_kind(events, "locked_out")
    assert (locked.username, locked.account, locked.remote_addr) == ("hoa", hoa, ADDR)


def test_password_change_by_the_user_in_the_admin_is_one_event(client, superuser):
    client.force_login(superuser)
    with new_rows(AccountEvent) as events:
        response = client.post(
            reverse("admin:password_change"),
            {
                "old_password": "S3cure-pass-word",
                "new_password1": "Another-Strong-pass-91",
                "new_password2": "Another-Strong-pass-91",
            },
            REMOTE_ADDR=ADDR,
        )
    assert response.status_code == 302
    [event] = events
    assert (event.event, event.actor, event.account, event.remote_addr) == (
        "password_changed",
        superuser,
        superuser,
        ADDR,
    )


def test_password_set_by_an_administrator_names_both_accounts(client, superuser, hoa):
    client.force_login(superuser)
    with new_rows(AccountEvent) as events:
        response = client.post(
            reverse("admin:auth_user_password_change", args=[hoa.pk]),
            {
                "password1": "Reset-by-admin-2021",
                "password2": "Reset-by-admin-2021",
                "usable_password": "true",
            },
            REMOTE_ADDR=ADDR,
        )
    assert response.status_code == 302
    [event] = events
    assert (event.event, event.actor, event.account) == ("password_changed", superuser, hoa)


def test_password_set_by_code_outside_a_request_is_the_systems_act(hoa):
    with new_rows(AccountEvent) as events:
        hoa.set_password("Set-by-a-command-2021")
        hoa.save()
        hoa.save()  # a later save without a new password is no change
    [event] = events
    assert event.event == "password_changed"
    assert is_system(event.actor) and event.account == hoa


def test_grant_and_revoke_are_one_event_each_with_the_province(django_user_model, hoa):
    admin01 = factories.province_user("admin01", "01")
    facility = factories.facility("01")
    with new_rows(AccountEvent) as events, new_rows(LogEntry) as entries:
        # As the delegation page runs them: in the province admin's request.
        with acting_as(admin01):
            grant = roles.grant_facility_manager(admin01, hoa, facility)
            roles.revoke_facility_grant(admin01, grant.pk)
    assert [(e.event, e.actor, e.account, e.province_id) for e in events] == [
        ("grant", admin01, hoa, facility.province_id),
        ("revoke", admin01, hoa, facility.province_id),
    ]
    # The grant table itself is audited too: created, then deleted, by the province admin.
    grant_entries = [e for e in entries if e.content_type.model == "facilityuserobjectpermission"]
    assert [(e.action, e.actor) for e in grant_entries] == [
        (LogEntry.Action.CREATE, admin01),
        (LogEntry.Action.DELETE, admin01),
    ]
    assert all(e.additional_data == {"province": facility.province_id} for e in grant_entries)


def test_viewing_a_camera_in_the_admin_is_one_event_saving_it_is_none(client, superuser):
    camera = factories.camera()
    client.force_login(superuser)
    url = reverse("admin:cameras_camera_change", args=[camera.pk])
    with new_rows(AccountEvent) as events:
        assert client.get(url, REMOTE_ADDR=ADDR).status_code == 200
    [event] = events
    assert (event.event, event.actor, event.object_repr, event.remote_addr) == (
        "view",
        superuser,
        camera.name,
        ADDR,
    )
    assert event.province_id == camera.facility.province_id
    with new_rows(AccountEvent) as events:
        client.get(reverse("admin:cameras_camera_changelist"))
    assert events == []


def test_viewing_a_facility_page_is_one_event(client, hoa):
    facility = factories.facility("01")
    factories.grant_facility(hoa, facility)
    client.force_login(hoa)
    with new_rows(AccountEvent) as events:
        assert client.get(reverse("facility_detail", args=[facility.pk])).status_code == 200
    [event] = events
    assert (event.event, event.actor, event.object_repr) == ("view", hoa, facility.name)


def test_a_csv_export_is_one_event_with_what_and_how_many_rows(client, superuser):
    factories.camera()
    factories.camera()
    client.force_login(superuser)
    with new_rows(AccountEvent) as events:
        response = client.get(reverse("reports:export_cameras"), REMOTE_ADDR=ADDR)
        b"".join(response.streaming_content)
    [event] = events
    assert (event.event, event.actor, event.remote_addr) == ("export", superuser, ADDR)
    assert event.detail["rows"] == 2
    assert event.request_id == response["X-Request-ID"]


def test_every_response_carries_a_request_id_stored_with_its_entries(client, superuser):
    client.force_login(superuser)
    province = Province.objects.get(code="01")
    response = client.post(
        reverse("admin:facilities_facility_add"),
        {
            "province": province.pk,
            "name": "Khu cách ly Sóc Sơn",
            "kind": "civil",
            "status": "preparing",
            "planned_cameras": 4,
        },
        REMOTE_ADDR=ADDR,
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    facility = Facility.objects.get(name="Khu cách ly Sóc Sơn")
    [entry] = entries_about(facility)
    assert (entry.action, entry.actor, entry.remote_addr) == (
        LogEntry.Action.CREATE,
        superuser,
        ADDR,
    )
    assert len(response["X-Request-ID"]) == 32 and entry.cid == response["X-Request-ID"]
    assert entry.additional_data == {"province": province.pk}
    assert client.get("/accounts/login/")["X-Request-ID"] != response["X-Request-ID"]


# --- The actor outside requests ------------------------------------------------------------------


def test_outside_a_request_the_system_account_acts_and_cannot_log_in(client):
    facility = factories.facility("01")
    [entry] = entries_about(facility)
    system = entry.actor
    assert system.get_username() == "system" and is_system(system)
    assert not system.is_active and not system.has_usable_password()
    assert system_actor() == system  # created once
    assert not client.login(username="system", password="")


def test_acting_as_attributes_entries_and_nests(django_user_model):
    anh = django_user_model.objects.create_user("anh")
    binh = django_user_model.objects.create_user("binh")
    facility = factories.facility("01")
    with acting_as(anh):
        facility.capacity = 10
        facility.save()
        with acting_as(binh):
            facility.capacity = 20
            facility.save()
        facility.capacity = 30
        facility.save()
    with set_actor(binh):  # auditlog's own context is honoured too
        facility.capacity = 40
        facility.save()
    actors = [e.actor.username for e in entries_about(facility).filter(action=1)]
    assert actors == ["anh", "binh", "anh", "binh"]
    # A command run is one correlation id across its entries.
    cids = {e.cid for e in entries_about(facility).filter(action=1)[:3]}
    assert None not in cids


def test_a_connection_status_changed_by_a_verdict_is_the_systems_entry():
    camera = factories.camera()
    with acting_as(system_actor()):
        lifecycle.judge(camera, False, "Độ phân giải thấp")
        camera.save(update_fields=["connection_status", "status_reason", "status_changed_at"])
    entry = entries_about(camera).last()
    assert is_system(entry.actor)
    assert entry.changes["connection_status"] == ["registered", "ineligible"]


def test_probe_health_writes_make_no_entry_and_cost_no_extra_query():
    camera = factories.camera()
    before = LogEntry.objects.count()
    state = camera.state
    state.health = Health.ONLINE
    state.last_checked_at = timezone.now()
    state.last_codec = "h264"
    with CaptureQueriesContext(connection) as queries:
        state.save(update_fields=["health", "last_checked_at", "last_codec"])
    assert len(queries) == 1  # the UPDATE only: no read of the previous state
    state.health = Health.OFFLINE
    state.save()  # a full save of the check state logs nothing either
    assert LogEntry.objects.count() == before


def test_daily_snapshots_are_audited_when_a_person_regenerates_them(superuser):
    from reports.models import DailySnapshot

    province = Province.objects.get(code="01")
    fields = {
        "province": province,
        "operator": province.operator,
        "region": province.region,
        "taken_at": timezone.now(),
    }
    scheduled = DailySnapshot.objects.create(day=datetime.date(2021, 9, 1), **fields)
    with acting_as(superuser):
        by_hand = DailySnapshot.objects.create(day=datetime.date(2021, 9, 2), **fields)
    assert not entries_about(scheduled).exists()
    [entry] = entries_about(by_hand)
    assert entry.actor == superuser and entry.additional_data == {"province": province.pk}


# --- Bulk changes ---------------------------------------------------------------------------------


def test_bulk_admin_action_on_five_cameras_is_five_entries(client, superuser):
    facility = factories.facility("01")
    cameras = [factories.camera(facility) for _ in range(5)]
    client.force_login(superuser)
    with new_rows(LogEntry) as entries:
        response = client.post(
            reverse("admin:cameras_camera_changelist"),
            {"action": "decommission_selected", "_selected_action": [c.pk for c in cameras],
             "reason": "Khu cách ly đóng cửa", "apply": "1"},
            REMOTE_ADDR=ADDR,
        )
    assert response.status_code == 302
    camera_entries = [e for e in entries if e.content_type.model == "camera"]
    assert sorted(e.object_id for e in camera_entries) == sorted(c.pk for c in cameras)
    for entry in camera_entries:
        assert (entry.actor, entry.remote_addr) == (superuser, ADDR)
        assert entry.changes["connection_status"][1] == ConnectionStatus.DECOMMISSIONED
        assert entry.additional_data == {"province": facility.province_id}


def test_log_bulk_change_writes_one_entry_per_object_for_a_queryset_update(superuser):
    facility = factories.facility("01")
    cameras = [factories.camera(facility) for _ in range(3)]
    fresh = list(Camera.objects.filter(pk__in=[c.pk for c in cameras]))  # facility not loaded
    with new_rows(LogEntry) as entries, CaptureQueriesContext(connection) as queries:
        Camera.objects.filter(pk__in=[c.pk for c in fresh]).update(
            connection_status=ConnectionStatus.SUSPENDED, password="Canary-bulk-secret"
        )
        audit_bulk.log_bulk_change(
            fresh,
            {"connection_status": ConnectionStatus.SUSPENDED, "password": "Canary-bulk-secret"},
            actor=superuser,
        )
    assert len(queries) == 3  # the update, one facility lookup for provinces, one insert
    assert sorted(e.object_id for e in entries) == sorted(c.pk for c in cameras)
    for entry in entries:
        assert entry.actor == superuser
        assert entry.changes["connection_status"] == ["registered", "suspended"]
        assert entry.changes["password"] == [account_events.REDACTED, account_events.REDACTED]
        assert entry.additional_data == {"province": facility.province_id}
    assert "Canary-bulk-secret" not in json.dumps([e.changes for e in entries])


# --- Nothing secret -------------------------------------------------------------------------------


def _camera_form(facility, **fields):
    data = {
        "facility": facility.pk,
        "name": "Camera cổng chính",
        "zone": "gate",
        "vendor": "Hikvision",
        "model": "DS-2CD",
        "stream_url": "rtsp://127.0.0.1:8554/cong",
        "username": "",
        "password": "",
        "check_enabled": "on",
        "connection_status": "registered",
        "status_reason": "",
    }
    data.update(fields)
    return data


def test_canary_credentials_never_reach_an_entry_the_access_log_or_a_page(
    client, superuser, hoa, access_log_dir, django_capture_on_commit_callbacks
):
    canaries = [
        "Canary-cam-user-7f3a",
        "Canary-cam-pass-1b9c",
        "Canary-cam-pass-2d4e",
        "Canary-cam-pass-3e5f",
        "Canary-user-pass-4a6b",
    ]
    facility = factories.facility("01")
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:cameras_camera_add"),
            _camera_form(facility, username=canaries[0], password=canaries[1]),
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        camera = Camera.objects.get(name="Camera cổng chính")
        assert camera.password == canaries[1]
        response = client.post(
            reverse("admin:cameras_camera_change", args=[camera.pk]),
            _camera_form(facility, username=canaries[0], password=canaries[2]),
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        camera.refresh_from_db()
        camera.password = canaries[3]
        camera.save()
        client.post(
            reverse("admin:auth_user_password_change", args=[hoa.pk]),
            {"password1": canaries[4], "password2": canaries[4], "usable_password": "true"},
        )
        hoa.refresh_from_db()
        assert hoa.check_password(canaries[4])
        canaries.append(hoa.password)  # the hash is a secret too

        camera_page = client.get(reverse("admin:cameras_camera_change", args=[camera.pk]))
        pages = [
            client.get(reverse("admin:auditlog_logentry_changelist")),
            client.get(reverse("admin:auditlog_logentry_changelist"), {"q": "Canary"}),
            client.get(reverse("admin:portal_accountevent_changelist")),
        ]
        for entry in LogEntry.objects.all():
            pages.append(client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])))
        for event in AccountEvent.objects.all():
            pages.append(client.get(reverse("admin:portal_accountevent_change", args=[event.pk])))
    assert all(page.status_code == 200 for page in pages)

    # The record says the credentials changed (on creation, by the form, by code), never what to.
    changed = [e for e in entries_about(camera) if "password" in e.changes]
    assert [e.changes["password"] for e in changed] == [[account_events.REDACTED] * 2] * 3
    assert changed[0].changes["username"] == [account_events.REDACTED, account_events.REDACTED]
    [hoa_entry] = entries_about(hoa).filter(action=LogEntry.Action.UPDATE)
    assert hoa_entry.changes["password"] == [account_events.REDACTED, account_events.REDACTED]

    stored = json.dumps(
        [list(LogEntry.objects.values()), list(AccountEvent.objects.values())],
        default=str,
        ensure_ascii=False,
    )
    log_text = access_log_text(access_log_dir)
    assert log_text  # the access log was written
    for canary in canaries:
        assert canary not in stored
        assert canary not in log_text
        for page in pages:
            assert canary not in page.content.decode()
    # The camera's own edit page shows its stream user name to whoever edits it; never a password.
    assert camera_page.status_code == 200
    for canary in canaries[1:]:
        assert canary not in camera_page.content.decode()


# --- Scope: a province admin reads its own province only -----------------------------------------


@pytest.fixture
def two_provinces(django_user_model):
    f01 = factories.facility("01", name="Khu cách ly Pháp Vân")
    f79 = factories.facility("79", name="Khu cách ly Thủ Đức")
    world = {
        "f01": f01,
        "f79": f79,
        "admin01": factories.province_user("admin01", "01"),
        "admin79": factories.province_user("admin79", "79"),
        "manager01": factories.facility_manager("manager01", f01),
        "manager79": factories.facility_manager("manager79", f79),
        "nobody": django_user_model.objects.create_user("nobody", password="x", is_staff=True),
        "official": factories.national_official("official", is_staff=True),
    }
    world["c01"] = factories.camera(f01, name="Camera Pháp Vân")
    world["c79"] = factories.camera(f79, name="Camera Thủ Đức")
    for name in ("manager01", "manager79"):
        account_events.record_event("login", actor=world[name])
    return world


def _listing(client, user, url_name, **params):
    client.force_login(user)
    response = client.get(reverse(url_name), params)
    client.logout()
    return response


def test_province_admin_reads_only_its_provinces_entries_and_accounts(client, two_provinces):
    w = two_provinces
    page = _listing(client, w["admin01"], "admin:auditlog_logentry_changelist")
    assert page.status_code == 200
    shown = {e.object_repr for e in page.context["cl"].result_list}
    assert {"Khu cách ly Pháp Vân", "Camera Pháp Vân"} <= shown
    assert not shown & {"Khu cách ly Thủ Đức", "Camera Thủ Đức"}
    # Another province's entry, asked for by id, does not exist for this account.
    other = entries_about(w["c79"]).first()
    client.force_login(w["admin01"])
    response = client.get(reverse("admin:auditlog_logentry_change", args=[other.pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    page = _listing(client, w["admin01"], "admin:portal_accountevent_changelist")
    logins = {e.username for e in page.context["cl"].result_list if e.event == "login"}
    assert "manager01" in logins and "manager79" not in logins
    # Its province filter offers its own province only.
    province_filter = next(
        f for f in page.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "province"
    )
    assert [label for _value, label in province_filter.lookup_choices] == ["01 Hà Nội"]


def test_national_official_reads_everything_an_ungranted_account_nothing(client, two_provinces):
    w = two_provinces
    page = _listing(client, w["official"], "admin:auditlog_logentry_changelist")
    shown = {e.object_repr for e in page.context["cl"].result_list}
    assert {"Camera Pháp Vân", "Camera Thủ Đức"} <= shown
    page = _listing(client, w["official"], "admin:portal_accountevent_changelist")
    assert {"manager01", "manager79"} <= {e.username for e in page.context["cl"].result_list}
    for name in ("nobody", "manager01"):
        for url_name in (
            "admin:auditlog_logentry_changelist",
            "admin:portal_accountevent_changelist",
        ):
            assert _listing(client, w[name], url_name).status_code in (302, 403)


def test_filters_by_province_actor_action_type_and_search(client, two_provinces, superuser):
    w = two_provinces
    url = "admin:auditlog_logentry_changelist"
    by_province = _listing(client, superuser, url, province=w["f79"].province_id)
    assert {e.additional_data["province"] for e in by_province.context["cl"].result_list} == {
        w["f79"].province_id
    }
    by_search = _listing(client, superuser, url, q="Thủ Đức")
    assert {e.object_repr for e in by_search.context["cl"].result_list} == {
        "Khu cách ly Thủ Đức",
        "Camera Thủ Đức",
        "Khu cách ly Thủ Đức | manager79 | view_facility",  # the grant
    }
    camera_type = entries_about(w["c01"]).first().content_type_id
    by_type = _listing(client, superuser, url, object_type=camera_type, action__exact=0)
    assert {e.object_repr for e in by_type.context["cl"].result_list} == {
        "Camera Pháp Vân",
        "Camera Thủ Đức",
    }
    # The actor is typed (any case), not chosen from a list of every actor of the record.
    system = system_actor()
    by_actor = _listing(client, superuser, url, actor=system.get_username().upper())
    assert by_actor.status_code == 200 and by_actor.context["cl"].result_count > 0
    assert {e.actor_id for e in by_actor.context["cl"].result_list} == {system.pk}
    nobody = _listing(client, superuser, url, actor="khong-ai")
    assert nobody.status_code == 200 and nobody.context["cl"].result_count == 0
    by_address = _listing(client, superuser, "admin:portal_accountevent_changelist", q="10.0")
    assert by_address.status_code == 200


# --- Immutable ------------------------------------------------------------------------------------


def test_no_account_changes_or_deletes_an_entry(client, superuser):
    facility = factories.facility("01")
    entry = entries_about(facility).first()
    event = account_events.record_event("login", actor=superuser)
    client.force_login(superuser)
    for name, obj in (("auditlog_logentry", entry), ("portal_accountevent", event)):
        assert client.get(reverse(f"admin:{name}_add")).status_code == 403
        change = reverse(f"admin:{name}_change", args=[obj.pk])
        assert client.post(change, {"object_repr": "sửa"}).status_code == 403
        delete = reverse(f"admin:{name}_delete", args=[obj.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        changelist = client.get(reverse(f"admin:{name}_changelist"))
        assert changelist.context["action_form"] is None  # no bulk delete, no action at all
        bulk = client.post(
            reverse(f"admin:{name}_changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert bulk.status_code in (200, 302)
    assert LogEntry.objects.filter(pk=entry.pk, object_repr=entry.object_repr).exists()
    assert AccountEvent.objects.filter(pk=event.pk).exists()
    entry.object_repr = "sửa"
    with pytest.raises(ImmutableRecordError):
        entry.save()
    with pytest.raises(ImmutableRecordError):
        event.save()


# --- Client address: trusted proxies only, never a malformed value --------------------------------


def _failed_login_address(client, **meta):
    with new_rows(AccountEvent) as events:
        response = client.post(
            reverse("login"), {"username": "khach", "password": "sai"}, REMOTE_ADDR=ADDR, **meta
        )
    assert response.status_code == 200
    [event] = events
    return event.remote_addr


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert _failed_login_address(client, HTTP_X_FORWARDED_FOR="203.0.113.9") == ADDR


@pytest.mark.parametrize(
    "header, expected",
    [
        ("203.0.113.9", "203.0.113.9"),
        # The client wrote the left part; our one proxy appended what it saw.
        ("6.6.6.6, 203.0.113.9", "203.0.113.9"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("203.0.113.9:51234", "203.0.113.9"),
        ("not-an-address", ADDR),
        ("999.1.1.1", ADDR),
        ("203.0.113.9\x00", ADDR),
        ("fe80::1%eth0", ADDR),
        ("1.2.3.4, ' OR 1=1 --", ADDR),
        ("", ADDR),
        ("1" * 5000, ADDR),
    ],
)
def test_one_trusted_proxy_gives_its_hop_or_falls_back_to_remote_addr(
    client, settings, header, expected
):
    settings.TRUSTED_PROXY_COUNT = 1
    assert _failed_login_address(client, HTTP_X_FORWARDED_FOR=header) == expected


def test_a_header_shorter_than_the_proxy_chain_is_not_believed(client, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert _failed_login_address(client, HTTP_X_FORWARDED_FOR="6.6.6.6") == ADDR
    assert _failed_login_address(client, HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.2") == (
        "203.0.113.9"
    )


def test_malformed_forwarded_address_and_agent_never_break_an_audited_change(
    client, settings, superuser
):
    settings.TRUSTED_PROXY_COUNT = 1
    facility = factories.facility("01")
    client.force_login(superuser)
    bad_client = {"HTTP_X_FORWARDED_FOR": "300.300.300.300", "HTTP_USER_AGENT": "bad\x00agent"}
    # Opening the form is a sensitive view: an account event that stores the user agent.
    with new_rows(AccountEvent) as events:
        page = client.get(
            reverse("admin:facilities_facility_change", args=[facility.pk]), **bad_client
        )
    assert page.status_code == 200
    [view] = of_kind(events, "view")
    assert (view.remote_addr, view.user_agent) == ("127.0.0.1", "badagent")
    response = client.post(
        reverse("admin:facilities_facility_change", args=[facility.pk]),
        {
            "province": facility.province_id,
            "name": facility.name,
            "kind": "civil",
            "status": "active",
            "planned_cameras": 3,
        },
        **bad_client,
    )
    assert response.status_code == 302
    entry = entries_about(facility).last()
    assert (entry.action, entry.remote_addr) == (LogEntry.Action.UPDATE, "127.0.0.1")


# --- Retention ------------------------------------------------------------------------------------


def test_retention_removes_only_what_is_older_than_the_period(settings, access_log_dir):
    settings.AUDIT_RETENTION_DAYS = 365
    now = timezone.now()
    old_facility, young_facility = factories.facility("01"), factories.facility("79")
    old_event = account_events.record_event("export", actor=system_actor())
    young_event = account_events.record_event("export", actor=system_actor())
    entries_about(old_facility).update(timestamp=now - datetime.timedelta(days=366))
    entries_about(young_facility).update(timestamp=now - datetime.timedelta(days=364))
    AccountEvent.objects.filter(pk=old_event.pk).update(
        timestamp=now - datetime.timedelta(days=366)
    )
    AccountEvent.objects.filter(pk=young_event.pk).update(
        timestamp=now - datetime.timedelta(days=364)
    )
    access_log_dir.mkdir(parents=True)
    today = timezone.localdate(now)
    old_file = access_log_dir / accesslog.file_name(today - datetime.timedelta(days=367))
    young_file = access_log_dir / accesslog.file_name(today - datetime.timedelta(days=364))
    other_file = access_log_dir / "notes.txt"
    for path in (old_file, young_file, other_file):
        path.write_text("{}\n")

    result = purge_expired(now=now)

    assert not entries_about(old_facility).exists()
    assert entries_about(young_facility).exists()
    assert not AccountEvent.objects.filter(pk=old_event.pk).exists()
    assert AccountEvent.objects.filter(pk=young_event.pk).exists()
    assert not old_file.exists() and young_file.exists() and other_file.exists()
    assert result == {"entries": 1, "events": 1, "files": 1}


def test_retention_refuses_a_period_that_would_wipe_the_record(settings):
    settings.AUDIT_RETENTION_DAYS = 0
    factories.facility("01")
    with pytest.raises(ValueError):
        purge_expired()
    assert LogEntry.objects.exists()


def test_retention_runs_on_a_daily_schedule_created_once():
    from django_q.models import Schedule

    ensure_retention_schedule()
    ensure_retention_schedule()
    [schedule] = Schedule.objects.filter(name=RETENTION_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == (RETENTION_TASK, Schedule.DAILY)


# --- Cost -----------------------------------------------------------------------------------------


def test_an_audited_camera_save_costs_two_queries_more(superuser):
    camera = factories.camera()
    camera = Camera.objects.get(pk=camera.pk)  # as a task loads it: facility not loaded
    with acting_as(superuser):
        camera.vendor = "warm-up"  # content type cached after the first entry
        camera.save()

        def save(vendor):
            camera.vendor = vendor
            with CaptureQueriesContext(connection) as queries:
                camera.save()
            return len(queries)

        with disable_auditlog():
            plain = save("Dahua")
        audited = save("Hikvision")
    # The previous state (with its facility, for the province) and the entry.
    assert audited - plain == 2
