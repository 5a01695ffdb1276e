"""Benchmark of the camera sweep: 1,000 simulated cameras checked through the real task path.

Serves a farm of cameras on loopback: live ones from tests/rtsp_farm.py --farm N (real RTSP,
H.264 1280x720 at 10 fps with a keyframe every second, all paths fed by one shared encoder so
the farm fits on a 2-core machine), and optionally dead ones (closed ports: connection refused)
and silent ones (tests/fake_rtsp.py "silent": accepts, never answers). Then, in the same run and
at the same concurrency:

- the sweep: `cameras.tasks.sweep` enqueued to django-q2's ORM broker and run by a real
  `manage.py qcluster` subprocess (Q_WORKERS workers), which splits the cameras into batch tasks
  that probe in threads (CAMERA_CHECK_THREADS) and write health, verdicts and history. With
  `--check routine` (the default) every camera has passed a full check shortly before, so the
  sweep makes routine checks (handshake and first keyframe); `--check full` makes them full
  checks (CAMERA_PROBE_SAMPLE_SECONDS of stream sampled), as every check was before;
- the baseline: one `ffprobe` process per camera, workers x threads at once, reading what the
  check reads: for a full check the same facts (codec, size, frame rate, packets of the sample);
  for a routine one the codec and size with the same smallest stream analysis and one GOP of
  packets (12 at 10 fps: ffprobe cannot stop at the first keyframe).

Printed per run and as medians: wall time, checks per second, and CPU milliseconds per check of
the task cluster alone (its process tree read from /proc just before and after the sweep:
utime + stime of every process, the reaped children's included; the farm, the benchmark and,
on PostgreSQL, the database server are not counted, SQLite's work is, being inside the
workers); for ffprobe, the CPU of its processes. Memory: the resident size (VmRSS) of the
cluster's processes summed, sampled every 0.2 s during the sweep, against the same idle just
before it; the peak growth divided by the probes at once is the memory per probe in flight.

    .venv/bin/python bench/bench_probe.py                 # 1,000 cameras, routine checks
    .venv/bin/python bench/bench_probe.py --write         # ...and update bench/README.md
    .venv/bin/python bench/bench_probe.py --check full --dead-share 0.05 --silent-share 0.05

Needs the system python with GStreamer (as the tests do) and ffprobe on PATH.
"""

import argparse
import datetime
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

README = ROOT / "bench" / "README.md"
BEGIN = "<!-- bench_probe{}:begin -->"
END = "<!-- bench_probe{}:end -->"
TICK = os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--check", choices=("routine", "full"), default="routine")
    parser.add_argument("--dead-share", type=float, default=0.0, help="refused ports")
    parser.add_argument(
        "--silent-share", type=float, default=0.0, help="servers that never answer"
    )
    parser.add_argument("--workers", type=int, default=2, help="qcluster workers (Q_WORKERS)")
    parser.add_argument(
        "--threads",
        default="64,128",
        help="CAMERA_CHECK_THREADS values to measure, comma-separated (batches as large)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--batch-factor",
        type=int,
        default=1,
        help="CAMERA_CHECK_BATCH_SIZE as this many times CAMERA_CHECK_THREADS",
    )
    parser.add_argument(
        "--phases",
        type=int,
        default=4,
        help="farm encoders, started a fraction of a second apart (keyframe phases)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="the sweep alone")
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=128,
        help="no ffprobe baseline above this many at once (at 256 ffprobe processes the 2-core "
        "machine's load passed 100 and the farm served 3 %% of them)",
    )
    parser.add_argument(
        "--perf",
        action="store_true",
        help="sample the cluster's processes with perf during each setting's first sweep and "
        "print where its CPU went, by library",
    )
    parser.add_argument("--write", action="store_true", help="write the figures to bench/README.md")
    args = parser.parse_args()
    args.threads_list = [int(value) for value in args.threads.split(",") if value.strip()]
    return args


