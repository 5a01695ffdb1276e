"""Benchmark of the audit trail's cost on a Camera save: queries and time, with and without it.

Saves of one camera loaded as a task loads it (its facility not loaded), each changing the vendor
in its own transaction:
- without auditlog (auditlog disabled): the UPDATE alone;
- audited, acting as a user (a web request or a command with --actor);
- audited, with the facility already loaded (the admin form: the form's cleaned facility);
- audited, outside any request and without `acting_as` (the actor falls back to the system
  account, looked up for each entry);
- audited through auditlog's stock update receiver, for comparison with ours (ours reads the
  previous state without Camera's three-table default ordering, with the facility, so the
  province costs no query);
- a check's write of the camera's check state (`CameraState.save(update_fields=...)`), with
  auditlog disabled and acting as a user: the state is never audited.
Queries are counted once per case; times are medians over --runs runs of --saves saves.

    .venv/bin/python bench/bench_audit.py                  # SQLite file in a temporary directory
    .venv/bin/python bench/bench_audit.py --write          # ...and update bench/README.md
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/bench_audit.py              # a scratch PostgreSQL database

The database is migrated and written to: point DATABASE_URL only at a scratch database.
"""

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BEGIN, END = "<!-- bench_audit:begin -->", "<!-- bench_audit:end -->"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    return parser.parse_args()


def setup_django(tmp):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DATA_DIR", tmp)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("Q_SYNC", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(tmp)
        rows = run(args)
        text = report(rows, args)
        print(text)
        if args.write:
            write_readme(text)


def run(args):
    from auditlog.context import disable_auditlog
    from auditlog.receivers import log_update
    from auditlog.registry import auditlog
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models.signals import pre_save
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cameras.choices import Zone
    from cameras.models import Camera, CameraState
    from facilities.models import Facility, Province
    from portal import auditlog_setup
    from portal.actor import acting_as, system_actor

    user, _ = get_user_model().objects.get_or_create(username="bench-actor")
    facility, _ = Facility.objects.get_or_create(
        province=Province.objects.get(code="01"), name="Khu cách ly đo đạc"
    )
    camera, _ = Camera.objects.get_or_create(
        facility=facility,
        name="Camera đo đạc",
        defaults={"zone": Zone.GATE, "stream_url": "rtsp://10.9.9.9:554/s", "check_enabled": False},
    )
    system_actor()
    counter = [0]

    def fresh():
        return Camera.objects.get(pk=camera.pk)

    # One transaction per save, as the admin (ATOMIC change view) and the tasks write.
    def change_vendor(obj):
        counter[0] += 1
        obj.vendor = f"v{counter[0]}"
        with transaction.atomic():
            obj.save()

    def fresh_state():
        return CameraState.objects.get(camera=camera)

    def health_write(state):
        counter[0] += 1
        state.health = "online" if counter[0] % 2 else "offline"
        state.last_checked_at = timezone.now()
        with transaction.atomic():
            state.save(update_fields=["health", "last_checked_at"])

    @contextlib.contextmanager
    def stock_receiver():
        mine = f"portal.audit.update.{Camera._meta.label}"
        stock = auditlog._dispatch_uid(pre_save, log_update)
        pre_save.disconnect(sender=Camera, dispatch_uid=mine)
        pre_save.connect(log_update, sender=Camera, dispatch_uid=stock)
        try:
            yield
        finally:
            pre_save.disconnect(sender=Camera, dispatch_uid=stock)
            pre_save.connect(auditlog_setup._log_update, sender=Camera, dispatch_uid=mine)

    cases = [
        ("vendor change, auditlog disabled", disable_auditlog, fresh, change_vendor),
        ("vendor change, audited, acting as a user", lambda: acting_as(user), fresh,
         change_vendor),
        ("vendor change, audited, facility loaded (admin form)", lambda: acting_as(user),
         lambda: Camera.objects.select_related("facility").get(pk=camera.pk), change_vendor),
        ("vendor change, audited, no actor given (system)", contextlib.nullcontext, fresh,
         change_vendor),
        ("vendor change, auditlog's stock receiver, acting as a user",
         lambda: _both(acting_as(user), stock_receiver()), fresh, change_vendor),
        ("check state write (update_fields), auditlog disabled", disable_auditlog, fresh_state,
         health_write),
        ("check state write (update_fields), acting as a user", lambda: acting_as(user),
         fresh_state, health_write),
    ]
    rows = []
    for label, context, load, action in cases:
        with context():
            obj = load()
            action(obj)  # warm-up: content types cached, statements prepared
            with CaptureQueriesContext(connection) as queries:
                action(obj)
            walls, cpus = [], []
            for _ in range(args.runs):
                objs = [load() for _ in range(args.saves)]
                t0, c0 = time.perf_counter(), time.process_time()
                for each in objs:
                    action(each)
                walls.append((time.perf_counter() - t0) / args.saves * 1000)
                cpus.append((time.process_time() - c0) / args.saves * 1000)
        # Statements only: transaction control (BEGIN, SAVEPOINT...) is not the audit's cost.
        statements = [
            q for q in queries if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
        ]
        rows.append((label, len(statements), statistics.median(walls), statistics.median(cpus)))
        print(
            f"{label:<62} {rows[-1][1]:2d} queries {rows[-1][2]:7.3f} ms wall "
            f"{rows[-1][3]:7.3f} ms CPU",
            flush=True,
        )
    return rows


@contextlib.contextmanager
def _both(first, second):
    with first, second:
        yield


def report(rows, args):
    import django
    from django.db import connection

    base_queries, base_ms, base_cpu = rows[0][1], rows[0][2], rows[0][3]
    lines = [
        BEGIN,
        "## Audit trail: cost of an audited Camera save (bench/bench_audit.py)",
        "",
        f"{connection.vendor}, Python {platform.python_version()}, Django {django.get_version()}, "
        f"{platform.machine()}; medians of {args.runs} runs of {args.saves} saves, measured "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        "Times per save: wall clock, and this process's CPU (steadier on a shared machine; on",
        "PostgreSQL it leaves out the server's share).",
        "",
        "| save | queries | extra queries | wall | extra wall | CPU | extra CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, queries, ms, cpu in rows:
        if label.startswith("check state write") and "disabled" in label:
            base_queries, base_ms, base_cpu = queries, ms, cpu
        lines.append(
            f"| {label} | {queries} | {queries - base_queries:+d} | {ms:.2f} ms | "
            f"{ms - base_ms:+.2f} ms | {cpu:.2f} ms | {cpu - base_cpu:+.2f} ms |"
        )
    lines += [
        "",
        "An audited change costs two queries more than the bare UPDATE: the read of the previous",
        "state (by primary key, with the facility so the entry's province costs nothing) and the",
        "entry's INSERT. Without an actor (no request, no `acting_as`) the system account is",
        "looked up for each entry: tasks wrap their writes in `acting_as(system_actor())`.",
        "A check writes the camera's check state (CameraState), which is not audited: the UPDATE",
        "alone, whoever acts.",
        "Rerun: `.venv/bin/python bench/bench_audit.py --write`.",
        END,
    ]
    return "\n".join(lines)


def write_readme(text):
    path = ROOT / "bench" / "README.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        _old, tail = rest.split(END, 1)
        current = head + text + tail
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current, encoding="utf-8")


if __name__ == "__main__":
    main()
