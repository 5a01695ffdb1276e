#!/bin/sh
# Restore test: a dump restored into a scratch database, then read by the portal's own code
# (README.md, "Production", backups). Run it after each change of the backup set-up and then
# monthly; a backup never restored is a hope, not a backup.
#
#   deploy/pg-restore-test.sh [DUMP]     default: the newest dump in BACKUP_DIR
#
#   DATABASE_URL     the live database: the scratch one is created on the same server, and row
#                    counts are compared with it (the portal's role needs CREATEDB)
#   RESTORE_DB       name of the scratch database (default portal_restore_test), dropped at the
#                    end unless KEEP=1
#   CAMERA_CREDENTIALS_KEY   as the portal has it: the restored credentials must open with it
#
# Run from the portal's checkout (it uses .venv/bin/python manage.py), with the environment of
# the portal (e.g. `set -a; . /etc/camera-portal/portal.env; set +a`).
set -eu
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the live portal database}"
name="${RESTORE_DB:-portal_restore_test}"
dump="${1:-$(ls -1t "${BACKUP_DIR:-/var/backups/camera-portal}"/portal-*.dump | head -n 1)}"
[ -r "$dump" ] || { echo "no readable dump: $dump" >&2; exit 1; }
# The live URL with the database name replaced (query options such as ?options=... are kept).
scratch=$(printf '%s' "$DATABASE_URL" | sed -E "s#^([a-z]+://[^/]*)/[^?]*#\\1/$name#")

psql -q -v ON_ERROR_STOP=1 --dbname="$DATABASE_URL" \
  -c "DROP DATABASE IF EXISTS \"$name\"" -c "CREATE DATABASE \"$name\""
if [ "${KEEP:-0}" != 1 ]; then
  trap 'psql -q --dbname="$DATABASE_URL" -c "DROP DATABASE IF EXISTS \"$name\""' EXIT
fi

echo "1. restore $dump into $name"
start=$(date +%s)
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$scratch" "$dump"
echo "   restored in $(( $(date +%s) - start )) s"

echo "2. the code and the restored schema agree (no migration missing)"
DATABASE_URL="$scratch" .venv/bin/python manage.py migrate --check

echo "3. the portal reads the registry (check_registry) and opens every stored credential"
DATABASE_URL="$scratch" .venv/bin/python manage.py check_registry >/dev/null
DATABASE_URL="$scratch" .venv/bin/python manage.py shell --verbosity 0 -c "
from cameras.models import Camera
n = sum(1 for c in Camera.objects.only('username', 'password').iterator(chunk_size=2000)
        if c.username or c.password)
print(f'   credentials of {n} cameras open with the current key')"

echo "4. rows, restored against live (live has moved on since the dump: close, not equal)"
for table in facilities_facility cameras_camera reports_dailysnapshot auditlog_logentry \
             portal_accountevent; do
  restored=$(psql -tAq --dbname="$scratch" -c "SELECT count(*) FROM $table")
  live=$(psql -tAq --dbname="$DATABASE_URL" -c "SELECT count(*) FROM $table")
  printf '   %-24s restored %10s   live %10s\n' "$table" "$restored" "$live"
done
echo "restore test passed"
