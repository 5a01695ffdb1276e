"""Settings for the test suite: the production settings with test-only changes."""

import os
import tempfile
from pathlib import Path

from portal.settings import *  # noqa: F403
from portal.settings import DATA_DIR, DATABASES, Q_CLUSTER

# django-q2 reads its settings once at import: tasks must run inline in tests.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}

# Fast hashing: the suite creates many accounts; real hashing is tested by Django itself.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not :memory:, so WAL mode and threads (probe batches) behave as in production.
    # One file per test run, so runs side by side do not clobber each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Camera snapshots of a test run in a directory of its own (tests that look at them set their own).
SNAPSHOT_DIR = Path(tempfile.mkdtemp(prefix="portal-test-snapshots-"))
GUIDANCE_DIR = Path(tempfile.mkdtemp(prefix="portal-test-guidance-"))
PROBLEM_FILES_DIR = Path(tempfile.mkdtemp(prefix="portal-test-problems-"))

# Probe tests run fake cameras on loopback, which production never reaches (cameras/targets.py);
# tests of the default policy override this.
CAMERA_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]

# The dashboards' own tests count their standard columns: the readiness column is registered by
# tests/test_readiness.py where it is tested.
READINESS_DASHBOARD_COUNTER = False
