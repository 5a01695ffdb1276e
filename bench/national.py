"""National scale (issue 13): every page and export of the portal at 100,000 cameras, per role.

`generate` fills a scratch database with the national data set (bench/dataset.py): 100,000
cameras in 10,000 facilities, uneven (Hồ Chí Minh 30,000 cameras, Hà Nội 15,000, five provinces
about 4,950, the 56 others about 540), their check states, 90 days of daily snapshots, daily
uptime rows (CameraDay) for --uptime-days days, 150,000 outages, 500,000 audit entries and
500,000 account events, a province admin and an operator engineer per province, 20 national
officials and 2,000 facility managers; and the five accounts measured: a superuser, the province
admin of the biggest province, its operator engineer, a national official and a facility manager
of 3 facilities there. --scale multiplies every count but the days.

`measure` requests every page as each of the five, in-process through django.test.Client with
DEBUG off (what a WSGI worker spends, without the network): one warm-up request, then the median
of --runs runs of wall time, this process's CPU time (time.process_time: SQLite's work is in
it; on PostgreSQL the server's backend CPU is read from /proc and shown beside it), the number of
queries (CaptureQueriesContext) and the response size; exports are read to the end through the
response's streaming_content, with the time of the first piece. The load average is shown beside
each page. It writes one table per database into bench/RESULTS.md, between markers named after
the database and --label (so a later run with another label sits beside the baseline; --compare
LABEL adds that run's figures as columns).

    .venv/bin/python bench/national.py --db sqlite --sqlite /work/scale-data/national.sqlite3 run
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_national \\
        .venv/bin/python bench/national.py --db postgresql run
    # the same with `measure` instead of `run`: measure again without generating

`run` is `generate` then `measure --write`. `generate` replaces the database: the SQLite file is
deleted, the PostgreSQL database dropped and created again (only one whose name contains
"national", "bench" or "scratch", unless --force).
"""

import argparse
import datetime
import json
import logging
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402  (bench/dataset.py, beside this file)

RESULTS = ROOT / "bench" / "RESULTS.md"
META_TABLE = "bench_national_meta"
# Targets of issue 13.
PAGE_MS, PAGE_QUERIES, FIRST_BYTE_MS = 300, 30, 1000

# The five accounts measured, and their roles' names in the table.
ROLES = {
    "superuser": "bench_superuser",
    "province admin": "bench_province_admin",
    "operator": "bench_operator",
    "official": "bench_official",
    "facility manager": "bench_facility_manager",
}
FULL = {
    "outages": 150_000,
    "log_entries": 500_000,
    "account_events": 500_000,
    "facility_managers": 2_000,
    "problem_reports": 20_000,
}
SNAPSHOT_DAYS = 90
HISTORY_DAYS = 90


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgresql"],
        help="the database: sqlite (a file, --sqlite) or postgresql (DATABASE_URL); "
        "default: postgresql when DATABASE_URL is set",
    )
    parser.add_argument(
        "--sqlite",
        default=os.environ.get("NATIONAL_SQLITE", str(ROOT / "var" / "bench" / "national.sqlite3")),
        help="the SQLite file (default: $NATIONAL_SQLITE or var/bench/national.sqlite3)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "run"):
        p = sub.add_parser(name)
        p.add_argument("--scale", type=float, default=1.0, help="times every count (not days)")
        p.add_argument(
            "--uptime-days",
            type=int,
            default=HISTORY_DAYS,
            help="days of CameraDay rows per camera (default 90, the issue's 9 million rows: "
            "about 2 to 3 minutes of the generation here)",
        )
        p.add_argument("--seed", type=int, default=2021)
        p.add_argument("--force", action="store_true", help="drop a database of any name")
    for name in ("measure", "run"):
        p = sub.choices[name] if name in sub.choices else sub.add_parser(name)
        p.add_argument("--runs", type=int, default=5)
        p.add_argument(
            "--warmup", type=int, default=1, help="requests before the timed ones (at least 1)"
        )
        p.add_argument("--label", default="latest", help="names the section in RESULTS.md")
        p.add_argument("--compare", help="label of an earlier section to show beside")
        p.add_argument("--roles", help="comma-separated subset of: " + ", ".join(ROLES))
        p.add_argument("--pages", help="only the pages whose name contains this text")
        if name == "measure":
            p.add_argument("--write", action="store_true", help="write into bench/RESULTS.md")
    args = parser.parse_args()
    if args.db is None:
        args.db = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    if args.db == "postgresql" and not os.environ.get("DATABASE_URL"):
        parser.error("--db postgresql needs DATABASE_URL")
    if args.command == "run":
        args.write = True
    return args


# --- Django and the database ------------------------------------------------------------------


def setup_django(args, work_dir):
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["DATA_DIR"] = work_dir  # access log, exports: thrown away
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("Q_SYNC", "0")
    if args.db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = args.sqlite
    import django

    django.setup()


def recreate_database(args):
    """A new empty database: the SQLite file deleted, or the PostgreSQL database dropped."""
    if args.db == "sqlite":
        path = Path(args.sqlite)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg2

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    if not args.force and not re.search(r"national|bench|scratch", name):
        sys.exit(f"refusing to drop database {name!r}: not a scratch name (use --force)")
    server = psycopg2.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()


def write_meta(values):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key varchar(100) PRIMARY KEY, value text)"
        )
        cursor.execute(f"DELETE FROM {META_TABLE}")
        for key, value in values.items():
            cursor.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s)", [key, json.dumps(value)]
            )


