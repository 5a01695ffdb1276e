"""Benchmark of camera snapshots: the CPU a picture adds to a check, and what it weighs on disk.

On the real RTSP server of the tests (tests/rtsp_farm.py --farm N: H.264 1280x720 at 10 fps, a
keyframe every second, one shared encoder), in the same run, batches of CONCURRENT probes of
/cam/<i> alternated between four kinds, ROUNDS of each:

- routine: handshake and first keyframe, nothing decoded (what most scheduled checks are);
- routine + snapshot: the same, the keyframe decoded, scaled to 640 px and JPEG-encoded;
- full: CAMERA_PROBE_SAMPLE_SECONDS (here --sample) of stream sampled;
- full + snapshot.

Then, with --sweep N, the checks' own path (cameras.tasks: plan_sweep, check_batch: probes,
verdicts, health writes and, with pictures, the picture checks, sealing and rows) for N farm
cameras that passed a full check a moment ago, so their checks are routine: sweeps without any
picture and sweeps taking a picture of every camera (the upper bound; the schedule takes a
batch's share, about 2 % of the cameras per sweep), alternated, ROUNDS of each, on a temporary
SQLite database.

CPU is this process's CPU time (time.process_time: every thread, FFmpeg's included; the farm runs
in its own process and is not counted) per probe; printed as medians over the rounds, with the
difference a snapshot makes. Then the picture checks (cameras/picture.py) per picture, and the
size of a snapshot and of its sealed file for the farm's test pictures (a real scene is busier
than colour bars: the README's disk budget says which figure it uses).

    .venv/bin/python bench/bench_snapshot.py             # 5 rounds of 10 probes of each kind
    .venv/bin/python bench/bench_snapshot.py --sweep 40  # ...and sweeps of 40 cameras

Needs the system python with GStreamer (as the tests do). Runs in about a minute.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from cameras import picture  # noqa: E402
from cameras.probe import probe  # noqa: E402
from tests.rtsp_helpers import start_rtsp_farm  # noqa: E402


def batch(farm, offset, concurrent, **options):
    """CPU ms per probe of `concurrent` probes at once; fails if one did not succeed."""
    urls = [farm.url(f"/cam/{offset + i}") for i in range(concurrent)]
    start = time.process_time()
    with ThreadPoolExecutor(concurrent) as pool:
        results = list(pool.map(lambda url: probe(url, deadline=8, **options), urls))
    cpu = (time.process_time() - start) * 1000 / concurrent
    bad = [r.error_kind for r in results if not r.ok]
    assert not bad, bad
    if options.get("snapshot"):
        assert all(r.snapshot for r in results)
    return cpu, results


def sweep_costs(farm, cameras, rounds):
    """{"without": [ms per camera...], "with": [...]}: CPU of sweeps through the task path."""
    tmp = tempfile.mkdtemp(prefix="bench-snapshot-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATA_DIR=tmp,
        SQLITE_PATH=str(Path(tmp) / "bench.sqlite3"),
        LOG_LEVEL="WARNING",
        Q_SYNC="0",
        CAMERA_ALLOWED_NETWORKS="127.0.0.0/8",
        CAMERA_CHECK_BATCH_SIZE=str(cameras),
        CAMERA_CHECK_THREADS="10",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from django_q.models import Schedule

    from cameras import snapshots, tasks
    from cameras.choices import Health
    from cameras.models import Camera, CameraState, ConnectionStandard
    from facilities.models import Facility, Province

    call_command("migrate", verbosity=0)
    Schedule.objects.all().delete()
    facility = Facility.objects.create(province=Province.objects.get(code="01"), name="Bench")
    Camera.objects.bulk_create(
        [
            Camera(facility=facility, name=f"cam {i}", zone="gate",
                   stream_url=farm.url(f"/cam/{i}"))
            for i in range(cameras)
        ]
    )
    costs = {"without": [], "with": []}
    choices = {"without": lambda *a: set(), "with": lambda cams, *a: {c.pk for c in cams}}
    for _round in range(rounds + 1):
        for mode, wanted in choices.items():
            # Passed a full check a moment ago: this sweep's checks are routine.
            CameraState.objects.update(
                verdict_pending=False, verdict_eligible=True, full_checked_at=timezone.now(),
                health=Health.ONLINE, consecutive_failures=0, last_ok_at=timezone.now(),
                verdict_standard=ConnectionStandard.current(), next_check_at=None,
            )
            snapshots.wanted = wanted
            sweep, tokens = tasks.plan_sweep(due_only=False)
            start = time.process_time()
            for token in tokens:
                tasks.check_batch(token, sweep.pk)
            if _round:  # the first round warms up (imports, first connections)
                costs[mode].append((time.process_time() - start) * 1000 / cameras)
    return costs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=10)
    parser.add_argument("--sample", type=float, default=1.0, help="seconds a full probe samples")
    parser.add_argument("--sweep", type=int, default=0, metavar="N", help="sweeps of N cameras")
    args = parser.parse_args()
    kinds = {
        "routine": {"sample_seconds": 0},
        "routine + snapshot": {"sample_seconds": 0, "snapshot": True},
        "full": {"sample_seconds": args.sample},
        "full + snapshot": {"sample_seconds": args.sample, "snapshot": True},
    }
    farm = start_rtsp_farm("--farm", str(max(args.concurrent * len(kinds), args.sweep)))
    cpu = {kind: [] for kind in kinds}
    pictures = []
    try:
        batch(farm, 0, args.concurrent, sample_seconds=0)  # the shared encoder is up
        for _round in range(args.rounds):
            for n, (kind, options) in enumerate(kinds.items()):
                ms, results = batch(farm, n * args.concurrent, args.concurrent, **options)
                cpu[kind].append(ms)
                pictures += [r.snapshot for r in results if r.snapshot]
        sweeps = sweep_costs(farm, args.sweep, args.rounds) if args.sweep else None
        samples = {}
        for name in ("still", "snow"):
            url = farm.url(f"/pattern/{name}")
            result = probe(url, deadline=8, sample_seconds=0, snapshot=True)
            samples[name] = result.snapshot
    finally:
        farm.stop()

    print(f"{args.concurrent} probes at once, {args.rounds} rounds, CPU ms per probe (median):")
    median = {kind: statistics.median(values) for kind, values in cpu.items()}
    for kind, value in median.items():
        runs = ", ".join(f"{v:.1f}" for v in cpu[kind])
        print(f"  {kind:20s} {value:6.1f}   ({runs})")
    print(f"  a snapshot adds {median['routine + snapshot'] - median['routine']:.1f} ms to a "
          f"routine probe, {median['full + snapshot'] - median['full']:.1f} ms to a full one")

    start = time.process_time()
    for jpeg in pictures:
        picture.warnings(jpeg, pictures[0])
    checks = (time.process_time() - start) * 1000 / len(pictures)
    print(f"picture checks (with the frozen comparison): {checks:.2f} ms CPU per picture")

    sealer = Fernet(Fernet.generate_key())
    samples["farm /cam (ball)"] = pictures[0]
    for name, jpeg in samples.items():
        sealed = len(sealer.encrypt(jpeg)) + 1
        size = len(jpeg) / 1024
        print(f"snapshot of {name}: JPEG {size:.1f} KiB, sealed {sealed / 1024:.1f} KiB")

    if sweeps:
        print(f"sweeps of {args.sweep} cameras (routine checks), CPU ms per camera (median):")
        for mode, values in sweeps.items():
            runs = ", ".join(f"{v:.1f}" for v in values)
            print(f"  {mode + ' pictures':20s} {statistics.median(values):6.1f}   ({runs})")


if __name__ == "__main__":
    main()
