"""gunicorn's settings for the portal (read from the working directory; `make run` names it too).

BIND, WEB_WORKERS and WEB_THREADS come from the environment (README.md, "Configuration"). Once the
first worker has loaded the portal, one line tells whoever started it where to open it and whom to
sign in as: the first national administrator, which `make run` creates (`manage.py ensure_admin`).
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
# Each thread that touches the database holds its own connection (README, "Production"): workers x
# threads per web machine count against PostgreSQL's max_connections.
threads = int(os.environ.get("WEB_THREADS", "4"))
accesslog = "-"


def post_worker_init(worker):
    # Every worker runs this hook, a restarted one again with a higher age: the first one speaks.
    # Here rather than in the master, which never loads Django (a reload must pick up new code).
    if worker.age != 1:
        return
    from django.contrib.auth import get_user_model
    from django.db import connection

    name = (
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )
    # Request threads open their own connections: this one's work is done.
    connection.close()
    for listener in worker.sockets:
        line = f"Portal ready at {listener}/"
        print(f"{line}, sign in as {name}" if name else line, flush=True)
