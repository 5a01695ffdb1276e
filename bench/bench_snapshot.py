"""Benchmark of camera snapshots: the CPU a picture adds to a check, and what it weighs on disk.

On the real RTSP server of the tests (tests/rtsp_farm.py --farm N: H.264 1280x720 at 10 fps, a
keyframe every second, one shared encoder), in the same run, batches of CONCURRENT probes of
/cam/<i> alternated between four kinds, ROUNDS of each:

- routine: handshake and first keyframe, nothing decoded (what most scheduled checks are);
- routine + snapshot: the same, the keyframe decoded, scaled to 640 px and JPEG-encoded;
- full: CAMERA_PROBE_SAMPLE_SECONDS (here --sample) of stream sampled;
- full + snapshot.

CPU is this process's CPU time (time.process_time: every thread, FFmpeg's included; the farm runs
in its own process and is not counted) per probe; printed as medians over the rounds, with the
difference a snapshot makes. Then the picture checks (cameras/picture.py) per picture, and the
size of a snapshot and of its sealed file for the farm's test pictures (a real scene is busier
than colour bars: the README's disk budget says which figure it uses).

    .venv/bin/python bench/bench_snapshot.py             # 5 rounds of 10 probes of each kind

Needs the system python with GStreamer (as the tests do). Runs in about a minute.
"""

import argparse
import statistics
import sys
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=10)
    parser.add_argument("--sample", type=float, default=1.0, help="seconds a full probe samples")
    args = parser.parse_args()
    kinds = {
        "routine": {"sample_seconds": 0},
        "routine + snapshot": {"sample_seconds": 0, "snapshot": True},
        "full": {"sample_seconds": args.sample},
        "full + snapshot": {"sample_seconds": args.sample, "snapshot": True},
    }
    farm = start_rtsp_farm("--farm", str(args.concurrent * len(kinds)))
    cpu = {kind: [] for kind in kinds}
    pictures = []
    try:
        batch(farm, 0, args.concurrent, sample_seconds=0)  # the shared encoder is up
        for _round in range(args.rounds):
            for n, (kind, options) in enumerate(kinds.items()):
                ms, results = batch(farm, n * args.concurrent, args.concurrent, **options)
                cpu[kind].append(ms)
                pictures += [r.snapshot for r in results if r.snapshot]
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


if __name__ == "__main__":
    main()
