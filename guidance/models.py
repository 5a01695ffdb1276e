"""Versions of the national guidance and who has acknowledged which.

A document of a kind is superseded by the next one of the same kind (a later issue date, or the
same date uploaded later): the current versions are the newest of each kind (documents.py). A
version is never edited into another one: a new number is a new row, so an acknowledgement
always names the text that was read.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guidance.choices import GuidanceKind


class GuidanceDocument(models.Model):
    """One issued version of a guidance document: its official number, date and issuer, and
    its text, its PDF (kept under GUIDANCE_DIR, served only to signed-in accounts), or both."""

    kind = models.CharField(_("document kind"), max_length=30, choices=GuidanceKind.choices)
    title = models.CharField(_("title"), max_length=300)
    number = models.CharField(
        _("document number"), max_length=100, help_text=_("The official number, e.g. 123/CVT-QLCL.")
    )
    issued_on = models.DateField(_("issue date"))
    issuer = models.CharField(_("issuer"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    # The stored file's name under GUIDANCE_DIR (a random name, never the uploader's).
    pdf_name = models.CharField(_("PDF file"), max_length=64, blank=True, editable=False)
    pdf_size = models.PositiveIntegerField(_("PDF size (bytes)"), default=0, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("guidance document")
        verbose_name_plural = _("guidance documents")
        ordering = ["kind", "-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(body="") | ~Q(pdf_name=""),
                name="guidance_text_or_pdf",
                violation_error_message=_("Give the document's text, its PDF file, or both."),
            ),
            models.UniqueConstraint(
                fields=["kind", "number"],
                name="guidance_number_unique_per_kind",
                violation_error_message=_("A version with this number is already uploaded."),
            ),
        ]
        indexes = [models.Index(fields=["kind", "-issued_on"], name="guidance_kind_issued")]

    def __str__(self):
        return f"{self.number} – {self.title}"


class Acknowledgement(models.Model):
    """An account's statement that it has read and will follow one version of a document."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="guidance_acknowledgements",
        verbose_name=_("account"),
    )
    document = models.ForeignKey(
        GuidanceDocument,
        on_delete=models.CASCADE,
        related_name="acknowledgements",
        verbose_name=_("document"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), default=timezone.now)

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document"],
                name="guidance_ack_once",
                violation_error_message=_("This account has already acknowledged this version."),
            )
        ]

    def __str__(self):
        return f"{self.user_id} – {self.document_id}"
