"""The registry and its history at national size, written into a scratch database for benchmarks.

Shared by bench_reports.py, bench_exports.py (an even spread over the 63 provinces) and national.py
(the uneven national data set of issue 13). Call after django.setup() and migrate.

What each part writes and how:
- `fill_registry(plan)`: facilities and cameras (bulk_create, which also makes each camera's
  CameraState), then each state's last check, written as the checks write it: one UPDATE per
  kind of result and batch of 5,000 cameras;
- `fill_snapshots(days)`: today's DailySnapshot taken for real, copied to the days before;
- `fill_camera_days`, `fill_outages`, `fill_log_entries`, `fill_account_events`: the large
  history tables, written by `insert_rows` (executemany on SQLite, COPY on PostgreSQL: Django's
  bulk_create spends most of its time building model instances, several times the database's);
- `fill_accounts`: province roles for every province and facility managers, in bulk, so the
  audit scope's subqueries over grants and accounts run at a national size too.
Everything random comes from one seeded generator: the same arguments give the same data.
"""

import datetime
import io
import json
import random
import time

# Written in batches of this many rows (a list of ids per UPDATE stays under SQLite's limit of
# 32,766 parameters).
BATCH = 5000
# A COPY or executemany call takes this many rows at a time: memory stays bounded.
CHUNK = 50_000

# The national data set of issue 13: one province with 30,000 cameras (Hồ Chí Minh), one with
# 15,000 (Hà Nội), five with about 5,000 (the rest of the 100,000) and 56 with about 540.
BIGGEST, SECOND = "79", "01"
MEDIUM = ("74", "75", "24", "27", "48")
NATIONAL_CAMERAS = 100_000
NATIONAL_FACILITIES = 10_000


def log(message):
    print(message, flush=True)


class Stopwatch:
    """Seconds per step of a generation, printed as they end and kept for the results."""

    def __init__(self):
        self.steps = {}

    def step(self, name, fn, *args, **kwargs):
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        self.steps[name] = time.perf_counter() - start
        log(f"  {name}: {self.steps[name]:.1f} s")
        return value


# --- Plans: how many facilities and cameras each province gets --------------------------------


def largest_remainder(total, weights):
    """`total` split in proportion to `weights`, in integers that add up to `total`."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def uniform_plan(provinces, n_facilities, n_cameras):
    """[(province, facilities, cameras)]: the same share for every province (cameras in
    proportion to facilities: fewer facilities than provinces leave some provinces empty)."""
    facilities = largest_remainder(n_facilities, [1] * len(provinces))
    cameras = largest_remainder(n_cameras, facilities)
    return list(zip(provinces, facilities, cameras, strict=True))


def national_plan(provinces, scale=1.0):
    """[(province, facilities, cameras)] of the national data set, times `scale`."""
    n_cameras = round(NATIONAL_CAMERAS * scale)
    big, second, small = round(30_000 * scale), round(15_000 * scale), round(540 * scale)
    rest = [p for p in provinces if p.code not in (BIGGEST, SECOND, *MEDIUM)]
    medium_total = n_cameras - big - second - small * len(rest)
    medium = largest_remainder(medium_total, [1] * len(MEDIUM))
    cameras = {BIGGEST: big, SECOND: second, **dict(zip(MEDIUM, medium, strict=True))}
    counts = [cameras.get(p.code, small) for p in provinces]
    facilities = largest_remainder(round(NATIONAL_FACILITIES * scale), counts)
    return [
        (p, max(1, f), c) for p, f, c in zip(provinces, facilities, counts, strict=True)
    ]


# --- The registry -----------------------------------------------------------------------------

STATUS_WEIGHTS = {  # connection statuses, in per cent
    "registered": 20,
    "eligible": 15,
    "ineligible": 10,
    "connected": 40,
    "suspended": 10,
    "decommissioned": 5,
}
OFFLINE_ERRORS = ["timeout", "timeout", "refused", "dns", "unauthorized", "no_video"]
LOW_RESOLUTION = [
    {"code": "resolution", "width": 640, "height": 480, "min_width": 1280, "min_height": 720}
]
VENDORS = [("Hikvision", "DS-2CD2143G2"), ("Dahua", "IPC-HFW2431S"), ("KBVision", "KX-2011N"),
           ("", "")]


def _check_profile(rng, status):
    """(health, error kind, eligible) of a camera's last check, or None when never checked."""
    if status == "decommissioned" or (status == "registered" and rng.random() < 0.5):
        return None
    health = rng.choices(["online", "degraded", "offline", "unknown"], [70, 8, 17, 5])[0]
    error = rng.choice(OFFLINE_ERRORS) if health == "offline" else ""
    eligible = status not in ("ineligible",) and health != "degraded"
    return health, error, eligible


