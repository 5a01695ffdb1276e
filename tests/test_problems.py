"""Problem reports (problems/): who sees and writes which report, attachments, e-mails, audit,
export and the pages' queries."""

import csv
import io
import zipfile

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from problems import attachments
from problems.choices import ProblemCategory, ProblemStatus
from problems.models import ProblemAttachment, ProblemReply, ProblemReport
from problems.queries import open_counts
from tests.test_access import CAST, World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_of_this_test(settings, tmp_path):
    settings.PROBLEM_FILES_DIR = tmp_path / "problem_files"

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _office(inner):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(inner, "<x/>")
    return buffer.getvalue()


def report(world_facility, author, title, **fields):
    fields.setdefault("category", ProblemCategory.NETWORK)
    return ProblemReport.objects.create(
        province=world_facility.province,
        facility=world_facility,
        author=author,
        title=title,
        description="Đường truyền chập chờn",
        **fields,
    )


class ProblemWorld(World):
    def __init__(self, django_user_model):
        super().__init__(django_user_model)
        self.users["national_official"].email = "cuc@example.vn"
        self.users["national_official"].save()
        self.hn = report(self.f1, self.users["this_admin"], "Mất kết nối Pháp Vân")
        self.hn2 = report(self.f3, self.users["operator"], "Mê Linh thiếu đầu ghi")
        self.hcm = report(self.f2, self.users["other_admin"], "Thủ Đức chưa có mạng")


@pytest.fixture
def world(django_user_model):
    return ProblemWorld(django_user_model)


ALL = ["Mê Linh thiếu đầu ghi", "Mất kết nối Pháp Vân", "Thủ Đức chưa có mạng"]
SEES = {
    "anonymous": None,
    "no_grant": None,
    "other_admin": ["Thủ Đức chưa có mạng"],
    "this_admin": ["Mê Linh thiếu đầu ghi", "Mất kết nối Pháp Vân"],
    "operator": ["Mê Linh thiếu đầu ghi", "Mất kết nối Pháp Vân"],
    "viewer": ["Mê Linh thiếu đầu ghi", "Mất kết nối Pháp Vân"],
    "facility_manager": ["Mất kết nối Pháp Vân"],
    "national_official": ALL,
    "superuser": ALL,
}


@pytest.mark.parametrize("who", CAST)
def test_list_shows_only_the_scope(who, world, client):
    response = world.client_for(client, who).get(reverse("problems:list"))
    if SEES[who] is None:
        assert response.status_code in (302, 403)
        return
    assert sorted(r.title for r in response.context["reports"]) == SEES[who]


@pytest.mark.parametrize("who", CAST)
def test_export_holds_only_the_scope_and_no_formula(who, world, client):
    world.hn.title = '=HYPERLINK("http://x")'
    world.hn.save()
    response = world.client_for(client, who).get(reverse("problems:export"))
    if SEES[who] is None:
        assert response.status_code in (302, 403)
        return
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    titles = sorted(row[5] for row in rows)
    expected = sorted(
        '\'=HYPERLINK("http://x")' if t == "Mất kết nối Pháp Vân" else t for t in SEES[who]
    )
    assert titles == expected
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("who", CAST)
def test_report_page_and_attachment_only_in_scope(who, world, client):
    attachment = _attach(world.hn, world.users["this_admin"], "so-do.pdf", PDF)
    c = world.client_for(client, who)
    page = c.get(reverse("problems:detail", args=[world.hn.pk]))
    download = c.get(reverse("problems:attachment", args=[attachment.pk]))
    if SEES[who] is None:
        assert page.status_code in (302, 404) and download.status_code in (302, 404)
    elif "Mất kết nối Pháp Vân" in SEES[who]:
        assert page.status_code == 200 and download.status_code == 200
        assert download.content == PDF
        assert download["Cache-Control"] == "no-store, private"
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"].startswith("attachment;")
    else:
        assert page.status_code == 404 and download.status_code == 404


def _attach(report_obj, user, name, content):
    upload = SimpleUploadedFile(name, content)
    return attachments.store(upload, attachments.check(upload), report=report_obj, user=user)


