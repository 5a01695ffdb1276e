"""Choices of the API app, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenAccess(models.TextChoices):
    """What a token may do: read (GET and the like) or also write (report connection results)."""

    READ_ONLY = "read_only", _("Read only")
    READ_WRITE = "read_write", _("Read and write")
