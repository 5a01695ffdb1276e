"""Soak test: the real web server and task cluster under checks of thousands of cameras and
20 people browsing and editing, on a throwaway database. Counts lock errors and 5xx answers.

What runs, as in production (Procfile):
- the web server: `gunicorn portal.wsgi --config gunicorn.conf.py` (WEB_WORKERS processes of 4
  threads), and one task cluster: `manage.py qcluster`, which sweeps every camera every
  --interval minutes (CAMERA_CHECK_INTERVAL) in batches of 32;
- --cameras cameras on loopback that fail fast (most refuse the connection; some answer RTSP
  404, 401 or 503 from stdlib fake servers, tests/fake_rtsp.py), so sweeps write outages and
  notices without spending CPU on video; with --live N (default 100, needs GStreamer) N of them
  play a real stream (tests/rtsp_farm.py --farm) through a relay that is cut and mended every
  --flap seconds, so outages open and close and notices go out all along;
- optionally a --backlog of offline periods whose notices were never sent (issue 13 met
  125,000 of them);
- --people simulated people (threads, one keep-alive HTTP connection each) who sign in and
  browse with a pause of about --think seconds: national officials (dashboards, lists, audit
  log), province admins (their cameras and facilities, of which --editors save a camera or a
  facility in the admin form every few pages), operator engineers, province viewers and
  facility managers (their facility pages).

The report: "database is locked" lines in the server's and the cluster's logs, 5xx and other
unexpected answers, p50/p95 of page views and of saves (as the people measured them), the
sweeps done, and on SQLite the longest wait of another process that asked for the write lock
every 50 ms all along.

    .venv/bin/python bench/soak.py --minutes 2                       # quick, SQLite
    .venv/bin/python bench/soak.py --save /tmp/after.json            # 10 minutes
    .venv/bin/python bench/soak.py --code /tmp/main --save /tmp/before.json   # other code
    .venv/bin/python bench/soak.py --stored /tmp/after.json --compare before=/tmp/before.json \\
        --write                                                      # bench/README.md
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/scratch_db \\
        .venv/bin/python bench/soak.py                               # a scratch database

The database is migrated and filled from scratch: point DATABASE_URL only at a scratch database.
"""

import argparse
import datetime
import hashlib
import hmac
import html.parser
import http.client
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
README = HERE / "bench" / "README.md"
PASSWORD = "Mat-khau-soak-2021"
LOCKED = "database is locked"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--cameras", type=int, default=2000)
    parser.add_argument("--live", type=int, default=100, help="cameras playing a real stream")
    parser.add_argument("--flap", type=int, default=150, help="seconds between cuts and mends")
    parser.add_argument("--backlog", type=int, default=0, help="outages never told at the start")
    parser.add_argument("--interval", type=int, default=1, help="CAMERA_CHECK_INTERVAL, minutes")
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--editors", type=int, default=3)
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between pages, s")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--code", help="checkout whose code to run (default: this one)")
    parser.add_argument("--keep", help="keep the data directory and logs here")
    parser.add_argument("--label", default="after")
    parser.add_argument(
        "--tag", help="names the README section (default: 'backlog' with a backlog, else none)"
    )
    parser.add_argument("--save", help="store this run's figures (JSON)")
    parser.add_argument("--stored", help="report figures stored by --save instead of running")
    parser.add_argument("--compare", action="append", default=[], metavar="LABEL=FILE")
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    return parser.parse_args()


# --- The portal's processes ------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(args, data_dir, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMERA_", "SESSION_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATA_DIR=str(data_dir),
        BIND=f"127.0.0.1:{port}",
        WEB_WORKERS=str(args.web_workers),
        Q_WORKERS="2",
        LOG_LEVEL="WARNING",
        CAMERA_CHECK_INTERVAL=str(args.interval),
        # The cameras are on loopback, which production never reaches.
        CAMERA_ALLOWED_NETWORKS="127.0.0.0/8",
        CAMERA_PROBE_OPEN_TIMEOUT="3",
        CAMERA_PROBE_READ_TIMEOUT="3",
        CAMERA_PROBE_DEADLINE="6",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        PYTHONUNBUFFERED="1",
    )
    if not env.get("DATABASE_URL"):
        env["SQLITE_PATH"] = str(Path(data_dir) / "soak.sqlite3")
    return env


