"""Every page of every role, in Vietnamese, shows no English UI text (issue 12).

Each role signs in and opens, in Vietnamese (the portal's default), every URL the resolver knows,
with its parameters filled from a small registry (a province's facility, camera, grant, audit
entries, snapshot...): the admin's list, add, change, history and delete pages of every
registered model included. A page with a form is sent once more with an empty form, so its
errors show; then the 403, 404, 500, CSRF-failure and lock-out pages. A page fails when a
known English UI string (tests/english_ui.py) is in what it shows.

Data is not UI text: names people typed (Vietnamese here), account names, the provinces' English
names, and records kept as they were written: the audit record, and a record's stored name on its
own pages (the national officials group is named in English in the database; everywhere else it
is shown translated). Neither are Django's own names for the hidden link rows of a many-to-many
field ("User-group relationship: User_groups object (1)"), built from class names.

A new URL must be given its parameters below (or a reason to leave it out), else the crawl
fails: nothing escapes it silently.
"""

import datetime
import re
from pathlib import Path

import django
import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.signing import SignedPackage

from cameras import probe, tasks
from cameras.choices import SweepTrigger
from cameras.models import ConnectionStandard
from facilities.models import Province
from facilities.roles import NATIONAL_OFFICIALS_GROUP
from guidance.models import Acknowledgement, GuidanceDocument
from portal import urls as portal_urls
from portal.account_events import record_event
from portal.models import AccountEvent
from problems.models import ProblemReply, ProblemReport
from reports.models import DailySnapshot, ExportJob
from reports.snapshot import take_snapshot
from tests import english_ui, factories
from tests.second_factor import code_for_seed, seed_from_secret

# What is written the same in both languages (names of standards, products and companies,
# abbreviations), and the language menu's "English", which names the language in itself.
ALLOWLIST = {
    "ID",
    "CSV",
    "RTSP",
    "RTSPS",
    "H.264",
    "URL",
    "email",
    "Email",
    "Viettel",
    "VNPT",
    "English",
    # The Mac key, in Django's own Vietnamese help text of multiple-choice lists.
    "Command",
}

# English the portal stores for machines and logs, never to be shown: the probe's own sentence
# for the fixture's camera (the page shows the translated sentence of its error kind).
PROBE_MESSAGE = "The server on this port speaks HTTP, not RTSP."


def _boom(request):
    raise RuntimeError("a page that fails")


# The portal's URL map plus a page that fails, for the 500 page (pytest.mark.urls below).
urlpatterns = [path("crawl/boom/", _boom), *portal_urls.urlpatterns]
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500

# URLs the crawl leaves out, and why.
SKIPPED = {
    "logout": "POST only; it would end the session being crawled",
    "admin:logout": "POST only; it would end the session being crawled",
    "set_language": "POST only; redirects (the language menu has its own tests)",
    "reports:export_progress": "CSV, not a page",
    "reports:export_facilities": "CSV, not a page",
    "reports:export_cameras": "CSV, not a page",
    "reports:export_progress_xlsx": "an Excel file, not a page",
    "reports:export_facilities_xlsx": "an Excel file, not a page",
    "reports:export_cameras_xlsx": "an Excel file, not a page",
    "reports:export_job_status": "JSON, not a page (its texts are the job page's)",
    "reports:export_job_download": "the file, not a page",
    "admin:facilities_facility_import_template": "CSV, not a page",
    "admin:cameras_camera_import_template": "CSV, not a page",
    "admin:autocomplete": "JSON, not a page",
    "admin:jsi18n": "JavaScript: its catalog is checked below",
    "admin:view_on_site": "redirects to the object's own page",
    "admin:cameras_camera_check": "POST only (queues a check); GET redirects to the camera's page",
    "otp_recovery_codes": "POST only (replaces the recovery codes); its page is crawled below",
    "admin:cameras_camera_connection": "POST only (discloses credentials, an account event); GET "
    "redirects to the camera's page",
    "api:token_revoke": "POST only; redirects to the token page",
    "camera_snapshot": "a picture (JPEG), not a page",
    "placement_decide": "POST only (a placement review); redirects to the review page",
    "api:schema": "the OpenAPI schema (YAML), not a page",
    "problems:export": "CSV, not a page",
    "problems:attachment": "the file, not a page",
    "problems:reply": "POST only (a reply); redirects to the report's page",
    "problems:handle": "POST only (the Department's handling); redirects to the report's page",
    "api:not_found": "JSON (the API's 404)",
    "guidance:document_pdf": "the PDF file, not a page",
    **{
        f"api:{name}": "JSON, not a page (the API's messages are tested in tests/test_api.py)"
        for name in (
            "api-root", "standard", "status", "connections", "province-list", "province-detail",
            "facility-list", "facility-detail", "facility-connection", "camera-list",
            "camera-detail", "camera-connection", "snapshot-list",
        )
    },
    # Unnamed: the admin's "<object id>/" redirect to the change page, and its catch-all.
    "admin/<path:object_id>/": "redirects to the change page",
    "admin/(?P<url>.*)$": "the 404 page, crawled below",
    "crawl/boom/": "the 500 page, crawled below",
}


