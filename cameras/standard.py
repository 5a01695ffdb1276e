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
from django.utils.translation import gettext as _

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


def evaluate(result, standard, url=None, *, refusal=None):
    """Judge one probe result against `standard`.

    url:     the stream address probed, to check its scheme against the standard.
    refusal: the message of the safe-target check when the address was refused before probing.
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
    if result.fps is None:
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
    from cameras.choices import Codec

    labels = dict(Codec.choices)
    names = [str(labels.get(code, code.upper())) for code in codes.split(",") if code]
    return _(" or ").join(names) if len(names) <= 2 else ", ".join(names)


def reason_text(reason):
    """One stored reason as a sentence in the active language."""
    code = reason.get("code", "")
    if code == "resolution":
        return _(
            "resolution %(width)sx%(height)s is below the required %(min_width)sx%(min_height)s; "
            "set the camera's stream to at least %(min_width)sx%(min_height)s"
        ) % reason
    if code == "resolution_unknown":
        return _("the picture size could not be read from the stream")
    if code == "fps":
        return _(
            "frame rate %(fps)s frames/s is below the required %(min_fps)s frames/s; raise the "
            "frame rate in the camera's video settings"
        ) % {"fps": _number(reason["fps"]), "min_fps": _number(reason["min_fps"])}
    if code == "fps_unknown":
        return _(
            "the frame rate could not be measured (at least %(min_fps)s frames/s is required)"
        ) % {"min_fps": _number(reason["min_fps"])}
    if code == "codec":
        from cameras.choices import Codec

        codec = reason.get("codec") or "?"
        return _(
            "video codec %(codec)s is not accepted; set the camera to %(allowed)s"
        ) % {
            "codec": str(dict(Codec.choices).get(codec, codec.upper())),
            "allowed": _codec_names(reason.get("allowed", "")),
        }
    if code == "first_frame":
        text = _(
            "the first picture took %(seconds)s s, more than the allowed %(max)s s"
        ) % {"seconds": _number(reason["seconds"]), "max": _number(reason["max_seconds"])}
        if reason.get("keyframe_interval"):
            text += _(
                " (a keyframe every %(interval)s s; set a keyframe/I-frame interval of 1 to 2 s)"
            ) % {"interval": _number(reason["keyframe_interval"])}
        return text
    if code == "scheme":
        return _(
            "the address starts with %(scheme)s://, which the standard does not accept "
            "(accepted: %(allowed)s)"
        ) % {
            "scheme": reason.get("scheme", ""),
            "allowed": ", ".join(f"{s}://" for s in reason.get("allowed", "").split(",") if s),
        }
    if code == "unauthorized":
        return _(
            "the camera refused the user name or password; enter the credentials of a camera "
            "account allowed to view the stream"
        )
    if code == "forbidden":
        return _(
            "the camera refused access to this stream (RTSP 403); allow this account to view "
            "the stream in the camera's user settings"
        )
    if code == "not_found":
        return _(
            "the camera has no stream at this address (RTSP 404); check the path after the port, "
            "e.g. /Streaming/Channels/101 or /stream1, in the camera's manual"
        )
    if code == "busy":
        return _(
            "the camera is serving as many viewers as it can (RTSP 453); it will be checked "
            "again later"
        )
    if code == "server_error":
        return _("the camera answered with a server error; restart the camera or its recorder")
    if code == "refused":
        if reason.get("port"):
            return _(
                "the camera refused the connection on port %(port)s; check the port number and "
                "that RTSP is enabled and forwarded to the camera"
            ) % {"port": reason["port"]}
        return _("the camera refused the connection; check the port and that RTSP is enabled")
    if code == "dns":
        return _("the camera's host name cannot be found; check the address")
    if code == "timeout":
        return _(
            "the camera did not answer in time; check that the address is reachable from the "
            "internet (port forwarding, firewall) and that the camera is on"
        )
    if code == "no_video":
        return _(
            "no video arrived from the stream; check that the address points to a video stream "
            "and that the camera is recording"
        )
    if code == "denied":
        return reason.get("detail") or _("the portal does not open streams at this address")
    if code == "redirect":
        if reason.get("host"):
            return _(
                "the camera redirects the stream to %(host)s, which the portal does not follow; "
                "enter the stream address on %(host)s as the camera's address"
            ) % {"host": reason["host"]}
        return _(
            "the camera redirects the stream to another address, which the portal does not "
            "follow; enter the final stream address as the camera's address"
        )
    if code == "invalid":
        return _(
            "the stream could not be read; check that the address is the camera's RTSP stream "
            "address"
        )
    if code == "crashed":
        return _(
            "checking this stream stopped the checker %(count)s times in a row; checks are "
            "paused until its address or credentials change"
        ) % {"count": reason.get("count", "?")}
    return code


def reasons_text(reasons):
    """All reasons of a verdict as one sentence list, in the active language."""
    texts = [reason_text(reason) for reason in reasons or ()]
    if not texts:
        return ""
    joined = "; ".join(texts)
    return joined[:1].upper() + joined[1:] + "."
