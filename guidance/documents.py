"""The current versions of the guidance and their PDF files.

A PDF is accepted only when it starts with the PDF signature (`%PDF-`) and is no larger than
GUIDANCE_MAX_PDF_BYTES: the upload's own name and declared type are not trusted. It is kept
under GUIDANCE_DIR with a random name and served only by the document view (views.py) to
signed-in accounts, as a download the browser cannot reinterpret (nosniff, its own type).
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from guidance.models import GuidanceDocument

PDF_SIGNATURE = b"%PDF-"
CHUNK = 64 * 1024


def current_versions():
    """The newest version of each kind (later issue date first, then the later upload)."""
    newest = (
        GuidanceDocument.objects.filter(kind=OuterRef("kind"))
        .order_by("-issued_on", "-pk")
        .values("pk")[:1]
    )
    return GuidanceDocument.objects.filter(pk=Subquery(newest)).order_by("kind")


def check_pdf(upload):
    """ValidationError unless `upload` (an UploadedFile) is a PDF within the size limit."""
    limit = settings.GUIDANCE_MAX_PDF_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is too large: at most %(limit)s.") % {"limit": filesizeformat(limit)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(len(PDF_SIGNATURE))
    upload.seek(0)
    if head != PDF_SIGNATURE:
        raise ValidationError(
            _("This file is not a PDF document. Upload the document as a PDF file."),
            code="not_pdf",
        )


def new_pdf_name():
    """A random file name for a new PDF (never the uploader's)."""
    return f"{secrets.token_hex(16)}.pdf"


def store_pdf(upload, name):
    """Write a checked upload under GUIDANCE_DIR as `name`; returns its size in bytes."""
    directory = Path(settings.GUIDANCE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    size = 0
    with open(directory / name, "xb") as out:
        for chunk in upload.chunks(CHUNK):
            out.write(chunk)
            size += len(chunk)
    return size


def remove_pdf(name):
    """Delete a stored PDF no version uses any more (replaced, or its version deleted)."""
    if name:
        (Path(settings.GUIDANCE_DIR) / name).unlink(missing_ok=True)


def pdf_path(document):
    """Where the document's PDF is kept, or None when it has none."""
    if not document.pdf_name:
        return None
    return Path(settings.GUIDANCE_DIR) / document.pdf_name
