"""Attachments of problem reports: the type told by the content, the file sealed at rest.

The name and the browser's declared type are a sender's claim; the first bytes are not. A file
is taken only when its content signature is one of:
- PDF  `%PDF-`;
- JPEG `FF D8 FF`, PNG `89 50 4E 47 0D 0A 1A 0A`;
- DOCX and XLSX: a ZIP (`PK 03 04`) whose directory holds `word/document.xml` (DOCX) or
  `xl/workbook.xml` (XLSX), read from the ZIP's central directory only (nothing unpacked).
Anything else, or a file over PROBLEM_ATTACHMENT_MAX_BYTES, is refused with a message naming
the file. Files are sealed with the credentials key (portal/sealed_files.py) under
PROBLEM_FILES_DIR, named by a random token, never by what the sender called them.
"""

import secrets
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from portal import sealed_files

SUFFIX = ".sealed"
# kind: (content type served, extension given to the download)
KINDS = {
    "pdf": ("application/pdf", "pdf"),
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def directory():
    path = Path(settings.PROBLEM_FILES_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def detect(upload):
    """The kind of the uploaded file by its content signature, or None."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    return None


def check(upload):
    """The kind of `upload`, or a ValidationError naming the file and what to do."""
    limit = settings.PROBLEM_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)s): attach files of at most %(limit)s.")
            % {
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(limit),
            },
            code="too_large",
        )
    kind = detect(upload)
    if kind is None:
        raise ValidationError(
            _(
                "%(name)s is not a PDF, JPEG, PNG, Word (DOCX) or Excel (XLSX) file: attach "
                "one of these types."
            )
            % {"name": upload.name},
            code="wrong_type",
        )
    return kind


def _display_name(upload_name, kind):
    """The sender's name for the file, without any path, with the extension of its real type."""
    stem = Path(upload_name.replace("\\", "/")).name.rsplit(".", 1)[0][:150] or "file"
    return f"{stem}.{KINDS[kind][1]}"


def store(upload, kind, *, report, reply=None, user):
    """Seal `upload` and return its saved ProblemAttachment row."""
    from problems.models import ProblemAttachment

    file_name = f"{secrets.token_urlsafe(24)}{SUFFIX}"
    path = directory() / file_name
    upload.seek(0)
    with sealed_files.SealedWriter(path) as out:
        for chunk in upload.chunks():
            out.write(chunk)
    # Django has no rollback hook: a transaction that fails after this removes the file itself
    # (problems/services.py keeps the paths it wrote).
    return ProblemAttachment.objects.create(
        report=report,
        reply=reply,
        name=_display_name(upload.name, kind),
        kind=kind,
        size=upload.size,
        file_name=file_name,
        uploaded_by=user,
    )


def read(attachment):
    """The plain bytes of an attachment (raises OSError or sealed_files.UnreadableFile)."""
    return b"".join(sealed_files.read_sealed(directory() / attachment.file_name))


def remove_file(sender, instance, **kwargs):
    """post_delete: the sealed file goes with its row, once the deletion is committed."""
    path = directory() / instance.file_name
    transaction.on_commit(lambda: sealed_files.remove(path))


def reseal_all():
    """Re-seal every attachment with the first key (key rotation); (files, re-sealed,
    unreadable). Attachments are kept for as long as their report: unlike snapshots, a file
    left on a removed key is lost, so the rotation command says how many."""
    folder = Path(settings.PROBLEM_FILES_DIR)
    if not folder.is_dir():
        return 0, 0, 0
    files = changed = unreadable = 0
    for entry in folder.iterdir():
        if entry.suffix != SUFFIX:
            continue
        files += 1
        try:
            if sealed_files.reseal(entry):
                changed += 1
        except sealed_files.UnreadableFile:
            unreadable += 1
    return files, changed, unreadable
