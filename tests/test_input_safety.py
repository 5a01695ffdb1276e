"""Bad input never gives a 500, and what is stored is clean text.

Each finding of the input review, over HTTP where a person meets it: unreadable uploads on the
import page, invisible and control characters in imports and admin forms, one spelling (NFC) for
names, a second click on "revoke", and look-alike account names. Messages are asserted in
English (the language cookie), the catalog being the lead's.
"""

import codecs
import io
import random
import unicodedata

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import translation

from cameras.choices import Zone
from cameras.importer import CameraImporter
from cameras.models import Camera
from facilities.grants import FacilityUserObjectPermission, ProvinceUserObjectPermission
from facilities.importer import FacilityImporter
from facilities.models import Facility, Province
from portal.models import AccountEvent
from portal.text import CleanTextMixin, forbidden_char, username_problem
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "Mat-khau-du-dai-2021"


@pytest.fixture(autouse=True)
def default_language_afterwards():
    # A request with the English cookie leaves English active in this thread: later tests
    # expect the default (Vietnamese).
    yield
    translation.deactivate()
CAMERA_HEADER = "province_code,facility,name,zone,stream_url,username,password"
FACILITY_NAME = "Khu cách ly Pháp Vân"


@pytest.fixture
def hanoi_admin():
    return factories.province_user("so_tttt_hanoi", "01", password=PASSWORD)


@pytest.fixture
def facility():
    return factories.facility("01", name=FACILITY_NAME)


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def camera_file(*rows, header=CAMERA_HEADER):
    return ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def row(name="Camera 1", url="rtsp://10.0.0.1/s", password="", username=""):
    return f"01,{FACILITY_NAME},{name},gate,{url},{username},{password}"


def post_upload(client, data, kind="cameras"):
    app = "cameras_camera" if kind == "cameras" else "facilities_facility"
    upload = io.BytesIO(data)
    upload.name = "upload.csv"
    return client.post(reverse(f"admin:{app}_import"), {"file": upload, "preview": "1"})


def page_text(response):
    return response.content.decode()


# --- 1. Any bytes on the import page: a message, never a 500 ----------------------------------

UTF16_HEADER = CAMERA_HEADER.encode("utf-16-le")
BAD_UPLOADS = {
    "UTF-8 BOM then invalid bytes": (
        codecs.BOM_UTF8 + camera_file(row()) + b"\xff\xfe\xc3(",
        "Row 3: the file is not UTF-8 text",
    ),
    "Windows-1258 without BOM": (
        camera_file(row(name="Camera cXng")).replace(b"X", b"\xf4"),
        "Row 2: the file is not UTF-8 text",
    ),
    "UTF-16 of odd length": (
        codecs.BOM_UTF16_LE + UTF16_HEADER + b"\r",
        "not valid UTF-16 text",
    ),
    "UTF-16 with a lone surrogate": (
        codecs.BOM_UTF16_LE + UTF16_HEADER + "\r\n".encode("utf-16-le") + b"\x00\xd8A\x00",
        "Row 2: the file is damaged or cut short: it is not valid UTF-16 text",
    ),
    "UTF-16 without BOM": (UTF16_HEADER, "This file is not CSV text."),
    "UTF-32": (codecs.BOM_UTF32_LE + CAMERA_HEADER.encode("utf-32-le"), "UTF-32"),
    "an Excel workbook (.xlsx)": (
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4,
        "This looks like an Excel workbook, not a CSV file.",
    ),
    "an Excel 97 workbook (.xls)": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
        "This looks like an Excel workbook, not a CSV file.",
    ),
    "only a BOM": (codecs.BOM_UTF8, "The file is empty."),
    "blank lines only": (b"\r\n\r\n", "the first row must be the header"),
    "binary junk": (bytes(random.Random(7).randrange(256) for _ in range(3000)), "not UTF-8"),
    "text that is not a header": (b"hello world\r\nsecond line\r\n", "the first row must be"),
    "NUL bytes in a cell": (
        camera_file(row(name="Cam\x00era")),
        "Row 2, column name: the text contains the invisible character U+0000",
    ),
    "a value over the csv module's field limit": (
        camera_file(row(name="x" * 200_000)),
        "Row 2: this row cannot be read: a value is longer than 131,072 characters",
    ),
    "an unclosed quote running to the end": (
        camera_file(row(name='"Camera 1'), *[row(name=f"C{n}") for n in range(3000)]),
        "a quotation mark is not closed",
    ),
    "an extremely long line of many cells": (
        camera_file(row() + ",x" * 200_000),
        "Row 2: 200007 values, but the header has 7 columns",
    ),
    "a header cell with a control character": (
        camera_file(row(), header=CAMERA_HEADER + ",vendor\x1b"),
        "Row 1: the text contains the invisible character U+001B",
    ),
}


