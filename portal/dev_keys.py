"""The public development keys: the defaults settings.py falls back to, and what the deploy
checks (portal/checks.py) warn about finding in production. Both are in the source code, so
anything they protect is readable by anyone."""

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me-in-production-0123456789"
DEV_CREDENTIALS_KEY = "Y2FtZXJhLXBvcnRhbC1kZXYta2V5LW5vdC1zZWNyZXQ="
