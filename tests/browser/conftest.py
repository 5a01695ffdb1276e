"""Browser tests: the portal's journeys walked in headless Chromium, as its users walk them.

* Chromium and its driver are Debian's (`chromium`, `chromium-driver`; scripts/test-system-deps.sh
  installs them), driven by selenium through /usr/bin/chromedriver: selenium never downloads a
  browser or a driver (no Selenium Manager). Missing, the tests FAIL, never skip: a skipped
  browser suite would pass green while testing nothing.
* The portal runs in pytest-django's `live_server` (a thread of this process, on the test
  database: a file on SQLite, a real database on PostgreSQL, so a `manage.py qcluster`
  subprocess can share it: `task_cluster`). Every browser test is transactional: what the
  browser writes is committed and the test reads it back.
* Checks are queued as in production, never run inline (django-q2's sync mode is off here):
  nothing runs them unless a journey starts a task cluster.
* Fixtures: `browser` (1366x768), `phone` (375x812, a phone's user agent and touch), `sign_in`
  (through the real login page, then the code page with the code of the account's app),
  `journey` (counts clicks, fields typed into and page loads;
  tests/browser/journey.py), `downloads` (the folder the browsers save files into).
* The language is Vietnamese as a person here has it: Accept-Language vi and the portal's
  language cookie set to vi.
* Artifacts go to var/browser-artifacts/ (BROWSER_ARTIFACTS overrides it): on a failure, a
  screenshot and the HTML of every browser of the test in failures/; after each passing
  journey, its counts in clicks.json (one entry per journey, merged with the earlier runs').
  .ci/run lists the failure files when the suite fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from facilities.roles import second_factor_required
from portal.twofactor import has_second_factor
from tests.browser.journey import Journey, wait
from tests.second_factor import code_for, give_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS") or ROOT / "var" / "browser-artifacts")
FAILURES = ARTIFACTS / "failures"
CLICKS_FILE = ARTIFACTS / "clicks.json"

DESKTOP = (1366, 768)
PHONE = (375, 812)
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 13; SM-A146P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


# --- Results and artifacts ------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    if report.failed and report.when in ("setup", "call"):
        _save_failure(item)
    return report


def _save_failure(item):
    """A screenshot and the page's HTML of each browser the test has open."""
    drivers = {
        name: value
        for name, value in getattr(item, "funcargs", {}).items()
        if isinstance(value, webdriver.Remote)
    }
    if not drivers:
        return
    FAILURES.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", item.nodeid.split("::", 1)[-1])
    for name, driver in drivers.items():
        base = FAILURES / f"{stem}-{name}"
        try:
            driver.save_screenshot(str(base.with_suffix(".png")))
            html = f"<!-- {driver.current_url} -->\n{driver.page_source}"
            base.with_suffix(".html").write_text(html, encoding="utf-8")
        except Exception as err:  # noqa: BLE001 - the test's own failure is the one to report
            base.with_suffix(".txt").write_text(f"could not save the page: {err!r}\n")


