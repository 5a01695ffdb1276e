"""The pages issue 13 measured slow, timed before and after their fixes (server side, in-process).

Fills a scratch database with bench/bench_reports.py's generator (100,000 cameras in 10,000
facilities), made uneven as in the issue: province 79 holds 30 % of the facilities, 01 holds 15 %,
the rest share the others; then --days of daily uptime rows per camera, --audit log entries and
--events account events (generated in SQL: minutes, not hours). Then it times each page with
django.test.Client as five roles (superuser, province admin and operator engineer of province 79,
a national official, a facility manager of three facilities): median wall and CPU time of --runs
requests after one warm-up, and the queries of the last one. The CSV export is timed to its
first data rows and to its end.

    # a scratch SQLite file, then the pages (reuses the data if the file is already filled)
    SQLITE_PATH=/tmp/bench-pages.sqlite3 .venv/bin/python bench/bench_pages.py --label after
    # a scratch PostgreSQL database (migrated and filled: never point it at real data)
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench_pages \\
        .venv/bin/python bench/bench_pages.py --label after --jit off

Results go to bench/out/pages-<vendor>-<label>.json; `--table` prints the before/after table
of both databases from those files (bench/README.md, section "Pages at national scale").
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

BIG = "79"  # the biggest province (30 % of the facilities)
SECOND = "01"  # 15 %


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=100_000)
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30, help="days of uptime rows per camera")
    parser.add_argument("--audit", type=int, default=500_000, help="audit log entries")
    parser.add_argument("--events", type=int, default=500_000, help="account events")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--label", default="run", help="before / after: names the result file")
    parser.add_argument("--jit", choices=["default", "on", "off"], default="default",
                        help="PostgreSQL only: SET jit on each connection (default: as settings)")
    parser.add_argument("--only", default="", help="comma-separated page names to time")
    parser.add_argument("--table", action="store_true", help="print the table from bench/out")
    return parser.parse_args()


def setup_django(jit):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("Q_SYNC", "0")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
        sys.exit("set SQLITE_PATH or DATABASE_URL to a scratch database")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.backends.signals import connection_created

    if jit != "default":
        def set_jit(sender, connection, **kwargs):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET jit = {jit}")

        connection_created.connect(set_jit, weak=False)
    call_command("migrate", verbosity=0)


# --- Data ---------------------------------------------------------------------------------------


def fill(args):
    from bench.bench_reports import fill as fill_registry
    from cameras.models import Camera

    if Camera.objects.exists():
        print(f"reusing the data: {Camera.objects.count():,} cameras")
        return
    t0 = time.perf_counter()
    fill_registry(args.facilities, args.cameras)
    make_uneven()
    print(f"registry: {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    fill_days(args.days)
    print(f"uptime days: {time.perf_counter() - t0:.0f} s")
    accounts()
    t0 = time.perf_counter()
    fill_audit(args.audit)
    fill_events(args.events)
    print(f"audit and account events: {time.perf_counter() - t0:.0f} s")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def make_uneven():
    """Province 79: 30 % of the facilities (so of the cameras), 01: 15 %, the rest round-robin."""
    from facilities.models import Facility, Province

    ids = list(Facility.objects.order_by("pk").values_list("pk", flat=True))
    provinces = {p.code: p.pk for p in Province.objects.all()}
    n = len(ids)
    big, second = int(n * 0.30), int(n * 0.15)
    Facility.objects.filter(pk__in=ids[:big]).update(province_id=provinces[BIG])
    Facility.objects.filter(pk__in=ids[big : big + second]).update(province_id=provinces[SECOND])
    others = [pk for code, pk in sorted(provinces.items()) if code not in (BIG, SECOND)]
    rest = ids[big + second :]
    for i, province_id in enumerate(others):
        Facility.objects.filter(pk__in=rest[i :: len(others)]).update(province_id=province_id)


def fill_days(days):
    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "INSERT INTO cameras_cameraday (camera_id, day, checks, successes) "
                "SELECT c.id, %s::date - g, 288, (c.id * 7 + g * 13) %% 289 "
                "FROM cameras_camera c CROSS JOIN generate_series(0, %s) g",
                [today, days - 1],
            )
        else:
            cursor.execute(
                "WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
                "INSERT INTO cameras_cameraday (camera_id, day, checks, successes) "
                "SELECT c.id, date(%s, '-' || g.n || ' days'), 288, (c.id * 7 + g.n * 13) %% 289 "
                "FROM cameras_camera c CROSS JOIN g",
                [days - 1, today.isoformat()],
            )


def accounts():
    """The five measured roles, plus a province admin per province and 300 facility managers
    (the actors of the audit record)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission

    from facilities.grants import FacilityUserObjectPermission, ProvinceUserObjectPermission
    from facilities.models import Facility, Province
    from facilities.roles import NATIONAL_OFFICIALS_GROUP

    User = get_user_model()
    # One password hash for every account: hashing 370 times would take minutes.
    hashed = make_password("x" * 12)

    def create_user(username, **fields):
        return User.objects.create(username=username, password=hashed, **fields)

    def perm(codename):
        return Permission.objects.get(codename=codename, content_type__app_label="facilities")

    create_user("bench_root", is_superuser=True, is_staff=True)
    big = Province.objects.get(code=BIG)
    for code, province in ((p.code, p) for p in Province.objects.all()):
        name = "bench_padmin" if code == BIG else f"admin_{code}"
        user = create_user(name, is_staff=True)
        ProvinceUserObjectPermission.objects.create(
            user=user, content_object=province, permission=perm("manage_province")
        )
    operator = create_user("bench_operator", is_staff=True)
    ProvinceUserObjectPermission.objects.create(
        user=operator, content_object=big, permission=perm("connect_province")
    )
    official = create_user("bench_official", is_staff=True)
    official.groups.add(Group.objects.get(name=NATIONAL_OFFICIALS_GROUP))
    manager = create_user("bench_fmanager")
    view_facility = perm("view_facility")
    for facility in Facility.objects.filter(province=big).order_by("pk")[:3]:
        FacilityUserObjectPermission.objects.create(
            user=manager, content_object=facility, permission=view_facility
        )
    facilities = list(Facility.objects.order_by("?")[:300])
    for i, facility in enumerate(facilities):
        user = create_user(f"manager_{i}")
        FacilityUserObjectPermission.objects.create(
            user=user, content_object=facility, permission=view_facility
        )