# --- The registry the pages show -------------------------------------------------------------


def _failing_probe(*args, **kwargs):
    return probe.ProbeResult(ok=False, error_kind="invalid", error_message=PROBE_MESSAGE)


@pytest.fixture
def registry(monkeypatch, django_user_model):
    """One province with a facility, a camera whose checks fail, grants, audit entries and a
    snapshot; one account per role. Returns (accounts by role, one object per admin model)."""
    superuser = django_user_model.objects.create_superuser(
        "quan_tri_quoc_gia", "quantri@example.vn", "Mat-khau-du-dai-2021",
        first_name="Lan", last_name="Nguyễn Thị",
    )
    facility = factories.facility(
        "01",
        name="Khu cách ly Ký túc xá Mễ Trì",
        address="182 Lương Thế Vinh",
        district="Nam Từ Liêm",
        managing_agency="Bộ Tư lệnh Thủ đô",
        focal_name="Trần Văn Bình",
    )
    camera = factories.camera(facility, name="Cổng chính", vendor="Hikvision", model="DS-2CD")
    accounts = {
        "national administrator": superuser,
        "province admin": factories.province_user("so_tttt_ha_noi", "01"),
        "operator engineer": factories.province_user(
            "ky_su_viettel", "01", role="connect_province"
        ),
        "province viewer": factories.province_user("ban_chi_dao", "01", role="view_province"),
        "facility manager": factories.facility_manager("quan_ly_me_tri", facility),
        "national official": factories.national_official("cuc_vien_thong"),
    }
    # Two failed checks: the camera is offline, with a verdict, an outage and a status change.
    monkeypatch.setattr(probe, "probe", _failing_probe)
    for _check in range(2):
        tasks.sweep(SweepTrigger.REQUEST, ids=[camera.pk], due_only=False)
    record_event("grant", actor=superuser, target=facility,
                 detail={"user": "quan_ly_me_tri", "permission": "view_facility"})
    take_snapshot()
    now = timezone.now()
    # A background export of the national official's, waiting for a worker.
    ExportJob.objects.create(
        owner=accounts["national official"], kind="cameras", format="xlsx",
        parameters={"province": "01", "language": "vi"}, rows_total=30000,
        download_name="cameras.xlsx", expires_at=now + datetime.timedelta(hours=24),
    )
    task = {"id": "a" * 32, "name": "kiem-tra", "func": "cameras.tasks.sweep", "args": (),
            "kwargs": {}, "group": "kiem-tra-1", "started": now, "stopped": now, "result": 1,
            "success": True}
    Task.objects.create(**task)
    Task.objects.create(**{**task, "id": "b" * 32, "name": "that-bai", "result": "OSError 104",
                           "success": False})
    queued = {key: task[key] for key in ("id", "name", "func", "args", "kwargs", "group")}
    OrmQ.objects.create(key="portal", payload=SignedPackage.dumps(queued), lock=now)
    if not Schedule.objects.exists():
        Schedule.objects.create(func="cameras.tasks.sweep", name="quet-camera")
    # A guidance version every account has acknowledged: the gate lets the crawl through (the
    # page asking for it is crawled in the test, with a newer version).
    guidance = GuidanceDocument.objects.create(
        kind="guidance", title="Hướng dẫn quản lý, sử dụng hệ thống camera", number="1/CVT",
        issued_on=datetime.date(2021, 8, 1), issuer="Cục Viễn thông", body="Nội dung hướng dẫn",
    )
    for account in accounts.values():
        Acknowledgement.objects.create(user=account, document=guidance)
    problem = ProblemReport.objects.create(
        province=facility.province, facility=facility, camera=camera, category="network",
        title="Mất kết nối đường truyền", description="Đường truyền chập chờn từ sáng",
        author=accounts["province admin"],
    )
    ProblemReply.objects.create(
        report=problem, author=accounts["national official"], body="Đề nghị kiểm tra tường lửa"
    )
    objects = {
        "guidance.guidancedocument": guidance,
        "guidance.acknowledgement": Acknowledgement.objects.first(),
        "problems.problemreport": problem,
        "facilities.province": facility.province,
        "facilities.facility": facility,
        "cameras.camera": camera,
        "cameras.connectionstandard": ConnectionStandard.current(),
        "auth.user": accounts["national official"],
        "auth.group": Group.objects.get(name=NATIONAL_OFFICIALS_GROUP),
        "auditlog.logentry": LogEntry.objects.get_for_object(facility).first(),
        "portal.accountevent": AccountEvent.objects.filter(event="grant").first(),
        "reports.dailysnapshot": DailySnapshot.objects.get(province=facility.province),
        "django_q.schedule": Schedule.objects.first(),
        "django_q.success": Task.objects.get(id="a" * 32),
        "django_q.failure": Task.objects.get(id="b" * 32),
        "django_q.ormq": OrmQ.objects.get(),
        "readiness.readinessplan": _readiness_plan(facility.province),
    }
    return accounts, objects