def _state_values(profile, now, standard):
    health, error, eligible = profile
    checked = now - datetime.timedelta(minutes=3)
    values = {
        "health": health,
        "health_changed_at": now - datetime.timedelta(days=2),
        "last_checked_at": checked,
        "next_check_at": checked + datetime.timedelta(minutes=5),
        "last_error_kind": error,
        "consecutive_failures": 3 if health == "offline" else 0,
        "failing_since": now - datetime.timedelta(hours=5) if health == "offline" else None,
        "verdict_pending": False,
        "verdict_eligible": eligible,
        "verdict_reasons": [] if eligible else LOW_RESOLUTION,
        "verdict_standard": standard,
        "verdict_at": checked,
    }
    if health != "unknown":
        low = not eligible
        values.update(
            last_ok_at=checked if health != "offline" else now - datetime.timedelta(hours=5),
            last_codec="h264",
            last_width=640 if low else 1920,
            last_height=480 if low else 1080,
            last_fps=25.0,
            last_ttff_ms=850,
            last_keyframe_interval_s=2.0,
            last_bitrate_kbps=2048.0,
        )
    return values


def fill_registry(plan, *, seed=2021, credentials=True):
    """Facilities and cameras of `plan` ([(province, facilities, cameras)]), with check states.

    Cameras are spread round robin over their province's facilities; about 5 % of the facilities
    are closed. `credentials`: most cameras get an encrypted user name and password, as in life
    (a wide column the lists must not sort or read for nothing).
    """
    from django.utils import timezone

    from cameras.choices import Zone
    from cameras.models import Camera, ConnectionStandard
    from facilities.choices import FacilityKind, FacilityStatus
    from facilities.models import Facility

    rng = random.Random(seed)
    now = timezone.now()
    standard = ConnectionStandard.current()
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    zones = [c for c, _ in Zone.choices]
    kinds = [c for c, _ in FacilityKind.choices]
    number = 0
    for province, n_facilities, _n in plan:
        rows = []
        for _ in range(n_facilities):
            number += 1
            rows.append(
                Facility(
                    province=province,
                    name=f"Khu cách ly số {number}",
                    kind=kinds[number % len(kinds)],
                    district=f"Quận {number % 24 + 1}",
                    address=f"{number % 300 + 1} đường Nguyễn Trãi",
                    status=rng.choices(
                        [FacilityStatus.ACTIVE, FacilityStatus.PREPARING, FacilityStatus.CLOSED],
                        [80, 15, 5],
                    )[0],
                    planned_cameras=rng.randint(5, 15),
                    capacity=rng.randint(50, 500),
                    focal_name="Nguyễn Văn An",
                    focal_phone="0912 345 678",
                )
            )
        Facility.objects.bulk_create(rows, batch_size=BATCH)

    serial = 0
    for province, _f, n_cameras in plan:
        facilities = list(Facility.objects.filter(province=province).order_by("pk"))
        batch, profiles = [], []
        for k in range(n_cameras):
            serial += 1
            status = rng.choices(statuses, weights)[0]
            vendor, model = VENDORS[serial % len(VENDORS)]
            secret = credentials and rng.random() < 0.7
            batch.append(
                Camera(
                    facility=facilities[k % len(facilities)],
                    name=f"Camera {k // len(facilities) + 1:02d}",
                    zone=zones[serial % len(zones)],
                    stream_url=(
                        f"rtsp://10.{serial // 62500 % 250}.{serial // 250 % 250}."
                        f"{serial % 250 + 1}:554/Streaming/Channels/101"
                    ),
                    username="admin" if secret else "",
                    password=f"Cam@{serial % 9973:04d}x" if secret else "",
                    vendor=vendor,
                    model=model,
                    connection_status=status,
                    status_reason="Độ phân giải thấp" if status == "ineligible" else "",
                    status_changed_at=now - datetime.timedelta(days=serial % 60),
                )
            )
            profiles.append(_check_profile(rng, status))
            if len(batch) == BATCH:
                _write_cameras(batch, profiles, now, standard)
                batch, profiles = [], []
        if batch:
            _write_cameras(batch, profiles, now, standard)