def fill_audit(n):
    """`n` log entries about cameras (changes by their province's admin or the system), each
    with its province in additional_data as the audit trail writes it."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from cameras.models import Camera

    ct = ContentType.objects.get_for_model(Camera).pk
    first_admin = _first_admin_id()
    per_camera = max(1, n // Camera.objects.count())
    json_object = "json_build_object" if connection.vendor == "postgresql" else "json_object"
    text = "::text" if connection.vendor == "postgresql" else ""
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    now = _now_sql(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE g(k) AS "
            f"(SELECT 0 UNION ALL SELECT k + 1 FROM g WHERE k < {per_camera - 1}) "
            "INSERT INTO auditlog_logentry (content_type_id, object_pk, object_id, object_repr, "
            "action, changes_text, changes, actor_id, cid, remote_addr, timestamp, "
            "additional_data) "
            f"SELECT {ct}, c.id{text}, c.id, c.name, (c.id + g.k) % 3, '', "
            f"{json_object}('name', c.name){jsonb}, "
            f"CASE WHEN (c.id + g.k) % 3 = 0 THEN NULL ELSE {first_admin} + f.province_id - 1 END, "
            "'r' || c.id || '-' || g.k, '10.0.0.1', "
            f"{_minus_seconds(connection, now, '(c.id * 97 + g.k * 7919) % 31536000')}, "
            f"{json_object}('province', f.province_id){jsonb} "
            "FROM cameras_camera c JOIN facilities_facility f ON f.id = c.facility_id "
            "CROSS JOIN g"
        )


def fill_events(n):
    """`n` account events: views of facility pages (with their province), and sign-ins of the
    facility managers and province admins (no province)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from facilities.models import Facility

    ct = ContentType.objects.get_for_model(Facility).pk
    per_facility = max(1, n // Facility.objects.count())
    first_admin = _first_admin_id()
    now = _now_sql(connection)
    json_object = "json_build_object" if connection.vendor == "postgresql" else "json_object"
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    text = "::text" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE g(k) AS "
            f"(SELECT 0 UNION ALL SELECT k + 1 FROM g WHERE k < {per_facility - 1}) "
            "INSERT INTO portal_accountevent (timestamp, event, actor_id, username, account_id, "
            "remote_addr, user_agent, request_id, province_id, content_type_id, object_id, "
            "object_repr, detail) "
            f"SELECT {_minus_seconds(connection, now, '(f.id * 31 + g.k * 104729) % 31536000')}, "
            "CASE WHEN g.k % 5 = 0 THEN 'login' WHEN g.k % 5 = 1 THEN 'logout' ELSE 'view' END, "
            f"{first_admin} + f.province_id - 1, 'admin', "
            f"CASE WHEN g.k % 5 < 2 THEN {first_admin} + f.province_id - 1 ELSE NULL END, "
            "'10.0.0.2', 'Mozilla/5.0', 'q' || f.id || '-' || g.k, "
            "CASE WHEN g.k % 5 < 2 THEN NULL ELSE f.province_id END, "
            f"{ct}, f.id{text}, f.name, {json_object}('k', g.k){jsonb} "
            "FROM facilities_facility f CROSS JOIN g"
        )