@pytest.mark.parametrize("data, message", BAD_UPLOADS.values(), ids=BAD_UPLOADS.keys())
def test_an_unreadable_upload_gets_a_clear_message_and_writes_nothing(
    english, hanoi_admin, facility, data, message
):
    english.force_login(hanoi_admin)
    entries = LogEntry.objects.count()
    response = post_upload(english, data)
    html = page_text(response)
    assert response.status_code == 200
    assert message in " ".join(response.context["errors"]), response.context["errors"]
    assert "Traceback" not in html
    assert 'name="confirm"' not in html
    assert not Camera.objects.exists()
    assert LogEntry.objects.count() == entries


def test_an_empty_upload_is_refused_by_the_form(english, hanoi_admin):
    english.force_login(hanoi_admin)
    response = post_upload(english, b"", kind="facilities")
    assert response.status_code == 200
    assert "The submitted file is empty." in page_text(response)


@pytest.mark.parametrize(
    "name", ["UTF-8 BOM then invalid bytes", "UTF-16 of odd length", "an Excel workbook (.xlsx)"]
)
def test_the_import_commands_refuse_the_same_files_with_the_message(tmp_path, facility, name):
    data, message = BAD_UPLOADS[name]
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_cameras", str(path), stderr=err)
    assert message in err.getvalue()
    assert not Camera.objects.exists()


ALPHABET = (
    list(",;\t\r\n\"'=+-@ ") + ["\x00", "\x07", "\x85", "\u202e", "\u2028", "\ufeff", "\ud800"]
    + list("abcxyzAĐđ0189ăâêôơư") + ["Hà Nội", "rtsp://", "10.0.0.1", "gate", "01", FACILITY_NAME]
)


@override_settings(CAMERA_RESOLVE_TIMEOUT=0)
def test_fuzz_the_importers_answer_with_a_plan_never_an_exception(hanoi_admin, facility):
    rng = random.Random(2021)
    importers = [CameraImporter(actor=hanoi_admin), FacilityImporter(actor=hanoi_admin)]
    headers = [CAMERA_HEADER.encode(), b"province_code;name;kind;planned_cameras;focal_phone"]
    for n in range(300):
        junk = n % 3 == 0
        if junk:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        else:
            # A real header, then rows of random pieces: the cell checks and every row rule run.
            text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 300)))
            data = rng.choice(headers) + b"\r\n" + text.encode("utf-8", "surrogatepass")
        if n % 5 == 0:
            data = rng.choice([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]) + data
        for importer in importers:
            with translation.override("en"):
                plan = importer.check(data)  # raises nothing
                lines = plan.error_lines()
            assert all(line and "Traceback" not in line for line in lines)
            if junk:
                assert plan.errors, data  # random bytes never make a valid file
            # A refused file keeps no half-made objects; an accepted one has all of them.
            assert all((p.obj is None) == bool(plan.errors) for p in plan.rows)
    assert not Camera.objects.exists()