def _write_cameras(cameras, profiles, now, standard):
    """Insert `cameras` (and their states), then write each state's last check: one UPDATE per
    kind of result, as a sweep's batch writes them."""
    from cameras.models import Camera, CameraState

    Camera.objects.bulk_create(cameras)
    groups = {}
    for camera, profile in zip(cameras, profiles, strict=True):
        if profile is not None:
            groups.setdefault(profile, []).append(camera.pk)
    for profile, ids in groups.items():
        CameraState.objects.filter(camera_id__in=ids).update(
            **_state_values(profile, now, standard)
        )


# --- Fast inserts of history rows -------------------------------------------------------------


def _copy_text(value):
    """`value` in PostgreSQL COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    else:
        value = str(value)
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _sqlite_value(value):
    """`value` as Django writes it to SQLite (its per-field preparation costs several times the
    INSERT here): datetimes naive in UTC, JSON as text."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def insert_rows(model, fields, rows):
    """INSERT `rows` (tuples of Python values for the attnames `fields`) into `model`'s table.

    The ids come from the table's own sequence. Returns the number of rows. No signals, no
    model instances: for history tables of millions of rows, written in chunks of CHUNK.
    """
    from django.db import connection, transaction

    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    total = 0
    chunk = []

    def flush():
        nonlocal total
        if not chunk:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                text = io.StringIO(
                    "".join("\t".join(map(_copy_text, row)) + "\n" for row in chunk)
                )
                cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", text)
            else:
                prepared = [[_sqlite_value(value) for value in row] for row in chunk]
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", prepared)
        total += len(chunk)
        chunk.clear()

    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            flush()
    flush()
    return total


def _camera_rows():
    """(camera id, province id, facility id, name, health, status) of every camera, by id."""
    from cameras.models import Camera

    return list(
        Camera.objects.order_by("pk").values_list(
            "pk", "facility__province_id", "facility_id", "name", "state__health",
            "connection_status",
        )
    )


# --- History ----------------------------------------------------------------------------------


def fill_snapshots(days):
    """`days` stored days of DailySnapshot: today's taken for real, copied to the days before."""
    from django.utils import timezone

    from reports.models import DailySnapshot
    from reports.snapshot import take_snapshot

    today = timezone.localdate()
    take_snapshot(today)
    template = list(DailySnapshot.objects.filter(day=today))
    rows = []
    for back in range(1, days):
        day = today - datetime.timedelta(days=back)
        for row in template:
            copy = DailySnapshot(**{f.attname: getattr(row, f.attname) for f in row._meta.fields})
            copy.pk, copy.day = None, day
            rows.append(copy)
    DailySnapshot.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows) + len(template)


def fill_camera_days(days, *, seed=2021):
    """One CameraDay per camera and day for the `days` days up to today (checks every 5 min)."""
    from django.utils import timezone

    from cameras.models import CameraDay

    rng = random.Random(seed)
    today = timezone.localdate()
    cameras = _camera_rows()

    def rows():
        # Camera by camera, each one's days in order: both indexes (camera, day) and (day) then
        # grow at their ends, where day by day every row would land somewhere in the middle of
        # the first (SQLite: over 12 minutes for 9 million rows day by day, 2.6 camera by camera).
        for pk, _p, _f, _n, health, _s in cameras:
            for back in range(days - 1, -1, -1):
                checks = 288
                if health == "offline":
                    successes = rng.randint(0, 200)
                elif health == "unknown":
                    checks = successes = 0
                else:
                    successes = 288 - rng.randint(0, 12)
                yield pk, today - datetime.timedelta(days=back), checks, successes

    return insert_rows(CameraDay, ["camera_id", "day", "checks", "successes"], rows())


