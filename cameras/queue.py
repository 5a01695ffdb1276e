"""Asking for checks: "check these cameras now", alone or gathered until a transaction commits.

Kept apart from cameras/tasks.py (the sweep and its batches) so the model can ask for a check
of a new or changed camera without importing the machinery that runs it.
"""

from django.db import transaction
from django_q.tasks import async_task

SWEEP_TASK = "cameras.tasks.sweep"
# cameras.choices.SweepTrigger.REQUEST, spelled out: this module imports no model.
REQUEST_TRIGGER = "request"


def request_checks(ids):
    """Queue checks of these cameras now (new camera, changed address, "Check now")."""
    ids = [int(pk) for pk in ids]
    if ids:
        async_task(SWEEP_TASK, REQUEST_TRIGGER, ids=ids, due_only=False)


def request_check_on_commit(pk, using="default"):
    """Queue a check of camera `pk` once the current transaction commits.

    Cameras saved in one transaction (a CSV import of thousands) share one request, not one task
    each: the ids gather on the connection until its commit callback runs. A rolled-back block
    drops its callback, which is noticed and replaced.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        request_checks([pk])
        return
    flush = getattr(connection, "_camera_checks_flush", None)
    if flush is None or not any(entry[1] is flush for entry in connection.run_on_commit):
        ids = []

        def flush():
            connection._camera_checks_flush = None
            request_checks(ids)

        flush.ids = ids
        connection._camera_checks_flush = flush
        transaction.on_commit(flush, using=using)
    flush.ids.append(pk)
