"""A model field whose value is encrypted in the database and plain inside the application."""

from django.db import models

from portal import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted with the credential keys; `obj.field` reads back the plain value.

    Lookups other than isnull make no sense on ciphertext (it is randomised), so none are offered.
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)