def read_meta():
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT key, value FROM {META_TABLE}")
            return {key: json.loads(value) for key, value in cursor.fetchall()}
    except DatabaseError:
        return {}


# --- generate ---------------------------------------------------------------------------------


def bench_accounts():
    """The five accounts measured (tests/factories.py makes the grants as facilities/roles.py
    leaves them); the facility manager's 3 facilities are granted once they exist."""
    from dataset import BIGGEST
    from django.contrib.auth import get_user_model

    from tests import factories

    get_user_model().objects.create_superuser(ROLES["superuser"], "su@example.vn", "x")
    factories.province_user(ROLES["province admin"], BIGGEST, "manage_province")
    factories.province_user(ROLES["operator"], BIGGEST, "connect_province")
    factories.national_official(ROLES["official"], is_staff=True)


def grant_facility_manager():
    from dataset import BIGGEST
    from django.contrib.auth import get_user_model

    from facilities.models import Facility
    from tests import factories

    user = get_user_model().objects.create_user(ROLES["facility manager"], password="x")
    for facility in Facility.objects.filter(province__code=BIGGEST).order_by("pk")[:3]:
        factories.grant_facility(user, facility)


def generate(args):
    from django.core.management import call_command
    from django.db import connection

    from facilities.models import Province

    recreate_database(args)
    watch = dataset.Stopwatch()
    started = time.perf_counter()
    print(f"generating the national data set x{args.scale} into {describe_target(args)}")
    watch.step("migrate", call_command, "migrate", verbosity=0)
    watch.step("measured accounts", bench_accounts)
    provinces = list(Province.objects.order_by("code"))
    plan = dataset.national_plan(provinces, args.scale)
    watch.step("facilities, cameras, check states", dataset.fill_registry, plan, seed=args.seed)
    watch.step("facility manager's grants", grant_facility_manager)
    scaled = {k: round(v * args.scale) for k, v in FULL.items()}
    accounts = watch.step(
        "accounts and grants",
        dataset.fill_accounts,
        plan,
        facility_managers=scaled["facility_managers"],
        seed=args.seed,
    )
    watch.step("readiness plans", dataset.fill_readiness, provinces, seed=args.seed)
    watch.step(
        "problem reports",
        dataset.fill_problem_reports,
        scaled["problem_reports"],
        manager=ROLES["facility manager"],
        seed=args.seed,
    )
    watch.step("daily snapshots", dataset.fill_snapshots, SNAPSHOT_DAYS)
    watch.step("uptime days", dataset.fill_camera_days, args.uptime_days, seed=args.seed)
    watch.step("outages", dataset.fill_outages, scaled["outages"], days=HISTORY_DAYS)
    watch.step(
        "audit entries",
        dataset.fill_log_entries,
        scaled["log_entries"],
        accounts,
        days=HISTORY_DAYS,
        seed=args.seed,
    )
    watch.step(
        "account events",
        dataset.fill_account_events,
        scaled["account_events"],
        accounts,
        days=HISTORY_DAYS,
        seed=args.seed,
    )
    if connection.vendor == "postgresql":
        # What autovacuum does after large inserts, done now so every run plans alike. SQLite
        # gets no ANALYZE: the portal never runs one.
        def analyze():
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

        watch.step("VACUUM ANALYZE", analyze)
    total = time.perf_counter() - started
    write_meta(
        {
            "scale": args.scale,
            "uptime_days": args.uptime_days,
            "seed": args.seed,
            "generated_at": datetime.datetime.now().isoformat(timespec="seconds"),
            "steps": {k: round(v, 1) for k, v in watch.steps.items()},
            "total_seconds": round(total, 1),
        }
    )
    print(f"generated in {total:.0f} s")


