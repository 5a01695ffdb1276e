#!/usr/bin/python3
"""A real RTSP server (GStreamer's gst-rtsp-server) with test-pattern cameras.

Runs under the SYSTEM python, which has PyGObject (``gi``); the project venv
does not. Start it with::

    /usr/bin/python3 tests/rtsp_farm.py --port 0 --password s3cret

and wait for the line ``READY <port>`` on stdout (``--port 0`` lets the kernel
pick a free port and avoids the probe-then-bind race). Mount points, on
127.0.0.1 only:

=============== ===================================================
``/h264_720p``  H.264 1280x720 @ 25 fps, keyframe every 1 s
``/h265``       H.265 1280x720 @ 25 fps, keyframe every 1 s
``/lowres``     H.264 640x480 @ 25 fps
``/lowfps``     H.264 1280x720 @ 5 fps
``/secure``     as ``/h264_720p`` behind Digest (``--auth basic``: Basic) auth, user ``cam``
``/audio_only`` G.711 mu-law audio, no video track
``/pattern/<p>`` H.264 640x360 @ 10 fps test pictures for the snapshot checks: ``black``,
                ``grey`` (one colour: a covered lens), ``snow`` (noise), ``gradient`` (no
                edge: blurred), ``still`` (colour bars + a clock in the top-left corner)
``/moving``     colour bars scrolling 8 px a frame + a clock, ONE media shared by all its
                clients (its picture depends on when a client joins, not on when it began)
``/nokey``      H.264 640x360 @ 10 fps, ONE shared media that sends its only keyframe
                at the start: a client that joins later never gets one
``/cam/<i>``    with ``--farm N``: N paths, all fed by ONE shared encoder
                (``--farm-groups G``: by encoder ``i % G`` of G)
=============== ===================================================

Each non-farm mount builds its pipeline when a client connects (factories are
not shared), so an idle farm costs nothing.

``--farm N`` is for benchmarks that need many cameras on a 2-core machine:
every ``/cam/<i>`` resolves to one factory whose media key is constant, so all
clients of all paths share a single videotestsrc + x264enc pipeline and the
per-camera cost is only RTP payload fan-out. Measured: 200 probes of
/cam/0..199, 50 at a time, cost the farm 1.9 s of CPU in 11 s (one 720p10
encoder, 7 threads); the pipeline stops when the last viewer leaves.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

USER = "cam"

# zerolatency + ultrafast keep x264 at a few % of a core per 720p stream;
# key-int-max = fps gives a keyframe every second so a probe that joins at a
# random moment waits at most ~1 s for one.
_X264 = "x264enc speed-preset=ultrafast tune=zerolatency bitrate={kbps} key-int-max={gop}"
_H264_PAY = "rtph264pay name=pay0 pt=96 config-interval=-1"


def _video_src(width: int, height: int, fps: int) -> str:
    # pattern=ball: mostly black frames, so P-frames are tiny and cheap.
    return (
        "videotestsrc is-live=true pattern=ball ! "
        f"video/x-raw,format=I420,width={width},height={height},framerate={fps}/1"
    )


def h264_launch(width: int, height: int, fps: int, kbps: int = 1000) -> str:
    return (
        f"( {_video_src(width, height, fps)} ! {_X264.format(kbps=kbps, gop=fps)} name=encoder "
        f"! {_H264_PAY} )"
    )


def h265_launch(width: int, height: int, fps: int) -> str:
    return (
        f"( {_video_src(width, height, fps)} ! "
        "x265enc speed-preset=ultrafast tune=zerolatency bitrate=1000 "
        f"key-int-max={fps} ! rtph265pay name=pay0 pt=96 config-interval=-1 )"
    )


_CLOCK = "clockoverlay halignment=left valignment=top font-desc=\"Sans 20\""
PATTERNS = {
    "black": "videotestsrc is-live=true pattern=black",
    "grey": "videotestsrc is-live=true pattern=solid-color foreground-color=0xff7f7f7f",
    "snow": "videotestsrc is-live=true pattern=snow",
    "gradient": "videotestsrc is-live=true pattern=gradient",
    "still": f"videotestsrc is-live=true pattern=smpte ! {_CLOCK}",
}
MOVING = f"videotestsrc is-live=true pattern=smpte horizontal-speed=8 ! {_CLOCK}"


def pattern_launch(source: str, gop: int = 10) -> str:
    return (
        f"( {source} ! videoconvert ! video/x-raw,format=I420,width=640,height=360,framerate=10/1 "
        f"! {_X264.format(kbps=800, gop=gop)} name=encoder ! {_H264_PAY} )"
    )


AUDIO_ONLY = (
    "( audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! "
    "audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay0 pt=0 )"
)


class SharedFarmFactory(GstRtspServer.RTSPMediaFactory):
    """One media for every mount it is attached to.

    The default key is the request path, so a factory mounted at /cam/0 and
    /cam/1 would still build one pipeline per path; a constant key makes every
    path reuse the same prepared media.
    """

    def __init__(self, key="farm"):
        super().__init__()
        self.key = key

    def do_gen_key(self, url):
        return self.key

    def do_configure(self, media):
        GstRtspServer.RTSPMediaFactory.do_configure(self, media)
        # FFmpeg's PLAY carries "Range: npt=0.000-", and gst-rtsp-server answers it by seeking
        # the media (FLUSH | KEY_UNIT): on a shared media every client's PLAY restarted the
        # test source and the encoder, so each new client got an IDR at once (and every other
        # client a restart). A camera's encoder does not restart for a new viewer: the media
        # says it cannot seek (the server then plays without seeking), and a client waits for
        # the next keyframe of the regular GOP, as with a camera.
        encoder = media.get_element().get_by_name("encoder")
        encoder.get_static_pad("src").add_probe(
            Gst.PadProbeType.QUERY_UPSTREAM, _not_seekable
        )


def _not_seekable(pad, info):
    query = info.get_query()
    if query.type != Gst.QueryType.SEEKING:
        return Gst.PadProbeReturn.OK
    query.set_seeking(Gst.Format.TIME, False, 0, -1)
    return Gst.PadProbeReturn.HANDLED


class _Auth(GstRtspServer.RTSPAuth):
    """Answer 401, not 404, on /secure for anonymous clients.

    gst-rtsp-server hands unauthenticated clients the default token and then
    *hides* factories that token's role may not access (404). Real cameras
    challenge with 401, so fail authentication for protected paths instead:
    the server then answers 401 + WWW-Authenticate.
    """

    protected = ("/secure",)

    def do_authenticate(self, ctx):
        ok = GstRtspServer.RTSPAuth.do_authenticate(self, ctx)
        token = ctx.token
        if (
            ctx.uri is not None
            and ctx.uri.abspath.startswith(self.protected)
            and token is not None
            and token.get_string("media.factory.role") == "anonymous"
        ):
            return False
        return ok


def _factory(launch: str, roles: tuple[str, ...], shared: bool = False):
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(shared)
    _allow(factory, roles)
    return factory


def _allow(factory, roles: tuple[str, ...]) -> None:
    for role in roles:
        factory.add_role_from_structure(
            Gst.Structure.new_from_string(
                f"{role}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )
        )


def build_server(
    port: int,
    password: str,
    farm: int = 0,
    farm_size: tuple[int, int, int] = (1280, 720, 10),
    auth_method: str = "digest",
    farm_groups: int = 1,
):
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    # The default backlog (5) drops SYNs when a benchmark opens hundreds of
    # connections at once.
    server.set_backlog(1024)

    auth = _Auth()
    user_token = GstRtspServer.RTSPToken.new()
    user_token.set_string("media.factory.role", "user")
    if auth_method == "basic":
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(USER, password), user_token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
    else:
        # GstRTSPAuthMethod is a bit mask in C but introspected as a plain
        # enum, so BASIC|DIGEST cannot be passed from Python: pick one.
        auth.add_digest(USER, password, user_token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    # Clients without credentials get this token; every mount but /secure
    # grants the "anonymous" role, so only /secure answers 401.
    anon_token = GstRtspServer.RTSPToken.new()
    anon_token.set_string("media.factory.role", "anonymous")
    auth.set_default_token(anon_token)
    server.set_auth(auth)

    public = ("anonymous", "user")
    mounts = server.get_mount_points()
    mounts.add_factory("/h264_720p", _factory(h264_launch(1280, 720, 25), public))
    mounts.add_factory("/h265", _factory(h265_launch(1280, 720, 25), public))
    mounts.add_factory("/lowres", _factory(h264_launch(640, 480, 25), public))
    mounts.add_factory("/lowfps", _factory(h264_launch(1280, 720, 5), public))
    mounts.add_factory("/secure", _factory(h264_launch(1280, 720, 25), ("user",)))
    mounts.add_factory("/audio_only", _factory(AUDIO_ONLY, public))
    for name, source in PATTERNS.items():
        mounts.add_factory(f"/pattern/{name}", _factory(pattern_launch(source), public))
    for path, launch in (
        ("/moving", pattern_launch(MOVING)),
        # x264 sends an IDR first and then, with this GOP, none for hours.
        ("/nokey", pattern_launch(_video_src(640, 360, 10).replace("ball", "smpte"), 10**6)),
    ):
        shared = SharedFarmFactory(path)
        shared.set_launch(launch)
        shared.set_shared(True)
        _allow(shared, public)
        mounts.add_factory(path, shared)

    if farm:
        w, h, fps = farm_size
        groups = []
        for group in range(max(1, farm_groups)):
            shared = SharedFarmFactory(f"farm{group}")
            shared.set_launch(h264_launch(w, h, fps, kbps=500))
            shared.set_shared(True)
            _allow(shared, public)
            groups.append(shared)
        for i in range(farm):
            mounts.add_factory(f"/cam/{i}", groups[i % len(groups)])
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8554, help="0 = pick a free port")
    parser.add_argument("--password", default="secret", help=f"password of user {USER!r}")
    parser.add_argument("--auth", choices=("digest", "basic"), default="digest")
    parser.add_argument("--farm", type=int, default=0, metavar="N", help="serve /cam/0..N-1")
    parser.add_argument(
        "--farm-size", default="1280x720@10", help="WIDTHxHEIGHT@FPS of the shared farm stream"
    )
    parser.add_argument(
        "--farm-groups",
        type=int,
        default=1,
        metavar="G",
        help="G shared encoders, /cam/<i> fed by encoder i %% G (each starts with its first "
        "viewer, so viewers arriving at different times give them different keyframe phases)",
    )
    args = parser.parse_args(argv)
    size, _, fps = args.farm_size.partition("@")
    width, _, height = size.partition("x")

    Gst.init(None)
    server = build_server(
        args.port,
        args.password,
        args.farm,
        (int(width), int(height), int(fps)),
        args.auth,
        args.farm_groups,
    )
    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print(f"FAILED to bind 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
