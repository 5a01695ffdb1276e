"""Fixtures shared by the test modules, and the `rtsp` marker.

* ``rtsp_farm`` (session): the GStreamer test-pattern server of ``tests/rtsp_farm.py``, run by
  the SYSTEM python (the venv has no ``gi``), with a random canary password for ``/secure``. It
  FAILS, never skips, when GStreamer is missing: CI installs it, and a skipped camera suite would
  pass green while testing nothing. Every test that uses it, directly or through another fixture,
  is marked ``rtsp`` (``pytest_collection_modifyitems`` below), so ``pytest -m "not rtsp and not
  redis"`` runs without it.
* ``fake_rtsp``: factory of misbehaving loopback servers (``tests/fake_rtsp.py``, pure Python,
  no GStreamer); all are stopped after the test. Its tests are marked ``rtsp`` too: FFmpeg talks
  to them and waits out their timeouts, which is what the fast loop leaves out.
* Second factor: a test client signed in with ``force_login`` or ``login`` counts as having
  passed the second factor too (the account gets an authenticator app and the session the key
  the code page writes: ``tests/second_factor.py``), so the suite's many staff clients see
  the pages, not the code page. Tests of two-factor sign-in itself are marked
  ``real_second_factor`` and sign in as a person does.
"""

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client

from tests.fake_rtsp import FakeRtspServer
from tests.rtsp_helpers import start_rtsp_farm
from tests.second_factor import verify_session


def pytest_collection_modifyitems(items):
    for item in items:
        if "rtsp_farm" in item.fixturenames or "fake_rtsp" in item.fixturenames:
            item.add_marker(pytest.mark.rtsp)


@pytest.fixture(autouse=True)
def _test_logins_pass_the_second_factor(request, monkeypatch):
    if request.node.get_closest_marker("real_second_factor"):
        return
    force_login, login = Client.force_login, Client.login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        verify_session(self, user)

    def login_verified(self, **credentials):
        signed_in = login(self, **credentials)
        if signed_in:
            user = get_user_model()._default_manager.get(pk=self.session[SESSION_KEY])
            verify_session(self, user)
        return signed_in

    monkeypatch.setattr(Client, "force_login", force_login_verified)
    monkeypatch.setattr(Client, "login", login_verified)


@pytest.fixture(scope="session")
def rtsp_farm():
    farm = start_rtsp_farm()
    yield farm
    farm.stop()


@pytest.fixture
def fake_rtsp():
    servers: list[FakeRtspServer] = []

    def make(behaviour: str) -> FakeRtspServer:
        server = FakeRtspServer(behaviour).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.vn", "S3cure-pass-word")


@pytest.fixture
def admin_client_vi(client, superuser):
    """The Django admin as a national administrator sees it (Vietnamese, the default)."""
    client.force_login(superuser)
    return client
