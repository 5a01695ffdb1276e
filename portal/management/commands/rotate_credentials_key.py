"""Re-encrypt every stored secret with the first key of CAMERA_CREDENTIALS_KEY.

Rotation: put the new key first in CAMERA_CREDENTIALS_KEY, keep the old one after it, restart,
run this command, then remove the old key. Every `portal.fields.EncryptedTextField` of every
installed model is covered, so a secret column added later needs nothing here; so are the camera
snapshot files (cameras/snapshots.py) and problem report attachments (problems/attachments.py),
re-sealed piece by piece.

Only the ciphertext changes: values are re-encrypted inside the crypto library (Fernet's rotate)
and never decrypted into this command, printed or logged. Rows are written with queryset updates,
a transaction per batch, so the audit trail records no change (no secret changed) and the models'
`updated_at` stays; one log line says that a rotation ran. Values already encrypted with the first
key are left alone: a second run changes nothing.
"""

import logging

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Case, ExpressionWrapper, F, TextField, Value, When

from portal import crypto
from portal.fields import EncryptedTextField

logger = logging.getLogger("portal.crypto")


def encrypted_fields():
    """(model, field) for every encrypted column of the installed models."""
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.local_concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def rotate_field(model, field, batch_size):
    """Re-encrypt the values of `field` not encrypted with the first key; (rows, re-encrypted)."""
    manager = model._base_manager
    # The stored ciphertext, not the plain value the field's from_db_value would give.
    stored = ExpressionWrapper(F(field.attname), output_field=TextField())
    rows = changed = 0
    last = None
    while True:
        with transaction.atomic():
            queryset = manager.order_by("pk")
            if last is not None:
                queryset = queryset.filter(pk__gt=last)
            # Locked until the batch is written: a person's new password saved meanwhile is not
            # overwritten by the old one re-encrypted.
            batch = list(
                queryset.select_for_update()
                .annotate(sealed_value=stored)
                .values_list("pk", "sealed_value")[:batch_size]
            )
            if not batch:
                return rows, changed
            last = batch[-1][0]
            rows += len(batch)
            resealed = {}
            for pk, value in batch:
                if crypto.sealed_with_current_key(value):
                    continue
                try:
                    resealed[pk] = crypto.rotate(value)
                except ValueError:
                    raise CommandError(
                        f"{model._meta.label}.{field.name} of row {pk} cannot be decrypted with "
                        "any key of CAMERA_CREDENTIALS_KEY. Put the key it was encrypted with "
                        "back in the list (after the new one) and run the command again."
                    ) from None
            if resealed:
                # One UPDATE per batch; the values are ciphertext already, hence a plain text
                # expression rather than the field (which would encrypt them again).
                manager.filter(pk__in=list(resealed)).update(
                    **{
                        field.attname: Case(
                            *(When(pk=pk, then=Value(value)) for pk, value in resealed.items()),
                            output_field=TextField(),
                        )
                    }
                )
                changed += len(resealed)


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (camera credentials...) with the first key of "
        "CAMERA_CREDENTIALS_KEY. Run it after putting a new key first; then the old key can go."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Rows read and written per transaction (default 500).",
        )

    def handle(self, *args, **options):
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = 0
        for model, field in encrypted_fields():
            rows, changed = rotate_field(model, field, batch_size)
            total += changed
            self.stdout.write(
                f"{model._meta.label}.{field.name}: {changed} of {rows} rows re-encrypted"
            )
        # Camera snapshots: files sealed with the same keys (cameras/snapshots.py).
        from cameras.snapshots import reseal_all

        files, resealed, unreadable = reseal_all()
        self.stdout.write(f"Camera snapshots: {resealed} of {files} files re-sealed")
        if unreadable:
            self.stdout.write(
                self.style.WARNING(
                    f"{unreadable} camera snapshot files open with no key of "
                    "CAMERA_CREDENTIALS_KEY: left for the purge (SNAPSHOT_RETENTION_HOURS)."
                )
            )
        total += resealed
        # Problem reports' attachments: kept as long as their report, so none may be left behind.
        from problems.attachments import reseal_all as reseal_attachments

        files, resealed, unreadable = reseal_attachments()
        self.stdout.write(f"Problem report attachments: {resealed} of {files} files re-sealed")
        if unreadable:
            self.stdout.write(
                self.style.WARNING(
                    f"{unreadable} problem report attachments open with no key of "
                    "CAMERA_CREDENTIALS_KEY: restore the old key and run this command again."
                )
            )
        total += resealed
        logger.info("credential key rotation ran: %d values re-encrypted with the first key", total)
        if total:
            self.stdout.write(
                self.style.SUCCESS(f"{total} values re-encrypted with the first key.")
            )
        else:
            self.stdout.write("Every stored secret already uses the first key: nothing changed.")