def fill_outages(count, *, days=90, seed=2021):
    """`count` CameraOutage rows: one in progress for each camera offline or degraded now, the
    rest ended, spread over the last `days` days; all already notified."""
    from django.utils import timezone

    from cameras.models import CameraOutage

    rng = random.Random(seed)
    now = timezone.now()
    cameras = _camera_rows()
    failing = [(pk, h) for pk, _p, _f, _n, h, _s in cameras if h in ("offline", "degraded")]

    def rows():
        made = 0
        for pk, health in failing[:count]:
            start = now - datetime.timedelta(hours=5)
            error = rng.choice(OFFLINE_ERRORS) if health == "offline" else ""
            yield pk, health, start, None, error, "", start, None
            made += 1
        while made < count:
            pk = cameras[rng.randrange(len(cameras))][0]
            start = now - datetime.timedelta(minutes=rng.randrange(days * 24 * 60))
            end = start + datetime.timedelta(minutes=rng.randint(10, 600))
            end = min(end, now - datetime.timedelta(minutes=1))
            yield pk, "offline", start, end, rng.choice(OFFLINE_ERRORS), "", start, end
            made += 1

    fields = ["camera_id", "kind", "started_at", "ended_at", "error_kind", "reason",
              "start_notified_at", "end_notified_at"]
    return insert_rows(CameraOutage, fields, rows())