def _first_admin_id():
    # Province admins were created in province-pk order right after the superuser: the admin of
    # province p is first_admin + p - 1 (checked here).
    from django.contrib.auth import get_user_model

    from facilities.grants import ProvinceUserObjectPermission

    grants = ProvinceUserObjectPermission.objects.filter(permission__codename="manage_province")
    first = grants.order_by("content_object_id").first()
    assert all(
        g.user_id - g.content_object_id == first.user_id - first.content_object_id
        for g in grants
    )
    assert get_user_model().objects.filter(pk=first.user_id).exists()
    return first.user_id - first.content_object_id + 1


def _now_sql(connection):
    return "now()" if connection.vendor == "postgresql" else "'now'"


def _minus_seconds(connection, now, seconds):
    if connection.vendor == "postgresql":
        return f"{now} - ({seconds}) * interval '1 second'"
    return f"strftime('%Y-%m-%d %H:%M:%f', {now}, '-' || ({seconds}) || ' seconds')"


# --- Timing -------------------------------------------------------------------------------------


def pages():
    """(name, role, url, kind) of every measured page."""
    from cameras.models import Camera
    from facilities.models import Facility

    in_big = Facility.objects.filter(province__code=BIG).order_by("pk")
    facility = in_big[min(123, in_big.count() - 1)]
    camera = Camera.objects.filter(facility=facility).order_by("pk").first()
    return [
        ("facilities", "root", "/facilities/", "page"),
        ("facilities", "padmin", "/facilities/", "page"),
        ("facilities", "operator", "/facilities/", "page"),
        ("facilities", "official", "/facilities/", "page"),
        ("facilities", "fmanager", "/facilities/", "page"),
        ("facilities p.20", "padmin", "/facilities/?page=20", "page"),
        ("admin provinces", "root", "/admin/facilities/province/", "page"),
        ("admin provinces", "official", "/admin/facilities/province/", "page"),
        ("admin facilities", "root", "/admin/facilities/facility/", "page"),
        ("admin facilities", "padmin", "/admin/facilities/facility/", "page"),
        ("admin cameras", "root", "/admin/cameras/camera/", "page"),
        ("admin cameras", "padmin", "/admin/cameras/camera/", "page"),
        ("admin cameras", "operator", "/admin/cameras/camera/", "page"),
        ("admin cameras p.50", "padmin", "/admin/cameras/camera/?p=49", "page"),
        ("admin cameras p.50", "operator", "/admin/cameras/camera/?p=49", "page"),
        ("camera search", "padmin", f"/admin/cameras/camera/?q={_search(facility)}", "page"),
        ("camera search", "root", f"/admin/cameras/camera/?q={_search(facility)}", "page"),
        ("camera search (name)", "padmin", "/admin/cameras/camera/?q=camera+05", "page"),
        ("facility search", "padmin", f"/admin/facilities/facility/?q={_search(facility)}", "page"),
        ("audit log", "padmin", "/admin/auditlog/logentry/", "page"),
        ("audit log", "root", "/admin/auditlog/logentry/", "page"),
        ("account events", "padmin", "/admin/portal/accountevent/", "page"),
        ("account events", "root", "/admin/portal/accountevent/", "page"),
        ("camera page", "padmin", f"/admin/cameras/camera/{camera.pk}/change/", "page"),
        ("cameras CSV", "root", "/reports/export/cameras.csv", "stream"),
        ("cameras CSV", "padmin", "/reports/export/cameras.csv", "stream"),
        # Not fixed here: timed to see that the camera scope's new shape costs them nothing.
        ("facilities CSV", "root", "/reports/export/facilities.csv", "stream"),
        ("dashboard", "official", "/reports/", "page"),
        ("dashboard", "padmin", f"/reports/province/{BIG}/", "page"),
    ]


