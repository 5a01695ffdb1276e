"""The cast and clients of the API tests: the accounts of the pages' permission matrix
(tests/test_access.py), each calling the API with a token of its own."""

import datetime

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from api import tokens
from api.choices import TokenAccess
from tests import factories

CANARY = "Canary-Pw-9d41e"

# Everyone of the pages' matrix, and an operator engineer whose grant ended yesterday.
CAST = [
    "superuser",
    "province_admin",
    "operator",
    "other_operator",
    "national_official",
    "viewer",
    "facility_manager",
    "expired_operator",
    "no_grant",
]


def token_key(user, access=TokenAccess.READ_WRITE, networks=(), days=30):
    """A new token of `user` (created by itself) and its key."""
    _token, key = tokens.issue(
        user, name="test", access=access, days=days, allowed_networks=networks, created_by=user
    )
    return key


def api_client(user, **token):
    """A client that calls the API with a token of `user` (anonymous when None)."""
    if user is None:
        return Client()
    return Client(headers={"Authorization": f"Bearer {token_key(user, **token)}"})


class World:
    """Hà Nội (01) with two facilities, Hồ Chí Minh (79) with one; cameras in each, one of each
    Hà Nội facility connectable (eligible, with a recent passing check), the other registered."""

    def __init__(self):
        User = get_user_model()
        self.f1 = factories.facility("01", name="Khu cách ly Pháp Vân", status="active")
        self.f3 = factories.facility("01", name="Khu cách ly Mê Linh", status="active")
        self.f2 = factories.facility("79", name="Khu cách ly Thủ Đức", status="active")
        self.c1 = factories.passed_check(factories.camera(
            self.f1, name="HN cổng", username="vt-user", password=CANARY
        ))
        self.c3 = factories.camera(self.f3, name="HN sân", password=CANARY)
        self.c2 = factories.passed_check(factories.camera(
            self.f2, name="HCM cổng", username="vnpt-user", password=CANARY
        ))
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        expired = factories.province_user("het_han", "01", "connect_province")
        from facilities.grants import ProvinceUserObjectPermission

        ProvinceUserObjectPermission.objects.filter(user=expired).update(expires_on=yesterday)
        self.users = {
            "superuser": User.objects.create_superuser("boss", "", "x"),
            "province_admin": factories.province_user("so_hanoi", "01", "manage_province"),
            "operator": factories.province_user("viettel_hn", "01", "connect_province"),
            "other_operator": factories.province_user("vnpt_hcm", "79", "connect_province"),
            "national_official": factories.national_official("cuc", is_staff=True),
            "viewer": factories.province_user("ban_chi_dao", "01", "view_province"),
            "facility_manager": factories.facility_manager("quan_ly", self.f1),
            "expired_operator": expired,
            "no_grant": User.objects.create_user("no_grant", password="x", is_staff=True),
        }

    def client(self, who, **token):
        return api_client(self.users[who], **token)