def fill_accounts(plan, *, facility_managers, officials=20, seed=2021):
    """Accounts as a country has them, written in bulk (no audit entries): a province admin and
    an operator engineer for each province, `officials` national officials, and
    `facility_managers` facility managers, each on one facility, spread like the facilities.

    Returns {"province": [(user id, province id)], "facility": [(user id, facility id, province
    id)], "national": [user ids], "names": {user id: user name}}.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission

    from facilities.grants import FacilityUserObjectPermission, ProvinceUserObjectPermission
    from facilities.models import Facility
    from facilities.roles import NATIONAL_OFFICIALS_GROUP

    User = get_user_model()
    rng = random.Random(seed)
    unusable = make_password(None)
    perms = {
        p.codename: p
        for p in Permission.objects.filter(content_type__app_label="facilities")
    }
    given = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Minh", "Nam", "Thảo", "Tuấn"]
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]

    def user(name, staff):
        return User(
            username=name,
            password=unusable,
            is_staff=staff,
            first_name=rng.choice(given),
            last_name=rng.choice(family),
            email=f"{name}@example.vn",
        )

    province_users = []
    for province, _f, _c in plan:
        for role in ("manage_province", "connect_province"):
            province_users.append((user(f"p{province.code}_{role[:6]}", True), province, role))
    User.objects.bulk_create([u for u, _p, _r in province_users], batch_size=BATCH)
    ProvinceUserObjectPermission.objects.bulk_create(
        [
            ProvinceUserObjectPermission(user=u, content_object=p, permission=perms[role])
            for u, p, role in province_users
        ],
        batch_size=BATCH,
    )
    national = [user(f"official{n:02d}", True) for n in range(officials)]
    User.objects.bulk_create(national)
    group = Group.objects.get(name=NATIONAL_OFFICIALS_GROUP)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=group.pk) for u in national]
    )
    facilities = list(Facility.objects.order_by("pk").values_list("pk", "province_id"))
    step = max(1, len(facilities) // max(1, facility_managers))
    chosen = facilities[::step][:facility_managers]
    managers = [(user(f"fm{pk}", False), pk, province_id) for pk, province_id in chosen]
    User.objects.bulk_create([u for u, _f, _p in managers], batch_size=BATCH)
    FacilityUserObjectPermission.objects.bulk_create(
        [
            FacilityUserObjectPermission(
                user=u, content_object_id=f, permission=perms["view_facility"]
            )
            for u, f, _p in managers
        ],
        batch_size=BATCH,
    )
    return {
        "province": [(u.pk, p.pk) for u, p, _r in province_users],
        "facility": [(u.pk, f, p) for u, f, p in managers],
        "national": [u.pk for u in national],
        "names": {
            u.pk: u.username
            for u in [
                *(u for u, _p, _r in province_users),
                *national,
                *(u for u, _f, _p in managers),
            ]
        },
    }


def _log_entry_templates(actor):
    """A real update of a camera and a facility, and a real creation of a facility grant,
    written by the app's audit trail: the shape the bulk copies follow (additional_data
    {"province": id} included)."""
    from auditlog.models import LogEntry

    from cameras.models import Camera
    from facilities.models import Facility
    from portal.actor import acting_as

    camera = Camera.objects.select_related("facility").order_by("pk").first()
    facility = Facility.objects.order_by("pk").first()
    before = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with acting_as(actor):
        camera.vendor = "Dahua" if camera.vendor == "Hikvision" else "Hikvision"
        camera.save()
        facility.capacity = (facility.capacity or 0) + 1
        facility.save()
    templates = list(LogEntry.objects.filter(pk__gt=before).order_by("pk"))
    for entry in templates:
        if not (entry.additional_data or {}).get("province"):
            raise RuntimeError(f"audit entry without its province: {entry.additional_data!r}")
    return templates


def fill_log_entries(count, accounts, *, days=90, seed=2021):
    """`count` auditlog LogEntry rows about cameras (80 %) and facilities, by the province
    admins and operators of each object's province (and national officials), spread over `days`
    days, each with its province in additional_data as the audit trail writes it."""
    from auditlog.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from facilities.models import Facility

    rng = random.Random(seed)
    now = timezone.now()
    superuser = get_user_model().objects.filter(is_superuser=True).first()
    camera_t, facility_t = _log_entry_templates(superuser)
    cameras = _camera_rows()
    facilities = list(Facility.objects.values_list("pk", "province_id", "name"))
    by_province = {}
    for user_id, province_id in accounts["province"]:
        by_province.setdefault(province_id, []).append(user_id)
    national = accounts["national"]
    fields = [f.attname for f in LogEntry._meta.concrete_fields if f.attname != "id"]
    vendors = [v for v, _m in VENDORS if v]

    def rows():
        for n in range(count):
            if rng.random() < 0.8:
                pk, province_id, _f, name, _h, _s = cameras[rng.randrange(len(cameras))]
                template = camera_t
                changes = {"vendor": rng.sample(vendors, 2)}
            else:
                pk, province_id, name = facilities[rng.randrange(len(facilities))]
                template = facility_t
                changes = {"capacity": [str(rng.randint(50, 500)), str(rng.randint(50, 500))]}
            actors = by_province.get(province_id) or national
            actor = rng.choice(national if rng.random() < 0.05 else actors)
            values = {f: getattr(template, f) for f in fields}
            values.update(
                object_pk=str(pk),
                object_id=pk,
                object_repr=name,
                changes=changes,
                changes_text="",
                actor_id=actor,
                actor_email=None,
                cid=f"{n:032x}",
                remote_addr=f"10.{n % 200}.{n // 200 % 250}.{n % 250 + 1}",
                timestamp=now - datetime.timedelta(seconds=rng.randrange(days * 86400)),
                additional_data={"province": province_id},
            )
            yield tuple(values[f] for f in fields)

    return insert_rows(LogEntry, fields, rows())


def fill_account_events(count, accounts, *, days=90, seed=2021):
    """`count` AccountEvent rows: sign-ins and sign-outs of every account (60 %), failed logins,
    exports, views of cameras' pages and grants of facilities to their managers, spread over
    `days` days, with the province and account they are about as portal/account_events.py
    records them."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from cameras.models import Camera
    from facilities.models import Facility
    from portal.models import AccountEvent

    rng = random.Random(seed)
    now = timezone.now()
    cameras = _camera_rows()
    camera_type = ContentType.objects.get_for_model(Camera).pk
    facility_type = ContentType.objects.get_for_model(Facility).pk
    facility_names = dict(Facility.objects.values_list("pk", "name"))
    people = [(u, p) for u, p in accounts["province"]] + [
        (u, p) for u, _f, p in accounts["facility"]
    ]
    national = accounts["national"]
    managers = accounts["facility"]
    names = accounts["names"]
    by_province = {}
    for user_id, province_id in accounts["province"]:
        by_province.setdefault(province_id, []).append(user_id)
    fields = ["timestamp", "event", "actor_id", "username", "account_id", "remote_addr",
              "user_agent", "request_id", "province_id", "content_type_id", "object_id",
              "object_repr", "detail"]
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/91.0"

    def rows():
        for n in range(count):
            at = now - datetime.timedelta(seconds=rng.randrange(days * 86400))
            address = f"113.{n % 200}.{n // 200 % 250}.{n % 250 + 1}"
            r = rng.random()
            if r < 0.6:
                user_id, _p = people[rng.randrange(len(people))]
                event = "login" if rng.random() < 0.6 else "logout"
                yield (at, event, user_id, names[user_id], user_id, address, agent, f"{n:032x}",
                       None, None, "", "", {})
            elif r < 0.7:
                user_id, _p = people[rng.randrange(len(people))]
                yield (at, "login_failed", None, names[user_id], user_id, address, agent,
                       f"{n:032x}", None, None, "", "", {})
            elif r < 0.8:
                actor = rng.choice(national)
                yield (at, "export", actor, names[actor], None, address, agent,
                       f"{n:032x}", None, None, "", "",
                       {"export": "cameras", "format": "csv", "filters": {}, "rows": 100000})
            elif r < 0.97:
                pk, province_id, _f, name, _h, _s = cameras[rng.randrange(len(cameras))]
                actor = rng.choice(by_province.get(province_id) or national)
                yield (at, "view", actor, names[actor], None, address, agent, f"{n:032x}",
                       province_id, camera_type, str(pk), name, {"page": "snapshot"})
            else:
                user_id, facility_id, province_id = managers[rng.randrange(len(managers))]
                actor = rng.choice(by_province.get(province_id) or national)
                yield (at, "grant", actor, names[actor], user_id, address, agent, f"{n:032x}",
                       province_id, facility_type, str(facility_id), facility_names[facility_id],
                       {"user": names[user_id], "permission": "view_facility",
                        "expires_on": None})

    return insert_rows(AccountEvent, fields, rows())


