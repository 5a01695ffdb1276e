"""Provinces and the concentrated quarantine facilities whose cameras they connect."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Imported so Django registers the grant tables with this app.
from facilities import (
    access,
    grants,  # noqa: F401
)
from facilities.choices import FacilityKind, FacilityStatus, Operator, Region
from facilities.perms import VIEW_ALL, Role
from portal.search import SearchTextField


class ProvinceQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW):
        """Provinces `user` may do `action` on (see facilities/access.py)."""
        return access.restrict(self, user, action, province_field="pk")


class FacilityQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW):
        """Facilities `user` may do `action` on: by province grant, or by facility grant."""
        return access.restrict(
            self, user, action, province_field="province_id", facility_field="pk"
        )


phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 .\-]{7,18}[0-9]$",
    _("Enter a phone number of 9 to 20 digits, for example 0912 345 678 or +84 912 345 678."),
)


class Province(models.Model):
    """A province or centrally-run city of 2021, with the operator that connects its cameras."""

    code = models.CharField(
        _("code"),
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^\d{2}$", _("The official province code has two digits."))],
        help_text=_("Official two-digit administrative code."),
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    region = models.CharField(_("region"), max_length=10, choices=Region.choices)
    operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices)
    active = models.BooleanField(_("active"), default=True)
    # Whom facilities and operators call about the province's cameras: the provincial Department
    # of Information and Communications. Its province admins keep these four up to date (and
    # only these: the fields above come from the official list).
    contact_name = models.CharField(
        _("contact person"),
        max_length=200,
        blank=True,
        help_text=_(
            "At the provincial Department of Information and Communications: shown to the "
            "province's facilities as the person to call."
        ),
    )
    contact_title = models.CharField(_("contact person's title"), max_length=200, blank=True)
    contact_phone = models.CharField(
        _("contact person's phone"),
        max_length=20,
        blank=True,
        validators=[phone_validator],
    )
    contact_email = models.EmailField(_("contact person's e-mail"), blank=True)
    # "ha noi" finds "Hà Nội" (portal/search.py).
    search_text = SearchTextField(sources=["name", "name_en"])

    objects = ProvinceQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        # Role grants (facilities/perms.py): view_all is global, the others are granted per
        # province, like the built-in view_province (province viewer).
        permissions = [
            (VIEW_ALL, _("Can read the whole national registry")),
            (Role.PROVINCE_ADMIN, _("Can manage the facilities and cameras of the province")),
            (Role.OPERATOR, _("Can connect the cameras of the province (operator)")),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def has_contact(self):
        return any(
            (self.contact_name, self.contact_title, self.contact_phone, self.contact_email)
        )


class Facility(models.Model):
    """A concentrated quarantine facility whose cameras a province connects."""

    province = models.ForeignKey(
        "facilities.Province",
        on_delete=models.PROTECT,
        related_name="facilities",
        verbose_name=_("province"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=FacilityKind.choices,
        default=FacilityKind.CIVIL,
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    managing_agency = models.CharField(
        _("managing agency"),
        max_length=200,
        blank=True,
        help_text=_("The agency that runs the facility."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("Number of people the facility can hold."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=FacilityStatus.choices,
        default=FacilityStatus.PREPARING,
    )
    planned_cameras = models.PositiveIntegerField(
        _("planned cameras"),
        default=0,
        help_text=_("Number of cameras the facility plans to connect."),
    )
    focal_name = models.CharField(_("focal person"), max_length=200, blank=True)
    focal_title = models.CharField(_("focal person's title"), max_length=200, blank=True)
    focal_phone = models.CharField(
        _("focal person's phone"),
        max_length=20,
        blank=True,
        validators=[phone_validator],
    )
    focal_email = models.EmailField(_("focal person's e-mail"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    search_text = SearchTextField(
        sources=["name", "district", "address", "managing_agency", "focal_name"]
    )

    objects = FacilityQuerySet.as_manager()

    class Meta:
        ordering = ["province__code", "name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "name"],
                name="%(app_label)s_%(class)s_province_name",
                violation_error_message=_("This province already has a facility with this name."),
            ),
        ]
        indexes = [
            # The API's cursor: facilities in (updated_at, id) order, a page after a position.
            models.Index(fields=["updated_at", "id"], name="facilities_updated_idx"),
        ]

    def __str__(self):
        return self.name
