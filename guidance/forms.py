from django import forms
from django.utils.translation import gettext_lazy as _

from guidance import documents
from guidance.models import GuidanceDocument
from portal.text import CleanTextModelForm


class GuidanceDocumentForm(CleanTextModelForm):
    """A version's details with its PDF, checked by its signature and size (documents.py)."""

    pdf = forms.FileField(
        label=_("PDF file"),
        required=False,
        help_text=_("A PDF document; leave empty to keep the current file."),
    )

    class Meta:
        model = GuidanceDocument
        fields = ["kind", "title", "number", "issued_on", "issuer", "body"]

    def clean_pdf(self):
        upload = self.cleaned_data.get("pdf")
        if upload:
            documents.check_pdf(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        has_pdf = bool(cleaned.get("pdf")) or bool(self.instance.pdf_name)
        if not (cleaned.get("body") or "").strip() and not has_pdf and not self.errors.get("pdf"):
            raise forms.ValidationError(_("Give the document's text, its PDF file, or both."))
        return cleaned

    def _post_clean(self):
        # The new file's name is on the row before the model's own checks (text or PDF); the
        # file itself is written only when the row is saved (`save_pdf`).
        upload = self.cleaned_data.get("pdf")
        if upload and "pdf" not in self.errors:
            self.instance.pdf_name = documents.new_pdf_name()
            self.instance.pdf_size = upload.size
        super()._post_clean()

    def save_pdf(self):
        upload = self.cleaned_data.get("pdf")
        if upload:
            self.instance.pdf_size = documents.store_pdf(upload, self.instance.pdf_name)
