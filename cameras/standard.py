"""The verdict: does a probe result meet the connection standard, and if not, why.

`evaluate(result, standard, url=...)` takes a `cameras.probe.ProbeResult` (or anything with its
attributes) and a `ConnectionStandard` and returns a `Verdict`. Reasons are kept as plain data
(a code and the figures) so they can be stored with the camera and rendered later in the reader's
language; `reason_text()` turns one into a sentence a facility can act on, e.g. "resolution
640x480 is below the required 1280x720".
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cameras.choices import Codec

# Error kinds that say nothing about the camera itself (it is busy serving other viewers): no
# verdict and no failure are drawn from them.
NO_VERDICT_KINDS = frozenset({"busy"})

# Error kinds that are a fact about the camera's set-up (wrong address, credentials, stream), as
# opposed to a network hiccup that the next check may not see again.
DEFINITE_KINDS = frozenset(
    {"unauthorized", "forbidden", "not_found", "dns", "no_video", "redirect", "invalid", "denied"}
)


@dataclass(frozen=True)
class Verdict:
    """Whether a probe result meets a standard, with the reasons when it does not."""

    eligible: bool
    reasons: tuple = ()
    standard_version: int | None = None
    # The camera delivered video (the reasons, if any, are about its quality).
    reachable: bool = False
    # The probe gave no evidence either way (camera busy): keep the previous verdict.
    conclusive: bool = True
    error_kind: str = ""
    # Judged on every rule of the standard (a full check). A routine check's verdict is not:
    # it can find a camera below the standard, never meeting all of it (evaluate's `routine`).
    whole_standard: bool = True

    def texts(self):
        return [reason_text(reason) for reason in self.reasons]

    def as_json(self):
        return [dict(reason) for reason in self.reasons]


def _number(value, decimals=1):
    """A figure as a reader expects it: no trailing ".0", the locale's decimal separator."""
    if value is None:
        return "?"
    if float(value).is_integer():
        return formats.number_format(int(value), use_l10n=True)
    return formats.number_format(round(float(value), decimals), decimal_pos=decimals, use_l10n=True)


def _seconds_from_ms(ms):
    return None if ms is None else ms / 1000


def evaluate(result, standard, url=None, *, refusal=None, routine=False):
    """Judge one probe result against `standard`.

    url:     the stream address probed, to check its scheme against the standard.
    refusal: the message of the safe-target check when the address was refused before probing.
    routine: the result is a routine check's (handshake and first keyframe, no stream sample).
             What that saw is judged as a full check judges it: the address, whether video came
             at all, the codec, the picture size when the stream told it (the SDP's parameter
             sets or the keyframe; a size not seen is not held against the camera) and the time
             to the first picture. The frame rate is not: it needs the full check's sample, and
             a routine check that measured none must not read as "frame rate unknown". A
             routine verdict without reasons is therefore not a pass on the whole standard
             (`whole_standard` False): the last full check's verdict stands.
    """
    version = standard.version
    reasons = []
    if url:
        scheme = (urlsplit(url).scheme or "").lower()
        if scheme and scheme not in standard.schemes:
            reasons.append(
                {"code": "scheme", "scheme": scheme, "allowed": ",".join(standard.schemes)}
            )
    if not result.ok:
        kind = result.error_kind or "invalid"
        if refusal:
            reasons.append({"code": "denied", "detail": str(refusal)})
            kind = "denied"
        elif kind in NO_VERDICT_KINDS:
            return Verdict(
                eligible=False,
                reasons=({"code": kind},),
                standard_version=version,
                conclusive=False,
                error_kind=kind,
            )
        else:
            reason = {"code": kind}
            if kind == "timeout":
                reason["seconds"] = _deadline_hint(result)
            if kind == "refused" and url:
                reason["port"] = _port(url)
            if kind == "redirect":
                reason["host"] = result.redirect_host
            reasons.append(reason)
        return Verdict(
            eligible=False,
            reasons=tuple(reasons),
            standard_version=version,
            error_kind=kind,
        )

    codec = (result.codec or "").lower()
    if codec not in standard.codecs:
        reasons.append({"code": "codec", "codec": codec or "?", "allowed": standard.allowed_codecs})
    width, height = result.width, result.height
    if not width or not height:
        if not routine:
            reasons.append({"code": "resolution_unknown"})
    elif width < standard.min_width or height < standard.min_height:
        reasons.append(
            {
                "code": "resolution",
                "width": width,
                "height": height,
                "min_width": standard.min_width,
                "min_height": standard.min_height,
            }
        )
    if routine:
        pass  # no sample, no frame rate: the full check's stands
    elif result.fps is None:
        reasons.append({"code": "fps_unknown", "min_fps": standard.min_fps})
    elif result.fps < standard.min_fps:
        reasons.append({"code": "fps", "fps": result.fps, "min_fps": standard.min_fps})
    ttff = _seconds_from_ms(result.time_to_first_frame_ms)
    if ttff is not None and ttff > standard.max_first_frame_s:
        reason = {"code": "first_frame", "seconds": ttff, "max_seconds": standard.max_first_frame_s}
        if result.keyframe_interval_s:
            reason["keyframe_interval"] = result.keyframe_interval_s
        reasons.append(reason)
    return Verdict(
        eligible=not reasons,
        reasons=tuple(reasons),
        standard_version=version,
        reachable=True,
        whole_standard=not routine,
    )


def _deadline_hint(result):
    return round((result.duration_ms or 0) / 1000, 1) or None


def _port(url):
    try:
        parts = urlsplit(url)
        return parts.port or (322 if parts.scheme.lower() == "rtsps" else 554)
    except ValueError:
        return None


