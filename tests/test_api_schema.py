"""The OpenAPI schema is generated without a warning, and its documentation page works under the
portal's Content-Security-Policy from our own static files."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests import factories
from tests.api_helpers import api_client

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn raises on any warning of drf-spectacular (an unknown type, a clash...).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    text = (tmp_path / "s.yml").read_text()
    for path in ("/api/v1/cameras/", "/api/v1/cameras/{id}/connection/", "/api/v1/connections/",
                 "/api/v1/facilities/{id}/connection/", "/api/v1/status/", "/api/v1/snapshots/"):
        assert f"{path}:" in text
    assert "bearer" in text


def test_the_schema_is_for_accounts_only():
    assert api_client(None).get(reverse("api:schema")).status_code == 401
    user = factories.facility_manager("quan_ly", factories.facility("01"))
    assert api_client(user).get(reverse("api:schema")).status_code == 200


def test_the_docs_page_runs_no_inline_script_and_loads_what_it_names(client):
    user = factories.province_user("viettel_hn", "01", "connect_province")
    client.force_login(user)
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # No inline script with content, no inline style: the CSP would refuse them.
    assert not [body for body in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
                if body.strip()]
    assert "<style" not in html and " style=" not in html
    sources = re.findall(r'<script src="([^"]+)"', html) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', html
    )
    assert len(sources) == 5
    for source in sources:
        # Our own: the static files (drf-spectacular-sidecar's Swagger UI) and the page's script.
        assert source.startswith("/"), source
        answer = client.get(source.replace("&amp;", "&"))
        assert answer.status_code == 200, source
    script = client.get(reverse("api:docs") + "?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert reverse("api:schema") in script.content.decode()


def test_a_signed_out_person_opening_the_docs_is_sent_to_sign_in_and_back(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('api:docs')}"
    # The API itself keeps answering machines in JSON.
    assert client.get(reverse("api:camera-list")).status_code == 401
