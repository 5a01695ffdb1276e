"""Bulk registration of facilities from a CSV file (admin import page, import_facilities).

Columns: province_code and name (required); kind, status, address, district, managing_agency,
capacity, planned_cameras, focal_name, focal_title, focal_phone, focal_email (optional). Each row is
checked with the facility form's rules, the uniqueness of the name within the province (against
the registry and the rest of the file) and the importer's scope: its own provinces only.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facilities import access
from facilities.choices import FacilityKind, FacilityStatus
from facilities.models import Facility, Province
from portal.csvimport import Column, Importer, PlannedRow, RowError, choice_lookup, parse_count


def _field_label(name):
    """The form's label of a facility field, as help for the column of the same name."""
    return Facility._meta.get_field(name).verbose_name


ProvinceColumn = Column(
    "province_code",
    required=True,
    help=gettext_lazy("Official two-digit province code, e.g. 01 for Hà Nội, 79 for Hồ Chí Minh."),
    example="01",
)

COLUMNS = (
    ProvinceColumn,
    Column(
        "name",
        required=True,
        help=gettext_lazy("Facility name, unique within the province."),
        example="Khu cách ly tập trung Ký túc xá Pháp Vân",
    ),
    Column(
        "kind",
        help=gettext_lazy("One of the keys below (or its name); empty: civil."),
        example=FacilityKind.CIVIL.value,
    ),
    Column(
        "status",
        help=gettext_lazy("One of the keys below (or its name); empty: preparing."),
        example=FacilityStatus.ACTIVE.value,
    ),
    Column("address", help=_field_label("address"), example="Pháp Vân, Hoàng Mai"),
    Column("district", help=_field_label("district"), example="Hoàng Mai"),
    Column("managing_agency", help=_field_label("managing_agency"), example="Bộ Tư lệnh Thủ đô"),
    Column("capacity", help=gettext_lazy("Whole number of people."), example="500"),
    Column("planned_cameras", help=gettext_lazy("Whole number; empty: 0."), example="12"),
    Column("focal_name", help=_field_label("focal_name"), example="Nguyễn Văn An"),
    Column("focal_title", help=_field_label("focal_title"), example="Trưởng ban quản lý"),
    Column("focal_phone", help=_field_label("focal_phone"), example="0912 345 678"),
    Column("focal_email", help=_field_label("focal_email"), example="bqt.phapvan@example.vn"),
)

TEXT_FIELDS = (
    "name",
    "address",
    "district",
    "managing_agency",
    "focal_name",
    "focal_title",
    "focal_phone",
    "focal_email",
)


class ProvinceResolver:
    """Province codes of a file to provinces, with the importer's scope (two queries in all)."""

    def __init__(self, importer):
        self.by_code = {p.code: p for p in Province.objects.all()}
        self.allowed = set(importer.restricted(Province).values_list("pk", flat=True))

    @staticmethod
    def normalize(code):
        code = code.strip()
        # Excel drops the leading zero of "01" unless the column is formatted as text.
        if code.isdigit() and len(code) == 1:
            code = "0" + code
        return code

    def ids_named_in(self, rows):
        codes = {self.normalize(row.values["province_code"]) for row in rows}
        return [p.pk for code, p in self.by_code.items() if code in codes]

    def resolve(self, raw, number):
        """(province, None) or (None, RowError)."""
        if not raw:
            return None, RowError(number, "province_code", _("enter the province code."))
        province = self.by_code.get(self.normalize(raw))
        if province is None:
            return None, RowError(
                number,
                "province_code",
                _("“%(code)s” is not a province code (two digits, e.g. 01 for Hà Nội).")
                % {"code": raw},
            )
        if province.pk not in self.allowed:
            return None, RowError(
                number,
                "province_code",
                _("you may not import into province %(province)s: it is not one you manage.")
                % {"province": province},
            )
        if not province.active:
            return None, RowError(
                number,
                "province_code",
                _("province %(province)s is no longer active.") % {"province": province},
            )
        return province, None


class FacilityImporter(Importer):
    model = Facility
    columns = COLUMNS
    kind = "facilities"
    choice_columns = {"kind": FacilityKind, "status": FacilityStatus}
    duplicate_message = gettext_lazy(
        "Another user added a facility with one of these names meanwhile: nothing was imported. "
        "Check the file again."
    )
    example_rows = (
        {c.key: c.example for c in COLUMNS},
        {
            "province_code": "01",
            "name": "Khách sạn cách ly Mường Thanh",
            "kind": FacilityKind.HOTEL.value,
            "status": FacilityStatus.PREPARING.value,
            "district": "Thanh Xuân",
            "planned_cameras": "6",
        },
    )

    def scope(self, queryset):
        """The provinces of `queryset` the actor may change: the registry's scope."""
        return queryset.restrict(self.actor, access.CHANGE)

    def still_allowed(self, objects):
        ids = {facility.province_id for facility in objects}
        allowed = self.restricted(Province).filter(pk__in=ids, active=True)
        return allowed.count() == len(ids)

    def check_rows(self, rows, plan):
        provinces = ProvinceResolver(self)
        kinds = choice_lookup(FacilityKind.choices)
        statuses = choice_lookup(FacilityStatus.choices)
        existing = set(
            Facility.objects.filter(province_id__in=provinces.ids_named_in(rows)).values_list(
                "province_id", "name"
            )
        )
        seen = {}
        for row in rows:
            values, number = row.values, row.number
            errors = []
            province, error = provinces.resolve(values["province_code"], number)
            if error:
                errors.append(error)

            facility = Facility(province=province, **{f: values[f] for f in TEXT_FIELDS})
            exclude = ["province"] if province is None else []
            for key, lookup, choices, default in (
                ("kind", kinds, FacilityKind, FacilityKind.CIVIL),
                ("status", statuses, FacilityStatus, FacilityStatus.PREPARING),
            ):
                chosen = lookup.get(values[key].casefold(), None) if values[key] else default
                if chosen is None:
                    errors.append(
                        RowError(
                            number,
                            key,
                            _("“%(value)s” is not allowed here. Use one of: %(keys)s.")
                            % {"value": values[key], "keys": ", ".join(choices.values)},
                        )
                    )
                    exclude.append(key)
                else:
                    setattr(facility, key, chosen)
            for key, default in (("capacity", None), ("planned_cameras", 0)):
                try:
                    count = parse_count(values[key])
                except ValueError:
                    errors.append(
                        RowError(number, key, _("enter a whole number, for example 120."))
                    )
                    exclude.append(key)
                    continue
                setattr(facility, key, default if count is None else count)

            errors += self.model_errors(facility, number, exclude=exclude)

            if province is not None and values["name"]:
                key = (province.pk, values["name"])
                if key in existing:
                    errors.append(
                        RowError(
                            number,
                            "name",
                            _("province %(province)s already has a facility named “%(name)s” "
                              "(already imported?).")
                            % {"province": province, "name": values["name"]},
                        )
                    )
                elif key in seen:
                    errors.append(
                        RowError(
                            number,
                            "name",
                            _("the same province and facility name are already on row %(row)s.")
                            % {"row": seen[key]},
                        )
                    )
                else:
                    seen[key] = number

            plan.errors += errors
            if not errors:
                plan.rows.append(PlannedRow(number, values, facility))