def _readiness_plan(province):
    """Hà Nội's readiness plan, with a team and equipment (readiness/), reviewed today."""
    from readiness.models import EquipmentItem, ReadinessPlan, ResponseTeam

    plan = ReadinessPlan.objects.create(
        province=province, deploy_hours=24, last_reviewed_on=timezone.localdate()
    )
    ResponseTeam.objects.create(
        plan=plan, name="Đội lắp đặt số 1", leader="Phạm Văn Đức", phone="0912 345 678", size=6
    )
    EquipmentItem.objects.create(plan=plan, kind="cameras", count=40)
    return plan


# --- The URLs ---------------------------------------------------------------------------------


def _patterns(patterns=None, prefix="", namespace=""):
    """(full route, name with namespace or None) of every URL pattern."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield route, name


def _model_pages(objects):
    """{URL name: [URLs]} of the admin pages of every registered model."""
    pages = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        assert label in objects, f"the crawl's registry has no {label}: add one to `registry`"
        obj = objects[label]
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages[f"{info}_changelist"] = [reverse(f"{info}_changelist")]
        pages[f"{info}_add"] = [reverse(f"{info}_add")]
        for view in ("change", "history", "delete"):
            pages[f"{info}_{view}"] = [reverse(f"{info}_{view}", args=[obj.pk])]
    return pages


def crawl_urls(objects):
    """Every URL to open, from the resolver; fails on a URL it cannot fill."""
    facility = objects["facilities.facility"]
    user = objects["auth.user"]
    known = {
        **_model_pages(objects),
        "admin:app_list": [
            reverse("admin:app_list", args=[label])
            for label in sorted({m._meta.app_label for m in admin.site._registry})
        ],
        "admin:auth_user_password_change": [
            reverse("admin:auth_user_password_change", args=[user.pk])
        ],
        "admin:auth_user_reset_second_factor": [
            reverse("admin:auth_user_reset_second_factor", args=[user.pk])
        ],
        "facility_detail": [reverse("facility_detail", args=[facility.pk])],
        "guidance:document": [
            reverse("guidance:document", args=[objects["guidance.guidancedocument"].pk])
        ],
        "problems:detail": [
            reverse("problems:detail", args=[report.pk]) for report in ProblemReport.objects.all()
        ],
        "reports:province": [reverse("reports:province", args=[facility.province.code])],
        "reports:province_not_connected": [
            reverse("reports:province_not_connected", args=[facility.province.code])
        ],
        "reports:export_job": [
            reverse("reports:export_job", args=[job.pk]) for job in ExportJob.objects.all()
        ],
        "admin:facilities_facility_import": [reverse("admin:facilities_facility_import")],
        "admin:cameras_camera_import": [reverse("admin:cameras_camera_import")],
    }
    urls, unknown = [], []
    for route, name in _patterns():
        key = name or re.sub(r"^admin/.*?(<path:object_id>/)$", r"admin/\1", route)
        if key in SKIPPED:
            continue
        if key in known:
            urls += known[key]
        elif "<" not in route and "(?P" not in route:
            urls.append("/" + route.lstrip("^").rstrip("$"))
        else:
            unknown.append(route)
    assert not unknown, f"the crawl cannot fill these URLs, teach it: {unknown}"
    return list(dict.fromkeys(urls))


# --- Checking pages ---------------------------------------------------------------------------


@pytest.fixture
def finder(db):
    # Django writes permission names in English when it creates them: English UI text too.
    extra = [PROBE_MESSAGE, NATIONAL_OFFICIALS_GROUP]
    extra += Permission.objects.values_list("name", flat=True)
    return english_ui.EnglishFinder(
        english_ui.english_msgids(), english_ui.vietnamese_translations(), ALLOWLIST, extra
    )


def _data_patterns():
    """Regular expressions of the data on any page (see the module docstring)."""
    names = [*Province.objects.values_list("name_en", flat=True)]
    names += get_user_model().objects.values_list("username", flat=True)
    # Task names are random words django-q2 makes up ("texas-gee-cola-bacon"), groups are ours.
    names += Task.objects.values_list("name", flat=True)
    names += Task.objects.exclude(group=None).values_list("group", flat=True)
    # Models that name themselves nothing are named by Django from their class, in English.
    names += [
        m._meta.verbose_name for m in apps.get_models() if isinstance(m._meta.verbose_name, str)
    ]
    models = "|".join(sorted({m._meta.model_name for m in apps.get_models()}))
    return [
        r"\b(?:{})\b".format("|".join(map(re.escape, sorted(names, key=len, reverse=True)))),
        rf"\b(?i:{models})-(?i:{models})\b",
        r"\b\w+ object \(\w+\)",
        # Media types, in the response headers the browsable API shows.
        r"\b(?:application|text)/[\w.+-]+",
    ]


# Pages where the national officials group's stored, English name is a record's data.
STORED_NAME_PAGES = re.compile(r"/admin/auth/group/\d+/|/admin/auditlog/")


class Findings:
    """The English found on each page, and pages that failed."""

    def __init__(self, finder, data_patterns):
        self.finder = finder
        self.data = re.compile("|".join(data_patterns))
        self.pages = {}
        self.count = 0

    def check(self, label, response, *, may_fail=False):
        if response.status_code >= 500 and not may_fail:
            self.pages[f"{label} ({response.status_code})"] = ["the page failed"]
        if "text/html" not in response.get("Content-Type", ""):
            return ""
        self.count += 1
        html = response.content.decode()
        text = self.data.sub(" ", english_ui.visible_text(html))
        if STORED_NAME_PAGES.search(label):
            text = text.replace(NATIONAL_OFFICIALS_GROUP, " ")
        found = self.finder.find(text)
        if found:
            self.pages[f"{label} ({response.status_code})"] = sorted(found)
        return html

    def report(self):
        return "\n".join(f"{page} -> {found}" for page, found in sorted(self.pages.items()))


def _posts_to_itself(html, url):
    """Whether the page has a form that posts back to it (empty action or its own path)."""
    for form in re.finditer(r"<form\b[^>]*>", html, re.IGNORECASE):
        tag = form.group()
        if not re.search(r'method=["\']?post', tag, re.IGNORECASE):
            continue
        action = re.search(r'action=["\']([^"\']*)["\']', tag)
        if action is None or action.group(1) in ("", url):
            return True
    return False


def _crawl_as(client, label, urls, findings):
    for url in urls:
        response = client.get(url)
        html = findings.check(f"{label} GET {url}", response)
        if response.status_code == 200 and html and _posts_to_itself(html, url):
            findings.check(f"{label} POST {url}", client.post(url, {}))


def _crawl_two_factor_sign_in(findings):
    """The pages of two-factor sign-in as a person walks them (the crawled clients above had
    passed their code already): enrolment, a wrong first code, the recovery codes, the code
    page, a wrong code, the warning after a recovery code, new recovery codes."""
    password = "Mat-khau-du-dai-2021"
    factories.province_user("ky_su_vnpt", "01", role="connect_province", password=password)
    client = Client()
    client.post(reverse("login"), {"username": "ky_su_vnpt", "password": password})
    setup = client.get(reverse("otp_setup"))
    findings.check("enrolment", setup)
    findings.check("enrolment, wrong code", client.post(reverse("otp_setup"), {"code": "000000"}))
    secret = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', setup.content.decode()).group(1)
    codes = client.post(reverse("otp_setup"), {"code": code_for_seed(seed_from_secret(secret))})
    findings.check("recovery codes", codes)
    recovery = re.findall(r"<li><code>([a-z2-7-]+)</code></li>", codes.content.decode())

    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "ky_su_vnpt", "password": password})
    findings.check("code page", client.get(reverse("otp_verify")))
    findings.check("code page, wrong code", client.post(reverse("otp_verify"), {"code": "sai"}))
    warned = client.post(reverse("otp_verify"), {"code": recovery[0]}, follow=True)
    findings.check("signed in with a recovery code", warned)
    findings.check("new recovery codes", client.post(reverse("otp_recovery_codes")))


# --- The crawl --------------------------------------------------------------------------------


def _crawl_browsable_api(accounts, objects, findings):
    """The API's lists and views as a browser shows them (DRF's browsable API, inside the
    portal, with the session): its own page, the filters' form, the views' names."""
    camera, facility = objects["cameras.camera"], objects["facilities.facility"]
    api_paths = [
        reverse("api:api-root"),
        reverse("api:camera-list"),
        reverse("api:camera-detail", args=[camera.pk]),
        reverse("api:facility-list"),
        reverse("api:facility-detail", args=[facility.pk]),
        reverse("api:province-list"),
        reverse("api:snapshot-list"),
        reverse("api:standard"),
        reverse("api:status"),
        reverse("api:connections"),
    ]
    for role in ("national administrator", "national official"):
        client = Client(raise_request_exception=False, HTTP_ACCEPT="text/html")
        client.force_login(accounts[role])
        for url in api_paths:
            findings.check(f"{role} GET {url} (browsable API)", client.get(url))


@pytest.mark.crawl
@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_no_english_on_any_page_of_any_role_in_vietnamese(registry, finder, settings):
    accounts, objects = registry
    findings = Findings(finder, _data_patterns())
    urls = crawl_urls(objects)
    missing = "/khong-co-trang-nay/"

    _crawl_as(Client(raise_request_exception=False), "anonymous", urls + [missing], findings)
    for role, account in accounts.items():
        client = Client(raise_request_exception=False)
        client.force_login(account)
        _crawl_as(client, role, urls + [missing], findings)

    # Invalid data beyond an empty form: a password every validator refuses.
    client = Client()
    client.force_login(accounts["national administrator"])
    weak = {"username": "nguoi_moi", "password1": "123", "password2": "123"}
    findings.check("weak password", client.post(reverse("admin:auth_user_add"), weak))
    findings.check(
        "weak password change",
        client.post(
            reverse("admin:auth_user_password_change", args=[objects["auth.user"].pk]),
            {"password1": "123", "password2": "1234"},
        ),
    )

    _crawl_two_factor_sign_in(findings)
    _crawl_browsable_api(accounts, objects, findings)

    # The acknowledgement asked at sign-in, with a version not yet acknowledged.
    newer = GuidanceDocument.objects.create(
        kind="portal_use", title="Hướng dẫn sử dụng cổng thông tin", number="2/CVT",
        issued_on=datetime.date(2021, 8, 2), issuer="Cục Viễn thông", body="Các bước",
    )
    client = Client()
    client.force_login(accounts["operator engineer"])
    asked = client.get(reverse("home"), follow=True)
    assert asked.request["PATH_INFO"] == reverse("guidance:acknowledge")
    findings.check("operator engineer asked to acknowledge", asked)
    findings.check(
        "acknowledgement not ticked",
        client.post(reverse("guidance:acknowledge"), {}, follow=True),
    )
    newer.delete()

    # 500.
    client = Client(raise_request_exception=False)
    findings.check("server error", client.get("/crawl/boom/"), may_fail=True)

    # CSRF failure: a form sent without its token.
    client = Client(enforce_csrf_checks=True)
    client.force_login(accounts["province admin"])
    findings.check("CSRF failure", client.post(reverse("delegation"), {"action": "grant"}))

    # Lock-out, on both login pages.
    settings.AXES_FAILURE_LIMIT = 1
    for login in ("login", "admin:login"):
        response = Client().post(reverse(login), {"username": "cuc_vien_thong", "password": "sai"})
        assert response.status_code == 429
        findings.check(f"lock-out {login}", response)

    # The admin's widgets (the user admin's permission chooser, the calendar) speak through the
    # JavaScript catalog.
    client = Client()
    client.force_login(accounts["national administrator"])
    catalog = client.get(reverse("admin:jsi18n")).content.decode()
    admin_locale = Path(django.__file__).parent / "contrib" / "admin" / "locale"
    untranslated = english_ui.untranslated_javascript(catalog, admin_locale)
    if untranslated:
        findings.pages["admin JavaScript catalog"] = untranslated

    assert findings.count > 600
    assert not findings.pages, (
        f"English on {len(findings.pages)} of {findings.count} pages in Vietnamese:\n"
        + findings.report()
    )