def describe_target(args):
    if args.db == "sqlite":
        return args.sqlite
    url = urlparse(os.environ["DATABASE_URL"])
    return f"PostgreSQL database {url.path.lstrip('/')} on {url.hostname}"


# --- measure ----------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    path: object  # str, or a function of the Context giving one
    export: bool = False


@dataclass
class Context:
    facility_id: int
    camera_id: int
    check_ids: list
    since: str
    today: datetime.date
    problem_id: int | None = None


def pages():
    from dataset import BIGGEST

    def progress_range(ctx):
        start = ctx.today - datetime.timedelta(days=SNAPSHOT_DAYS - 1)
        return "/reports/export/progress.csv?" + urlencode(
            {"start": start.isoformat(), "end": ctx.today.isoformat()}
        )

    return [
        Page("admin: index", "/admin/"),
        Page("admin: cameras", "/admin/cameras/camera/"),
        Page("admin: cameras, page 50", "/admin/cameras/camera/?p=50"),
        Page("admin: cameras, search", "/admin/cameras/camera/?q=khu+cach+ly+so+75"),
        Page("admin: camera", lambda c: f"/admin/cameras/camera/{c.camera_id}/change/"),
        Page("admin: facilities", "/admin/facilities/facility/"),
        Page("admin: facility", lambda c: f"/admin/facilities/facility/{c.facility_id}/change/"),
        Page("admin: provinces", "/admin/facilities/province/"),
        Page("admin: audit log", "/admin/auditlog/logentry/"),
        Page("admin: account events", "/admin/portal/accountevent/"),
        Page("/facilities/", "/facilities/"),
        Page("facility page", lambda c: f"/facilities/{c.facility_id}/"),
        Page("dashboard", "/reports/"),
        Page("province dashboard", f"/reports/province/{BIGGEST}/"),
        # The placement review grid (cameras/views.py) and the filter a reviewer starts with.
        Page("placement review", "/cameras/placement/"),
        Page("placement review, not reviewed", "/cameras/placement/?state=none"),
        Page(
            "check status (100 cameras)",
            lambda c: "/cameras/check-status/?"
            + urlencode({"ids": ",".join(map(str, c.check_ids)), "since": c.since}),
        ),
        Page("export: progress CSV, today", "/reports/export/progress.csv", export=True),
        Page(f"export: progress CSV, {SNAPSHOT_DAYS} days", progress_range, export=True),
        Page("export: facilities CSV", "/reports/export/facilities.csv", export=True),
        Page("export: cameras CSV", "/reports/export/cameras.csv", export=True),
        # The operators' readiness (readiness/): the national view, its export, the admin list.
        Page("readiness", "/readiness/"),
        # The guidance (guidance/): its documents, and who has acknowledged the current version.
        Page("guidance", "/guidance/"),
        Page("guidance: who acknowledged", "/guidance/report/"),
        Page("export: readiness CSV", "/readiness/export/readiness.csv", export=True),
        Page("admin: readiness plans", "/admin/readiness/readinessplan/"),
        # The operator API (api/), with the account's session: its first page of each list
        # (bench/bench_api.py pages every camera with the cursor and times a bulk result).
        Page("api: cameras", "/api/v1/cameras/"),
        Page("api: cameras, eligible of the province",
             f"/api/v1/cameras/?province={BIGGEST}&connection_status=eligible"),
        Page("api: camera", lambda c: f"/api/v1/cameras/{c.camera_id}/"),
        Page("api: facilities", "/api/v1/facilities/"),
        Page("api: provinces", "/api/v1/provinces/"),
        Page("api: snapshots", f"/api/v1/snapshots/?province={BIGGEST}"),
        Page("api: status", "/api/v1/status/"),
        # Problem reports (problems/): the list, a filtered list, a report, the export.
        Page("problems", "/problems/"),
        Page("problems, open", "/problems/?status=open"),
        Page(
            "problem report",
            lambda c: f"/problems/{c.problem_id}/" if c.problem_id else "/problems/",
        ),
        Page("export: problems CSV", "/problems/export.csv", export=True),
    ]


