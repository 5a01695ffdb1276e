"""System checks of the production configuration (`manage.py check --deploy`).

Django's own deploy checks accept the development SECRET_KEY (it is long and varied enough), and
know nothing of the camera credential key: both defaults are public, in the source code.
"""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from portal.dev_keys import DEV_CREDENTIALS_KEY, DEV_SECRET_KEY


@register(Tags.security, deploy=True)
def public_development_keys(app_configs, **kwargs):
    problems = []
    if settings.SECRET_KEY == DEV_SECRET_KEY:
        problems.append(
            Warning(
                "SECRET_KEY is the public development key.",
                hint="Set SECRET_KEY to 50 or more random characters, kept secret.",
                id="portal.W001",
            )
        )
    if DEV_CREDENTIALS_KEY in settings.CAMERA_CREDENTIALS_KEYS:
        problems.append(
            Warning(
                "CAMERA_CREDENTIALS_KEY includes the public development key: camera passwords "
                "stored with it can be decrypted by anyone.",
                hint="Generate a key with `python -c \"from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())\"` and set CAMERA_CREDENTIALS_KEY to it "
                "(keys after the first only decrypt: keep the old key after it until "
                "`manage.py rotate_credentials_key` has re-encrypted the stored secrets).",
                id="portal.W002",
            )
        )
    return problems
