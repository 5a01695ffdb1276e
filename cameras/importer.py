"""Bulk registration of cameras from a CSV file (admin import page, `manage.py import_cameras`).

Columns: province_code, facility, name, zone, stream_url, username, password, vendor, model.
Each row is checked with the camera form's rules (address rules and safe targets, zone, lengths),
the uniqueness of a camera name within its facility (against the registry and the rest of the
file) and the importer's scope: only facilities of provinces the importer manages.
"""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import router, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cameras import targets
from cameras.choices import Zone
from cameras.models import Camera
from cameras.queue import request_checks
from facilities import access
from facilities.importer import ProvinceColumn, ProvinceResolver
from facilities.models import Facility
from portal.csvimport import Column, Importer, PlannedRow, RowError, choice_lookup

COLUMNS = (
    ProvinceColumn,
    Column(
        "facility",
        required=True,
        help=gettext_lazy("Name of a facility already registered in that province."),
        example="Khu cách ly tập trung Ký túc xá Pháp Vân",
    ),
    Column(
        "name",
        required=True,
        help=gettext_lazy("Camera name, unique within the facility."),
        example="Camera cổng chính",
    ),
    Column(
        "zone",
        required=True,
        help=gettext_lazy("Placement zone: one of the keys below (or its name)."),
        example=Zone.GATE.value,
    ),
    Column(
        "stream_url",
        required=True,
        help=gettext_lazy("rtsp:// or rtsps:// address without user name or password."),
        example="rtsp://10.1.2.3:554/Streaming/Channels/101",
    ),
    Column(
        "username",
        help=gettext_lazy("User name for the stream (stored encrypted)."),
        example="viewer",
        secret=True,
    ),
    Column(
        "password",
        help=gettext_lazy("Password for the stream (stored encrypted, never shown again)."),
        example="",
        secret=True,
    ),
    Column("vendor", help=gettext_lazy("Optional: manufacturer."), example="Hikvision"),
    Column("model", help=gettext_lazy("Optional: model."), example="DS-2CD1023G0E-I"),
)

# Fields filled from the file, checked by the model's own rules (zone is checked beforehand).
MODEL_FIELDS = ("name", "stream_url", "username", "password", "vendor", "model")


