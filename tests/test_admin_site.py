"""The portal's admin site: its titles; third-party admin pages are national administrators'."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

pytestmark = pytest.mark.django_db

THIRD_PARTY_PAGES = ["admin:django_q_schedule_changelist", "admin:auth_user_changelist"]


@pytest.mark.parametrize("page", THIRD_PARTY_PAGES)
def test_a_model_permission_does_not_open_a_third_party_admin_page(client, django_user_model, page):
    staff = django_user_model.objects.create_user("tinh01", password="x", is_staff=True)
    viewing = Permission.objects.filter(codename__in=["view_schedule", "view_user"])
    staff.user_permissions.add(*viewing)
    client.force_login(staff)
    assert client.get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", THIRD_PARTY_PAGES)
def test_national_administrators_open_the_third_party_admin_pages(admin_client_vi, page):
    assert admin_client_vi.get(reverse(page)).status_code == 200


def test_the_admin_pages_carry_the_portals_name(admin_client_vi):
    page = admin_client_vi.get(reverse("admin:index")).content.decode()
    assert "Cổng kết nối camera các cơ sở cách ly tập trung" in page