def _search(facility):
    # The facility's name typed without accents, as people do: "khu cach ly so 1234".
    from portal.search import fold

    return fold(facility.name).replace(" ", "+")


ROLES = {
    "root": "bench_root",
    "padmin": "bench_padmin",
    "operator": "bench_operator",
    "official": "bench_official",
    "fmanager": "bench_fmanager",
}


def time_page(client, url, kind, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, cpus, firsts = [], [], []
    queries, size, status = 0, 0, 0
    for run in range(runs + 1):
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            status = response.status_code
            first = None
            if kind == "stream":
                size = 0
                for i, piece in enumerate(response.streaming_content):
                    size += len(piece)
                    if i == 1:  # the header line is piece 0: piece 1 holds the first rows
                        first = time.perf_counter() - wall
                response.close()
            else:
                size = len(response.content)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if run:  # the first request warms caches and the connection
            walls.append(wall)
            cpus.append(cpu)
            if first is not None:
                firsts.append(first)
        queries = len(captured.captured_queries)
    return {
        "wall_ms": statistics.median(walls) * 1000,
        "cpu_ms": statistics.median(cpus) * 1000,
        "first_ms": statistics.median(firsts) * 1000 if firsts else None,
        "queries": queries,
        "kib": size / 1024,
        "status": status,
    }


def measure(args):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from tests.second_factor import verify_session

    only = {name.strip() for name in args.only.split(",") if name.strip()}
    clients = {}
    for role, username in ROLES.items():
        client = Client()
        signed_in = get_user_model().objects.get(username=username)
        client.force_login(signed_in)
        # Signed in as a person is, second factor included (tests/second_factor.py).
        verify_session(client, signed_in)
        clients[role] = client
    results = []
    load = [os.getloadavg()[0]]
    for name, role, url, kind in pages():
        if only and name not in only:
            continue
        figures = time_page(clients[role], url, kind, args.runs)
        figures.update(page=name, role=role, url=url, load=os.getloadavg()[0])
        results.append(figures)
        first = f", first rows {figures['first_ms']:.0f} ms" if figures["first_ms"] else ""
        print(
            f"{name:22} {role:9} {figures['wall_ms']:7.0f} ms  CPU {figures['cpu_ms']:6.0f} ms"
            f"{first}  {figures['queries']:3d} queries  {figures['kib']:8.0f} KiB  "
            f"HTTP {figures['status']}  load {figures['load']:.1f}",
            flush=True,
        )
    load.append(os.getloadavg()[0])
    jit = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            jit = cursor.fetchone()[0]
    return {
        "vendor": connection.vendor,
        "label": args.label,
        "jit": jit,
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load": load,
        "runs": args.runs,
        "results": results,
    }


def jit_comparison(runs):
    """The scope query that JIT hurt most (the old /facilities/ count of a facility manager),
    EXPLAIN ANALYZEd with JIT on and off: planning+execution and JIT's own time."""
    from django.db import connection

    sql = (
        "SELECT f.id, (SELECT count(*) FROM cameras_camera c JOIN facilities_facility cf "
        "ON cf.id = c.facility_id WHERE c.facility_id = f.id AND (cf.province_id IN "
        "(SELECT content_object_id FROM facilities_provinceuserobjectpermission WHERE user_id = %s)"
        " OR c.facility_id IN (SELECT content_object_id FROM "
        "facilities_facilityuserobjectpermission WHERE user_id = %s))) FROM facilities_facility f "
        "WHERE f.province_id IN (SELECT content_object_id FROM "
        "facilities_provinceuserobjectpermission WHERE user_id = %s) OR f.id IN (SELECT "
        "content_object_id FROM facilities_facilityuserobjectpermission WHERE user_id = %s)"
    )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="bench_fmanager").pk
    out = {}
    with connection.cursor() as cursor:
        for mode in ("on", "off"):
            cursor.execute(f"SET jit = {mode}")
            totals, jits = [], []
            for _ in range(runs):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, [user] * 4)
                plan = cursor.fetchone()[0]
                plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                totals.append(plan["Planning Time"] + plan["Execution Time"])
                jits.append(plan.get("JIT", {}).get("Timing", {}).get("Total", 0.0))
            out[mode] = {"total_ms": statistics.median(totals), "jit_ms": statistics.median(jits)}
        cursor.execute("RESET jit")
    print(f"JIT comparison: {out}")
    return out