def context():
    from dataset import BIGGEST
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from cameras.models import Camera
    from facilities.models import Facility
    from problems.models import ProblemReport

    manager = get_user_model().objects.get(username=ROLES["facility manager"])
    facility = Facility.objects.restrict(manager).order_by("pk").first()
    camera = Camera.objects.filter(facility=facility).order_by("pk").first()
    ids = list(
        Camera.objects.filter(facility__province__code=BIGGEST)
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )
    return Context(
        facility_id=facility.pk,
        camera_id=camera.pk,
        check_ids=ids,
        since=timezone.now().isoformat(),
        today=timezone.localdate(),
        problem_id=ProblemReport.objects.filter(facility=facility)
        .values_list("pk", flat=True)
        .first(),
    )


class BackendCpu:
    """CPU seconds of the PostgreSQL backend serving this connection (its /proc entry; the
    server runs on this machine). Parallel workers a query starts are not counted."""

    def __init__(self):
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.pid = None

    def attach(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]

    def read(self):
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self.ticks


@dataclass
class Row:
    page: str
    role: str
    status: int = 0
    queries: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    sql: float = 0.0
    db_cpu: float | None = None
    first_byte: float | None = None
    first_rows: float | None = None
    size: int = 0
    load: float = 0.0
    runs: list = field(default_factory=list)

    @property
    def misses(self):
        found = []
        if self.page.startswith("export:"):
            if self.first_rows is not None and self.first_rows * 1000 > FIRST_BYTE_MS:
                found.append("first rows")
        elif self.wall * 1000 > PAGE_MS:
            found.append("time")
        if self.queries > PAGE_QUERIES:
            found.append("queries")
        return found


@dataclass
class Sample:
    """One request, read to its end."""

    status: int
    queries: int
    wall: float
    cpu: float
    sql: float  # seconds inside cursor.execute, as Django's query log times them
    db_cpu: float | None
    first_byte: float | None
    first_rows: float | None
    size: int


def one_request(client, url, backend):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if backend is not None:
        backend.attach()
        db_before = backend.read()
    first_byte = first_rows = None
    with CaptureQueriesContext(connection) as captured:
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        if response.streaming:
            # A CSV export's first piece is its header, written before any row is read: the
            # wait a person notices is for the second, the first rows.
            size = 0
            for n, piece in enumerate(response.streaming_content):
                if n == 0:
                    first_byte = time.perf_counter() - wall
                elif n == 1:
                    first_rows = time.perf_counter() - wall
                size += len(piece)
            if first_rows is None:
                first_rows = first_byte
        else:
            size = len(response.content)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    db_cpu = None
    if backend is not None and db_before is not None:
        after = backend.read()
        db_cpu = after - db_before if after is not None else None
    return Sample(
        status=response.status_code,
        queries=len(captured),
        wall=wall,
        cpu=cpu,
        sql=sum(float(q["time"]) for q in captured.captured_queries),
        db_cpu=db_cpu,
        first_byte=first_byte,
        first_rows=first_rows,
        size=size,
    )


def measure_page(client, page, ctx, role, args, backend):
    """The row of one page for one role; a page the role is refused is asked once, not timed."""
    url = page.path(ctx) if callable(page.path) else page.path
    row = Row(page=page.name, role=role, load=os.getloadavg()[0])
    first = one_request(client, url, backend)
    if first.status in (302, 403, 404):
        row.status = first.status
        return row
    for _ in range(args.warmup - 1):
        one_request(client, url, backend)
    samples = [one_request(client, url, backend) for _ in range(args.runs)]

    def median(name):
        values = [getattr(sample, name) for sample in samples]
        return None if None in values else statistics.median(values)

    row.status = samples[-1].status
    row.queries = max(sample.queries for sample in samples)
    row.wall, row.cpu, row.sql, row.db_cpu = (
        median("wall"), median("cpu"), median("sql"), median("db_cpu")
    )
    if page.export:
        row.first_byte, row.first_rows = median("first_byte"), median("first_rows")
    row.size = samples[-1].size
    row.runs = [round(sample.wall * 1000) for sample in samples]
    return row


def selected(args):
    roles = list(ROLES)
    if args.roles:
        roles = [r.strip() for r in args.roles.split(",")]
        unknown = set(roles) - set(ROLES)
        if unknown:
            sys.exit(f"unknown roles {sorted(unknown)}; known: {', '.join(ROLES)}")
    chosen = [p for p in pages() if not args.pages or args.pages in p.name]
    return roles, chosen