def redact_url(url):
    """The address without any user name or password typed inside it, for display."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.rsplit("@", 1)[-1] if "@" in url else url
    if "@" not in parts.netloc:
        return url
    netloc = "***@" + parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=netloc))


class CameraImporter(Importer):
    model = Camera
    columns = COLUMNS
    kind = "cameras"
    choice_columns = {"zone": Zone}
    duplicate_message = gettext_lazy(
        "Another user added a camera with one of these names meanwhile: nothing was imported. "
        "Check the file again."
    )
    example_rows = (
        {
            "province_code": "01",
            "facility": "Khu cách ly tập trung Ký túc xá Pháp Vân",
            "name": "Camera cổng chính",
            "zone": "gate",
            "stream_url": "rtsp://10.1.2.3:554/Streaming/Channels/101",
            "username": "viewer",
            "password": "",
            "vendor": "Hikvision",
            "model": "DS-2CD1023G0E-I",
        },
        {
            "province_code": "01",
            "facility": "Khu cách ly tập trung Ký túc xá Pháp Vân",
            "name": "Camera hành lang tầng 2",
            "zone": "corridor",
            "stream_url": "rtsp://10.1.2.4:554/stream1",
            "username": "viewer",
            "password": "",
            "vendor": "Dahua",
            "model": "",
        },
    )

    # "bulk": one INSERT per 500 cameras (and one per 500 check states), their audit entries in
    # bulk too, and one check request for all; "save": Camera.save() per camera (one audit entry
    # and one check task each). See bench/README.md.
    write_mode = "bulk"

    def write(self, objects):
        if self.write_mode == "save":
            for camera in objects:
                camera.save()
            return len(objects)
        # With their check states, each awaiting its first verdict, as save() makes them.
        count = super().write(objects)
        ids = [camera.pk for camera in objects]
        # One request for the whole import, where save() would queue one per camera.
        transaction.on_commit(lambda: request_checks(ids), using=router.db_for_write(Camera))
        return count

    def still_allowed(self, objects):
        ids = {camera.facility_id for camera in objects}
        return self.restricted(Facility).filter(pk__in=ids).count() == len(ids)

    def display_value(self, key, value):
        return redact_url(value) if key == "stream_url" else value

    def scope(self, queryset):
        """The provinces and facilities of `queryset` the actor may change: the registry's scope."""
        return queryset.restrict(self.actor, access.CHANGE)

    def check_rows(self, rows, plan):
        provinces = ProvinceResolver(self)
        zones = choice_lookup(Zone.choices)
        facilities = self._facilities(rows, provinces)
        facility_ids = [f.pk for group in facilities.values() for f in group]
        allowed_facilities = set(
            self.restricted(Facility).filter(pk__in=facility_ids).values_list("pk", flat=True)
        )
        existing = set(
            Camera.objects.filter(facility_id__in=facility_ids).values_list("facility_id", "name")
        )
        refused_hosts = self._resolve_names(rows)
        seen = {}

        for row in rows:
            values, number = row.values, row.number
            errors = []
            province, province_error = provinces.resolve(values["province_code"], number)
            if province_error:
                errors.append(province_error)

            facility = None
            if province is not None:
                if not values["facility"]:
                    errors.append(RowError(number, "facility", _("enter the facility name.")))
                else:
                    facility, error = self._facility(
                        facilities, province, values["facility"], allowed_facilities, number
                    )
                    if error:
                        errors.append(error)

            zone_value = values["zone"]
            zone = zones.get(zone_value.casefold()) if zone_value else None
            if zone is None:
                if zone_value:
                    message = _("“%(value)s” is not a placement zone. Use one of: %(keys)s.") % {
                        "value": zone_value,
                        "keys": ", ".join(Zone.values),
                    }
                else:
                    message = _("enter the placement zone. Use one of: %(keys)s.") % {
                        "keys": ", ".join(Zone.values),
                    }
                errors.append(RowError(number, "zone", message))

            camera = Camera(
                facility=facility,
                zone=zone or "",
                **{name: values[name] for name in MODEL_FIELDS},
            )
            exclude = ["facility", "zone"]
            errors += self.model_errors(camera, number, exclude=exclude)
            if not any(e.column == "stream_url" for e in errors):
                refusal = refused_hosts.get(targets.url_host(values["stream_url"]))
                if refusal is not None:
                    errors.append(RowError(number, "stream_url", str(refusal.message())))

            if facility is not None and values["name"]:
                key = (facility.pk, values["name"])
                if key in existing:
                    errors.append(
                        RowError(
                            number,
                            "name",
                            _("the facility “%(facility)s” already has a camera named "
                              "“%(name)s” (already imported?).")
                            % {"facility": facility.name, "name": values["name"]},
                        )
                    )
                elif key in seen:
                    errors.append(
                        RowError(
                            number,
                            "name",
                            _("the same facility and camera name are already on row %(row)s.")
                            % {"row": seen[key]},
                        )
                    )
                else:
                    seen[key] = number

            plan.errors += errors
            if not errors:
                plan.rows.append(PlannedRow(row.number, row.values, camera))

    # Lookups, one query each for the whole file ----------------------------------------------

    def _facilities(self, rows, provinces):
        """Facilities of the provinces named in the file, by (province id, casefolded name)."""
        province_ids = provinces.ids_named_in(rows)
        by_name = {}
        for facility in Facility.objects.filter(province_id__in=province_ids).only(
            "pk", "name", "province_id"
        ):
            by_name.setdefault((facility.province_id, facility.name.casefold()), []).append(
                facility
            )
        return by_name

    def _facility(self, facilities, province, name, allowed, number):
        candidates = facilities.get((province.pk, name.casefold()), [])
        # An exact spelling wins over one that differs only in capitals.
        exact = [f for f in candidates if f.name == name]
        matches = exact or candidates
        if not matches:
            return None, RowError(
                number,
                "facility",
                _("no facility named “%(name)s” in province %(province)s. Import or add the "
                  "facility first, or check the spelling.")
                % {"name": name, "province": province},
            )
        if len(matches) > 1:
            return None, RowError(
                number,
                "facility",
                _("several facilities of province %(province)s are named “%(name)s” apart from "
                  "capital letters: write the name exactly.")
                % {"name": name, "province": province},
            )
        facility = matches[0]
        if facility.pk not in allowed:
            return None, RowError(
                number,
                "facility",
                _("you may not add cameras to the facility “%(name)s”.") % {"name": name},
            )
        return facility, None

    def _resolve_names(self, rows):
        """Refusals for host names that resolve now to denied addresses (literals: model rule)."""
        timeout = settings.CAMERA_RESOLVE_TIMEOUT
        hosts = set()
        for row in rows:
            host = targets.url_host(row.values["stream_url"])
            if host and targets.literal_address(host) is None:
                hosts.add(host)
        if not hosts or timeout <= 0:
            return {}
        policy = targets.current_policy()
        # Names are few (cameras are mostly addressed by IP); resolve them side by side so a file
        # with a hundred names waits a few timeouts at most, not a hundred.
        with ThreadPoolExecutor(max_workers=min(16, len(hosts))) as pool:
            results = pool.map(
                lambda host: (host, targets.check_on_save(f"rtsp://{host}/", timeout, policy)),
                sorted(hosts),
            )
            return {host: refusal for host, refusal in results if refusal is not None}
