"""Benchmark of the operator API at national size: paging through the cameras with the cursor, and
a bulk result of 5,000 connections.

Fills a throwaway database with the national data set of issue 13 (bench/dataset.py: 100,000
cameras, Hồ Chí Minh 30,000 of them), then, through Django's test client and an API token (the
whole request: authentication, the scope's subqueries, serialisation to JSON):

- pages every camera of the registry as a national administrator, every camera of Hồ Chí Minh
  as its operator engineer, and every facility as the national administrator, 100 a page with
  the cursor (`next`), and reports the time and the queries of the first page, the median page
  and the last page, and the whole walk;
- reports the results of 5,000 cameras of Hồ Chí Minh (eligible, with a recent passing check)
  as connected, each with a central id: the check of every item (api/results.py `check`) and
  the write (`write`, one transaction: how long SQLite's write lock is held), timed apart, then
  the same 5,000 posted again through the API (all unchanged: the idempotent repeat).

    .venv/bin/python bench/bench_api.py --scale 0.05          # 5,000 cameras, a quick look
    .venv/bin/python bench/bench_api.py --write               # 100,000 cameras, README figures
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/scratch_db \\
        .venv/bin/python bench/bench_api.py --write           # a scratch PostgreSQL database

The database is migrated and filled from scratch: point DATABASE_URL only at a scratch database.
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

README = ROOT / "bench" / "README.md"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="share of the national data set (1.0: 100,000 cameras)")
    parser.add_argument("--bulk", type=int, default=5000, help="results in the bulk request")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--write", action="store_true", help="write the figures to bench/README.md")
    return parser.parse_args()


def setup(tmp):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.update(DATA_DIR=tmp, LOG_LEVEL="WARNING", Q_SYNC="0",
                      ALLOWED_HOSTS="testserver,127.0.0.1")
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tmp) / "bench_api.sqlite3")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    return settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]


def fill(scale):
    import dataset

    from facilities.models import Province

    provinces = list(Province.objects.order_by("code"))
    started = time.perf_counter()
    dataset.fill_registry(dataset.national_plan(provinces, scale))
    return time.perf_counter() - started


def accounts():
    from django.contrib.auth import get_user_model
    from django.test import Client

    from api import tokens
    from facilities.grants import ProvinceUserObjectPermission
    from facilities.models import Province
    from tests.factories import permission

    User = get_user_model()
    boss = User.objects.create_superuser("bench_admin", "", "x")
    operator = User.objects.create_user("bench_vnpt_hcm", password="x", is_staff=True)
    ProvinceUserObjectPermission.objects.create(
        user=operator, content_object=Province.objects.get(code="79"),
        permission=permission("connect_province"),
    )
    clients = {}
    for label, user in (("national administrator", boss), ("operator engineer, 79", operator)):
        _token, key = tokens.issue(user, name="bench", access="read_write", days=1,
                                   created_by=user)
        clients[label] = (user, Client(headers={"Authorization": f"Bearer {key}"}))
    return clients


def timed_get(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        body = response.json()
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.content[:300]
    return elapsed, len(queries), body


def walk(client, page_size, endpoint="cameras"):
    """Every page of a list: [(seconds, queries, rows)]."""
    url = f"/api/v1/{endpoint}/?page_size={page_size}"
    timed_get(client, url)  # the token's use recorded, the connection warm
    pages = []
    while url:
        elapsed, queries, body = timed_get(client, url)
        pages.append((elapsed, queries, len(body["results"])))
        url = body["next"]
    return pages


def bulk(user, client, n):
    """Validation and write of `n` connection results, then the same posted again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from api import results
    from cameras.models import Camera, CameraState, ConnectionStandard

    ids = list(
        Camera.objects.filter(facility__province__code="79", facility__status="active")
        .exclude(connection_status="decommissioned")
        .order_by("pk").values_list("pk", flat=True)[:n]
    )
    now = timezone.now()
    # As their checks would leave them: eligible, a full check passing the active standard now.
    Camera.objects.filter(pk__in=ids).update(connection_status="eligible", central_id=None)
    CameraState.objects.filter(camera_id__in=ids).update(
        verdict_eligible=True, verdict_pending=False, verdict_reasons=[],
        verdict_standard=ConnectionStandard.current(), full_checked_at=now, verdict_at=now,
    )
    items = [results.Item(n=k, camera_id=pk, status="connected", central_id=f"VNPT-{pk}")
             for k, pk in enumerate(ids, start=1)]
    figures = {"items": len(items)}
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        plan = results.check(user, items)
        figures["check"] = (time.perf_counter() - started, len(queries))
    assert not plan.errors, plan.errors[:5]
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        outcomes = results.write(user, plan)
        figures["write"] = (time.perf_counter() - started, len(queries))
    assert sum(changed for _item, changed in outcomes) == len(items)
    payload = [{"camera": i.camera_id, "status": "connected", "central_id": i.central_id}
               for i in items]
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post("/api/v1/connections/", payload, content_type="application/json")
        figures["repeat"] = (time.perf_counter() - started, len(queries))
    assert response.status_code == 200 and response.json()["unchanged"] == len(items)
    return figures


