#!/bin/sh
# A dump of the portal's PostgreSQL database, then old dumps removed (README.md, "Production",
# backups). Run nightly by deploy/systemd/camera-portal-backup.timer, or by hand.
#
#   DATABASE_URL       the portal's database (the same URL the portal uses; libpq reads it)
#   BACKUP_DIR         where dumps go (default /var/backups/camera-portal)
#   BACKUP_KEEP_DAYS   dumps older than this many days are removed (default 14)
#
# Custom format (-Fc): compressed, restored table by table with pg_restore, and its table of
# contents is read back here, so a dump that cannot be restored fails the run at once. The
# credential key (CAMERA_CREDENTIALS_KEY) is NOT in the dump: keep it safe apart from it.
set -eu
: "${DATABASE_URL:?set DATABASE_URL to the portal database}"
dir="${BACKUP_DIR:-/var/backups/camera-portal}"
keep="${BACKUP_KEEP_DAYS:-14}"
umask 077
mkdir -p "$dir"
file="$dir/portal-$(date +%Y%m%d-%H%M%S).dump"
pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$file.partial"
pg_restore --list "$file.partial" >/dev/null
mv "$file.partial" "$file"
find "$dir" -maxdepth 1 -name 'portal-*.dump' -mtime +"$keep" -delete
find "$dir" -maxdepth 1 -name 'portal-*.dump.partial' -mmin +1440 -delete
echo "backup written: $file ($(du -h "$file" | cut -f1))"