# --- 2. Invisible characters: refused in every import cell and every form field --------------

INVISIBLE = {
    "NUL": "\x00",
    "bell (C0)": "\x07",
    "escape (C0)": "\x1b",
    "DEL": "\x7f",
    "next line (C1)": "\x85",
    "right-to-left override": "\u202e",
    "first strong isolate": "\u2068",
    "line separator": "\u2028",
    "zero-width space": "\u200b",
    "byte order mark": "\ufeff",
}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_the_camera_import_refuses_an_invisible_character_in_any_cell(
    hanoi_admin, facility, char
):
    code = f"U+{ord(char):04X}"
    data = camera_file(
        row(name=f"Cam{char}era 1"),
        row(name="Camera 2", password=f"Pw{char}1"),
        row(name="Camera 3", url=f"rtsp://10.0.0.3/s{char}1"),
        row(name="Camera 4"),
    )
    with translation.override("en"):
        plan = CameraImporter(actor=hanoi_admin).apply(data)
        lines = plan.error_lines()
    expected = "the text contains the invisible character " + code
    assert lines == [
        f"Row 2, column name: {expected} (a control, text-direction or formatting character): "
        "retype it without that character.",
        f"Row 3, column password: {expected} (a control, text-direction or formatting "
        "character): retype it without that character.",
        f"Row 4, column stream_url: {expected} (a control, text-direction or formatting "
        "character): retype it without that character.",
    ]
    # The secret itself never appears in a message.
    assert not any("Pw" in line for line in lines)
    assert not Camera.objects.exists()


def test_a_line_break_inside_a_quoted_name_is_refused_with_its_own_message(hanoi_admin, facility):
    data = camera_file(row(name='"Camera\ncổng"'), row(name='"Camera\tsân"'))
    with translation.override("en"):
        lines = CameraImporter(actor=hanoi_admin).check(data).error_lines()
    assert lines == [
        "Row 2, column name: line breaks and tabs are not allowed here: enter the text on one "
        "line.",
        # Row 3 as Excel shows it: row 2's cell spans two lines of the file.
        "Row 3, column name: line breaks and tabs are not allowed here: enter the text on one "
        "line.",
    ]


def test_the_facility_import_refuses_a_bidi_override_in_a_name(hanoi_admin):
    data = "province_code,name\r\n01,Khu cách ly \u202eHà Nội\r\n".encode()
    with translation.override("en"):
        lines = FacilityImporter(actor=hanoi_admin).apply(data).error_lines()
    assert lines[0].startswith("Row 2, column name: the text contains the invisible character "
                               "U+202E")
    assert not Facility.objects.exists()


def test_ordinary_vietnamese_and_no_break_spaces_are_accepted(hanoi_admin, facility):
    data = camera_file(row(name="Camera cổng\u00a0chính"), row(name="Hành lang tầng 2"))
    plan = CameraImporter(actor=hanoi_admin).apply(data)
    assert plan.ok, plan.error_lines()
    assert Camera.objects.count() == 2