def _codec_names(codes):
    labels = dict(Codec.choices)
    names = [str(labels.get(code, code.upper())) for code in codes.split(",") if code]
    return gettext(" or ").join(names) if len(names) <= 2 else ", ".join(names)


# One sentence per reason code, in the reader's language when rendered. A message with
# placeholders has a formatter below that computes its figures; the others are shown as they are.
MESSAGES = {
    "resolution": _(
        "resolution %(width)sx%(height)s is below the required %(min_width)sx%(min_height)s; "
        "set the camera's stream to at least %(min_width)sx%(min_height)s"
    ),
    "resolution_unknown": _("the picture size could not be read from the stream"),
    "fps": _(
        "frame rate %(fps)s frames/s is below the required %(min_fps)s frames/s; raise the "
        "frame rate in the camera's video settings"
    ),
    "fps_unknown": _(
        "the frame rate could not be measured (at least %(min_fps)s frames/s is required)"
    ),
    "codec": _("video codec %(codec)s is not accepted; set the camera to %(allowed)s"),
    "first_frame": _("the first picture took %(seconds)s s, more than the allowed %(max)s s"),
    "scheme": _(
        "the address starts with %(scheme)s://, which the standard does not accept "
        "(accepted: %(allowed)s)"
    ),
    "unauthorized": _(
        "the camera refused the user name or password; enter the credentials of a camera "
        "account allowed to view the stream"
    ),
    "forbidden": _(
        "the camera refused access to this stream (RTSP 403); allow this account to view "
        "the stream in the camera's user settings"
    ),
    "not_found": _(
        "the camera has no stream at this address (RTSP 404); check the path after the port, "
        "e.g. /Streaming/Channels/101 or /stream1, in the camera's manual"
    ),
    "busy": _(
        "the camera is serving as many viewers as it can (RTSP 453); it will be checked again later"
    ),
    "server_error": _(
        "the camera answered with a server error; restart the camera or its recorder"
    ),
    "refused": _(
        "the camera refused the connection on port %(port)s; check the port number and "
        "that RTSP is enabled and forwarded to the camera"
    ),
    "dns": _("the camera's host name cannot be found; check the address"),
    "timeout": _(
        "the camera did not answer in time; check that the address is reachable from the "
        "internet (port forwarding, firewall) and that the camera is on"
    ),
    "no_video": _(
        "no video arrived from the stream; check that the address points to a video stream "
        "and that the camera is recording"
    ),
    "denied": _("the portal does not open streams at this address"),
    "redirect": _(
        "the camera redirects the stream to %(host)s, which the portal does not follow; "
        "enter the stream address on %(host)s as the camera's address"
    ),
    "invalid": _(
        "the stream could not be read; check that the address is the camera's RTSP stream address"
    ),
    "crashed": _(
        "checking this stream stopped the checker %(count)s times in a row; checks are "
        "paused until its address or credentials change"
    ),
}

# When a reason lacks the figure its message names (no address to take the port from, a redirect
# without its target), these say the same without it.
_REFUSED_WITHOUT_PORT = _(
    "the camera refused the connection; check the port and that RTSP is enabled"
)
_REDIRECT_WITHOUT_HOST = _(
    "the camera redirects the stream to another address, which the portal does not "
    "follow; enter the final stream address as the camera's address"
)
_KEYFRAME_HINT = _(
    " (a keyframe every %(interval)s s; set a keyframe/I-frame interval of 1 to 2 s)"
)


def _fps(reason, message):
    return message % {"fps": _number(reason["fps"]), "min_fps": _number(reason["min_fps"])}


def _fps_unknown(reason, message):
    return message % {"min_fps": _number(reason["min_fps"])}


def _codec(reason, message):
    codec = reason.get("codec") or "?"
    return message % {
        "codec": str(dict(Codec.choices).get(codec, codec.upper())),
        "allowed": _codec_names(reason.get("allowed", "")),
    }


def _first_frame(reason, message):
    text = message % {"seconds": _number(reason["seconds"]), "max": _number(reason["max_seconds"])}
    if reason.get("keyframe_interval"):
        text += _KEYFRAME_HINT % {"interval": _number(reason["keyframe_interval"])}
    return text


def _scheme(reason, message):
    return message % {
        "scheme": reason.get("scheme", ""),
        "allowed": ", ".join(f"{s}://" for s in reason.get("allowed", "").split(",") if s),
    }


def _refused(reason, message):
    if not reason.get("port"):
        return str(_REFUSED_WITHOUT_PORT)
    return message % {"port": reason["port"]}


def _denied(reason, message):
    # The safe-target check's own message, stored when the address was refused before probing.
    return reason.get("detail") or str(message)


def _redirect(reason, message):
    if not reason.get("host"):
        return str(_REDIRECT_WITHOUT_HOST)
    return message % {"host": reason["host"]}


def _crashed(reason, message):
    return message % {"count": reason.get("count", "?")}


FORMATTERS = {
    # The stored figures are whole pixels, printed as they are.
    "resolution": lambda reason, message: message % reason,
    "fps": _fps,
    "fps_unknown": _fps_unknown,
    "codec": _codec,
    "first_frame": _first_frame,
    "scheme": _scheme,
    "refused": _refused,
    "denied": _denied,
    "redirect": _redirect,
    "crashed": _crashed,
}


def reason_text(reason):
    """One stored reason as a sentence in the active language; an unknown code as it is."""
    code = reason.get("code", "")
    message = MESSAGES.get(code)
    if message is None:
        return code
    format_reason = FORMATTERS.get(code)
    return format_reason(reason, message) if format_reason else str(message)


def reasons_text(reasons):
    """All reasons of a verdict as one sentence list, in the active language."""
    texts = [reason_text(reason) for reason in reasons or ()]
    if not texts:
        return ""
    joined = "; ".join(texts)
    return joined[:1].upper() + joined[1:] + "."