def measure(args):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from cameras.models import Camera
    from tests.second_factor import verify_session

    if not Camera.objects.exists():
        sys.exit(f"no cameras in {describe_target(args)}: run `generate` first")
    # The code measured may be newer than the data set: its migrations (indexes, derived
    # columns) first, as a deployment would run them.
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    roles, chosen = selected(args)
    # Refusals are expected (a facility manager in the admin): not worth a log line each.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    # WhiteNoise's complaint that static files were not collected: pages do not serve them.
    warnings.filterwarnings("ignore", message="No directory at")
    ctx = context()
    machine = describe_machine()
    sizes = data_sizes()
    load_start = os.getloadavg()
    started = time.perf_counter()
    backend = BackendCpu() if connection.vendor == "postgresql" else None
    rows = []
    print(f"measuring {len(chosen)} pages x {len(roles)} roles, {args.runs} runs each")
    for role in roles:
        client = Client()
        signed_in = get_user_model().objects.get(username=ROLES[role])
        client.force_login(signed_in)
        # Signed in as a person is, second factor included (tests/second_factor.py).
        verify_session(client, signed_in)
        for page in chosen:
            row = measure_page(client, page, ctx, role, args, backend)
            rows.append(row)
            print(format_progress(row), flush=True)
    load_end = os.getloadavg()
    order = {p.name: i for i, p in enumerate(chosen)}
    rows.sort(key=lambda r: (order[r.page], roles.index(r.role)))
    report = {
        "vendor": connection.vendor,
        "label": args.label,
        "machine": machine,
        "sizes": sizes,
        "meta": read_meta(),
        "runs": args.runs,
        "load": (load_start, load_end),
        "minutes": (time.perf_counter() - started) / 60,
        "date": datetime.date.today().isoformat(),
        "commit": git_commit(),
    }
    section = render_section(report, rows, args)
    print()
    print(section)
    if args.write:
        write_section(connection.vendor, args.label, section)
        print(f"\nwritten to {RESULTS}")
    print("\nMeasure again without generating:")
    print(f"  {rerun_command(args)}")


def format_progress(row):
    extra = (
        f", first byte {row.first_byte * 1000:.0f} ms, rows {row.first_rows * 1000:.0f} ms"
        if row.first_byte is not None
        else ""
    )
    db = f", sql {row.sql * 1000:.0f} ms"
    if row.db_cpu is not None:
        db += f", db cpu {row.db_cpu * 1000:.0f} ms"
    return (
        f"{row.role:>16} | {row.page:<32} {row.status} {row.queries:3d} q "
        f"{row.wall * 1000:7.0f} ms (cpu {row.cpu * 1000:.0f}{db}{extra}) "
        f"{human_size(row.size)} load {row.load:.1f} {' '.join(row.misses)}"
    )


def rerun_command(args):
    base = ".venv/bin/python bench/national.py"
    if args.db == "sqlite":
        return f"{base} --db sqlite --sqlite {args.sqlite} measure --write --label LABEL"
    url = os.environ["DATABASE_URL"]
    return f"DATABASE_URL={url} {base} --db postgresql measure --write --label LABEL"


def git_commit():
    import subprocess

    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def describe_machine():
    import django
    from django.db import connection

    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
            settings = []
            for name in ("jit", "shared_buffers", "work_mem", "max_parallel_workers_per_gather"):
                cursor.execute(f"SHOW {name}")
                settings.append(f"{name}={cursor.fetchone()[0]}")
            version += " (" + ", ".join(settings) + ")"
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
        else:
            import sqlite3

            version = f"SQLite {sqlite3.sqlite_version} (WAL, no ANALYZE)"
            size = os.path.getsize(connection.settings_dict["NAME"])
    return {
        "cpu": f"{os.cpu_count()} CPUs ({model})",
        "memory": memory,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": version,
        "database_size": size,
    }


