"""Bulk deletes in short transactions, so no purge holds the write lock for long.

On the embedded SQLite one write lock serves the whole portal: a purge that deletes a year's
outages or a backlog of audit entries in one statement makes every page that writes (a save, a
sign-in, an account event) and every check batch wait behind it, and wait out the busy timeout
("database is locked"). Deleting CHUNK rows per transaction keeps each hold to tens of ms
(bench/bench_bulk_writes.py); PostgreSQL gains short transactions and small WAL bursts.
"""

import time

from django.db import connections, transaction

# Rows per transaction: a DELETE of 1,000 rows by primary key holds the lock about 30 ms.
CHUNK = 1000
# Bounds of the pause after a chunk (seconds), see `breathe`.
PAUSE = (0.005, 0.25)


def delete_in_chunks(queryset, chunk=None):
    """Delete the rows of `queryset`, `chunk` rows per transaction; returns how many went.

    The rows are found by a read outside any transaction (which takes no write lock), then
    deleted by primary key with the queryset's own conditions, so a row that no longer matches
    stays. The queryset's filter should be served by an index: it is read once per chunk.
    Deletes go through Django (cascades and signals as for `queryset.delete()`).
    """
    chunk = chunk or CHUNK
    deleted = 0
    using = queryset.db
    while True:
        pks = list(queryset.order_by().values_list("pk", flat=True)[:chunk])
        if not pks:
            return deleted
        started = time.monotonic()
        with transaction.atomic(using=using):
            deleted += queryset.filter(pk__in=pks).delete()[0]
        if len(pks) < chunk:
            return deleted
        breathe(time.monotonic() - started, using)


def breathe(held, using="default"):
    """After a chunk that held SQLite's write lock for `held` seconds, pause as long (5 ms to
    0.25 s) before the next one.

    Back-to-back transactions starve other writers: SQLite's busy handler does not queue them,
    it retries after growing sleeps (up to 100 ms apart), and a loop that takes the lock again
    at once wins nearly every time. Measured without the pause, a request waited up to 1 s
    behind a purge made of 30 ms chunks (bench/bench_bulk_writes.py). PostgreSQL locks rows,
    not the database: no pause there.
    """
    if connections[using].vendor == "sqlite":
        time.sleep(min(max(held, PAUSE[0]), PAUSE[1]))