@pytest.fixture(scope="session")
def _artifacts():
    """Failure files of earlier runs are removed: the folder shows this run's failures only."""
    shutil.rmtree(FAILURES, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _save_counts(entries):
    counts = {}
    if CLICKS_FILE.exists():
        try:
            counts = json.loads(CLICKS_FILE.read_text(encoding="utf-8"))
        except ValueError:
            counts = {}
    counts.update(entries)
    CLICKS_FILE.write_text(
        json.dumps(counts, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


# --- The portal under test ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def live_portal(live_server, transactional_db, monkeypatch):
    """The live portal with the registry's reference data, checks queued and not run inline."""
    from django_q.conf import Conf

    from facilities.models import Province
    from facilities.provinces import load_provinces

    # Transactional tests empty the tables after each other (the 63 provinces too).
    load_provinces(Province)
    # django-q2 read `sync` from the test settings at import: a check asked for in the browser
    # would run inside the web request. Production queues it for a task cluster.
    monkeypatch.setattr(Conf, "SYNC", False)
    return live_server


# --- Browsers -------------------------------------------------------------------------------


@pytest.fixture
def downloads(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


def _options(downloads, *, phone=False):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} or {CHROMEDRIVER} is missing: apt-get install chromium chromium-driver "
            "(scripts/test-system-deps.sh installs them when run as root)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    width, height = PHONE if phone else DESKTOP
    for argument in (
        "--headless=new",
        # Root in CI containers: Chromium's sandbox needs a user namespace they do not give.
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--lang=vi",
        # Nothing but the portal on loopback: no update checks, sync or safe-browsing lists.
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--password-store=basic",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {
            "intl.accept_languages": "vi-VN,vi",
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
        },
    )
    if phone:
        options.add_experimental_option(
            "mobileEmulation",
            {
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 3.0,
                                  "touch": True},
                "userAgent": PHONE_USER_AGENT,
            },
        )
    return options


def _start(downloads, *, phone=False):
    driver = webdriver.Chrome(
        service=Service(executable_path=CHROMEDRIVER), options=_options(downloads, phone=phone)
    )
    driver.set_page_load_timeout(60)
    # Headless Chromium saves downloads only when told where, through the DevTools protocol.
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    return driver


@pytest.fixture
def browser(live_portal, downloads, _artifacts):
    """Headless Chromium at 1366x768, in Vietnamese."""
    driver = _start(downloads)
    yield driver
    driver.quit()


@pytest.fixture
def phone(live_portal, downloads, _artifacts):
    """Headless Chromium as a 375x812 phone (touch, a phone's user agent), in Vietnamese."""
    driver = _start(downloads, phone=True)
    yield driver
    driver.quit()


# --- People -----------------------------------------------------------------------------------


@pytest.fixture
def sign_in(live_portal):
    """sign_in(driver, username, password, journey=None): through the login page, as a person
    does (typed into the form, the button clicked), then the code page for an account that
    must give its second factor: its authenticator app is set up beforehand (as enrolment
    leaves it, tests/second_factor.py) and the code it shows now is typed. Counted when a
    journey is given. Returns once the landing page has loaded."""

    def sign_in(driver, username, password, journey=None):
        login = reverse("login")
        if journey is None:
            journey = Journey("sign-in", driver, live_portal.url)
        app = _app_of(username)
        if login not in driver.current_url:
            journey.visit(login)
        # The language a person chose with the menu; Vietnamese is also the portal's default.
        driver.add_cookie(
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "vi", "path": "/"}
        )
        journey.type("#id_username", username, "user name")
        journey.type("#id_password", password, "password")
        journey.click("main form button[type=submit]", "Đăng nhập", load=True)
        wait(driver).until(
            lambda d: login not in d.current_url or d.find_elements(By.CSS_SELECTOR, ".errorlist")
        )
        assert login not in driver.current_url, f"{username} could not sign in"
        if app is not None:
            type_code(driver, journey, code_for(app))
        return journey

    return sign_in


def _app_of(username):
    """The authenticator app of an account that must use one (made if it has none yet)."""
    user = get_user_model()._default_manager.get(username=username)
    if second_factor_required(user) or has_second_factor(user):
        return give_app(user)
    return None


def type_code(driver, journey, code):
    """On the code page: type the app's code and continue to the page asked for."""
    page = reverse("otp_verify")
    assert page in driver.current_url, f"expected the code page, not {driver.current_url}"
    journey.type("#id_code", code, "sign-in code")
    journey.click("main form button[type=submit]", "Tiếp tục", load=True)
    assert page not in driver.current_url, "the code was refused"


@pytest.fixture
def journey(live_portal, request):
    """journey(name, driver): a counted journey; its counts are saved when the test passes."""
    started = []

    def start(name, driver):
        started.append(Journey(name, driver, live_portal.url))
        return started[-1]

    yield start
    report = getattr(request.node, "report_call", None)
    if report is not None and report.passed and started:
        _save_counts({j.name: j.record() for j in started})


# --- A task cluster ---------------------------------------------------------------------------


def cluster_env(data_dir, **extra):
    """The environment of a `manage.py` subprocess on this test run's database."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        Q_SYNC="0",
        DATA_DIR=str(data_dir),
        LOG_LEVEL="WARNING",
        CAMERA_ALLOWED_NETWORKS="127.0.0.0/8",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        **extra,
    )
    if connection.vendor == "sqlite":
        # The test database is a file (live_portal/settings_test.py), which the subprocess opens.
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = db["NAME"]
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    return env


class TaskCluster:
    """A real `manage.py qcluster` on the test database (its log kept for failures)."""

    def __init__(self, **env):
        self.folder = tempfile.TemporaryDirectory()
        self.log = open(Path(self.folder.name) / "qcluster.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT,
            env=cluster_env(self.folder.name, **env),
            stdin=subprocess.DEVNULL,
            # A pipe nobody reads fills up and stalls the cluster writing to it.
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            start_new_session=True,
        )

    def tail(self):
        self.log.seek(0)
        return self.log.read()[-3000:]

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        self.folder.cleanup()


@pytest.fixture
def task_cluster(live_portal):
    """task_cluster(**env): start `manage.py qcluster` (one per test), stopped after it."""
    clusters = []

    def start(**env):
        clusters.append(TaskCluster(**env))
        return clusters[-1]

    yield start
    for cluster in clusters:
        cluster.stop()