def data_sizes():
    from auditlog.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.db.models import Max, Min

    from cameras.models import Camera, CameraDay, CameraOutage, CameraState
    from facilities.models import Facility
    from portal.models import AccountEvent
    from reports.models import DailySnapshot

    days = CameraDay.objects.aggregate(first=Min("day"), last=Max("day"))
    span = (days["last"] - days["first"]).days + 1 if days["first"] else 0
    return {
        "cameras": Camera.objects.count(),
        "facilities": Facility.objects.count(),
        "check states": CameraState.objects.count(),
        "daily snapshots": DailySnapshot.objects.count(),
        "snapshot days": DailySnapshot.objects.values("day").distinct().count(),
        "uptime rows (CameraDay)": CameraDay.objects.count(),
        "uptime days": span,
        "outages": CameraOutage.objects.count(),
        "audit entries": LogEntry.objects.count(),
        "account events": AccountEvent.objects.count(),
        "accounts": get_user_model().objects.count(),
    }


# --- RESULTS.md -------------------------------------------------------------------------------

HEADER = """# National scale: every page at 100,000 cameras (bench/national.py)

Issue 13's measurement: the national data set (100,000 cameras in 10,000 facilities, one province
with 30,000 cameras, one with 15,000, five with about 4,950, 56 with about 540; 90 days of daily
snapshots; daily uptime rows; 150,000 outages; 500,000 audit entries; 500,000 account events),
every page and export for five roles, on SQLite and on PostgreSQL.

One command per database (generate the data, then measure and write the table here):

    .venv/bin/python bench/national.py --db sqlite --sqlite /work/scale-data/national.sqlite3 run
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_national \\
        .venv/bin/python bench/national.py --db postgresql run

Measure again on the data already generated (after a change of code), as a new section beside the
others, with the earlier figures as columns:

    .venv/bin/python bench/national.py --db sqlite --sqlite /work/scale-data/national.sqlite3 \\
        measure --write --label after --compare baseline
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_national \\
        .venv/bin/python bench/national.py --db postgresql \\
        measure --write --label after --compare baseline

(`--scale 0.25` generates a quarter of everything; `--uptime-days 14` fewer uptime rows than the
default 90 days, the issue's 9 million; `--roles`, `--pages` measure a subset; `--runs` the number
of timed requests.) Besides the five accounts measured (a superuser, the province admin of Hồ Chí
Minh, its operator engineer, a national official, a facility manager of 3 facilities there), the
data set holds a province admin and an operator engineer for every province, 20 national
officials and 2,000 facility managers of one facility each, whose sign-ins, exports, views and
grants make the account events, and whose edits make the audit entries.

How it measures: each request goes through django.test.Client in the benchmark's process, DEBUG
off, logged in as the role (so middleware, session save, templates and every query are counted:
what a WSGI worker spends, less the network). One warm-up request, then the median of the runs.
"CPU" is this process's CPU time: on SQLite the database's work is in it; on PostgreSQL the
server's work is apart ("DB CPU": the backend process serving the connection, read from /proc in
clock ticks of 10 ms; parallel workers, and their JIT compilation, not counted). "SQL" is the time
inside the database calls as Django's query log times them (cursor.execute; on PostgreSQL that
includes parallel workers and waiting for the server; rows fetched after the call are not in it:
a streamed export's later chunks, and on SQLite the rows of a query whose work happens as rows
are stepped through, such as correlated subqueries without a sort). So on SQLite wall = CPU (SQL
included) + waiting for a CPU; on PostgreSQL wall = CPU + SQL + waiting, roughly. Exports are read
to their end; "first byte" is the time until the first piece of the streamed body (a CSV's
header, written before any row is read), "first rows" until the second (the first rows: what a
person waits for, and what the target applies to). "load" is the 1-minute load average when the
page's measurement began: the machine is shared with other benchmarks and test runs (load 5 to 25
on 2 CPUs during the baseline), so wall times are inflated by waiting for a CPU; compare CPU (and
on PostgreSQL DB CPU) between runs made under different loads.

Targets (issue 13): every page under **300 ms** server time and at most **30 queries**, and no page
more queries than in the baseline; exports: first rows under **1 s**, memory flat (measured by
bench/bench_exports.py). The "misses" column names the targets a row misses.
"""


def human_size(n):
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} B"


def _ms(seconds):
    return "" if seconds is None else f"{seconds * 1000:,.0f}"


