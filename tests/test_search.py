"""Search ignores accents and case: "ha noi" finds "Hà Nội" in the lists of the admin."""

import importlib
import unicodedata

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.urls import reverse

from cameras.models import Camera
from facilities.models import Facility, Province
from portal.search import fold
from tests import factories


def test_fold_writes_text_as_it_is_typed_without_accents():
    assert fold("Đà Nẵng") == "da nang"
    assert fold("THỪA THIÊN HUẾ") == "thua thien hue"
    assert fold("Ưu tiên Ở Ấp Ỷ Ạ") == "uu tien o ap y a"
    assert fold(unicodedata.normalize("NFD", "Hà Nội")) == "ha noi"
    assert fold(None) is None


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ha noi", "HA NOI", "Hà Nội", "hà nội", "ha nội"])
def test_a_name_is_found_however_its_accents_are_typed(typed):
    factories.facility("01", name="Khu cách ly Hà Nội")
    factories.facility("01", name="Khu cách ly Hà Nam")
    found = Facility.objects.filter(search_text__folded_contains=typed)
    assert list(found.values_list("name", flat=True)) == ["Khu cách ly Hà Nội"]


@pytest.mark.django_db
def test_like_wildcards_typed_in_a_search_are_plain_characters():
    factories.facility("01", name="Khu cách ly Đông Anh")
    assert not Facility.objects.filter(search_text__folded_contains="_").exists()
    assert not Facility.objects.filter(search_text__folded_contains="%").exists()


@pytest.mark.django_db
def test_the_search_text_follows_every_save_and_bulk_create_and_is_not_audited():
    facility = factories.facility("01", name="Khu cách ly Sóc Sơn", district="Sóc Sơn")
    assert facility.search_text == "khu cach ly soc son\nsoc son"
    facility.name = "Ký túc xá Phùng Khoang"
    facility.save()
    assert Facility.objects.get(pk=facility.pk).search_text == "ky tuc xa phung khoang\nsoc son"
    # The CSV import of cameras creates them with bulk_create.
    Camera.objects.bulk_create(
        [Camera(facility=facility, name="Cổng sau", zone="gate", stream_url="rtsp://10.0.0.9/a")]
    )
    assert Camera.objects.get(name="Cổng sau").search_text == (
        "cong sau\nrtsp://10.0.0.9/a\nky tuc xa phung khoang\nsoc son"
    )
    changes = LogEntry.objects.get_for_object(facility).values_list("changes", flat=True)
    assert changes and not any("search_text" in str(change) for change in changes)


@pytest.mark.django_db
def test_the_migrations_fill_the_search_text_of_existing_rows():
    facility = factories.facility("01", name="Khu cách ly Hà Nội")
    Facility.objects.update(search_text="")
    Province.objects.update(search_text="")
    importlib.import_module("facilities.migrations.0003_search_text").fill_search_text(apps, None)
    assert Facility.objects.get(pk=facility.pk).search_text == "khu cach ly ha noi"
    assert Province.objects.get(code="48").search_text == "da nang\nda nang"


@pytest.mark.django_db
def test_the_migration_adds_the_address_to_the_search_text_of_existing_cameras():
    from types import SimpleNamespace

    from django.db import connection

    facility = factories.facility("01", name="Khu cách ly Hội An")
    camera = factories.camera(facility, name="Cổng chính", stream_url="rtsp://10.1.2.3:554/live")
    Camera.objects.update(search_text="")
    migration = importlib.import_module("cameras.migrations.0008_search_address")
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    migration.fill_search_text(apps, editor)
    assert Camera.objects.get(pk=camera.pk).search_text == (
        "cong chinh\nrtsp://10.1.2.3:554/live\nkhu cach ly hoi an"
    )


@pytest.mark.django_db
def test_a_facility_saved_with_a_new_name_carries_it_to_its_cameras_search_text(admin_client_vi):
    facility = factories.facility("01", name="Khu cách ly Hội An")
    camera = factories.camera(facility, name="Cổng chính")
    other = factories.camera(factories.facility("01", name="Khu cách ly Sóc Sơn"))
    facility.name = "Ký túc xá Phùng Khoang"
    facility.save()
    assert "ky tuc xa phung khoang" in Camera.objects.get(pk=camera.pk).search_text
    assert "hoi an" not in Camera.objects.get(pk=camera.pk).search_text
    assert "soc son" in Camera.objects.get(pk=other.pk).search_text
    url = reverse("admin:cameras_camera_changelist")
    found = admin_client_vi.get(url, {"q": "phung khoang cong"}).context["cl"].result_list
    assert [c.pk for c in found] == [camera.pk]


@pytest.mark.django_db
def test_the_admin_lists_find_provinces_facilities_and_cameras_without_accents(admin_client_vi):
    hoi_an = factories.facility("49", name="Khu cách ly Hội An")
    factories.camera(hoi_an, name="Cổng chính")
    factories.facility("01", name="Khu cách ly Sóc Sơn")

    def found(changelist, typed):
        response = admin_client_vi.get(reverse(f"admin:{changelist}_changelist"), {"q": typed})
        return [str(row) for row in response.context["cl"].result_list]

    assert found("facilities_province", "quang nam") == ["49 Quảng Nam"]
    assert found("facilities_facility", "hoi an") == ["Khu cách ly Hội An"]
    # A camera by its facility's name, by its own, by both, and by its address.
    assert found("cameras_camera", "hoi an") == ["Cổng chính"]
    assert found("cameras_camera", "cong chinh") == ["Cổng chính"]
    assert found("cameras_camera", "cong hoi an") == ["Cổng chính"]
    assert found("cameras_camera", "rtsp://10.0.0.") == ["Cổng chính"]
    assert found("cameras_camera", "cong soc son") == []


@pytest.mark.django_db
def test_a_camera_search_matching_many_counts_only_the_pages_in_reach(admin_client_vi, monkeypatch):
    from django.contrib import admin

    from portal.admin_scope import CappedPaginator

    camera_admin = admin.site._registry[Camera]
    monkeypatch.setattr(camera_admin, "list_per_page", 2)
    monkeypatch.setattr(CappedPaginator, "MIN_CAP", 3)
    monkeypatch.setattr(CappedPaginator, "PAGES_AHEAD", 0)
    facility = factories.facility("01", name="Khu cách ly Sóc Sơn")
    for n in range(5):
        factories.camera(facility, name=f"Cổng {n}")
    url = reverse("admin:cameras_camera_changelist")

    searched = admin_client_vi.get(url, {"q": "cong"})
    cl = searched.context["cl"]
    assert cl.paginator.more and cl.result_count == 3
    assert [str(row) for row in cl.result_list] == ["Cổng 0", "Cổng 1"]
    assert "hơn 3 kết quả" in searched.content.decode()
    # Moving on brings the next pages within reach; the last page shows the rest.
    assert [
        str(r) for r in admin_client_vi.get(url, {"q": "cong", "p": 3}).context["cl"].result_list
    ] == ["Cổng 4"]
    # The list itself, not searched, keeps its exact count.
    plain = admin_client_vi.get(url).context["cl"]
    assert plain.result_count == 5 and not getattr(plain.paginator, "more", False)
