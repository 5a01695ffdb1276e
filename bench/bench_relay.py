"""Benchmark of the probe's relay: CPU and wall time per probe, through the relay and direct.

cameras/probe.py puts a loopback relay (cameras/relay.py) between FFmpeg and the camera, so that
no RTSP redirect can take FFmpeg elsewhere; every byte of the stream then passes through Python.
This measures what that costs against FFmpeg connecting to the camera itself (the probe's private
`_probe_direct`, kept for this baseline), in the same run, on the real RTSP server of the tests
(tests/rtsp_farm.py):

- one at a time: each farm stream (H.264 720p25, H.265 720p25, H.264 480p25, H.264 720p5, and
  /secure with Digest credentials), relay and direct probes alternated, RUNS of each;
- many at once: CONCURRENT probes of the farm's shared /cam/<i> cameras (one encoder feeds all,
  as in bench/bench_probe.py), relay and direct batches alternated, RUNS of each.

CPU is this process's CPU time (time.process_time: every thread, FFmpeg's included; the farm runs
in its own process and is not counted), per probe; wall time is the probe's own duration_ms.
Printed as medians with the ratio relay / direct.

    .venv/bin/python bench/bench_relay.py                # 5 runs of each
    .venv/bin/python bench/bench_relay.py --write        # ...and update bench/README.md

Needs the system python with GStreamer (as the tests do) and ffmpeg on PATH (the farm's anchor
client, as in bench/bench_probe.py).
"""

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cameras.probe import _probe_direct, probe  # noqa: E402
from tests.rtsp_helpers import start_rtsp_farm  # noqa: E402

README = ROOT / "bench" / "README.md"
BEGIN = "<!-- bench_relay:begin -->"
END = "<!-- bench_relay:end -->"
STREAMS = {
    "/h264_720p": "H.264 1280x720 25 fps",
    "/h265": "H.265 1280x720 25 fps",
    "/lowres": "H.264 640x480 25 fps",
    "/lowfps": "H.264 1280x720 5 fps",
    "/secure": "H.264 1280x720 25 fps, Digest",
}
MODES = {"relay": probe, "direct": _probe_direct}
LIMITS = {"deadline": 10.0, "sample_seconds": 2.0}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=16)
    parser.add_argument("--write", action="store_true", help="write the figures to bench/README.md")
    return parser.parse_args()


def timed(run, *args):
    cpu = time.process_time()
    result = run(*args, **LIMITS)
    return result, (time.process_time() - cpu) * 1000


def one_at_a_time(farm, runs):
    """{(path, mode): [(wall ms, cpu ms, ok)]}."""
    samples = {}
    for path in STREAMS:
        creds = ("cam", farm.password) if path == "/secure" else (None, None)
        url = farm.url(path)
        probe(url, *creds, **LIMITS)  # the server's first pipeline build is not measured
        for i in range(runs):
            order = list(MODES) if i % 2 == 0 else list(reversed(MODES))
            for mode in order:
                result, cpu = timed(MODES[mode], url, *creds)
                samples.setdefault((path, mode), []).append((result.duration_ms, cpu, result.ok))
    return samples


def many_at_once(runs, width):
    """{mode: [(wall ms of the batch, cpu ms per probe, probes ok)]}."""
    farm = start_rtsp_farm("--farm", str(width + 1), "--farm-size", "1280x720@10")
    # gst-rtsp-server trips over clients arriving while the shared media is set up or torn
    # down; one client that stays keeps it up (see bench/bench_probe.py).
    anchor = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "quiet", "-rtsp_transport", "tcp", "-i",
         farm.url(f"/cam/{width}"), "-c", "copy", "-f", "null", "-"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    samples = {}
    try:
        deadline = time.monotonic() + 20
        while not probe(farm.url("/cam/0"), deadline=3).ok and time.monotonic() < deadline:
            time.sleep(0.5)
        urls = [farm.url(f"/cam/{i}") for i in range(width)]
        with ThreadPoolExecutor(width) as pool:
            for i in range(runs):
                order = list(MODES) if i % 2 == 0 else list(reversed(MODES))
                for mode in order:
                    run = MODES[mode]
                    cpu, wall = time.process_time(), time.monotonic()
                    results = list(pool.map(lambda url, run=run: run(url, **LIMITS), urls))
                    wall = (time.monotonic() - wall) * 1000
                    cpu = (time.process_time() - cpu) * 1000 / width
                    samples.setdefault(mode, []).append((wall, cpu, sum(r.ok for r in results)))
    finally:
        anchor.terminate()
        anchor.wait(timeout=10)
        farm.stop()
    return samples


