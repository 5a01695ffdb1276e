"""Benchmark of the bulk CSV import: 10,000 cameras in 130 facilities.

Measures, for the camera file: the check (read, validate every row, no write), the import (check
again inside the transaction, then write, with one audit entry per camera), and the peak Python
memory of each (tracemalloc) plus the process's peak resident size.

    .venv/bin/python bench/bench_import.py                  # SQLite file in a temporary directory
    .venv/bin/python bench/bench_import.py --mode save      # Camera.save() per camera instead
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/bench_import.py              # a scratch PostgreSQL database

The database is migrated and filled from scratch: point DATABASE_URL only at a scratch database.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=10000)
    parser.add_argument("--facilities", type=int, default=130)
    parser.add_argument("--mode", choices=["bulk", "save"], default="bulk")
    parser.add_argument("--delimiter", default=";")
    return parser.parse_args()


def setup_django(tmp):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DATA_DIR", tmp)
    os.environ["IMPORT_MAX_ROWS"] = "100000"
    os.environ["IMPORT_MAX_BYTES"] = str(64 * 1024 * 1024)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Checks of the new cameras are queued after commit; the benchmark has no task cluster.
    os.environ.setdefault("Q_SYNC", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def facility_file(n, delimiter):
    lines = [delimiter.join(["province_code", "name", "kind", "status", "planned_cameras"])]
    for i in range(n):
        lines.append(delimiter.join(["01", f"Khu cách ly số {i + 1}", "civil", "active", "10"]))
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def camera_file(n, facilities, delimiter):
    zones = ["gate", "corridor", "yard", "reception", "floor_lobby"]
    header = ["province_code", "facility", "name", "zone", "stream_url", "username", "password",
              "vendor", "model"]
    lines = [delimiter.join(header)]
    for i in range(n):
        facility = f"Khu cách ly số {i % facilities + 1}"
        lines.append(
            delimiter.join(
                [
                    "01",
                    facility,
                    f"Camera hành lang {i + 1:05d}",
                    zones[i % len(zones)],
                    f"rtsp://10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}:554/Streaming/101",
                    "viewer",
                    f"mật-khẩu-{i}",
                    "Hikvision",
                    "DS-2CD1023G0E-I",
                ]
            )
        )
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def measure(label, func):
    # Wall time and this process's CPU time (the two differ on a busy machine), then the peak of
    # Python allocations in a second run of nothing but the allocation tracer (it slows code 2x).
    t0, c0 = time.perf_counter(), time.process_time()
    result = func()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{label:<40} {elapsed:8.2f} s wall {cpu:8.2f} s CPU", flush=True)
    return result, elapsed


def peak_memory(label, func):
    tracemalloc.start()
    result = func()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<40} peak Python memory {peak / 2**20:7.1f} MiB", flush=True)
    return result


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(tmp)
        from auditlog.models import LogEntry
        from django.db import connection

        from cameras.importer import CameraImporter
        from cameras.models import Camera
        from facilities.importer import FacilityImporter

        print(f"database: {connection.vendor}; {args.cameras} cameras in {args.facilities} "
              f"facilities; write mode: {args.mode}")
        fac_data = facility_file(args.facilities, args.delimiter)
        plan, _t = measure(
            f"facilities: import {args.facilities}",
            lambda: FacilityImporter().apply(fac_data),
        )
        assert plan.ok and plan.created == args.facilities, plan.error_lines()[:5]

        data = camera_file(args.cameras, args.facilities, args.delimiter)
        print(f"camera file: {len(data) / 2**20:.2f} MiB")
        importer = CameraImporter()
        importer.write_mode = args.mode
        plan, check_s = measure("cameras: check only (preview)", lambda: importer.check(data))
        assert plan.ok, plan.error_lines()[:5]
        del plan
        peak_memory("cameras: check only (preview)", lambda: importer.check(data))
        entries_before = LogEntry.objects.count()
        plan, apply_s = measure("cameras: check + write (confirm)", lambda: importer.apply(data))
        assert plan.ok and plan.created == args.cameras, plan.error_lines()[:5]
        print(f"{'cameras: write alone (difference)':<40} {apply_s - check_s:8.2f} s")
        print(f"audit entries written: {LogEntry.objects.count() - entries_before}; "
              f"cameras stored: {Camera.objects.count()}")
        plan, _t = measure("cameras: re-import (all duplicates)", lambda: importer.check(data))
        assert len(plan.errors) == args.cameras
        del plan
        Camera.objects.all().delete()
        LogEntry.objects.all().delete()
        peak_memory("cameras: check + write (confirm)", lambda: importer.apply(data))
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident size of the process: {peak_rss:.0f} MiB")


if __name__ == "__main__":
    main()
