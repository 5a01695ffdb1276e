"""Check camera streams now, in the foreground, with a progress bar.

    manage.py check_cameras [--province CODE] [--facility ID] [--due] [--full] [--threads N]
                            [--parallel N]

The same claims (leases), probes, verdicts, history and notices as the background sweep, so it
can run while the task cluster works: cameras a batch is probing are skipped, never probed twice.
Routine or full checks as the sweep decides them (cameras/tasks.py), or all full with --full.
"""

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections

from cameras import conf, tasks
from cameras.choices import SweepTrigger
from cameras.models import Sweep
from facilities.models import Facility, Province


class Progress:
    """A one-line progress bar on a terminal, a line per tenth otherwise."""

    def __init__(self, out, total, width=30):
        self.out, self.total, self.width = out, total, width
        self.done, self.lock = 0, threading.Lock()
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.started = time.monotonic()
        self.last_tenth = -1

    def __call__(self, n=1):
        with self.lock:
            self.done += n
            self.draw()

    def draw(self, final=False):
        total = max(self.total, 1)
        filled = int(self.width * self.done / total)
        line = "[{}{}] {}/{} {:.0f} s".format(
            "#" * filled, "." * (self.width - filled), self.done, self.total,
            time.monotonic() - self.started,
        )
        if self.tty:
            self.out.write("\r" + line + ("\n" if final else ""))
            self.out.flush()
        else:
            tenth = self.done * 10 // total
            if tenth != self.last_tenth or final:
                self.last_tenth = tenth
                self.out.write(line + "\n")


class Command(BaseCommand):
    help = "Check the streams of enabled cameras now (all, a province's or a facility's)."

    def add_arguments(self, parser):
        parser.add_argument("--province", help="two-digit province code, e.g. 01")
        parser.add_argument("--facility", type=int, help="facility id")
        parser.add_argument(
            "--due", action="store_true", help="only cameras whose next check time has come"
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="full checks (frame rate and the whole standard) of every camera",
        )
        parser.add_argument("--threads", type=int, help="probes at once per batch")
        parser.add_argument(
            "--parallel", type=int, default=2, help="batches run at once (default 2)"
        )
        parser.add_argument("--batch-size", type=int, help="cameras per batch")

    def handle(self, *args, province=None, facility=None, due=False, full=False, threads=None,
               parallel=2, batch_size=None, **options):
        if province and not Province.objects.filter(code=province).exists():
            raise CommandError(f"No province with code {province!r} (two digits, e.g. 01).")
        if facility and not Facility.objects.filter(pk=facility).exists():
            raise CommandError(f"No facility with id {facility}.")
        planned, tokens = tasks.plan_sweep(
            SweepTrigger.COMMAND,
            province=province,
            facility=facility,
            due_only=due,
            batch_size=batch_size,
            full=True if full else None,
        )
        if not planned.cameras:
            tasks._finish(planned.pk)
            self.stdout.write("No camera to check (none enabled and free in this selection).")
            return
        self.stdout.write(
            f"Checking {planned.cameras} cameras in {len(tokens)} batches "
            f"({threads or conf.threads()} probes at once per batch, {parallel} batches at once)."
        )
        progress = Progress(self.stdout if self.stdout.isatty() else sys.stderr, planned.cameras)

        def run(token):
            try:
                return tasks.check_batch(token, planned.pk, progress=progress, threads=threads)
            finally:
                # Each batch thread has its own database connection.
                close_old_connections()
                connections.close_all()

        if parallel <= 1:
            summaries = [
                tasks.check_batch(token, planned.pk, progress=progress, threads=threads)
                for token in tokens
            ]
        else:
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                summaries = list(pool.map(run, tokens))
        progress.draw(final=True)
        sweep = Sweep.objects.get(pk=planned.pk)
        busy = sum(s["busy"] for s in summaries)
        changed = sum(s["changed"] for s in summaries)
        self.stdout.write(
            f"Done: {sweep.successes} streams played, {sweep.failures} failed, {busy} busy; "
            f"{changed} connection statuses changed by verdicts."
        )