def test_attachment_is_sealed_at_rest(world, settings):
    attachment = _attach(world.hn, world.users["this_admin"], "a.pdf", PDF)
    on_disk = (settings.PROBLEM_FILES_DIR / attachment.file_name).read_bytes()
    assert b"%PDF" not in on_disk
    assert attachments.read(attachment) == PDF


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.pdf", PDF, "pdf"),
        ("a.png", PNG, "png"),
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "jpeg"),
        ("a.docx", _office("word/document.xml"), "docx"),
        ("a.xlsx", _office("xl/workbook.xml"), "xlsx"),
        # The name lies, the content tells.
        ("bang.xlsx", PDF, "pdf"),
    ],
)
def test_types_are_told_by_content(name, content, kind):
    assert attachments.check(SimpleUploadedFile(name, content)) == kind


def _new_report(client, facility, files=(), **headers):
    return client.post(
        reverse("problems:new"),
        {
            "facility": facility.pk,
            "category": ProblemCategory.EQUIPMENT,
            "title": "Đầu ghi hỏng",
            "description": "Đầu ghi không khởi động",
            "files": list(files),
        },
        **headers,
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("virus.pdf", b"MZ\x90\x00 this is an exe"),
        ("macro.docx", _office("word/vbaProject.bin")),
        ("nothing.zip", b"PK\x03\x04 broken"),
    ],
)
def test_wrong_type_refused_with_a_clear_message(name, content, world, client):
    world.client_for(client, "facility_manager")
    with translation.override("en"):
        response = _new_report(
            client, world.f1, [SimpleUploadedFile(name, content)], HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["files"])
    # In Vietnamese, the portal's language whatever the browser asks (English by the switch).
    assert f"Tệp {name} không phải là tệp PDF, JPEG, PNG, Word (DOCX) hoặc Excel (XLSX)" in errors
    assert not ProblemReport.objects.filter(title="Đầu ghi hỏng").exists()


@override_settings(PROBLEM_ATTACHMENT_MAX_BYTES=100)
def test_too_large_refused_with_a_clear_message(world, client):
    world.client_for(client, "facility_manager")
    response = _new_report(client, world.f1, [SimpleUploadedFile("big.pdf", PDF + b"x" * 200)])
    errors = " ".join(response.context["form"].errors["files"])
    assert "big.pdf" in errors and "100" in errors
    assert not ProblemReport.objects.filter(title="Đầu ghi hỏng").exists()
    assert not ProblemAttachment.objects.exists()


def test_facility_manager_reports_from_the_facility_page(world, client):
    world.client_for(client, "facility_manager")
    page = client.get(reverse("facility_detail", args=[world.f1.pk]))
    link = reverse("problems:new") + f"?facility={world.f1.pk}"
    assert link in page.content.decode()
    form = client.get(link)
    assert form.status_code == 200
    # The warning never to paste a password, in the portal's language.
    with translation.override("vi"):
        assert gettext("Never paste a password.") in form.content.decode()
    response = _new_report(client, world.f1, [SimpleUploadedFile("anh.png", PNG)])
    created = ProblemReport.objects.get(title="Đầu ghi hỏng")
    assert response.status_code == 302
    assert (
        created.province == world.f1.province and created.author == world.users["facility_manager"]
    )
    assert created.attachments.get().kind == "png"


def test_facility_manager_cannot_report_about_another_facility(world, client):
    world.client_for(client, "facility_manager")
    response = _new_report(client, world.f3)
    assert response.status_code == 200 and "facility" in response.context["form"].errors
    assert not ProblemReport.objects.filter(title="Đầu ghi hỏng").exists()


def test_staff_without_grant_cannot_report(world, client):
    world.client_for(client, "no_grant")
    assert client.get(reverse("problems:new")).status_code == 403


def test_new_report_mails_the_department_a_link_only(world, client):
    world.client_for(client, "this_admin")
    mail.outbox.clear()
    with django_capture_on_commit():
        _new_report(client, world.f1)
    created = ProblemReport.objects.get(title="Đầu ghi hỏng")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["cuc@example.vn"]
    text = message.subject + message.body
    assert f"/problems/{created.pk}/" in message.body
    for content in ("Đầu ghi hỏng", "Đầu ghi không khởi động", "Pháp Vân"):
        assert content not in text