def med(values):
    return statistics.median(values)


def summarize(args, single, batch):
    lines = [
        "## The probe's relay (bench/bench_relay.py)",
        "",
        f"Every probe now goes through a loopback relay (cameras/relay.py) that parses what the "
        f"camera sends so that no RTSP redirect reaches FFmpeg. Cost against FFmpeg connecting to "
        f"the camera itself (`cameras.probe._probe_direct`), same run, tests/rtsp_farm.py on "
        f"loopback; Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, measured {datetime.date.today().isoformat()}; medians of "
        f"{args.runs} probes of each (relay and direct alternated), each probe reading "
        f"{LIMITS['sample_seconds']:g} s of stream. CPU is this process's CPU time (every "
        f"thread, FFmpeg's included; the farm's process is not counted).",
        "",
        "One probe at a time:",
        "",
        "| stream | relay wall | direct wall | relay CPU | direct CPU | CPU ratio | played |",
        "|---|---|---|---|---|---|---|",
    ]
    for path, label in STREAMS.items():
        relay, direct = single[(path, "relay")], single[(path, "direct")]
        r_cpu, d_cpu = med([s[1] for s in relay]), med([s[1] for s in direct])
        lines.append(
            f"| `{path}` ({label}) | {med([s[0] for s in relay]):.0f} ms "
            f"| {med([s[0] for s in direct]):.0f} ms | {r_cpu:.1f} ms | {d_cpu:.1f} ms "
            f"| {r_cpu / d_cpu:.2f}x | {sum(s[2] for s in relay)}/{len(relay)} relay, "
            f"{sum(s[2] for s in direct)}/{len(direct)} direct |"
        )
    lines += [
        "",
        f"{args.concurrent} probes at once (the farm's shared /cam/<i> cameras, H.264 1280x720 "
        f"10 fps), CPU per probe and wall time of the batch:",
        "",
        "| | batch wall | CPU per probe | played |",
        "|---|---|---|---|",
    ]
    for mode in MODES:
        runs = batch[mode]
        lines.append(
            f"| {mode} | {med([s[0] for s in runs]):.0f} ms | {med([s[1] for s in runs]):.1f} ms "
            f"| {sum(s[2] for s in runs)}/{args.concurrent * len(runs)} |"
        )
    r_cpu, d_cpu = med([s[1] for s in batch["relay"]]), med([s[1] for s in batch["direct"]])
    lines += [
        f"| ratio | | {r_cpu / d_cpu:.2f}x | |",
        "",
        "Wall time does not change: a probe reads a fixed span of stream. The extra CPU is the "
        "second loopback hop, not the parsing: cProfile of the relay's thread over one "
        "/h264_720p probe counted 150 passes, 3 ms splitting messages and 42 ms (wall) inside "
        "send and recv, the kernel's loopback delivery and taking the GIL back included. "
        "Letting packets gather (a 10 ms pause while media flows) "
        "made it worse (87 against 56 ms per probe) and was dropped.",
        "",
        "Rerun: `.venv/bin/python bench/bench_relay.py --write`.",
    ]
    return "\n".join(lines)


def write_readme(summary):
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{summary}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")
    print(f"figures written to {README}")


def main():
    args = parse_args()
    farm = start_rtsp_farm()
    try:
        single = one_at_a_time(farm, args.runs)
    finally:
        farm.stop()
    batch = many_at_once(args.runs, args.concurrent)
    summary = summarize(args, single, batch)
    print(summary)
    if args.write:
        write_readme(summary)


if __name__ == "__main__":
    main()