def fill_readiness(provinces, *, seed=2021):
    """Readiness plans (readiness/): one for four provinces in five, a third of them not reviewed
    for longer than READINESS_REVIEW_DAYS, each with 3 teams and a line of every equipment kind,
    so the national view has provinces of every state to list and plans to total."""
    from readiness.choices import EquipmentKind
    from readiness.models import EquipmentItem, ReadinessPlan, ResponseTeam

    rng = random.Random(seed)
    today = datetime.date.today()
    plans = [
        ReadinessPlan(
            province=province,
            deploy_hours=rng.choice((12, 24, 48, 72)),
            last_reviewed_on=today - datetime.timedelta(days=rng.choice((1, 10, 20, 45, 90, 5))),
        )
        for i, province in enumerate(provinces)
        if i % 5
    ]
    ReadinessPlan.objects.bulk_create(plans)
    plans = list(ReadinessPlan.objects.all())
    ResponseTeam.objects.bulk_create(
        ResponseTeam(
            plan=plan,
            province_id=plan.province_id,
            name=f"Đội {n + 1}",
            leader="Nguyễn Văn An",
            phone="0912 345 678",
            size=rng.randint(3, 12),
        )
        for plan in plans
        for n in range(3)
    )
    EquipmentItem.objects.bulk_create(
        EquipmentItem(
            plan=plan, province_id=plan.province_id, kind=kind, count=rng.randint(0, 200)
        )
        for plan in plans
        for kind in EquipmentKind.values
    )


def fill_problem_reports(count, *, manager=None, replies=2, seed=2021):
    """`count` ProblemReport rows about random facilities (their province's), statuses mixed,
    each with `replies` replies; the facility manager `manager` (a user name: the one
    national.py measures) gets one about each of its facilities first, so its report page has
    something to show. Written by bulk_create (tens of thousands of rows, not millions)."""
    from django.contrib.auth import get_user_model

    from facilities.grants import FacilityUserObjectPermission
    from facilities.models import Facility
    from problems.choices import ProblemCategory, ProblemStatus
    from problems.models import ProblemReply, ProblemReport

    rng = random.Random(seed)
    author = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    facilities = list(Facility.objects.order_by("pk").values_list("pk", "province_id"))
    managed = list(
        FacilityUserObjectPermission.objects.filter(user__username=manager)
        .order_by("content_object_id")
        .values_list("content_object_id", "content_object__province_id")
        .distinct()
    )
    categories = [c for c, _l in ProblemCategory.choices]
    statuses = [s for s, _l in ProblemStatus.choices]
    chosen = (managed + [facilities[rng.randrange(len(facilities))] for _ in range(count)])[:count]
    reports = ProblemReport.objects.bulk_create(
        [
            ProblemReport(
                province_id=province_id,
                facility_id=facility_id,
                category=rng.choice(categories),
                title=f"Vướng mắc số {n}",
                description="Đường truyền chập chờn, đề nghị Cục hướng dẫn.",
                status=rng.choice(statuses),
                author=author,
            )
            for n, (facility_id, province_id) in enumerate(chosen, start=1)
        ],
        batch_size=BATCH,
    )
    ProblemReply.objects.bulk_create(
        [
            ProblemReply(report=report, author=author, body="Đề nghị kiểm tra cổng 554.")
            for report in reports
            for _ in range(replies)
        ],
        batch_size=BATCH,
    )
    return len(reports)
