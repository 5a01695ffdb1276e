"""Benchmark of the portal's bulk writes: how long each holds the database's write lock.

On the embedded SQLite (WAL, IMMEDIATE transactions) one write lock serves the whole portal: a
transaction holds it from BEGIN to COMMIT, and every other writer (a sign-in, a save, an account
event, a check batch) waits, up to the 20 s busy timeout, then fails with "database is locked".
Issue 13 saw the end of a sweep hold it for 20 s (notices marking 125,000 pending outages).

The script fills a throwaway database with a backlog (--cameras cameras, --backlog outages whose
notices were never sent, --old-days days of uptime rows past CAMERA_HISTORY_DAYS, --audit audit
entries and account events past AUDIT_RETENTION_DAYS), then runs, one after the other, what
writes in bulk:

- `take_snapshot` (the daily report), `notify.send_pending` (the notices of the backlog),
  `health.purge_history`, `audit_retention.purge_expired`;
- CSV imports of --imports cameras (`CameraImporter.apply`, as `manage.py import_cameras`).

For each it records every transaction (from BEGIN, where SQLite takes the lock, or from the
first write on PostgreSQL, to COMMIT) and every write statement run outside one: their number,
the longest and their sum. On SQLite a second process also asks for the write lock every 5 ms
(BEGIN IMMEDIATE, ROLLBACK) during each step and reports its longest wait: what a web request
that writes would have waited.

It only uses what the code before and after the chunked writes have in common, so run it on the
older code with --code DIR --save FILE, then here with --compare LABEL=FILE --write:

    .venv/bin/python bench/bench_bulk_writes.py --code /tmp/main --save /tmp/before.json
    .venv/bin/python bench/bench_bulk_writes.py --compare before=/tmp/before.json --write
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/scratch_db \\
        .venv/bin/python bench/bench_bulk_writes.py            # a scratch PostgreSQL database

The database is migrated and filled from scratch: point DATABASE_URL only at a scratch database.
"""

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
README = HERE / "bench" / "README.md"
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
HISTORY_DAYS = 30
RETENTION_DAYS = 365


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=20000)
    parser.add_argument("--backlog", type=int, default=125000, help="outages never told")
    parser.add_argument("--old-days", type=int, default=8, help="uptime days per camera to purge")
    parser.add_argument("--audit", type=int, default=150000, help="audit rows to purge")
    parser.add_argument("--imports", default="1000,5000", help="rows of each import, commas")
    parser.add_argument("--code", help="checkout whose code to measure (default: this one)")
    parser.add_argument("--label", default="after", help="this run's column heading")
    parser.add_argument("--save", help="store this run's figures (JSON)")
    parser.add_argument("--stored", help="report figures stored by --save instead of measuring")
    parser.add_argument(
        "--compare", action="append", default=[], metavar="LABEL=FILE",
        help="figures stored by --save (other code), shown before this run's; repeatable",
    )
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    return parser.parse_args()


# --- Measuring the write lock ----------------------------------------------------------------


class LockTimer:
    """Times every transaction and every write outside one on a Django connection."""

    def __init__(self, connection):
        self.connection = connection
        self.holds = []
        self.cpu = 0.0
        self.opened = self.cpu_opened = None
        self.sqlite = connection.vendor == "sqlite"
        connection.execute_wrappers.append(self._execute)
        commit, rollback = connection._commit, connection._rollback

        def _commit():
            try:
                return commit()
            finally:
                self._close()

        def _rollback():
            try:
                return rollback()
            finally:
                self._close()

        connection._commit, connection._rollback = _commit, _rollback

    def _open(self):
        self.opened, self.cpu_opened = time.perf_counter(), time.process_time()

    def _close(self):
        if self.opened is not None:
            self.holds.append(time.perf_counter() - self.opened)
            self.cpu += time.process_time() - self.cpu_opened
            self.opened = None

    def _execute(self, execute, sql, params, many, context):
        head = sql.lstrip()[:16].upper()
        if head.startswith("BEGIN"):
            result = execute(sql, params, many, context)
            # SQLite's BEGIN IMMEDIATE returns once the lock is ours: the hold starts here.
            self._open()
            return result
        write = head.startswith(WRITES)
        if self.connection.in_atomic_block:
            if write and self.opened is None:
                # PostgreSQL: rows are locked from the first write of the transaction.
                self._open()
            return execute(sql, params, many, context)
        started, cpu_started = time.perf_counter(), time.process_time()
        result = execute(sql, params, many, context)
        if write:
            self.holds.append(time.perf_counter() - started)
            self.cpu += time.process_time() - cpu_started
        return result

    def take(self):
        """The holds since the last call, and this process's CPU time while holding."""
        holds, cpu, self.holds, self.cpu = self.holds, self.cpu, [], 0.0
        return holds, cpu