def django_capture_on_commit():
    """on_commit callbacks run at once inside the test's transaction."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_department_answers_and_the_reporter_is_told(world, client):
    world.users["this_admin"].email = "hanoi@example.vn"
    world.users["this_admin"].save()
    world.client_for(client, "national_official")
    mail.outbox.clear()
    with django_capture_on_commit():
        response = client.post(
            reverse("problems:reply", args=[world.hn.pk]),
            {"body": "Kiểm tra lại cổng 554 của tường lửa"},
        )
    assert response.status_code == 302
    world.hn.refresh_from_db()
    assert world.hn.status == ProblemStatus.ANSWERED
    assert [m.to for m in mail.outbox] == [["hanoi@example.vn"]]
    assert "554" not in mail.outbox[0].body and "tường lửa" not in mail.outbox[0].body
    # The province sees the answer in the portal.
    client.force_login(world.users["viewer"])
    assert (
        "Kiểm tra lại cổng 554"
        in client.get(reverse("problems:detail", args=[world.hn.pk])).content.decode()
    )


@pytest.mark.parametrize("who", CAST)
def test_only_the_department_handles(who, world, client):
    official = world.users["national_official"]
    response = world.client_for(client, who).post(
        reverse("problems:handle", args=[world.hn.pk]),
        {"status": ProblemStatus.RESOLVED, "assignee": official.pk, "due_date": "2026-12-31"},
    )
    world.hn.refresh_from_db()
    if who in ("national_official", "superuser"):
        assert response.status_code == 302
        assert world.hn.status == ProblemStatus.RESOLVED and world.hn.assignee == official
    else:
        assert response.status_code in (302, 403, 404)
        assert world.hn.status == ProblemStatus.OPEN and world.hn.assignee is None


def test_changes_are_audited_with_their_actor(world, client):
    world.client_for(client, "facility_manager")
    _new_report(client, world.f1, [SimpleUploadedFile("a.pdf", PDF)])
    created = ProblemReport.objects.get(title="Đầu ghi hỏng")
    entry = LogEntry.objects.get_for_object(created).get(action=LogEntry.Action.CREATE)
    assert entry.actor == world.users["facility_manager"]
    attachment = created.attachments.get()
    assert (
        LogEntry.objects.get_for_object(attachment).get().actor == world.users["facility_manager"]
    )
    client.force_login(world.users["national_official"])
    client.post(reverse("problems:reply", args=[created.pk]), {"body": "Đã nhận"})
    client.post(
        reverse("problems:handle", args=[created.pk]),
        {"status": ProblemStatus.CLOSED, "assignee": "", "due_date": ""},
    )
    reply = ProblemReply.objects.get(report=created)
    assert LogEntry.objects.get_for_object(reply).get().actor == world.users["national_official"]
    update = LogEntry.objects.get_for_object(created).filter(action=LogEntry.Action.UPDATE).last()
    assert update.actor == world.users["national_official"] and "status" in update.changes_dict


def test_admin_list_is_scoped(world, client):
    client.force_login(world.users["other_admin"])
    response = client.get(reverse("admin:problems_problemreport_changelist"))
    assert sorted(r.title for r in response.context["cl"].result_list) == ["Thủ Đức chưa có mạng"]
    client.force_login(world.users["national_official"])
    response = client.get(reverse("admin:problems_problemreport_changelist"))
    assert sorted(r.title for r in response.context["cl"].result_list) == ALL


def test_dashboard_counter_counts_unsettled_reports(world):
    world.hn2.status = ProblemStatus.CLOSED
    world.hn2.save()
    counts = open_counts([world.f1.province_id, world.f2.province_id])
    assert counts == {world.f1.province_id: 1, world.f2.province_id: 1}


def _grow(world, n):
    for i in range(n):
        r = report(world.f1 if i % 2 else world.f3, world.users["this_admin"], f"Vướng mắc {i}")
        ProblemReply.objects.create(report=r, author=world.users["national_official"], body="ok")
        _attach(r, world.users["this_admin"], "a.pdf", PDF)


@pytest.mark.parametrize("who", ["this_admin", "national_official", "facility_manager"])
def test_pages_queries_do_not_grow_with_reports(who, world, client):
    world.client_for(client, who)
    counts = []
    for n in (2, 20):
        _grow(world, n)
        for url in (
            reverse("problems:list"),
            reverse("problems:detail", args=[world.hn.pk]),
            reverse("problems:export"),
        ):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
                if hasattr(response, "streaming_content"):
                    b"".join(response.streaming_content)
            assert response.status_code == 200
            counts.append(len(queries))
    small, large = counts[:3], counts[3:]
    print(who, "queries (list, report, export) at 2 and 20 more reports:", small, large)
    assert small == large
    assert max(large) <= 10


def test_key_rotation_reseals_attachments(world, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    cameras_key = list(settings.CAMERA_CREDENTIALS_KEYS)  # the world's camera passwords
    settings.CAMERA_CREDENTIALS_KEYS = [old]
    attachment = _attach(world.hn, world.users["this_admin"], "a.pdf", PDF)
    settings.CAMERA_CREDENTIALS_KEYS = [new, old, *cameras_key]
    out = io.StringIO()
    call_command("rotate_credentials_key", stdout=out)
    assert "Problem report attachments: 1 of 1 files re-sealed" in out.getvalue()
    settings.CAMERA_CREDENTIALS_KEYS = [new]
    assert attachments.read(attachment) == PDF


@pytest.mark.parametrize("who", ["national_official", "this_admin"])
def test_dashboards_show_open_reports_per_province(who, world, client):
    world.hn2.status = ProblemStatus.RESOLVED
    world.hn2.save()
    world.client_for(client, who)
    response = client.get(reverse("reports:progress"))
    assert response.status_code == 200
    with translation.override("en"):
        lines = {
            line.province.code: {str(name): n for name, n in line.extra}
            for line in response.context["lines"]
        }
    assert lines["01"]["Open problem reports"] == 1
    if who == "national_official":
        assert lines["79"]["Open problem reports"] == 1
    else:
        assert "79" not in lines


def test_the_national_officials_group_answers_and_province_accounts_never_do(world):
    from django.contrib.auth.models import Group, Permission

    from facilities.roles import NATIONAL_OFFICIALS_GROUP
    from problems.models import may_answer

    group = Group.objects.get(name=NATIONAL_OFFICIALS_GROUP)
    assert group.permissions.filter(codename="answer_problems").exists()
    assert may_answer(world.users["national_official"]) and may_answer(world.users["superuser"])
    # Given by mistake to a province account, the permission opens nothing.
    admin = world.users["this_admin"]
    admin.user_permissions.add(Permission.objects.get(codename="answer_problems"))
    assert not may_answer(admin)


@pytest.mark.parametrize("who", ["this_admin", "operator", "viewer"])
def test_province_accounts_cannot_handle_in_the_admin(who, world, client):
    world.client_for(client, who)
    url = reverse("admin:problems_problemreport_change", args=[world.hn.pk])
    client.post(url, {"status": ProblemStatus.CLOSED, "assignee": "", "due_date": ""})
    world.hn.refresh_from_db()
    assert world.hn.status == ProblemStatus.OPEN


def test_the_department_hands_over_in_the_admin(world, client):
    world.client_for(client, "national_official")
    official = world.users["national_official"]
    url = reverse("admin:problems_problemreport_change", args=[world.hcm.pk])
    response = client.post(
        url, {"status": ProblemStatus.RESOLVED, "assignee": official.pk, "due_date": "2026-12-31"}
    )
    assert response.status_code == 302
    world.hcm.refresh_from_db()
    assert world.hcm.status == ProblemStatus.RESOLVED and world.hcm.assignee == official


def test_a_province_reply_tells_the_assignee_and_refuses_a_wrong_file(world, client):
    world.hn.assignee = world.users["national_official"]
    world.hn.save()
    world.client_for(client, "facility_manager")
    url = reverse("problems:reply", args=[world.hn.pk])
    refused = client.post(
        url, {"body": "Xem tệp", "files": [SimpleUploadedFile("x.pdf", b"#!/bin/sh")]}
    )
    assert refused.status_code == 400 and "x.pdf" in " ".join(
        refused.context["reply_form"].errors["files"]
    )
    assert not ProblemReply.objects.exists()
    mail.outbox.clear()
    with django_capture_on_commit():
        response = client.post(url, {"body": "Vẫn mất kết nối sau khi khởi động lại"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["cuc@example.vn"]]
    assert "khởi động" not in mail.outbox[0].body
    world.hn.refresh_from_db()
    assert world.hn.status == ProblemStatus.OPEN  # a province's reply answers nothing