def start(command, code, env, log):
    # A session of its own, so that stopping it stops its workers too (by its process group).
    return subprocess.Popen(
        command, cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )


def stop(process, grace=20):
    """SIGTERM to the process group, then SIGKILL after `grace` seconds (django-q2 may hang)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


# --- Data ------------------------------------------------------------------------------------


class Cameras:
    """The camera farm: addresses that fail fast, fake RTSP servers, and flapping live ones."""

    def __init__(self, args):
        from tests.fake_rtsp import FakeRtspServer

        self.servers = [FakeRtspServer(kind).start() for kind in ("404", "401", "503")]
        self.farm = self.relay = self.keeper = None
        if args.live:
            from tests.rtsp_helpers import Relay, start_rtsp_farm

            self.farm = start_rtsp_farm("--farm", str(args.live))
            self.relay = Relay(self.farm.port)
            # One client that stays keeps the shared encoder up between probes.
            self.keeper = subprocess.Popen(
                ["ffmpeg", "-nostdin", "-v", "quiet", "-rtsp_transport", "tcp", "-i",
                 f"rtsp://127.0.0.1:{self.farm.port}/cam/0", "-f", "null", "-"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        # Nothing listens on this port: refused at once.
        self.refused = free_port()

    def url(self, i, live):
        if i < live:
            return self.relay.url(f"/cam/{i}")
        if i % 10 == 0:
            server = self.servers[(i // 10) % len(self.servers)]
            return server.url(f"/cam{i}")
        return f"rtsp://127.0.0.1:{self.refused}/cam{i}"

    def flapper(self, every, stopping, events):
        if self.relay is None:
            return
        cut = False
        while not stopping.wait(every):
            if cut:
                self.relay.mend()
            else:
                self.relay.cut()
            cut = not cut
            events.append((time.time(), "cut" if cut else "mended"))

    def close(self):
        if self.keeper is not None:
            stop(self.keeper, 5)
        if self.relay is not None and self.relay.listener is not None:
            self.relay.cut()
        if self.farm is not None:
            self.farm.stop()
        for server in self.servers:
            server.stop()


def fill(args, cameras):
    """Provinces' facilities and cameras, the people's accounts and grants; an optional backlog."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from cameras.models import Camera, CameraOutage
    from facilities.models import Facility, Province
    from facilities.roles import second_factor_required
    from tests import factories
    from tests.second_factor import give_app

    provinces = list(Province.objects.order_by("code")[:10])
    per_facility = 20
    facilities = Facility.objects.bulk_create(
        [
            Facility(
                province=provinces[i % len(provinces)],
                name=f"Khu cách ly số {i}",
                status="active",
                planned_cameras=per_facility,
            )
            for i in range(max(1, args.cameras // per_facility))
        ]
    )
    live = min(args.live, args.cameras)
    made = Camera.objects.bulk_create(
        [
            Camera(
                facility=facilities[i % len(facilities)],
                name=f"Camera {i}",
                zone="gate",
                stream_url=cameras.url(i, live),
                vendor="Hikvision",
            )
            for i in range(args.cameras)
        ],
        batch_size=1000,
    )
    if args.backlog:
        now = timezone.now()
        CameraOutage.objects.bulk_create(
            [
                CameraOutage(
                    camera=made[n % len(made)],
                    kind="offline",
                    started_at=now - datetime.timedelta(days=2, minutes=n),
                    ended_at=now - datetime.timedelta(days=1, minutes=n),
                    error_kind="refused",
                )
                for n in range(args.backlog)
            ],
            batch_size=5000,
        )

    by_province = {}
    for facility in facilities:
        by_province.setdefault(facility.province.code, []).append(facility.pk)
    cameras_by_province = {}
    for camera in made:
        code = camera.facility.province.code
        cameras_by_province.setdefault(code, []).append(camera.pk)
    codes = [p.code for p in provinces]

    people = []
    roles = ["official", "admin", "operator", "viewer", "manager"]
    shares = {"official": 4, "admin": 6, "operator": 4, "viewer": 3, "manager": 3}
    order = [role for role in roles for _ in range(shares[role])]
    while len(order) < args.people:
        order.append(roles[len(order) % len(roles)])
    editors = 0
    for n, role in enumerate(order[: args.people]):
        code = codes[n % len(codes)]
        name = f"{role}{n:02d}"
        person = {"name": name, "role": role, "code": code, "editor": False}
        if role == "official":
            factories.national_official(name, password=PASSWORD, is_staff=True)
        elif role == "manager":
            facility = Facility.objects.get(pk=by_province[code][0])
            factories.facility_manager(name, facility, password=PASSWORD)
            person["facility"] = facility.pk
        else:
            grant = {"admin": "manage_province", "operator": "connect_province",
                     "viewer": "view_province"}[role]
            factories.province_user(
                name, code, grant, password=PASSWORD, email=f"{name}@example.vn"
            )
            if role == "admin" and editors < args.editors:
                person["editor"] = True
                editors += 1
        # Staff, officials and engineers sign in with a code after the password (issue 14):
        # each gets an authenticator app whose key the simulated person keeps.
        account = get_user_model().objects.get(username=name)
        if second_factor_required(account):
            person["seed"] = give_app(account).key
        person["cameras"] = cameras_by_province.get(code, [])
        person["facilities"] = by_province.get(code, [])
        person["codes"] = codes
        people.append(person)
    return people


def prepare(args, code, env):
    """Migrate and fill the database with the code under test (in this process)."""
    sys.path.insert(0, str(code))
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    cameras = Cameras(args)
    people = fill(args, cameras)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()
    return cameras, people


# --- People ----------------------------------------------------------------------------------


class Form(html.parser.HTMLParser):
    """The fields of a page's form, as a browser would submit them unchanged."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self.select = self.textarea = None
        self.options = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button", "file", "image"):
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select is not None:
            self.options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = [value for value, selected in self.options if selected]
            self.fields += [(self.select, value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # A browser drops the newline that follows <textarea>.
            self.fields.append((self.textarea[0], self.textarea[1].removeprefix("\n")))
            self.textarea = None


def form_fields(page, form_id):
    parser = Form(form_id)
    parser.feed(page)
    return parser.fields


def totp(seed_hex, step, digits=6):
    """RFC 6238's code of `seed_hex` at time step `step` (30 s steps, HMAC-SHA1): what an
    authenticator app shows."""
    digest = hmac.new(bytes.fromhex(seed_hex), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


class Person(threading.Thread):
    """One person: signs in, then opens a page of their role every few seconds."""

    def __init__(self, port, person, args, until, results):
        super().__init__(daemon=True, name=person["name"])
        self.port, self.person, self.args = port, person, args
        self.until, self.results = until, results
        self.cookies = {}
        self.conn = None
        self.random = random.Random(person["name"])
        self.edits = 0
        self.last_step = 0

    # HTTP ---------------------------------------------------------------------------------

    def request(self, method, path, body=None, kind="view"):
        headers = {"Host": "127.0.0.1", "User-Agent": "soak"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = None
                if attempt:
                    self.results.record(kind, path, None, time.perf_counter() - started, exc)
                    return None, b""
                continue
            seconds = time.perf_counter() - started
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for key, morsel in cookie.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            self.results.record(kind, path, response.status, seconds, None)
            return response, content
        return None, b""

    def sign_in(self):
        self.cookies = {}
        self.request("GET", "/accounts/login/", kind="sign-in")
        response, _ = self.request(
            "POST",
            "/accounts/login/",
            {"username": self.person["name"], "password": PASSWORD,
             "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")},
            kind="sign-in",
        )
        if response is None or response.status != 302:
            return False
        if "seed" not in self.person:
            return True  # no second factor asked of this account
        # The second step, as the person's phone would answer it: the code of the next time
        # step not yet used (a code works once; a person signing in again within 30 s types
        # the next one, which the portal accepts as one step of clock difference).
        step = max(int(time.time() // 30), self.last_step + 1)
        self.last_step = step
        self.request("GET", "/accounts/two-factor/code/", kind="sign-in")
        response, _ = self.request(
            "POST",
            "/accounts/two-factor/code/",
            {"code": totp(self.person["seed"], step),
             "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")},
            kind="sign-in",
        )
        return response is not None and response.status == 302

    # Pages --------------------------------------------------------------------------------

    def pages(self):
        p, r = self.person, self.random
        code = p["code"]
        camera = r.choice(p["cameras"]) if p["cameras"] else None
        facility = r.choice(p["facilities"]) if p["facilities"] else None
        term = r.choice(["Camera 1", "cổng", "Khu cách ly số 2", "hik"])
        if p["role"] == "official":
            return [
                "/reports/",
                f"/reports/province/{r.choice(p['codes'])}/",
                f"/admin/cameras/camera/?p={r.randint(1, 20)}",
                "/admin/cameras/camera/?" + urllib.parse.urlencode({"q": term}),
                "/admin/facilities/facility/",
                "/admin/auditlog/logentry/",
                "/admin/portal/accountevent/",
                f"/admin/cameras/camera/{camera}/change/",
            ]
        if p["role"] == "admin":
            return [
                f"/reports/province/{code}/",
                "/admin/cameras/camera/",
                "/admin/cameras/camera/?" + urllib.parse.urlencode({"q": term}),
                "/admin/facilities/facility/",
                f"/admin/cameras/camera/{camera}/change/",
                f"/admin/facilities/facility/{facility}/change/",
                "/admin/auditlog/logentry/",
            ]
        if p["role"] == "operator":
            return [
                "/admin/cameras/camera/",
                f"/admin/cameras/camera/{camera}/change/",
                f"/reports/province/{code}/",
                "/admin/cameras/camera/?" + urllib.parse.urlencode({"q": term}),
            ]
        if p["role"] == "viewer":
            return [f"/reports/province/{code}/", "/admin/cameras/camera/", "/reports/"]
        return ["/facilities/", f"/facilities/{p['facility']}/"]

    def edit(self):
        """Change a camera's model or a facility's address in the admin form and save."""
        self.edits += 1
        if self.edits % 2:
            pk, model, form_id = self.random.choice(self.person["cameras"]), "cameras/camera", (
                "camera_form"
            )
            field, value = "model", f"DS-{self.random.randint(1000, 9999)}"
        else:
            pk, model, form_id = self.random.choice(self.person["facilities"]), (
                "facilities/facility"
            ), "facility_form"
            field, value = "address", f"Số {self.random.randint(1, 999)} đường Giải Phóng"
        path = f"/admin/{model}/{pk}/change/"
        response, content = self.request("GET", path)
        if response is None or response.status != 200:
            return
        fields = [(k, v) for k, v in form_fields(content.decode(), form_id) if k != field]
        fields += [(field, value), ("_save", "Lưu")]
        response, content = self.request("POST", path, fields, kind="save")
        if response is not None and response.status == 200:
            # The form came back: a validation error, not a save.
            errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', content.decode(), re.S)
            self.results.note(f"save refused on {path}: {errors[:1]}")

    def run(self):
        time.sleep(self.random.uniform(0, 10))
        if not self.sign_in():
            self.results.note(f"{self.person['name']} could not sign in")
            return
        while time.monotonic() < self.until:
            if self.person["editor"] and self.random.random() < 0.3:
                self.edit()
            else:
                path = self.random.choice(self.pages())
                response, _ = self.request("GET", path)
                if response is not None and response.status == 302:
                    location = response.getheader("Location", "")
                    if "login" in location:
                        self.results.note(f"{self.person['name']} was signed out: {path}")
                        self.sign_in()
            pause = self.random.uniform(self.args.think * 0.5, self.args.think * 1.5)
            time.sleep(max(0.0, min(pause, self.until - time.monotonic())))


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.notes = []

    def record(self, kind, path, status, seconds, error):
        with self.lock:
            self.requests.append((kind, path, status, seconds, repr(error) if error else None))

    def note(self, text):
        with self.lock:
            self.notes.append(text)


# --- The other writer (SQLite) ---------------------------------------------------------------


def lock_prober(path, stopping, out):
    """Ask for SQLite's write lock every 50 ms, as a request that saves would; record waits."""
    import sqlite3

    con = sqlite3.connect(path, timeout=60, isolation_level=None)
    waits = []
    while not stopping.wait(0.05):
        started = time.perf_counter()
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
        except sqlite3.OperationalError:
            waits.append(60.0)
            continue
        waits.append(time.perf_counter() - started)
    out.extend(waits)


# --- Running ---------------------------------------------------------------------------------


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def count_in(path, needle):
    try:
        return sum(needle in line for line in Path(path).read_text(errors="replace").splitlines())
    except FileNotFoundError:
        return 0


def access_statuses(path):
    """Status codes of gunicorn's access log lines ("GET /x HTTP/1.1" 200 ...)."""
    statuses = []
    pattern = re.compile(r'" (\d{3}) ')
    for line in Path(path).read_text(errors="replace").splitlines():
        match = pattern.search(line)
        if match and "HTTP/1." in line:
            statuses.append(int(match.group(1)))
    return statuses


def database_figures(started_at):
    from django.db.models import Q

    from cameras.models import CameraOutage, CameraState, Sweep

    sweeps = Sweep.objects.filter(started_at__gte=started_at)
    done = sweeps.filter(finished_at__isnull=False)
    durations = [
        (s.finished_at - s.started_at).total_seconds()
        for s in done.only("started_at", "finished_at")
    ]
    totals = done.values_list("successes", "failures")
    outages = CameraOutage.objects.filter(
        Q(started_at__gte=started_at) | Q(ended_at__gte=started_at)
    )
    return {
        "sweeps_started": sweeps.count(),
        "sweeps_finished": done.count(),
        "sweep_median_s": round(statistics.median(durations), 1) if durations else None,
        "sweep_longest_s": round(max(durations), 1) if durations else None,
        "checks": sum(a + b for a, b in totals),
        "outages_opened_or_closed": outages.count(),
        "notices_pending_at_end": CameraOutage.objects.filter(
            kind="offline", start_notified_at__isnull=True
        ).count(),
        "cameras_offline_at_end": CameraState.objects.filter(health="offline").count(),
    }


def run(args):
    code = Path(args.code).resolve() if args.code else HERE
    tmp = tempfile.mkdtemp(prefix="soak-")
    data_dir = Path(args.keep or tmp)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = environment(args, data_dir, port)
    prep_started = time.monotonic()
    cameras, people = prepare(args, code, env)
    prepare_seconds = time.monotonic() - prep_started
    print(f"database filled in {prepare_seconds:.0f} s; data and logs in {data_dir}", flush=True)
    from django.db import connection
    from django.utils import timezone

    vendor = connection.vendor
    web_log = open(data_dir / "web.log", "wb")  # noqa: SIM115 - closed below
    tasks_log = open(data_dir / "tasks.log", "wb")  # noqa: SIM115
    python = str(HERE / ".venv" / "bin" / "python")
    web = start([str(HERE / ".venv" / "bin" / "gunicorn"), "portal.wsgi", "--config",
                 "gunicorn.conf.py"], code, env, web_log)
    tasks = start([python, "manage.py", "qcluster"], code, env, tasks_log)
    results, events = Results(), []
    stopping = threading.Event()
    waits = []
    threads = []
    load = [os.getloadavg()[0]]
    cpu_start = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"the web server did not start: see {data_dir / 'web.log'}")
        started_at = timezone.now()
        cpu_start = {"web": process_cpu(web.pid), "tasks": process_cpu(tasks.pid)}
        until = time.monotonic() + args.minutes * 60
        threads.append(threading.Thread(
            target=cameras.flapper, args=(args.flap, stopping, events), daemon=True))
        if vendor == "sqlite":
            threads.append(threading.Thread(
                target=lock_prober, args=(env["SQLITE_PATH"], stopping, waits), daemon=True))
        for thread in threads:
            thread.start()
        crowd = [Person(port, person, args, until, results) for person in people]
        for person in crowd:
            person.start()
        for person in crowd:
            person.join(args.minutes * 60 + 300)
        cpu_end = {"web": process_cpu(web.pid), "tasks": process_cpu(tasks.pid)}
        load.append(os.getloadavg()[0])
    finally:
        stopping.set()
        for thread in threads:
            thread.join(70)
        stop(web)
        stop(tasks)
        web_log.close()
        tasks_log.close()
        cameras.close()
    figures = database_figures(started_at)
    connection.close()
    requests = results.requests
    views = [s for kind, _p, status, s, _e in requests if kind == "view" and status == 200]
    saves = [s for kind, _p, status, s, _e in requests if kind == "save" and status == 302]
    statuses = {}
    for _kind, _path, status, _s, _e in requests:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    server_side = access_statuses(data_dir / "web.log")
    import django

    result = {
        "code": str(code),
        "database": vendor,
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "date": datetime.date.today().isoformat(),
        "load": [round(x, 1) for x in load],
        "args": {k: getattr(args, k) for k in (
            "minutes", "cameras", "live", "flap", "backlog", "interval", "people", "editors",
            "think", "web_workers")},
        "prepare_seconds": round(prepare_seconds),
        "locked_web": count_in(data_dir / "web.log", LOCKED),
        "locked_tasks": count_in(data_dir / "tasks.log", LOCKED),
        "server_5xx": sum(s >= 500 for s in server_side),
        "server_4xx": sum(400 <= s < 500 for s in server_side),
        "client_5xx": sum(1 for *_x, status, _s, _e in requests if status and status >= 500),
        "client_errors": sum(1 for *_x, status, _s, error in requests if status is None),
        "statuses": statuses,
        "requests": len(requests),
        "views": len(views),
        "view_p50_ms": ms(percentile(views, 50)),
        "view_p95_ms": ms(percentile(views, 95)),
        "view_max_ms": ms(max(views, default=None)),
        "saves": len(saves),
        "save_p50_ms": ms(percentile(saves, 50)),
        "save_p95_ms": ms(percentile(saves, 95)),
        "save_max_ms": ms(max(saves, default=None)),
        "lock_wait_max_ms": ms(max(waits, default=None)),
        "lock_wait_p99_ms": ms(percentile(waits, 99)),
        "lock_waits_over_1s": sum(w > 1 for w in waits) if waits else None,
        "cpu_web_s": round(cpu_end["web"] - cpu_start["web"], 1) if cpu_start else None,
        "cpu_tasks_s": round(cpu_end["tasks"] - cpu_start["tasks"], 1) if cpu_start else None,
        "flaps": len(events),
        "notes": results.notes[:30],
        **figures,
    }
    print(json.dumps(result, indent=1), flush=True)
    return result


def ms(seconds):
    return None if seconds is None else round(seconds * 1000)


def process_cpu(pid):
    """CPU seconds of a process and all its descendants, from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(entry.name), fields))
    stack = [pid]
    seen = set()
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    except OSError:
        return 0.0
    while stack:
        parent = stack.pop()
        for child, fields in children.get(parent, []):
            if child in seen:
                continue
            seen.add(child)
            total += (int(fields[11]) + int(fields[12])) / tick
            stack.append(child)
    return total


# --- Report ----------------------------------------------------------------------------------

ROWS = (
    ("\"database is locked\" in the server's log", "locked_web", ""),
    ("\"database is locked\" in the task cluster's log", "locked_tasks", ""),
    ("5xx answers (server's access log)", "server_5xx", ""),
    ("4xx answers (400: a session that could not be saved)", "server_4xx", ""),
    ("requests that got no answer", "client_errors", ""),
    ("page views (200)", "views", ""),
    ("page views p50", "view_p50_ms", " ms"),
    ("page views p95", "view_p95_ms", " ms"),
    ("page views, slowest", "view_max_ms", " ms"),
    ("saves (302)", "saves", ""),
    ("saves p50", "save_p50_ms", " ms"),
    ("saves p95", "save_p95_ms", " ms"),
    ("saves, slowest", "save_max_ms", " ms"),
    ("another writer's longest wait for the lock (every 50 ms)", "lock_wait_max_ms", " ms"),
    ("its waits over 1 s", "lock_waits_over_1s", ""),
    ("sweeps started / finished", None, ""),
    ("sweep duration, median / longest", None, ""),
    ("checks done", "checks", ""),
    ("outages opened or closed", "outages_opened_or_closed", ""),
    ("CPU of the web server / the task cluster", None, ""),
)


def cell(figures, key, unit):
    value = figures.get(key)
    if value is None:
        return ""
    return f"{value:,}{unit}" if isinstance(value, (int, float)) else str(value)


def report(runs):
    last = runs[-1][1]
    a = last["args"]
    lines = [
        f"## Soak, {last['database']} (bench/soak.py)",
        "",
        f"gunicorn ({a['web_workers']} workers x 4 threads) and one task cluster (`manage.py "
        f"qcluster`, 2 workers, ORM broker{' on SQLite' if last['database'] == 'sqlite' else ''})"
        f" for {a['minutes']:g} minutes; {a['cameras']:,} cameras swept every {a['interval']} "
        f"minute(s), {a['live']} of them playing through a relay cut and mended every "
        f"{a['flap']} s, the others failing fast (refused, RTSP 404/401/503); "
        f"{a['people']} people ({a['editors']} of them saving cameras and facilities in the "
        f"admin) opening a page every {a['think']:g} s on average"
        + (f"; a backlog of {a['backlog']:,} untold outages at the start" if a["backlog"] else "")
        + f". {last['machine']}, Python {last['python']}, Django {last['django']}, measured "
        f"{last['date']} on a shared machine (load average at start and end: "
        + "; ".join(f"{label} {f['load'][0]} to {f['load'][-1]}" for label, f in runs)
        + "). Times are as the simulated people measured them (client side).",
        "",
        "| | " + " | ".join(label for label, _ in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for title, key, unit in ROWS:
        if key is None:
            if title.startswith("sweeps started"):
                values = [f"{f['sweeps_started']} / {f['sweeps_finished']}" for _, f in runs]
            elif title.startswith("sweep duration"):
                values = [f"{f['sweep_median_s']} s / {f['sweep_longest_s']} s" for _, f in runs]
            else:
                values = [f"{f['cpu_web_s']} s / {f['cpu_tasks_s']} s" for _, f in runs]
        else:
            values = [cell(f, key, unit) for _, f in runs]
        lines.append(f"| {title} | " + " | ".join(values) + " |")
    lines.append("")
    return lines


def write_readme(lines, database, tag=""):
    name = f"soak_{database}{'_' + tag if tag else ''}"
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = README.read_text()
    block = "\n".join([begin, *lines, end])
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text)


def main():
    args = parse_args()
    figures = json.loads(Path(args.stored).read_text()) if args.stored else run(args)
    if args.save:
        Path(args.save).write_text(json.dumps(figures, indent=1))
    runs = [(item.split("=", 1)[0], json.loads(Path(item.split("=", 1)[1]).read_text()))
            for item in args.compare]
    runs.append((args.label, figures))
    lines = report(runs)
    print("\n".join(lines))
    if args.write:
        tag = args.tag or ("backlog" if figures["args"]["backlog"] else "")
        write_readme(lines, figures["database"], tag)


if __name__ == "__main__":
    main()
