"""Choices of the reports app, apart from the models so modules can name a key without them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    """The report's exports (reports/exports.py)."""

    PROGRESS = "progress", _("Progress by province")
    FACILITIES = "facilities", _("Facilities with their counts and focal person")
    CAMERAS = "cameras", _("Cameras with status, health and 7-day uptime")


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (.xlsx)")


class ExportStatus(models.TextChoices):
    """Where a background export is: waiting for a worker, being built, ready, failed, or gone
    (its file deleted after the retention)."""

    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportError(models.TextChoices):
    """Why a background export failed, as a key; the page says it in the reader's language."""

    SCOPE = "scope", _("Your account no longer sees these provinces.")
    UNREADABLE = "unreadable", _(
        "The file can no longer be decrypted (the encryption key was changed)."
    )
    INTERNAL = "internal", _("The export stopped on an unexpected error.")