def render_section(report, rows, args):
    vendor, label = report["vendor"], report["label"]
    machine, sizes, meta = report["machine"], report["sizes"], report["meta"]
    pg = vendor == "postgresql"
    compared = read_rows(vendor, args.compare) if args.compare else {}
    head = ["page", "role", "status", "queries", "wall ms", "CPU ms", "SQL ms"]
    if pg:
        head.append("DB CPU ms")
    head += ["first byte ms", "first rows ms", "size", "load"]
    if compared:
        head += [f"queries ({args.compare})", f"wall ms ({args.compare})",
                 f"CPU ms ({args.compare})"]
    head.append("misses")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    measured = [r for r in rows if r.runs]
    refused = {}
    for row in rows:
        if not row.runs:
            refused.setdefault(row.role, []).append(f"{row.page} ({row.status})")
    for row in measured:
        cells = [row.page, row.role, str(row.status), str(row.queries), _ms(row.wall),
                 _ms(row.cpu), _ms(row.sql)]
        if pg:
            cells.append(_ms(row.db_cpu))
        cells += [_ms(row.first_byte), _ms(row.first_rows), human_size(row.size),
                  f"{row.load:.1f}"]
        misses = list(row.misses)
        if compared:
            before = compared.get((row.page, row.role), {})
            cells += [before.get(name, "") for name in ("queries", "wall ms", "CPU ms")]
            if before.get("queries", "").isdigit() and row.queries > int(before["queries"]):
                misses.append(f"queries > {args.compare}")
        cells.append(", ".join(f"**{m}**" for m in misses))
        lines.append("| " + " | ".join(cells) + " |")
    slow = [r for r in measured if "time" in r.misses or "first rows" in r.misses]
    heavy = [r for r in measured if "queries" in r.misses]
    refusals = "; ".join(f"{role}: {', '.join(names)}" for role, names in refused.items())
    steps = meta.get("steps", {})
    generated = (
        f"generated in {meta['total_seconds']:.0f} s on {meta.get('generated_at', '?')}"
        f" (scale {meta.get('scale')}, seed {meta.get('seed')}; "
        + ", ".join(f"{k} {v:.0f} s" for k, v in steps.items())
        + ")"
        if meta
        else "generation figures not recorded"
    )
    size_text = ", ".join(f"{k} {v:,}" for k, v in sizes.items())
    load_start, load_end = (" / ".join(f"{x:.1f}" for x in load) for load in report["load"])
    return f"""<!-- national:{vendor}:{label}:begin -->
## {vendor}, {label}: {report['date']}, commit {report['commit']}

- Machine: {machine['cpu']}, {machine['memory']} of memory; Python {machine['python']},
  Django {machine['django']}.
- Database: {machine['database']}; {human_size(machine['database_size'])}.
- Data: {size_text}. Uptime rows for **{sizes['uptime days']} days** per camera (the issue
  measured 90).
- Generation: {generated}.
- Measurement: medians of {report['runs']} runs after a warm-up, {report['minutes']:.0f} minutes;
  load average {load_start} at the start, {load_end} at the end.
- Pages measured: {len(measured)}; over the time target (300 ms, or first rows 1 s for exports):
  **{len(slow)}**; over 30 queries: **{len(heavy)}**.
- Refused to the role, as they should be (asked once, not timed): {refusals or "none"}.

{chr(10).join(lines)}
<!-- national:{vendor}:{label}:end -->"""


def _markers(vendor, label):
    return f"<!-- national:{vendor}:{label}:begin -->", f"<!-- national:{vendor}:{label}:end -->"


def write_section(vendor, label, section):
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    begin, end = _markers(vendor, label)
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def read_rows(vendor, label):
    """{(page, role): {column: text}} of an earlier section of RESULTS.md."""
    if not RESULTS.exists():
        return {}
    text = RESULTS.read_text(encoding="utf-8")
    begin, end = _markers(vendor, label)
    if begin not in text:
        sys.exit(f"no section {label!r} for {vendor} in {RESULTS}")
    body = text.split(begin, 1)[1].split(end, 1)[0]
    table = [line for line in body.splitlines() if line.startswith("| ")]
    head = [cell.strip() for cell in table[0].strip("|").split("|")]
    rows = {}
    for line in table[1:]:
        cells = dict(zip(head, (c.strip() for c in line.strip("|").split("|")), strict=True))
        rows[(cells["page"], cells["role"])] = cells
    return rows


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-national-") as work_dir:
        if args.command in ("generate", "run"):
            # Before Django connects: the database is dropped and created again.
            setup_django(args, work_dir)
            generate(args)
        else:
            setup_django(args, work_dir)
        if args.command in ("measure", "run"):
            measure(args)
        else:
            print("\nMeasure without generating again:")
            print(f"  {rerun_command(args)}")


if __name__ == "__main__":
    main()