def _prober(path, pipe):
    """Another writer: asks for SQLite's write lock every 5 ms; reports its longest wait."""
    con = sqlite3.connect(path, timeout=600, isolation_level=None)
    longest, tries = 0.0, 0
    pipe.send("ready")
    while True:
        if pipe.poll():
            message = pipe.recv()
            if message == "stop":
                return
            pipe.send((longest, tries))
            longest, tries = 0.0, 0
        started = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        longest = max(longest, time.perf_counter() - started)
        con.execute("ROLLBACK")
        tries += 1
        time.sleep(0.005)


class Prober:
    def __init__(self, path):
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("fork").Process(
            target=_prober, args=(path, child), daemon=True
        )
        self.process.start()
        assert self.pipe.recv() == "ready"

    def read(self):
        self.pipe.send("read")
        return self.pipe.recv()

    def stop(self):
        self.pipe.send("stop")
        self.process.join(10)


# --- Data ------------------------------------------------------------------------------------


def setup_django(tmp, args):
    code = Path(args.code).resolve() if args.code else HERE
    sys.path.insert(0, str(code))
    os.chdir(code)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DATA_DIR"] = tmp
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tmp) / "bench_bulk_writes.sqlite3")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["Q_SYNC"] = "0"
    os.environ["CAMERA_HISTORY_DAYS"] = str(HISTORY_DAYS)
    os.environ["AUDIT_RETENTION_DAYS"] = str(RETENTION_DAYS)
    os.environ["IMPORT_MAX_ROWS"] = "100000"
    os.environ["IMPORT_MAX_BYTES"] = str(64 * 1024 * 1024)
    os.environ["CAMERA_RESOLVE_TIMEOUT"] = "0"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return code


