"""Benchmark of what a sweep writes to the database: the checks' health writes for N cameras.

A sweep of --cameras cameras (connected, as in the steady state the sweep is for) runs through the
real task path (`plan_sweep`, then `check_batch` per batch of CAMERA_CHECK_BATCH_SIZE), with the
probes replaced by ready-made results (90 % playing with figures that vary from run to run as
real streams do, 5 % refused, 5 % timing out), so only the database work is left. Measured per
sweep, as the medians of --runs sweeps after two warm-up sweeps (outages open, statuses settled):

- the health write: every `health.bulk_write` of check states in the sweep's batches (a full
  check's HEALTH_FIELDS, or a routine check's fields)
  (statements, wall time, this process's CPU time, and the time spent executing the statements:
  the database's own share, apart from building them);
- the batches without their probes: all of `check_batch` (lease, loads, verdicts, health, history,
  release, commit).

The script uses only what the code before and after the check state moved to its own table
(cameras.CameraState) have in common, so it measures both: run it in a checkout of the older code
with --save, then here with --compare to print (and --write) them side by side, with the ratio
of the first to this run. Each database has its own section in bench/README.md.

    .venv/bin/python bench/bench_sweep_write.py                           # SQLite, temporary
    .venv/bin/python bench/bench_sweep_write.py --save /tmp/before.json   # in the older checkout
    .venv/bin/python bench/bench_sweep_write.py --compare "before=/tmp/before.json" --write
    .venv/bin/python bench/bench_sweep_write.py --stored /tmp/after.json --compare ...  # no run
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/scratch_db \\
        .venv/bin/python bench/bench_sweep_write.py                       # a scratch database

The database is migrated and written to: point DATABASE_URL only at a scratch database.
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
WARM_UP = 2


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=32, help="CAMERA_CHECK_BATCH_SIZE")
    parser.add_argument("--save", help="store this run's figures (JSON) to compare with later")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="LABEL=FILE",
        help="figures stored by --save (other code), shown before this run's; repeatable",
    )
    parser.add_argument("--label", default="after", help="this run's column heading")
    parser.add_argument(
        "--stored", metavar="FILE", help="report figures stored by --save instead of measuring"
    )
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    return parser.parse_args()


def setup_django(tmp, args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DATA_DIR"] = tmp
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tmp) / "bench_sweep_write.sqlite3")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["Q_SYNC"] = "0"
    os.environ["CAMERA_CHECK_BATCH_SIZE"] = str(args.batch_size)
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Only the sweeps the benchmark runs: no scheduled sweep, snapshot or purge.
    from django_q.models import Schedule

    Schedule.objects.all().delete()


def fill(n):
    from cameras.choices import ConnectionStatus, Zone
    from cameras.models import Camera
    from facilities.models import Facility, Province

    province = Province.objects.get(code="01")
    facilities = Facility.objects.bulk_create(
        [Facility(province=province, name=f"Khu cách ly {i}") for i in range(n // 10 + 1)]
    )
    Camera.objects.bulk_create(
        [
            Camera(
                facility=facilities[i // 10],
                name=f"Camera {i}",
                zone=Zone.GATE,
                stream_url=f"rtsp://10.{i // 250 % 250}.{i % 250}.1:554/stream1",
                username="viewer",
                password=f"mat-khau-{i:04d}",
                vendor="Hikvision",
                model="DS-2CD1023G0E-I",
                connection_status=ConnectionStatus.CONNECTED,
            )
            for i in range(n)
        ],
        batch_size=500,
    )


def results_for(cameras, sweep_number):
    """What the probes would have found: the same camera plays (or fails) every time, its
    figures move a little from one sweep to the next."""
    from cameras.probe import ProbeResult

    results = {}
    for camera in cameras:
        rng = random.Random(camera.pk * 1000 + sweep_number)
        kind = camera.pk % 20
        if kind == 0:
            result = ProbeResult(
                ok=False, error_kind="refused", error_message="Connection refused."
            )
        elif kind == 1:
            result = ProbeResult(
                ok=False, error_kind="timeout", error_message="No answer within 10 s."
            )
        else:
            result = ProbeResult(
                ok=True,
                codec="h264",
                width=1280,
                height=720,
                fps=round(rng.uniform(24.5, 25.5), 2),
                time_to_first_frame_ms=rng.randint(300, 900),
                keyframe_interval_s=round(rng.uniform(0.9, 2.1), 2),
                bitrate_kbps=round(rng.uniform(900, 2100), 1),
                duration_ms=2000,
            )
        results[camera.pk] = (result, None)
    return results


def run(args):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cameras import health, tasks

    fill(args.cameras)
    sweep_number = [0]
    tasks._probe_all = lambda cameras, progress=None, threads=None: results_for(
        cameras, sweep_number[0]
    )
    stock_write = health.bulk_write
    write = {"statements": 0, "wall": 0.0, "cpu": 0.0, "db": 0.0}
    table = {}

    def timed_write(objects, fields):
        # Every health write: a full check's fields, or a routine check's (cameras/health.py;
        # a checkout from before routine checks, where this script runs too, has only the first).
        written = (health.HEALTH_FIELDS, getattr(health, "ROUTINE_VERDICT_FIELDS", None),
                   getattr(health, "CHECK_FIELDS", None))
        if not any(fields is group for group in written):
            return stock_write(objects, fields)
        meta = type(objects[0])._meta
        table.update(name=meta.db_table, columns=len(meta.concrete_fields))
        t0, c0 = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            stock_write(objects, fields)
        write["wall"] += time.perf_counter() - t0
        write["cpu"] += time.process_time() - c0
        executed = statements(queries)
        write["statements"] += len(executed)
        write["db"] += sum(float(q["time"]) for q in executed)
        return None

    health.bulk_write = timed_write
    figures = []
    for number in range(WARM_UP + args.runs):
        sweep_number[0] = number
        write.update(statements=0, wall=0.0, cpu=0.0, db=0.0)
        planned, tokens = tasks.plan_sweep(due_only=False)
        t0, c0 = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            checked = sum(tasks.check_batch(token, planned.pk)["cameras"] for token in tokens)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert checked == args.cameras, f"{checked} of {args.cameras} cameras checked"
        figure = {
            "write_statements": write["statements"],
            "write_wall_ms": write["wall"] * 1000,
            "write_cpu_ms": write["cpu"] * 1000,
            "write_db_ms": write["db"] * 1000,
            "batches": len(tokens),
            "batch_statements": len(statements(queries)),
            "batch_wall_ms": wall * 1000,
            "batch_cpu_ms": cpu * 1000,
        }
        label = "warm-up" if number < WARM_UP else f"run {number - WARM_UP + 1}"
        print(
            f"{label:>8}: health write {figure['write_statements']} statements "
            f"{figure['write_wall_ms']:.1f} ms wall {figure['write_cpu_ms']:.1f} ms CPU "
            f"{figure['write_db_ms']:.1f} ms executing; "
            f"{figure['batches']} batches without probes {figure['batch_statements']} statements "
            f"{figure['batch_wall_ms']:.1f} ms wall {figure['batch_cpu_ms']:.1f} ms CPU",
            flush=True,
        )
        if number >= WARM_UP:
            figures.append(figure)
    medians = {key: statistics.median(f[key] for f in figures) for key in figures[0]}
    return medians, table


def statements(queries):
    # Statements only: transaction control (BEGIN, SAVEPOINT...) is the same either way.
    return [q for q in queries if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)]


def describe():
    import django
    from django.db import connection

    return {
        "database": connection.vendor,
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg()[0],
        "date": time.strftime("%Y-%m-%d"),
    }


ROWS = [
    ("health write: statements per sweep", "write_statements", "{:.0f}"),
    ("health write: wall per sweep", "write_wall_ms", "{:.1f} ms"),
    ("health write: CPU per sweep", "write_cpu_ms", "{:.1f} ms"),
    ("health write: executing the statements", "write_db_ms", "{:.1f} ms"),
    ("batches without probes: statements", "batch_statements", "{:.0f}"),
    ("batches without probes: wall", "batch_wall_ms", "{:.1f} ms"),
    ("batches without probes: CPU", "batch_cpu_ms", "{:.1f} ms"),
]


def markers(vendor):
    return f"<!-- bench_sweep_write_{vendor}:begin -->", f"<!-- bench_sweep_write_{vendor}:end -->"


def report(runs, args):
    """`runs`: [(label, stored figures)], this run last."""
    env = runs[-1][1]["env"]
    begin, end = markers(env["database"])
    lines = [
        begin,
        f"## What a sweep writes, {env['database']} (bench/bench_sweep_write.py)",
        "",
        f"{args.cameras} connected cameras in batches of {args.batch_size} "
        f"({runs[-1][1]['figures']['batches']:.0f} batches), probes replaced by ready-made "
        "results (90 % playing, 5 % refused, 5 % timing out), so only the database work is "
        f"measured; Python {env['python']}, Django {env['django']}, {env['machine']}, "
        f"{env['cpus']} CPUs, measured {env['date']}; medians of {args.runs} sweeps after "
        f"{WARM_UP} warm-up sweeps. CPU is this process's"
        + (" (the server's share is left out)." if env["database"] != "sqlite" else ".")
        + " Where the checks write:",
        "",
    ]
    for label, run_ in runs:
        table = run_["table"]
        lines.append(
            f"- {label}: `{table['name']}` ({table['columns']} columns), load average "
            f"{run_['env']['load']:.1f} at the start"
        )
    heads = [label for label, _run in runs]
    ratio = len(runs) > 1
    lines += [
        "",
        "| per sweep | " + " | ".join(heads) + (f" | {heads[0]} / {heads[-1]}" if ratio else "")
        + " |",
        "|---" * (len(heads) + 1 + ratio) + "|",
    ]
    for label, key, fmt in ROWS:
        cells = [fmt.format(run_["figures"][key]) for _label, run_ in runs]
        if ratio:
            first, last = runs[0][1]["figures"][key], runs[-1][1]["figures"][key]
            cells.append(f"{first / last:.2f}x" if last else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Rerun: `.venv/bin/python bench/bench_sweep_write.py --save FILE` in a checkout of the "
        "code to compare with, then `--compare LABEL=FILE --write` here.",
        end,
    ]
    return "\n".join(lines)


def write_readme(text, vendor):
    begin, end = markers(vendor)
    path = ROOT / "bench" / "README.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        _old, tail = rest.split(end, 1)
        current = head + text + tail
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current, encoding="utf-8")


def main():
    args = parse_args()
    if args.stored:
        this = json.loads(Path(args.stored).read_text(encoding="utf-8"))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            setup_django(tmp, args)
            env = describe()
            figures, table = run(args)
            this = {"env": env, "figures": figures, "table": table}
    if args.save:
        Path(args.save).write_text(json.dumps(this, indent=1), encoding="utf-8")
    runs = []
    for entry in args.compare:
        label, _, name = entry.partition("=")
        runs.append((label, json.loads(Path(name).read_text(encoding="utf-8"))))
    runs.append((args.label, this))
    text = report(runs, args)
    print(text)
    if args.write:
        write_readme(text, this["env"]["database"])


if __name__ == "__main__":
    main()
