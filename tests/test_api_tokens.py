"""API tokens: made on a page from a session that passed the second factor, shown once, stored
hashed; expiry, read-only, allowed networks, revocation, last use; all on record."""

import datetime
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from portal.models import AccountEvent
from tests import factories
from tests.api_helpers import token_key
from tests.second_factor import verify_session

pytestmark = pytest.mark.django_db

PAGE = reverse("api:tokens")
CAMERAS = reverse("api:camera-list")


@pytest.fixture
def operator():
    return factories.province_user("viettel_hn", "01", "connect_province")


def _bearer(key, **extra):
    return Client(headers={"Authorization": f"Bearer {key}"}, **extra)


def _create(client, **fields):
    data = {"name": "Hệ thống trung tâm", "access": "read_write", "days": 30,
            "allowed_networks": ""}
    data.update(fields)
    return client.post(PAGE, data)


def _key_of(response):
    html = response.content.decode()
    start = html.index('id="new-token-key">') + len('id="new-token-key">')
    return html[start:html.index("<", start)]


def test_an_account_makes_a_token_for_itself_shown_once_and_stored_hashed(operator, client):
    client.force_login(operator)
    response = _create(client)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = _key_of(response)
    assert key.startswith("cpt_") and len(key) == 47
    token = ApiToken.objects.get()
    assert token.owner == operator and token.created_by == operator
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:12]
    # Nowhere in the database in clear, not in the account event either.
    assert key not in str(list(ApiToken.objects.values()))
    event = AccountEvent.objects.get(event="token_created")
    assert event.actor == operator and event.account == operator
    assert key not in str(event.detail) and event.detail["starts_with"] == key[:12]
    # Shown once: the page does not show it again.
    assert key not in client.get(PAGE).content.decode()
    assert key[:12] in client.get(PAGE).content.decode()
    # The key works, as its account.
    answer = _bearer(key).get(CAMERAS)
    assert answer.status_code == 200


@pytest.mark.real_second_factor
def test_no_token_from_a_session_without_the_second_factor(operator, client):
    # An operator engineer must use two-factor sign-in: with the password alone every page,
    # the token page and the API included, waits for the code.
    client.force_login(operator)
    assert client.get(PAGE).status_code == 302
    assert _create(client).status_code == 302
    assert not ApiToken.objects.exists()
    refused = client.get(CAMERAS)
    assert refused.status_code == 403 and refused["Content-Type"].startswith("application/json")
    verify_session(client, operator)
    assert client.get(CAMERAS).status_code == 200
    assert _create(client).status_code == 200
    assert ApiToken.objects.count() == 1


@pytest.mark.real_second_factor
def test_an_account_without_two_factor_sign_in_sets_it_up_before_making_a_token(client, settings):
    # A facility manager who sees no camera pictures may sign in with the password alone
    # (two-factor optional for them), but a token would then be a way around the code: the page
    # asks to set it up first.
    settings.SNAPSHOT_FACILITY_MANAGERS = False
    manager = factories.facility_manager("quan_ly", factories.facility("01"))
    client.force_login(manager)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    assert _create(client).status_code == 403
    assert not ApiToken.objects.exists()
    verify_session(client, manager)  # set up and signed in with the code
    assert _create(client).status_code == 200
    assert ApiToken.objects.filter(owner=manager).count() == 1


@pytest.mark.real_second_factor
def test_a_token_is_the_machine_path_whatever_the_second_factor(operator):
    key = token_key(operator)
    # No session, no code: the token alone.
    assert _bearer(key).get(CAMERAS).status_code == 200


def test_national_administrators_make_tokens_for_service_accounts_only(operator, client):
    User = get_user_model()
    service = User.objects.create_user("he_thong_viettel")  # no password: a program's account
    factories.grant_province(service, "01", "connect_province")
    boss = User.objects.create_superuser("boss", "", "x")
    client.force_login(boss)
    assert _create(client, owner=service.pk).status_code == 200
    token = ApiToken.objects.get()
    assert token.owner == service and token.created_by == boss
    event = AccountEvent.objects.get(event="token_created")
    assert event.actor == boss and event.account == service
    # A person's account is not a service account.
    refused = _create(client, owner=operator.pk)
    assert "owner" in refused.context["form"].errors
    # An operator engineer cannot choose whose token it makes.
    client.force_login(operator)
    _create(client, owner=service.pk)
    assert ApiToken.objects.filter(owner=operator).count() == 1
    assert ApiToken.objects.filter(owner=service).count() == 1


def test_the_form_refuses_bad_networks_and_too_long_lives(operator, client, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    client.force_login(operator)
    response = _create(client, allowed_networks="10.0.0.0/8, không-phải-mạng", days=31)
    assert set(response.context["form"].errors) == {"allowed_networks", "days"}
    assert not ApiToken.objects.exists()


def test_revoked_expired_inactive_and_unknown_tokens_get_401(operator, client):
    key = token_key(operator)
    token = ApiToken.objects.get()
    client.force_login(operator)
    response = client.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    event = AccountEvent.objects.get(event="token_revoked")
    assert event.actor == operator and event.account == operator
    refused = _bearer(key).get(CAMERAS, {"lang": "en"})
    assert refused.status_code == 401 and refused.json() == {"detail": "This token was revoked."}

    key = token_key(operator)
    ApiToken.objects.filter(revoked_at__isnull=True).update(
        created_at=timezone.now() - datetime.timedelta(days=2),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    refused = _bearer(key).get(CAMERAS, {"lang": "en"})
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]

    key = token_key(operator)
    operator.is_active = False
    operator.save()
    assert _bearer(key).get(CAMERAS).status_code == 401

    assert _bearer("cpt_" + "x" * 43).get(CAMERAS).status_code == 401
    assert _bearer("").get(CAMERAS).status_code == 401


def test_another_accounts_token_cannot_be_revoked(operator, client):
    token_key(operator)
    token = ApiToken.objects.get()
    other = factories.province_user("khac", "79", "connect_province")
    client.force_login(other)
    assert client.post(reverse("api:token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_allowed_networks_and_the_last_use(operator):
    key = token_key(operator, networks=["203.0.113.0/24"])
    refused = _bearer(key).get(CAMERAS, {"lang": "en"})
    assert refused.status_code == 401
    assert refused.json() == {"detail": "This token is not allowed from the address 127.0.0.1."}
    inside = _bearer(key, REMOTE_ADDR="203.0.113.7")
    assert inside.get(CAMERAS).status_code == 200
    token = ApiToken.objects.get()
    assert token.last_used_from == "203.0.113.7" and token.last_used_at is not None
    # Within a minute a read writes nothing more.
    with CaptureQueriesContext(connection) as queries:
        assert inside.get(CAMERAS).status_code == 200
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]


def test_the_session_works_in_the_browsable_api_with_csrf_enforced(operator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.get(CAMERAS, headers={"Accept": "text/html"}).status_code == 200
    refused = client.post(reverse("api:connections"), [], content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