def fill(args):
    """The backlog: cameras, outages never told, old uptime days, old audit rows."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from cameras.models import Camera, CameraDay, CameraOutage
    from facilities.models import Facility, Province
    from portal.models import AccountEvent
    from tests import factories

    started = time.perf_counter()
    now = timezone.now()
    today = timezone.localdate(now)
    provinces = list(Province.objects.order_by("code")[:10])
    for province in provinces:
        factories.province_user(
            f"admin{province.code}", province.code, email=f"so{province.code}@example.vn"
        )
    per_facility = 100
    facilities = Facility.objects.bulk_create(
        [
            Facility(province=provinces[i % len(provinces)], name=f"Khu cách ly số {i}")
            for i in range(max(1, args.cameras // per_facility))
        ]
    )
    cameras = Camera.objects.bulk_create(
        [
            Camera(
                facility=facilities[i % len(facilities)],
                name=f"Camera {i}",
                zone="gate",
                stream_url=f"rtsp://10.{i // 65000}.{i // 250 % 250}.{i % 250 + 1}/s",
            )
            for i in range(args.cameras)
        ],
        batch_size=2000,
    )
    ids = [camera.pk for camera in cameras]
    # Offline periods never told: one open per camera for the first twentieth of them, the
    # rest ended (their start and their end both untold), ended before the history cutoff.
    open_count = min(len(ids), args.backlog // 25)
    old = now - datetime.timedelta(days=HISTORY_DAYS + 10)
    outages = [
        CameraOutage(camera_id=ids[i], kind="offline", started_at=now - datetime.timedelta(hours=1))
        for i in range(open_count)
    ]
    for n in range(args.backlog - open_count):
        started_at = old - datetime.timedelta(hours=n % 500 + 2)
        outages.append(
            CameraOutage(
                camera_id=ids[n % len(ids)],
                kind="offline",
                started_at=started_at,
                ended_at=started_at + datetime.timedelta(hours=1),
                error_kind="refused",
                reason="Không kết nối được",
            )
        )
    CameraOutage.objects.bulk_create(outages, batch_size=5000)
    days = []
    for age in range(HISTORY_DAYS + 1, HISTORY_DAYS + 1 + args.old_days):
        day = today - datetime.timedelta(days=age)
        days += [CameraDay(camera_id=pk, day=day, checks=288, successes=280) for pk in ids]
    days += [CameraDay(camera_id=pk, day=today, checks=10, successes=9) for pk in ids]
    CameraDay.objects.bulk_create(days, batch_size=5000)
    stale = now - datetime.timedelta(days=RETENTION_DAYS + 30)
    camera_type = ContentType.objects.get_for_model(Camera)
    entries = [
        LogEntry(
            content_type=camera_type, object_pk=str(ids[i % len(ids)]), object_id=ids[i % len(ids)],
            object_repr=f"Camera {i}", action=LogEntry.Action.UPDATE,
            changes={"vendor": ["", "Hikvision"]}, timestamp=stale,
        )
        for i in range(args.audit // 3)
    ]
    LogEntry.objects.bulk_create(entries, batch_size=5000)
    events = [
        AccountEvent(event="login", username=f"user{i % 500}", timestamp=stale, detail={})
        for i in range(args.audit - args.audit // 3)
    ]
    AccountEvent.objects.bulk_create(events, batch_size=5000)
    # The facility the imports fill.
    Facility.objects.create(province=provinces[0], name="Khu nhập khẩu")
    from django.db import connection

    if connection.vendor == "sqlite":
        # The fill's write-ahead log back into the database now, not at the first step's COMMIT.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def camera_file(rows, start):
    lines = ["province_code;facility;name;zone;stream_url;username;password"]
    for i in range(start, start + rows):
        lines.append(
            f"{'01'};Khu nhập khẩu;Nhập {i};gate;rtsp://172.16.{i // 250 % 250}.{i % 250 + 1}/s;"
            f"viewer;Pw-{i}"
        )
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


# --- Steps -----------------------------------------------------------------------------------


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(label, func, timer, prober):
    timer.take()
    if prober is not None:
        prober.read()
    wall, cpu0 = time.perf_counter(), cpu()
    rows = func()
    wall, used = time.perf_counter() - wall, cpu() - cpu0
    holds, held_cpu = timer.take()
    if os.environ.get("BENCH_HOLDS"):
        print(sorted(round(h * 1000, 1) for h in holds)[-10:])
    waited = prober.read()[0] if prober is not None else None
    figures = {
        "label": label,
        "rows": rows,
        "transactions": len(holds),
        "longest_ms": round(max(holds, default=0) * 1000, 1),
        "held_ms": round(sum(holds) * 1000, 1),
        "held_cpu_ms": round(held_cpu * 1000, 1),
        "wall_ms": round(wall * 1000, 1),
        "cpu_ms": round(used * 1000, 1),
        "waited_ms": round(waited * 1000, 1) if waited is not None else None,
    }
    print(
        f"{label}: {rows} rows, {figures['transactions']} writes, longest hold "
        f"{figures['longest_ms']} ms, held {figures['held_ms']} ms in all, wall "
        f"{figures['wall_ms']} ms, CPU {figures['cpu_ms']} ms, another writer waited "
        f"{figures['waited_ms']} ms",
        flush=True,
    )
    return figures


def steps(args):
    from django.core import mail

    from cameras import health, notify
    from cameras.importer import CameraImporter
    from cameras.models import CameraDay, CameraOutage
    from portal.audit_retention import purge_expired
    from portal.models import AccountEvent
    from reports.snapshot import take_snapshot

    def snapshot():
        take_snapshot()
        return 63

    def notices():
        pending = CameraOutage.objects.filter(start_notified_at__isnull=True).count()
        pending += CameraOutage.objects.filter(
            ended_at__isnull=False, end_notified_at__isnull=True
        ).count()
        notify.send_pending()
        assert not CameraOutage.objects.filter(start_notified_at__isnull=True).exists()
        mail.outbox = []
        return pending

    def history():
        before = CameraDay.objects.count() + CameraOutage.objects.count()
        health.purge_history()
        return before - CameraDay.objects.count() - CameraOutage.objects.count()

    def retention():
        from auditlog.models import LogEntry

        before = LogEntry.objects.count() + AccountEvent.objects.count()
        purge_expired()
        return before - LogEntry.objects.count() - AccountEvent.objects.count()

    result = [
        ("snapshot (take_snapshot)", snapshot),
        ("notices of the backlog (notify.send_pending)", notices),
        ("history purge (health.purge_history)", history),
        ("audit retention (purge_expired)", retention),
    ]
    start = 0
    for rows in [int(n) for n in args.imports.split(",") if n.strip()]:
        data = camera_file(rows, start)
        start += rows

        def run(data=data, rows=rows):
            plan = CameraImporter().apply(data)
            assert plan.ok and plan.created == rows, plan.error_lines()[:3]
            return rows

        result.append((f"camera import, {rows:,} rows (CameraImporter.apply)", run))
    return result


def run(args):
    from django.db import connection

    with tempfile.TemporaryDirectory() as tmp:
        code = setup_django(tmp, args)
        fill_seconds = fill(args)
        print(f"filled in {fill_seconds:.0f} s", flush=True)
        timer = LockTimer(connection)
        prober = None
        if connection.vendor == "sqlite":
            connection.close()
            prober = Prober(os.environ["SQLITE_PATH"])
        load = [os.getloadavg()[0]]
        try:
            results = [measure(label, func, timer, prober) for label, func in steps(args)]
        finally:
            if prober is not None:
                prober.stop()
        load.append(os.getloadavg()[0])
        import django

        return {
            "code": str(code),
            "database": connection.vendor,
            "python": platform.python_version(),
            "django": django.get_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "date": datetime.date.today().isoformat(),
            "load": [round(x, 1) for x in load],
            "fill_seconds": round(fill_seconds),
            "args": {k: getattr(args, k) for k in ("cameras", "backlog", "old_days", "audit")},
            "steps": results,
        }


# --- Report ----------------------------------------------------------------------------------


def table(runs):
    """Markdown rows comparing the runs [(label, figures)] step by step."""
    labels = [label for label, _ in runs]
    head = ["step", "what", *labels]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, step in enumerate(runs[-1][1]["steps"]):
        cells = {label: figures["steps"][i] for label, figures in runs}
        rows = step["rows"]
        for what, key, unit in (
            ("writes (transactions + lone statements)", "transactions", ""),
            ("longest hold of the write lock", "longest_ms", " ms"),
            ("write lock held in all", "held_ms", " ms"),
            ("this process's CPU while holding it", "held_cpu_ms", " ms"),
            ("another writer's longest wait", "waited_ms", " ms"),
            ("wall", "wall_ms", " ms"),
            ("CPU", "cpu_ms", " ms"),
        ):
            values = []
            for label in labels:
                value = cells[label].get(key)
                values.append("" if value is None else f"{value:,}{unit}")
            if not any(values):
                continue
            name = f"{step['label']}, {rows:,} rows" if what.startswith("writes") else ""
            lines.append(f"| {name} | {what} | " + " | ".join(values) + " |")
        if "import" in step["label"]:
            for what, key in (("write lock per 1,000 rows", "held_ms"),
                              ("CPU while holding it, per 1,000 rows", "held_cpu_ms")):
                per = [
                    f"{cells[label][key] * 1000 / max(rows, 1):,.0f} ms"
                    if cells[label].get(key) is not None else "" for label in labels
                ]
                lines.append(f"| | {what} | " + " | ".join(per) + " |")
    return lines


def report(runs):
    last = runs[-1][1]
    args = last["args"]
    lines = [
        f"## Bulk writes and the write lock, {last['database']} (bench/bench_bulk_writes.py)",
        "",
        f"A backlog as issue 13 met it: {args['cameras']:,} cameras, {args['backlog']:,} "
        f"offline periods whose notices were never sent, {args['old_days']} days of uptime rows "
        f"per camera past CAMERA_HISTORY_DAYS ({HISTORY_DAYS}), {args['audit']:,} audit entries "
        f"and account events past AUDIT_RETENTION_DAYS; then the daily snapshot, the notices, "
        f"the two purges and CSV imports of cameras, one after the other. {last['machine']}, "
        f"Python {last['python']}, Django {last['django']}, measured {last['date']} on a shared "
        "machine (load average at start and end: "
        + "; ".join(f"{label} {f['load'][0]} to {f['load'][1]}" for label, f in runs)
        + "). A hold runs from BEGIN (SQLite takes its write lock there: IMMEDIATE "
        "transactions) or the first write (PostgreSQL) to COMMIT; a write statement outside a "
        "transaction counts as its own hold. \"Another writer\" is a second process asking for "
        "SQLite's write lock every 5 ms during the step, as a web request that saves would.",
        "",
        *table(runs),
        "",
    ]
    return lines


def write_readme(lines, database):
    begin = f"<!-- bench_bulk_writes_{database}:begin -->"
    end = f"<!-- bench_bulk_writes_{database}:end -->"
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
    if args.stored:
        figures = json.loads(Path(args.stored).read_text())
    else:
        figures = run(args)
    if args.save:
        Path(args.save).write_text(json.dumps(figures, indent=1))
    runs = []
    for item in args.compare:
        label, path = item.split("=", 1)
        runs.append((label, json.loads(Path(path).read_text())))
    runs.append((args.label, figures))
    lines = report(runs)
    print("\n".join(lines))
    if args.write:
        write_readme(lines, figures["database"])


if __name__ == "__main__":
    main()