def setup_django(tmp, args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DATA_DIR"] = tmp
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tmp) / "bench_probe.sqlite3")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["Q_SYNC"] = "0"
    os.environ["Q_WORKERS"] = str(args.workers)
    # The simulated cameras live on loopback, which production never probes.
    os.environ["CAMERA_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Only the sweeps the benchmark starts: no scheduled sweep, snapshot or purge.
    from django_q.models import Schedule

    Schedule.objects.all().delete()


class Cast:
    """The simulated cameras: the farm, its anchor client, silent servers and dead ports."""

    def __init__(self, n, dead_share, silent_share, phases=1):
        from tests.fake_rtsp import FakeRtspServer, closed_port

        self.phases = phases
        self.n_dead = round(n * dead_share)
        self.n_silent = round(n * silent_share)
        self.n_live = n - self.n_dead - self.n_silent
        self.farm = self.anchor = None
        self.silent = [FakeRtspServer("silent").start() for _ in range(max(1, self.n_silent // 10))]
        self.others = [f"rtsp://127.0.0.1:{closed_port()}/stream" for _ in range(self.n_dead)]
        self.others += [
            self.silent[i % len(self.silent)].url(f"/silent{i}") for i in range(self.n_silent)
        ]

    @property
    def urls(self):
        return [self.farm.url(f"/cam/{i}") for i in range(self.n_live)] + self.others

    def start_farm(self):
        """A fresh farm for every measurement: one hung under load would spoil the next ones.

        Started before a measurement's first reading and stopped (reaped) after its last, so its
        CPU is never counted.
        """
        from cameras.probe import probe
        from tests.rtsp_helpers import start_rtsp_farm

        groups = self.phases
        for _attempt in range(3):
            self.farm = start_rtsp_farm(
                "--farm", str(self.n_live + groups), "--farm-groups", str(groups)
            )
            # The farm's shared media is torn down when its last client leaves, and a client
            # arriving during the tear-down trips an assertion in gst-rtsp-server (seen with
            # ffprobe's connect/leave churn). One client per encoder that stays keeps the media
            # up. An encoder starts with its first client: starting them a fraction of the GOP
            # apart gives the encoders keyframes at different moments, as independent cameras
            # have; with one encoder every check waits for the same keyframe.
            self.anchor = []
            for group in range(groups):
                self.anchor.append(subprocess.Popen(
                    ["ffmpeg", "-nostdin", "-v", "quiet", "-rtsp_transport", "tcp", "-i",
                     self.farm.url(f"/cam/{self.n_live + group}"), "-c", "copy", "-f", "null",
                     "-"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ))
                time.sleep(1.0 / groups)
            time.sleep(1.0)
            if probe(self.farm.url("/cam/0")).ok:
                return self.farm.port
            self.stop_farm()
        raise SystemExit("the RTSP farm does not serve")

    def stop_farm(self):
        for anchor in self.anchor or ():
            anchor.terminate()
            anchor.wait(timeout=10)
        if self.farm is not None:
            self.farm.stop()
        self.farm = self.anchor = None

    def stop(self):
        for server in self.silent:
            server.stop()
        self.stop_farm()


def point_cameras_at(cast):
    """After a farm restart (new port), the live cameras' addresses follow (no save hooks)."""
    from cameras.models import Camera

    live = list(Camera.objects.order_by("pk").values_list("pk", flat=True)[: cast.n_live])
    cameras = Camera.objects.in_bulk(live)
    for index, pk in enumerate(live):
        cameras[pk].stream_url = cast.farm.url(f"/cam/{index}")
    Camera.objects.bulk_update(list(cameras.values()), ["stream_url"], batch_size=200)


def fill(urls):
    from cameras.choices import ConnectionStatus, Zone
    from cameras.models import Camera
    from facilities.models import Facility, Province

    province = Province.objects.get(code="01")
    facilities = Facility.objects.bulk_create(
        [Facility(province=province, name=f"Khu cách ly {i}") for i in range(len(urls) // 10 + 1)]
    )
    Camera.objects.bulk_create(
        [
            # Connected, as most cameras are in the steady state the sweep is for (a registered
            # camera's first verdict also writes one audited status change).
            Camera(
                facility=facilities[i // 10],
                name=f"Camera {i}",
                zone=Zone.GATE,
                stream_url=url,
                connection_status=ConnectionStatus.CONNECTED,
            )
            for i, url in enumerate(urls)
        ],
        batch_size=500,
    )


def cpu_self_children():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def tree_pids(root_pid):
    """The process ids of a live process tree."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(raw[raw.rindex(")") + 2 :].split()[1])
    wanted, changed = {root_pid}, True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    return wanted


def tree_rss(pids):
    """Resident memory of these processes together, in bytes (VmRSS)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class RssSampler:
    """The peak of a process tree's resident memory, sampled every 0.2 s in a thread."""

    def __init__(self, root_pid):
        import threading

        self.pids = tree_pids(root_pid)
        self.idle = tree_rss(self.pids)
        self.peak = self.idle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, tree_rss(self.pids))

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.idle, self.peak


def tree_cpu(root_pid):
    """CPU seconds of a process tree (live processes and the children they reaped), from /proc."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        ppid = int(fields[1])
        cpu = sum(int(value) for value in fields[11:15]) / TICK  # utime stime cutime cstime
        stats[int(entry)] = (ppid, cpu)
    wanted, total = {root_pid}, 0.0
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _cpu) in stats.items():
            if ppid in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    for pid in wanted:
        if pid in stats:
            total += stats[pid][1]
    return total


def start_cluster():
    from django_q.tasks import async_task, result

    cluster = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Ready when a trivial task has gone through (workers forked, broker polled).
    task_id = async_task("math.floor", 1.5)
    deadline = time.monotonic() + 60
    while result(task_id) is None:
        if time.monotonic() > deadline or cluster.poll() is not None:
            raise SystemExit("qcluster did not start")
        time.sleep(0.2)
    return cluster


def stop_cluster(cluster):
    cluster.send_signal(signal.SIGTERM)
    try:
        cluster.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait()


def ready_for(check):
    """Every camera as its checks leave it: due now, and for routine checks, plainly online
    after a passing full check a moment ago (so the sweep plans routine checks, and a failure
    in one run does not turn the next run's check into a full one)."""
    from django.utils import timezone

    from cameras.choices import Health
    from cameras.models import CameraState, ConnectionStandard

    reset = {"next_check_at": None, "claim_token": "", "claimed_until": None,
             "unfinished_checks": 0}
    if check == "routine":
        now = timezone.now()
        reset.update(
            health=Health.ONLINE, consecutive_failures=0, failing_since=None,
            verdict_eligible=True, verdict_reasons=[], verdict_pending=False,
            verdict_standard=ConnectionStandard.current(), verdict_at=now, full_checked_at=now,
            last_fps=10.0,
        )
    CameraState.objects.update(**reset)


def perf_by_library(pids, seconds):
    """Start `perf record` on these processes for `seconds`; returns a function that waits for
    it and returns the CPU samples' shares by library (shared object), largest first."""
    data = tempfile.mktemp(prefix="bench_probe_perf_")
    recorder = subprocess.Popen(
        ["perf", "record", "-q", "-F", "499", "-o", data, "-p", ",".join(map(str, pids)),
         "--", "sleep", str(seconds)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def report():
        recorder.wait()
        out = subprocess.run(
            ["perf", "report", "-q", "-i", data, "--sort", "dso", "--stdio"],
            capture_output=True, text=True,
        ).stdout
        symbols = subprocess.run(
            ["perf", "report", "-q", "-i", data, "--sort", "dso,sym", "--stdio"],
            capture_output=True, text=True,
        ).stdout
        print("\n".join(symbols.splitlines()[:40]))
        Path(data).unlink(missing_ok=True)
        shares = []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith("%"):
                shares.append((float(parts[0].rstrip("%")), " ".join(parts[1:])))
        return shares

    return report


def run_sweep(n, check="routine", perf=False, farm_pid=None):
    from django.db import close_old_connections
    from django.db.models import Count
    from django.utils import timezone
    from django_q.tasks import async_task

    from cameras.models import CameraState, Sweep

    ready_for(check)
    before_ids = set(Sweep.objects.values_list("pk", flat=True))
    cpu0 = cpu_self_children()
    cluster = start_cluster()
    load0 = os.getloadavg()[0]
    sampler = RssSampler(cluster.pid)
    profile = perf_by_library(sampler.pids, 15) if perf else None
    tree0, own0 = tree_cpu(cluster.pid), _own_cpu()
    farm0 = tree_cpu(farm_pid) if farm_pid else 0.0
    enqueued = timezone.now()
    # Checks on request are full checks; the schedule's are routine where they may be.
    async_task("cameras.tasks.sweep", "request" if check == "full" else "schedule",
               due_only=False)
    sweep = None
    while True:
        # A slow poll costs no precision: the wall time comes from the sweep's own finish time.
        time.sleep(0.5)
        close_old_connections()
        sweep = Sweep.objects.exclude(pk__in=before_ids).first()
        if sweep is not None and sweep.finished_at is not None:
            break
    tree1, own1 = tree_cpu(cluster.pid), _own_cpu()
    farm1 = tree_cpu(farm_pid) if farm_pid else 0.0
    idle, peak = sampler.stop()
    load1 = os.getloadavg()[0]
    wall = (sweep.finished_at - enqueued).total_seconds()
    shares = profile() if profile else []
    stop_cluster(cluster)
    cpu = cpu_self_children() - cpu0
    checked = sweep.successes + sweep.failures
    kinds = dict(
        CameraState.objects.filter(last_checked_at__isnull=False)
        .order_by()
        .values("last_error_kind")
        .annotate(n=Count("pk"))
        .values_list("last_error_kind", "n")
    )
    return {
        "wall": wall,
        # From the moment the cluster took the sweep task (the ORM broker polls once a second):
        # the rate once the sweep runs, its pick-up left out.
        "running": (sweep.finished_at - sweep.started_at).total_seconds(),
        "farm_cpu_ms": (farm1 - farm0) * 1000 / n,
        # With the cluster's start and stop and this process's share (the earlier measure).
        "cpu_ms": cpu * 1000 / n,
        # The cluster's process tree during the sweep alone: the figure the targets are about.
        "cluster_cpu_ms": (tree1 - tree0) * 1000 / n,
        "sweep_cpu_ms": ((tree1 - tree0) + (own1 - own0)) * 1000 / n,
        "probes": checked,
        "ok": sweep.successes,
        "full": sweep.full_checks,
        "kinds": kinds,
        "batches": sweep.batches,
        "rss_idle": idle,
        "rss_peak": peak,
        "load": (load0, load1),
        "perf": shares,
    }


def _own_cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def ffprobe(url, options, check="full"):
    """The baseline probe: one ffprobe process reading the same facts our probe reads."""
    if check == "routine":
        # The routine probe's smallest stream analysis; ffprobe cannot stop at the first
        # keyframe, so it reads one GOP of packets (12 at 10 fps), keyframe flags only.
        analysis = ["-probesize", "32", "-analyzeduration", "1"]
        entries = ["-show_entries", "stream=codec_name,width,height:packet=flags",
                   "-read_intervals", "%+#12"]
    else:
        # The stream analysis limits cameras/probe.py sets too: without them ffprobe analyses
        # 5 s of stream (and on a live stream -read_intervals then ran for minutes).
        analysis = ["-analyzeduration", "500000"]
        entries = [
            "-show_entries",
            "stream=codec_name,width,height,avg_frame_rate:packet=pts_time,size,flags",
            "-read_intervals", f"%+{options['sample_seconds']:g}",
        ]
    cmd = [
        "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
        "-timeout", str(int(options["open_timeout"] * 1_000_000)),
        *analysis, "-fpsprobesize", "0", "-select_streams", "v:0", *entries,
        "-of", "json", url,
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=options["deadline"])
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and b'"codec_name"' in done.stdout


def run_baseline(urls, width, check="full"):
    from cameras import conf

    options = conf.probe_options()
    load0 = os.getloadavg()[0]
    kids0 = _children_cpu()
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=width) as pool:
        outcomes = list(pool.map(lambda url: ffprobe(url, options, check), urls))
    wall = time.monotonic() - t0
    # The ffprobe processes alone (reaped children), as the sweep counts its cluster alone.
    cpu = _children_cpu() - kids0
    return {"wall": wall, "cpu_ms": cpu * 1000 / len(urls), "probes": len(urls),
            "ok": sum(outcomes), "load": (load0, os.getloadavg()[0])}


def _children_cpu():
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def median(runs, key):
    return statistics.median(run[key] for run in runs)


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_probe_") as tmp:
        setup_django(tmp, args)
        cast = Cast(args.cameras, args.dead_share, args.silent_share, args.phases)
        results = {}
        try:
            cast.start_farm()
            fill(cast.urls)
            cast.stop_farm()
            print(
                f"{args.cameras} cameras: {cast.n_live} live, {cast.n_dead} dead (refused), "
                f"{cast.n_silent} silent; {args.check} checks"
            )
            for threads in args.threads_list:
                # The cluster reads these at its start.
                os.environ["CAMERA_CHECK_THREADS"] = str(threads)
                os.environ["CAMERA_CHECK_BATCH_SIZE"] = str(threads * args.batch_factor)
                width = args.workers * threads
                sweeps, baselines = [], []
                for run in range(args.runs):
                    cast.start_farm()
                    point_cameras_at(cast)
                    sweep = run_sweep(
                        args.cameras, args.check, perf=args.perf and run == 0,
                        farm_pid=cast.farm.process.pid,
                    )
                    cast.stop_farm()
                    sweeps.append(sweep)
                    print(
                        f"{width} at once, run {run + 1}, sweep:   {sweep['wall']:6.1f} s, "
                        f"{sweep['probes'] / sweep['wall']:5.1f} checks/s "
                        f"({sweep['probes'] / sweep['running']:.1f} once running), "
                        f"{sweep['cluster_cpu_ms']:5.1f} ms cluster CPU/check "
                        f"(farm {sweep['farm_cpu_ms']:.1f}) "
                        f"({sweep['cpu_ms']:.1f} with its start and stop), {sweep['ok']} played, "
                        f"{sweep['full']} full, {sweep['batches']} batches, "
                        f"RSS {sweep['rss_idle'] / MIB:.0f} -> {sweep['rss_peak'] / MIB:.0f} MiB, "
                        f"load {sweep['load'][0]:.1f}-{sweep['load'][1]:.1f}, "
                        f"errors {sweep['kinds']}",
                        flush=True,
                    )
                    for share, library in sweep["perf"][:12]:
                        print(f"    perf {share:5.1f} %  {library}")
                    if args.no_baseline or width > args.baseline_max:
                        continue
                    cast.start_farm()
                    base = run_baseline(cast.urls, width, args.check)
                    cast.stop_farm()
                    baselines.append(base)
                    print(
                        f"{width} at once, run {run + 1}, ffprobe: {base['wall']:6.1f} s, "
                        f"{base['probes'] / base['wall']:5.1f} checks/s, "
                        f"{base['cpu_ms']:5.1f} ms CPU/check, {base['ok']} played, "
                        f"load {base['load'][0]:.1f}-{base['load'][1]:.1f}",
                        flush=True,
                    )
                results[threads] = (sweeps, baselines)
        finally:
            cast.stop()
        summary = summarize(args, cast, results)
        print(summary)
        if args.write:
            write_readme(summary, args.check)


MIB = 1024 * 1024


def summarize(args, cast, results):
    from cameras import conf

    options = conf.probe_options()
    db = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite (WAL)"
    routine = args.check == "routine"
    what = (
        "routine checks (handshake and first keyframe; every camera had passed a full check "
        "just before, so the sweep plans routine checks)"
        if routine
        else f"full checks ({options['sample_seconds']:g} s of stream sampled)"
    )
    baseline = (
        "one `ffprobe` process per camera, as many at once, with the routine probe's smallest "
        "stream analysis, reading one GOP of packets (12; ffprobe cannot stop at the first "
        "keyframe)"
        if routine
        else "one `ffprobe` process per camera, as many at once, reading the same facts "
        f"(codec, size, frame rate, {options['sample_seconds']:g} s of packets) with the same "
        "FFmpeg options and limits"
    )
    lines = [
        f"## Camera sweep, {args.check} checks (bench/bench_probe.py)",
        "",
        f"{args.cameras} cameras on loopback: {cast.n_live} live (tests/rtsp_farm.py --farm: "
        "H.264 1280x720 at 10 fps, 500 kbit/s, **a keyframe every second**; "
        + (
            f"{args.phases} shared encoders started {1 / args.phases:g} s apart, camera i fed by "
            f"encoder i mod {args.phases}, so a check waits for a keyframe about as long as with "
            "independent cameras at a 1 s GOP"
            if args.phases > 1
            else "one shared encoder, so every check waits for the same keyframe"
        )
        + f"), {cast.n_dead} dead (refused), {cast.n_silent} silent. "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {db}, "
        f"measured {datetime.date.today().isoformat()}; medians of {args.runs} runs of each"
        + (", sweep and baseline alternated." if not args.no_baseline else "."),
        "",
        f"Sweep: {what}, `cameras.tasks.sweep` enqueued to django-q2's ORM broker and run by a "
        f"real `qcluster` subprocess ({args.workers} workers; CAMERA_CHECK_THREADS probes at once "
        "per batch, batches "
        + ("as large" if args.batch_factor == 1 else f"{args.batch_factor} times as large")
        + f"). Baseline: {baseline}. CPU per check: the task cluster's "
        "process tree from /proc (utime + stime, reaped children included) just before and after "
        "the sweep, so neither the farm nor the benchmark"
        + (" nor the database server" if db == "PostgreSQL" else " (SQLite's work is inside the "
           "workers, and counted)")
        + " is counted; ffprobe: its processes.",
        "",
        "| probes at once | | wall time | checks/s | once running | CPU per check | farm CPU per "
        "check | played | full checks | RSS idle -> peak | per probe in flight | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for threads, (sweeps, baselines) in results.items():
        width = args.workers * threads
        s_rate = statistics.median(r["probes"] / r["wall"] for r in sweeps)
        idle, peak = median(sweeps, "rss_idle"), median(sweeps, "rss_peak")
        per_probe = statistics.median((r["rss_peak"] - r["rss_idle"]) / width for r in sweeps)
        loads = [v for r in sweeps for v in r["load"]]
        lines.append(
            f"| {width} ({args.workers} x {threads}) | sweep | {median(sweeps, 'wall'):.1f} s | "
            f"{s_rate:.1f} | "
            f"{statistics.median(r['probes'] / r['running'] for r in sweeps):.1f} | "
            f"{median(sweeps, 'cluster_cpu_ms'):.1f} ms | {median(sweeps, 'farm_cpu_ms'):.1f} ms | "
            f"{median(sweeps, 'ok'):.0f} / {cast.n_live} | {median(sweeps, 'full'):.0f} | "
            f"{idle / MIB:.0f} -> {peak / MIB:.0f} MiB | {per_probe / MIB:.2f} MiB | "
            f"{min(loads):.1f}-{max(loads):.1f} |"
        )
        if baselines:
            b_rate = statistics.median(r["probes"] / r["wall"] for r in baselines)
            b_loads = [v for r in baselines for v in r["load"]]
            lines += [
                f"| | ffprobe | {median(baselines, 'wall'):.1f} s | {b_rate:.1f} | | "
                f"{median(baselines, 'cpu_ms'):.1f} ms | | {median(baselines, 'ok'):.0f} / "
                f"{cast.n_live} | | | | {min(b_loads):.1f}-{max(b_loads):.1f} |",
                f"| | ratio | | {s_rate / b_rate:.1f}x | | "
                f"{median(baselines, 'cpu_ms') / median(sweeps, 'cluster_cpu_ms'):.1f}x less CPU "
                "| | | | | | |",
            ]
    perf = [(threads, sweeps[0]["perf"]) for threads, (sweeps, _b) in results.items()
            if sweeps and sweeps[0]["perf"]]
    for threads, shares in perf:
        top = ", ".join(f"{library} {share:.0f} %" for share, library in shares[:8])
        lines += ["", f"perf, {args.workers * threads} at once, the cluster's CPU by library: "
                  f"{top}."]
    lines += [
        "",
        "Rerun: `.venv/bin/python bench/bench_probe.py --check "
        f"{args.check} --threads {args.threads} --phases {args.phases} "
        f"--batch-factor {args.batch_factor} --write`.",
    ]
    return "\n".join(lines)


def write_readme(summary, check):
    # The full checks keep the section they always had; the routine ones get their own.
    begin, end = (BEGIN.format(""), END.format("")) if check == "full" else (
        BEGIN.format("_routine"), END.format("_routine"))
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    block = f"{begin}\n{summary}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")
    print(f"figures written to {README}")


if __name__ == "__main__":
    main()