def ms(seconds):
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        vendor = setup(tmp)
        from cameras.models import Camera

        fill_seconds = fill(args.scale)
        total = Camera.objects.count()
        print(f"{total:,} cameras generated in {fill_seconds:.0f} s ({vendor})", flush=True)
        clients = accounts()
        load_start = os.getloadavg()[0]
        rows = []
        walks = [(label, client, "cameras") for label, (_user, client) in clients.items()]
        walks.append(("national administrator", clients["national administrator"][1],
                      "facilities"))
        for label, client, endpoint in walks:
            pages = walk(client, args.page_size, endpoint)
            times = [p[0] for p in pages]
            line = (label, endpoint, sum(p[2] for p in pages), len(pages), pages[0], pages[-1],
                    statistics.median(times), sum(times))
            rows.append(line)
            print(f"{label}: {line[2]:,} {endpoint} in {line[3]} pages; first {ms(pages[0][0])} "
                  f"({pages[0][1]} queries), median {ms(line[6])}, last {ms(pages[-1][0])} "
                  f"({pages[-1][1]} queries); whole walk {ms(line[7])}", flush=True)
        user, client = clients["operator engineer, 79"]
        figures = bulk(user, client, args.bulk)
        load_end = os.getloadavg()[0]
        print(f"bulk of {figures['items']:,}: check {ms(figures['check'][0])} "
              f"({figures['check'][1]} queries), write {ms(figures['write'][0])} "
              f"({figures['write'][1]} queries), repeated through the API "
              f"{ms(figures['repeat'][0])} ({figures['repeat'][1]} queries)", flush=True)
        if args.write:
            write_readme(vendor, total, fill_seconds, rows, figures, args,
                         (load_start, load_end))


def write_readme(vendor, total, fill_seconds, rows, figures, args, load):
    import django

    begin, end = f"<!-- bench_api {vendor}:begin -->", f"<!-- bench_api {vendor}:end -->"
    table = [
        "| who | list | rows | pages | first page | median page | last page | whole walk |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, endpoint, count, pages, first, last, median, whole in rows:
        table.append(
            f"| {label} | {endpoint} | {count:,} | {pages:,} | {ms(first[0])}, {first[1]} queries "
            f"| {ms(median)} | {ms(last[0])}, {last[1]} queries | {ms(whole)} |"
        )
    check, write, repeat = figures["check"], figures["write"], figures["repeat"]
    lock_note = ": SQLite's write lock is held that long" if vendor == "sqlite3" else ""
    section = f"""{begin}
## Operator API, {vendor} (bench/bench_api.py)

{total:,} cameras (the national data set of bench/dataset.py), {vendor} (throwaway database),
Python {platform.python_version()}, Django {django.get_version()}, {platform.machine()},
{os.cpu_count()} CPUs, measured {datetime.date.today():%Y-%m-%d} on a shared machine (load
average {load[0]:.0f} at the start, {load[1]:.0f} at the end). Data generated in
{fill_seconds:.0f} s. Each request through Django's test client with an API token: the token's
lookup, the scope, the page's query, JSON. {args.page_size} rows a page, `next` followed to
the end.

{chr(10).join(table)}

Bulk result of {figures['items']:,} connections (operator engineer of Hồ Chí Minh, every camera
eligible with a recent passing check, each with a central id): checking every item
{ms(check[0])} ({check[1]} queries, outside any transaction), writing them {ms(write[0])} in one
transaction ({write[1]} queries{lock_note}), the same
{figures['items']:,} posted again through the API {ms(repeat[0])} ({repeat[1]} queries; all
unchanged, nothing written).
{end}"""
    text = README.read_text()
    if begin in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    README.write_text(text)
    print(f"bench/README.md: section {begin} written")


if __name__ == "__main__":
    main()
