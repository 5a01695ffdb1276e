"""Rules for the stream address a facility gives for a camera."""

import re
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cameras.targets import check_literal

ALLOWED_SCHEMES = ("rtsp", "rtsps")
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322}

# A credential written as a parameter anywhere after the host: in the query
# (?user=admin&password=...) or in the path, as some recorders expect
# (/user=admin&password=&channel=1&stream=0.sdp). Any case; names around "user", "pass",
# "token", "auth", "key" and "secret" as cameras and recorders spell them.
_SECRET_PARAM = re.compile(
    r"(?:^|[/?&;,])\s*(?:"
    r"user(?:_?name)?|usr|uid|login|account|"
    r"pass(?:word|wd|wrd)?|pwd|psw|passphrase|"
    r"[a-z_]*token|auth[a-z_]*|[a-z_]*secret|api_?key|access_?key|key|sig(?:nature)?"
    r")\s*=",
    re.IGNORECASE,
)


def validate_stream_url(value):
    """Accept only rtsp:// or rtsps:// addresses with a host and without credentials inside.

    Credentials in the address would be stored in clear and shown on every page that shows the
    address, so they are refused and the user is pointed to the encrypted credential fields.
    """
    value = (value or "").strip()
    if any(ch.isspace() for ch in value):
        raise ValidationError(
            _("The stream address must not contain spaces."), code="stream_url_space"
        )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValidationError(
            _("The stream address is not a valid address (check the port number)."),
            code="stream_url_invalid",
        ) from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise ValidationError(
            _("The stream address must start with rtsp:// or rtsps://."),
            code="stream_url_scheme",
        )
    if "@" in parts.netloc:
        raise ValidationError(
            _(
                "Do not put the user name or password inside the stream address: remove them "
                "from the address and enter them in the user name and password fields."
            ),
            code="stream_url_credentials",
        )
    if _SECRET_PARAM.search(unquote(parts.path)) or _SECRET_PARAM.search(
        "?" + unquote(parts.query)
    ):
        raise ValidationError(
            _(
                "Do not put a user name, password or token inside the stream address (as "
                "“user=”, “password=”, “token=”...): remove them from the address and enter the "
                "user name and password in their own fields, where they are stored encrypted."
            ),
            code="stream_url_credentials",
        )
    if not parts.hostname:
        raise ValidationError(
            _("The stream address must name a host, for example rtsp://10.0.0.5:554/stream1."),
            code="stream_url_host",
        )
    if port == 0:
        raise ValidationError(
            _("The stream address is not a valid address (check the port number)."),
            code="stream_url_invalid",
        )
    # A literal address is checked here, without DNS; names are checked on save by the form and
    # the import (cameras/targets.py check_on_save) and again on every probe.
    refusal = check_literal(value)
    if refusal is not None:
        raise ValidationError(refusal.message(), code="stream_url_target")


def authority(url):
    """(scheme, host, port) of a stream address: what its stored credentials are bound to.

    The port is the scheme's default when none is written, so rtsp://h/ and rtsp://h:554/ are the
    same camera; None for an address that cannot be read.
    """
    try:
        parts = urlsplit((url or "").strip())
        scheme = parts.scheme.lower()
        return (scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme))
    except ValueError:
        return None