def camera_form_data(facility, **fields):
    return {
        "facility": facility.pk,
        "name": "Cổng chính",
        "zone": Zone.GATE,
        "stream_url": "rtsp://10.0.0.5:554/stream1",
        "connection_status": "registered",
        "check_enabled": "on",
        **fields,
    }


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_the_camera_admin_form_refuses_an_invisible_character(
    english, hanoi_admin, facility, char
):
    english.force_login(hanoi_admin)
    response = english.post(
        reverse("admin:cameras_camera_add"),
        camera_form_data(facility, name=f"Cổng{char} chính", vendor=f"Hik{char}vision"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    expected = [
        f"The text contains the invisible character U+{ord(char):04X} (a control, "
        "text-direction or formatting character): retype it without that character."
    ]
    assert errors["name"] == expected
    assert errors["vendor"] == expected
    assert not Camera.objects.exists()


def test_a_status_reason_may_span_lines_but_a_name_may_not(english, hanoi_admin, facility):
    english.force_login(hanoi_admin)
    url = reverse("admin:cameras_camera_add")
    refused = english.post(url, camera_form_data(facility, name="Cổng\tchính"))
    assert refused.context["adminform"].form.errors["name"] == [
        "Line breaks and tabs are not allowed here: enter the text on one line."
    ]
    assert english.post(url, camera_form_data(facility)).status_code == 302
    camera = Camera.objects.get()
    # A reason is typed when decommissioning (a new camera has none to type).
    accepted = english.post(
        reverse("admin:cameras_camera_change", args=[camera.pk]),
        camera_form_data(
            facility,
            connection_status="decommissioned",
            status_reason="Độ phân giải thấp.\r\nĐã báo nhà mạng.",
        ),
    )
    assert accepted.status_code == 302
    assert Camera.objects.get().status_reason == "Độ phân giải thấp.\r\nĐã báo nhà mạng."


def test_the_facility_admin_form_refuses_an_invisible_character(english, hanoi_admin):
    english.force_login(hanoi_admin)
    response = english.post(
        reverse("admin:facilities_facility_add"),
        facility_form_data(name="Khu cách ly \u202eHà Nội", address="Số 1\x00 Pháp Vân"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["name"][0].startswith("The text contains the invisible character U+202E")
    assert errors["address"][0].startswith("The text contains the invisible character U+0000")
    assert not Facility.objects.exists()


def test_every_admin_form_cleans_its_text(superuser):
    """No admin can forget it: every add/change form of the site has the mixin."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    checked = []
    for model in apps.get_models():
        if model._meta.app_label not in ("facilities", "cameras", "reports", "portal", "auth"):
            continue
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        if not (model_admin.has_add_permission(request)
                or model_admin.has_change_permission(request)):
            continue
        form = model_admin.get_form(request)
        assert issubclass(form, CleanTextMixin), model
        checked.append(model._meta.label)
    assert {"cameras.Camera", "facilities.Facility", "cameras.ConnectionStandard",
            "auth.User", "auth.Group"} <= set(checked)


def test_the_delegation_form_refuses_control_characters_in_a_name(english, hanoi_admin, facility):
    english.force_login(hanoi_admin)
    response = english.post(reverse("delegation"), account_data(facility, first_name="An\x1b"))
    assert response.status_code == 200
    assert response.context["forms"]["create"].errors["first_name"][0].startswith(
        "The text contains the invisible character U+001B"
    )
    assert not FacilityUserObjectPermission.objects.exists()


def test_the_rule_keeps_vietnamese_and_allows_line_breaks_only_where_asked():
    assert forbidden_char("Khu cách ly Hà Nội\u00a0A") is None
    assert forbidden_char("a\nb") == "\n"
    assert forbidden_char("a\r\nb\tc", multiline=True) is None
    assert forbidden_char("a\r\nb\u202ec", multiline=True) == "\u202e"
    assert forbidden_char("\ue000 private use") is None


# --- 3. One spelling: NFC ----------------------------------------------------------------------


def facility_form_data(**fields):
    return {
        "province": Province.objects.get(code="01").pk,
        "name": "Khu cách ly Hà Nội",
        "kind": "civil",
        "status": "preparing",
        "planned_cameras": "2",
        **fields,
    }


def test_a_name_typed_with_decomposed_accents_is_stored_composed_and_is_a_duplicate(
    english, hanoi_admin
):
    composed = "Khu cách ly Hà Nội"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    english.force_login(hanoi_admin)
    url = reverse("admin:facilities_facility_add")

    first = english.post(url, facility_form_data(name=decomposed, focal_name=decomposed))
    assert first.status_code == 302
    stored = Facility.objects.get()
    assert stored.name == composed
    assert stored.focal_name == composed

    second = english.post(url, facility_form_data(name=composed))
    assert second.status_code == 200
    assert second.context["adminform"].form.non_field_errors() == [
        "This province already has a facility with this name."
    ]
    assert Facility.objects.count() == 1

    # Search typed with decomposed accents finds the stored name.
    found = english.get(reverse("admin:facilities_facility_changelist"), {"q": decomposed})
    assert [f.pk for f in found.context["cl"].result_list] == [stored.pk]


def test_a_password_is_kept_exactly_as_typed(english, hanoi_admin, facility):
    # Passwords are compared byte for byte by the camera: never normalised.
    password = unicodedata.normalize("NFD", "Mật-khẩu-1")
    english.force_login(hanoi_admin)
    response = english.post(
        reverse("admin:cameras_camera_add"), camera_form_data(facility, password=password)
    )
    assert response.status_code == 302
    assert Camera.objects.get().password == password


# --- 4. A second revoke ------------------------------------------------------------------------


def test_revoking_a_facility_grant_twice_says_it_is_gone_and_records_once(
    english, hanoi_admin, facility, django_user_model
):
    manager = django_user_model.objects.create_user("bqt_phapvan", password=PASSWORD)
    english.force_login(hanoi_admin)
    english.post(
        reverse("delegation"),
        {"action": "grant", "grant-username": "bqt_phapvan", "grant-facility": facility.pk},
    )
    grant = FacilityUserObjectPermission.objects.get(user=manager)
    first = english.post(
        reverse("delegation"), {"action": "revoke", "grant": grant.pk}, follow=True
    )
    assert "Access revoked." in page_text(first)
    events, entries = AccountEvent.objects.count(), LogEntry.objects.count()

    second = english.post(
        reverse("delegation"), {"action": "revoke", "grant": grant.pk}, follow=True
    )
    assert second.status_code == 200
    assert "This access no longer exists: it was already revoked." in page_text(second)
    assert "Access revoked." not in page_text(second)
    assert AccountEvent.objects.filter(event="revoke").count() == 1
    assert (AccountEvent.objects.count(), LogEntry.objects.count()) == (events, entries)


def test_revoking_a_province_role_twice_says_it_is_gone(english, superuser, django_user_model):
    engineer = django_user_model.objects.create_user("vnpt_eng", password=PASSWORD)
    english.force_login(superuser)
    english.post(
        reverse("delegation"),
        {"action": "grant_province", "province-username": "vnpt_eng",
         "province-province": Province.objects.get(code="79").pk,
         "province-role": "connect_province"},
    )
    grant = ProvinceUserObjectPermission.objects.get(user=engineer)
    english.post(
        reverse("delegation"), {"action": "revoke_province", "grant": grant.pk}, follow=True
    )
    events, entries = AccountEvent.objects.count(), LogEntry.objects.count()

    second = english.post(
        reverse("delegation"), {"action": "revoke_province", "grant": grant.pk}, follow=True
    )
    assert second.status_code == 200
    assert "This access no longer exists: it was already revoked." in page_text(second)
    assert AccountEvent.objects.filter(event="revoke").count() == 1
    assert (AccountEvent.objects.count(), LogEntry.objects.count()) == (events, entries)


# --- 5. Account names --------------------------------------------------------------------------

CYRILLIC_ADMIN = "\u0430dmin"  # Cyrillic a, then "dmin": reads as "admin"
CHARACTERS_MESSAGE = (
    "A user name may contain only unaccented Latin letters (a-z, A-Z), digits and the "
    "characters . _ - (no spaces, accents or letters of other alphabets)."
)


def account_data(facility, **fields):
    data = {
        "action": "create",
        "create-username": "bqt.phap-van_01",
        "create-password1": "Rat-kho-doan-99",
        "create-password2": "Rat-kho-doan-99",
        "create-facility": facility.pk,
    }
    data.update({f"create-{key}": value for key, value in fields.items()})
    return data


@pytest.mark.parametrize(
    "name, message",
    [
        (CYRILLIC_ADMIN, CHARACTERS_MESSAGE),
        ("nguyễn.an", CHARACTERS_MESSAGE),
        ("bqt phapvan", CHARACTERS_MESSAGE),
        ("bqt@phapvan", CHARACTERS_MESSAGE),
        ("Root", "An account with this user name already exists."),
    ],
)
def test_the_delegation_page_refuses_unsafe_or_case_duplicate_account_names(
    english, hanoi_admin, facility, superuser, django_user_model, name, message
):
    english.force_login(hanoi_admin)
    accounts = django_user_model.objects.count()
    response = english.post(reverse("delegation"), account_data(facility, username=name))
    assert response.status_code == 200
    assert response.context["forms"]["create"].errors["username"] == [message]
    assert django_user_model.objects.count() == accounts


def test_the_delegation_page_accepts_a_safe_name(english, hanoi_admin, facility,
                                                 django_user_model):
    english.force_login(hanoi_admin)
    response = english.post(reverse("delegation"), account_data(facility))
    assert response.status_code == 302
    assert django_user_model.objects.filter(username="bqt.phap-van_01").exists()


def user_add_data(username):
    return {"username": username, "password1": "Rat-kho-doan-99", "password2": "Rat-kho-doan-99",
            "usable_password": "true"}


@pytest.mark.parametrize(
    "name, message",
    [
        (CYRILLIC_ADMIN, CHARACTERS_MESSAGE),
        ("ROOT", "An account with this user name already exists."),
        ("cán.bộ", CHARACTERS_MESSAGE),
    ],
)
def test_the_user_admin_refuses_unsafe_or_case_duplicate_names(
    english, superuser, django_user_model, name, message
):
    english.force_login(superuser)
    accounts = django_user_model.objects.count()
    response = english.post(reverse("admin:auth_user_add"), user_add_data(name))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == [message]
    assert django_user_model.objects.count() == accounts


def test_the_user_admin_adds_a_safe_name_and_leaves_existing_names_alone(
    english, superuser, django_user_model
):
    english.force_login(superuser)
    added = english.post(reverse("admin:auth_user_add"), user_add_data("cuc.vt-01"))
    assert added.status_code == 302
    legacy = django_user_model.objects.create_user("cán_bộ", password=PASSWORD)
    change = reverse("admin:auth_user_change", args=[legacy.pk])
    kept = english.post(change, {"username": "cán_bộ", "first_name": "Bộ", "is_active": "on",
                                 "date_joined_0": "2021-07-01", "date_joined_1": "08:00:00"})
    assert kept.status_code == 302
    legacy.refresh_from_db()
    assert legacy.first_name == "Bộ"
    renamed = english.post(change, {"username": CYRILLIC_ADMIN, "is_active": "on",
                                    "date_joined_0": "2021-07-01", "date_joined_1": "08:00:00"})
    assert renamed.context["adminform"].form.errors["username"] == [CHARACTERS_MESSAGE]


def test_ensure_admin_refuses_an_unsafe_name(monkeypatch, django_user_model):
    monkeypatch.setenv("ADMIN_USERNAME", CYRILLIC_ADMIN)
    with translation.override("en"), pytest.raises(CommandError, match="only unaccented Latin"):
        call_command("ensure_admin", stdout=io.StringIO())
    assert not django_user_model.objects.filter(is_superuser=True).exists()


@pytest.mark.parametrize("name", ["admin", "system", "so_tttt_hanoi", "bqt.phap-van_01", "A-1"])
def test_the_names_the_portal_uses_are_safe(name):
    assert username_problem(name) is None


@pytest.mark.parametrize("name", [CYRILLIC_ADMIN, "", "x" * 151, "a b", "ad\u200bmin", "đ"])
def test_username_problem_names_the_rule(name):
    with translation.override("en"):
        assert username_problem(name)