# Result files merged into one column: "before-extra" holds pages timed later with the same code.
COLUMNS = {
    "before": "before",
    "before-extra": "before",
    "before-jitoff": "before, JIT off",
    "after": "after",
}


def table():
    """The before/after table of bench/README.md from the result files of bench/out."""
    rows, runs = {}, {}
    for path in sorted(OUT.glob("pages-*.json")):
        data = json.loads(path.read_text())
        column = COLUMNS.get(data["label"])
        if column is None:
            continue
        runs[(data["vendor"], data["label"])] = data
        for r in data["results"]:
            rows.setdefault((r["page"], r["role"]), {})[(data["vendor"], column)] = r

    def cell(r):
        if r is None:
            return ""
        first = f" (rows {r['first_ms']:.0f})" if r.get("first_ms") else ""
        return f"{r['wall_ms']:.0f}{first} / {r['cpu_ms']:.0f} / {r['queries']}"

    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    columns = [
        (vendor, column)
        for vendor in ("sqlite", "postgresql")
        for column in ("before", "before, JIT off", "after")
        if any((vendor, column) in by for by in rows.values())
    ]
    print("| page | role | " + " | ".join(f"{names[v]} {c}" for v, c in columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for (page, role), by in rows.items():
        print(f"| {page} | {role} | " + " | ".join(cell(by.get(c)) for c in columns) + " |")
    for (vendor, label), data in sorted(runs.items()):
        load = ", ".join(f"{x:.1f}" for x in data["load"])
        print(f"- {names[vendor]} {label}: {data['date']}, load average {load} (start, end), "
              f"JIT {data.get('jit') or '-'}, {data['runs']} runs")
        if "jit_comparison" in data:
            print(f"  JIT comparison: {data['jit_comparison']}")


def main():
    args = parse_args()
    if args.table:
        table()
        return
    setup_django(args.jit)
    fill(args)
    data = measure(args)
    from django.db import connection

    if connection.vendor == "postgresql" and not args.only:
        data["jit_comparison"] = jit_comparison(args.runs)
    OUT.mkdir(exist_ok=True)
    path = OUT / f"pages-{data['vendor']}-{args.label}.json"
    path.write_text(json.dumps(data, indent=1))
    print(f"written {path}")


if __name__ == "__main__":
    main()
