"""Guidance disseminated and acknowledged (issue 16, part 2): the documents and their PDFs, the
acknowledgement asked at sign-in after the second factor (never of API tokens), the report of who
has acknowledged scoped like the access matrix, the reminder e-mail, the audit record, and the
pages' query counts at two sizes."""

import datetime
import itertools
from urllib.parse import urlencode

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from guidance.choices import GuidanceKind
from guidance.documents import current_versions
from guidance.models import Acknowledgement, GuidanceDocument
from portal.models import AccountEvent, AccountEventKind
from tests import factories
from tests.api_helpers import token_key
from tests.second_factor import code_for, give_app
from tests.test_access import CAST
from tests.test_access import World as AccessWorld

pytestmark = pytest.mark.django_db

PASSWORD = "Mat-khau-du-dai-2021"
ENGLISH = {"django_language": "en"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
_numbers = itertools.count(1)


def document(kind=GuidanceKind.GUIDANCE, *, issued_on=None, body="Đọc kỹ hướng dẫn.", **fields):
    number = fields.pop("number", f"{next(_numbers)}/CVT-QLCL")
    return GuidanceDocument.objects.create(
        kind=kind,
        title=fields.pop("title", "Hướng dẫn quản lý, sử dụng hệ thống camera"),
        number=number,
        issued_on=issued_on or datetime.date(2021, 8, 1),
        issuer=fields.pop("issuer", "Cục Viễn thông"),
        body=body,
        **fields,
    )


def english(client):
    client.cookies.load(ENGLISH)
    return client


def acknowledge_url(next_url=None):
    url = reverse("guidance:acknowledge")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# --- The gate at sign-in --------------------------------------------------------------------


@pytest.mark.real_second_factor
def test_the_acknowledgement_is_asked_after_the_password_and_the_code_then_recorded_once():
    operator = factories.province_user("vnpt.hn.01", "01", "connect_province", password=PASSWORD)
    device = give_app(operator)
    doc = document()
    client = english(Client())
    client.post(reverse("login"), {"username": operator.username, "password": PASSWORD})

    # Before the second factor the code page answers, not the guidance.
    before = client.get(reverse("admin:index"))
    assert before["Location"].startswith(reverse("otp_verify"))
    assert client.get(reverse("guidance:acknowledge"))["Location"].startswith(
        reverse("otp_verify")
    )

    client.post(reverse("otp_verify"), {"code": code_for(device)})
    asked = client.get(reverse("admin:index"))
    assert asked.status_code == 302
    assert asked["Location"] == acknowledge_url("/admin/")
    page = client.get(asked["Location"])
    assert page.status_code == 200
    assert doc.title in page.content.decode()
    assert "I have read these documents and will follow them." in page.content.decode()

    # Not ticked: nothing recorded, still asked.
    client.post(reverse("guidance:acknowledge"), {"next": "/admin/"})
    assert not Acknowledgement.objects.exists()
    assert client.get(reverse("admin:index")).status_code == 302

    done = client.post(reverse("guidance:acknowledge"), {"confirm": "yes", "next": "/admin/"})
    assert done["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200
    # A second click (a page left open) records nothing more.
    client.post(reverse("guidance:acknowledge"), {"confirm": "yes"})
    ack = Acknowledgement.objects.get()
    assert (ack.user, ack.document) == (operator, doc)
    event = AccountEvent.objects.get(event=AccountEventKind.ACKNOWLEDGED)
    assert event.actor == operator
    assert event.detail["number"] == doc.number

    # The next sign-in asks nothing.
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": operator.username, "password": PASSWORD})
    client.post(reverse("otp_verify"), {"code": code_for(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_facility_manager_is_asked_in_vietnamese_and_a_new_version_asks_again(client):
    facility = factories.facility("01")
    manager = factories.facility_manager("ql.phapvan", facility)
    first = document()
    client.force_login(manager)
    asked = client.get(reverse("my_facilities"))
    assert asked["Location"].startswith(reverse("guidance:acknowledge"))
    page = client.get(asked["Location"])
    assert page.context["pending"] == [first]
    assert page.wsgi_request.LANGUAGE_CODE == "vi"
    client.post(reverse("guidance:acknowledge"), {"confirm": "yes"})
    assert client.get(reverse("my_facilities")).status_code == 200

    newer = document(issued_on=datetime.date(2021, 9, 1))
    assert list(current_versions()) == [newer]
    client.force_login(manager)
    assert client.get(reverse("my_facilities"))["Location"].startswith(
        reverse("guidance:acknowledge")
    )
    client.post(reverse("guidance:acknowledge"), {"confirm": "yes"})
    assert set(Acknowledgement.objects.values_list("document", flat=True)) == {first.pk, newer.pk}


def test_api_token_requests_are_not_asked():
    operator = factories.province_user("vnpt.hn.01", "01", "connect_province")
    document()
    client = Client()
    client.force_login(operator)
    assert client.get(reverse("admin:index")).status_code == 302
    # The same browser's session, but with a token: the token's account is not a person
    # signing in.
    answer = client.get(
        "/api/v1/status/", headers={"Authorization": f"Bearer {token_key(operator)}"}
    )
    assert answer.status_code == 200
    # Without a token, the API's JSON says why.
    refused = client.get("/api/v1/status/")
    assert refused.status_code == 403


def test_nothing_is_asked_when_no_guidance_exists(client):
    operator = factories.province_user("vnpt.hn.01", "01", "connect_province")
    client.force_login(operator)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("who", ["viewer", "national_official", "superuser", "no_grant"])
def test_roles_outside_the_setting_are_not_asked(client, django_user_model, who):
    world = AccessWorld(django_user_model)
    document()
    world.client_for(client, who)
    assert client.get(reverse("admin:index")).status_code in (200, 403)


@override_settings(GUIDANCE_ACK_ROLES=["manage_province"])
def test_the_setting_chooses_the_roles(client):
    operator = factories.province_user("vnpt.hn.01", "01", "connect_province")
    document()
    client.force_login(operator)
    assert client.get(reverse("admin:index")).status_code == 200


# --- Documents and their PDFs ---------------------------------------------------------------


def _upload_form(**overrides):
    data = {
        "kind": GuidanceKind.CONNECTION_STANDARD,
        "title": "Tiêu chuẩn kết nối camera",
        "number": "2345/CVT-KT",
        "issued_on": "2021-08-15",
        "issuer": "Cục Viễn thông",
        "body": "",
    }
    data.update(overrides)
    return data


def test_a_national_administrator_uploads_a_pdf_which_signed_in_accounts_read(
    admin_client_vi, superuser
):
    english(admin_client_vi)
    answer = admin_client_vi.post(
        reverse("admin:guidance_guidancedocument_add"),
        _upload_form(pdf=SimpleUploadedFile("ttkn.pdf", PDF, "application/pdf")),
    )
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    doc = GuidanceDocument.objects.get()
    assert doc.uploaded_by == superuser and doc.pdf_size == len(PDF)
    assert doc.pdf_name.endswith(".pdf") and "ttkn" not in doc.pdf_name
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(GuidanceDocument), object_pk=str(doc.pk)
    )
    assert entry.actor == superuser

    url = reverse("guidance:document_pdf", args=[doc.pk])
    client = Client()
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(factories.facility_manager("ql", factories.facility("01")))
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == PDF


@pytest.mark.parametrize(
    ("content", "limit", "message"),
    [
        (b"PK\x03\x04 a docx", 1000, "This file is not a PDF document."),
        (b"<html><script>", 1000, "This file is not a PDF document."),
        (PDF, 10, "The file is too large: at most 10\xa0bytes."),
    ],
)
def test_a_file_that_is_not_a_pdf_or_too_large_is_refused_with_a_clear_message(
    admin_client_vi, content, limit, message
):
    english(admin_client_vi)
    with override_settings(GUIDANCE_MAX_PDF_BYTES=limit):
        answer = admin_client_vi.post(
            reverse("admin:guidance_guidancedocument_add"),
            _upload_form(pdf=SimpleUploadedFile("x.pdf", content, "application/pdf")),
        )
    assert answer.status_code == 200
    assert message in answer.context["adminform"].form.errors["pdf"][0]
    assert not GuidanceDocument.objects.exists()


def test_a_version_needs_its_text_or_its_pdf(admin_client_vi):
    english(admin_client_vi)
    answer = admin_client_vi.post(reverse("admin:guidance_guidancedocument_add"), _upload_form())
    assert answer.status_code == 200
    assert answer.context["adminform"].form.non_field_errors() == [
        "Give the document's text, its PDF file, or both."
    ]


@pytest.mark.parametrize("who", ["this_admin", "operator", "national_official", "no_grant"])
def test_only_national_administrators_upload(client, django_user_model, who):
    world = AccessWorld(django_user_model)
    world.client_for(client, who)
    assert client.get(reverse("admin:guidance_guidancedocument_add")).status_code == 403


def test_the_documents_page_lists_the_current_versions_and_keeps_the_earlier(client):
    old = document(title="Bản cũ", issued_on=datetime.date(2021, 7, 1))
    new = document(title="Bản mới", issued_on=datetime.date(2021, 8, 20))
    zones = document(GuidanceKind.PLACEMENT_ZONES, title="Vùng lắp đặt")
    client.force_login(factories.national_official("tw", is_staff=True))
    page = client.get(reverse("guidance:documents"))
    assert page.context["current"] == [new, zones] or set(page.context["current"]) == {new, zones}
    assert page.context["older"] == [old]
    detail = client.get(reverse("guidance:document", args=[new.pk]))
    assert "Bản mới" in detail.content.decode()


# --- The report -----------------------------------------------------------------------------

# Who each account of the access matrix sees in the report (None: refused).
REPORT = {
    "anonymous": None,
    "no_grant": None,
    "other_admin": ["other_admin"],
    "this_admin": ["facility_manager", "operator", "this_admin"],
    "operator": None,
    "viewer": None,
    "facility_manager": None,
    "national_official": ["facility_manager", "operator", "other_admin", "this_admin"],
    "superuser": ["facility_manager", "operator", "other_admin", "this_admin"],
}


@pytest.mark.parametrize("who", CAST)
def test_the_report_is_scoped_like_the_access_matrix(client, django_user_model, who):
    world = AccessWorld(django_user_model)
    doc = document()
    Acknowledgement.objects.create(user=world.users["operator"], document=doc)
    world.client_for(client, who)
    answer = client.get(reverse("guidance:report"))
    if REPORT[who] is None:
        assert answer.status_code in (302, 403)
        if who == "anonymous":
            assert answer["Location"].startswith(reverse("login"))
        return
    # Acknowledge first if the viewer itself is asked (the gate sends it there otherwise).
    if answer.status_code == 302:
        client.post(reverse("guidance:acknowledge"), {"confirm": "yes"})
        answer = client.get(reverse("guidance:report"))
    assert answer.status_code == 200
    people = {
        person.user.username: person.acknowledged
        for row in answer.context["rows"]
        for person in row.people
    }
    assert sorted(people) == REPORT[who]
    assert people.get("operator", True) is True
    assert people.get("facility_manager", False) is False


def test_the_reminder_mails_only_those_who_have_not_acknowledged_with_a_link(django_user_model):
    world = AccessWorld(django_user_model)
    for name, user in world.users.items():
        if user is not None:
            user.email = f"{name}@example.vn"
            user.save(update_fields=["email"])
    doc = document(body="Nội dung mật không gửi qua thư")
    Acknowledgement.objects.create(user=world.users["operator"], document=doc)
    call_command("guidance_remind")
    to = sorted(message.to[0] for message in mail.outbox)
    assert to == [
        "facility_manager@example.vn",
        "other_admin@example.vn",
        "this_admin@example.vn",
    ]
    body = mail.outbox[0].body
    assert reverse("guidance:acknowledge") in body
    assert "Nội dung mật" not in body


def test_the_admin_action_sends_the_reminder(admin_client_vi, django_user_model):
    world = AccessWorld(django_user_model)
    world.users["this_admin"].email = "a@example.vn"
    world.users["this_admin"].save(update_fields=["email"])
    doc = document()
    admin_client_vi.post(
        reverse("admin:guidance_guidancedocument_changelist"),
        {"action": "remind", "_selected_action": [doc.pk]},
    )
    assert [message.to for message in mail.outbox] == [["a@example.vn"]]


# --- Query counts ---------------------------------------------------------------------------


def _people(codes, doc):
    """Accounts of the provinces `codes`: an admin, an operator and a facility manager each."""
    for code in codes:
        admin = factories.province_user(f"qt{code}", code, "manage_province")
        factories.province_user(f"kt{code}", code, "connect_province")
        factories.facility_manager(f"ql{code}", factories.facility(code))
        Acknowledgement.objects.create(user=admin, document=doc)


def _count(client, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(50) as ctx:
        answer = client.get(url)
    assert answer.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name", ["guidance:report", "guidance:documents", "guidance:acknowledge"]
)
def test_query_counts_do_not_grow_with_the_data(client, django_assert_max_num_queries, url_name):
    doc = document()
    document(GuidanceKind.PORTAL_USE)
    official = factories.national_official("tw", is_staff=True)
    client.force_login(official)
    url = reverse(url_name)
    client.get(url)  # the session's first request writes it
    _people(["01", "79"], doc)
    small = _count(client, url, django_assert_max_num_queries)
    _people(["48", "31", "92", "26", "27", "30"], doc)
    for extra in range(5):
        document(GuidanceKind.PLACEMENT_ZONES, issued_on=datetime.date(2021, 1, 1 + extra))
    large = _count(client, url, django_assert_max_num_queries)
    assert small == large
    assert large <= 16


def test_uploads_and_acknowledgements_are_in_the_audit_record(client):
    operator = factories.province_user("vnpt.hn.01", "01", "connect_province")
    doc = document()
    client.force_login(operator)
    client.post(reverse("guidance:acknowledge"), {"confirm": "yes"})
    ack = Acknowledgement.objects.get()
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Acknowledgement), object_pk=str(ack.pk)
    )
    assert entry.actor == operator
    assert LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(GuidanceDocument), object_pk=str(doc.pk)
    ).exists()
    assert AccountEvent.objects.filter(
        event=AccountEventKind.ACKNOWLEDGED, actor=operator
    ).count() == 1


def test_signing_out_stays_open_to_an_account_that_is_asked(client):
    operator = factories.province_user("vnpt.hn.01", "01", "connect_province")
    document()
    client.force_login(operator)
    assert client.get(reverse("admin:index")).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_replaced_or_deleted_pdf_leaves_no_file_behind(
    admin_client_vi, settings, django_capture_on_commit_callbacks
):
    from pathlib import Path

    add = reverse("admin:guidance_guidancedocument_add")
    admin_client_vi.post(add, _upload_form(pdf=SimpleUploadedFile("a.pdf", PDF)))
    doc = GuidanceDocument.objects.get()
    first = Path(settings.GUIDANCE_DIR) / doc.pdf_name
    assert first.is_file()
    change = reverse("admin:guidance_guidancedocument_change", args=[doc.pk])
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client_vi.post(
            change, _upload_form(pdf=SimpleUploadedFile("b.pdf", PDF + b"%v2\n"))
        )
    assert answer.status_code == 302
    doc.refresh_from_db()
    second = Path(settings.GUIDANCE_DIR) / doc.pdf_name
    assert second.is_file() and not first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_vi.post(
            reverse("admin:guidance_guidancedocument_delete", args=[doc.pk]), {"post": "yes"}
        )
    assert not GuidanceDocument.objects.exists() and not second.exists()
