"""`manage.py rotate_credentials_key`: after a rotation the old key can go.

Secrets stored with an old key are re-encrypted with the new first key, so the portal reads them
with the new key alone; a second run changes nothing; no plain value is printed, logged or put on
record, and the rotation leaves no audit entry (no secret changed).
"""

import io
import logging

import pytest
from auditlog.models import LogEntry
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from cameras.models import Camera
from tests import factories

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
SECRETS = [("canary-user-7731", "canary-pass-7731"), ("canary-user-8842", "canary-pass-8842")]


def stored(camera, column):
    """The column as the database holds it (ciphertext), bypassing the field's decryption."""
    table = connection.ops.quote_name(Camera._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s",
                       [camera.pk])
        return cursor.fetchone()[0]


def rotate(**options):
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_credentials_key", stdout=out, stderr=err, **options)
    return out.getvalue() + err.getvalue()


@pytest.fixture
def old_cameras(settings):
    """Two cameras with credentials and one without, all stored with the old key only."""
    settings.CAMERA_CREDENTIALS_KEYS = [OLD_KEY]
    facility = factories.facility()
    cameras = [
        factories.camera(facility, username=user, password=password) for user, password in SECRETS
    ]
    cameras.append(factories.camera(facility))
    return cameras


def test_secrets_from_the_old_key_read_with_the_new_key_alone(settings, old_cameras, caplog):
    before = {(c.pk, col): stored(c, col) for c in old_cameras for col in ("username", "password")}
    entries = LogEntry.objects.count()
    settings.CAMERA_CREDENTIALS_KEYS = [NEW_KEY, OLD_KEY]

    with caplog.at_level(logging.INFO):
        output = rotate(batch_size=1)

    assert "cameras.Camera.username: 2 of 3 rows re-encrypted" in output
    assert "cameras.Camera.password: 2 of 3 rows re-encrypted" in output
    assert "4 values re-encrypted" in output
    settings.CAMERA_CREDENTIALS_KEYS = [NEW_KEY]
    for camera, (user, password) in zip(old_cameras, SECRETS, strict=False):
        fresh = Camera.objects.get(pk=camera.pk)
        assert (fresh.username, fresh.password) == (user, password)
        assert stored(camera, "password") != before[(camera.pk, "password")]
    assert Camera.objects.get(pk=old_cameras[2].pk).password == ""
    assert stored(old_cameras[2], "password") == ""
    # A system operation, not an edit: nothing on the change record.
    assert LogEntry.objects.count() == entries
    assert any("rotation ran" in r.getMessage() for r in caplog.records)
    everything = output + " ".join(r.getMessage() for r in caplog.records)
    for user, password in SECRETS:
        assert user not in everything and password not in everything


def test_a_second_run_changes_nothing(settings, old_cameras):
    settings.CAMERA_CREDENTIALS_KEYS = [NEW_KEY, OLD_KEY]
    rotate()
    after_first = [stored(c, "password") for c in old_cameras]

    output = rotate()

    assert "cameras.Camera.password: 0 of 3 rows re-encrypted" in output
    assert "nothing changed" in output
    assert [stored(c, "password") for c in old_cameras] == after_first


def test_a_secret_no_configured_key_opens_stops_the_run_without_showing_it(settings, old_cameras):
    settings.CAMERA_CREDENTIALS_KEYS = [NEW_KEY]  # the old key removed too early
    with pytest.raises(CommandError) as refused:
        rotate()
    message = str(refused.value)
    assert "cameras.Camera.username" in message and "back in the list" in message
    assert all(secret not in message for pair in SECRETS for secret in pair)
    settings.CAMERA_CREDENTIALS_KEYS = [OLD_KEY]
    assert Camera.objects.get(pk=old_cameras[0].pk).password == SECRETS[0][1]
