"""Snapshots from the probe and their picture warnings, against the real RTSP farm (GStreamer).

No database: the probe and cameras.picture stand alone. The farm's /pattern/<p> mounts are
test pictures made to trip one check each; /moving and /nokey are shared media, kept running
by a viewer of our own, so a snapshot sees a picture that depends on when it joins.
"""

from __future__ import annotations

import io
import threading
import time
from contextlib import contextmanager

import pytest
from PIL import Image

from cameras import picture
from cameras.probe import probe

DEADLINE_SLACK = 1.5


def snap(farm, path, **kwargs):
    kwargs.setdefault("deadline", 8)
    kwargs.setdefault("sample_seconds", 0)
    start = time.monotonic()
    result = probe(farm.url(path), snapshot=True, **kwargs)
    assert time.monotonic() - start <= kwargs["deadline"] + DEADLINE_SLACK
    return result


@contextmanager
def watched(farm, path, seconds=12):
    """A viewer on a shared mount, so that its media (and its clock) keeps running."""
    viewer = threading.Thread(
        target=probe,
        args=(farm.url(path),),
        kwargs={"deadline": seconds, "sample_seconds": seconds},
        daemon=True,
    )
    viewer.start()
    time.sleep(1.5)  # the media is built and past its first keyframe
    try:
        yield
    finally:
        viewer.join(seconds + DEADLINE_SLACK)


SIZES = {
    # path: (codec, snapshot width, height)
    "/h264_720p": ("h264", 640, 360),
    "/h265": ("hevc", 640, 360),
    "/lowres": ("h264", 640, 480),
}


@pytest.mark.parametrize("path", SIZES)
@pytest.mark.parametrize("sample_seconds", [0, 1.5])
def test_snapshot_is_a_small_jpeg_of_the_first_keyframe(rtsp_farm, path, sample_seconds):
    codec, width, height = SIZES[path]
    result = snap(rtsp_farm, path, sample_seconds=sample_seconds)
    assert result.ok and result.codec == codec, result
    assert (result.snapshot_width, result.snapshot_height) == (width, height)
    with Image.open(io.BytesIO(result.snapshot)) as image:
        assert (image.format, image.size) == ("JPEG", (width, height))
    # A small file: a 640 px picture of a test pattern, not a full-size frame.
    assert len(result.snapshot) < 60_000
    # The picture never shows up in a log line or a repr.
    assert "snapshot=" not in repr(result)
    if sample_seconds:
        assert result.fps == pytest.approx(25, rel=0.1)


def test_snapshot_size_is_a_bound_on_the_longest_side(rtsp_farm):
    result = snap(rtsp_farm, "/h264_720p", snapshot_size=320)
    assert (result.snapshot_width, result.snapshot_height) == (320, 180)


def test_the_whole_picture_is_decoded_not_only_its_first_slice(rtsp_farm):
    # x264 cuts each picture into slices that the RTSP demuxer hands over apart: the lower
    # part of the colour bars must be there, not the decoder's green of an undecoded slice.
    result = snap(rtsp_farm, "/pattern/still")
    with Image.open(io.BytesIO(result.snapshot)) as image:
        r, g, b = image.convert("RGB").getpixel((image.width // 2, image.height - 40))
    assert not (g > 100 and r < 30 and b < 30), (r, g, b)


def test_routine_probe_without_snapshot_decodes_nothing(rtsp_farm):
    result = probe(rtsp_farm.url("/h264_720p"), deadline=8, sample_seconds=0)
    assert result.ok
    assert (result.snapshot, result.snapshot_width) == (b"", None)


def test_snapshot_through_digest_auth_keeps_credentials_out(rtsp_farm):
    result = snap(rtsp_farm, "/secure", username="cam", password=rtsp_farm.password)
    assert result.ok and result.snapshot
    wrong = snap(rtsp_farm, "/secure", username="cam", password=rtsp_farm.password + "x")
    assert (wrong.error_kind, wrong.snapshot) == ("unauthorized", b"")
    assert rtsp_farm.password not in wrong.error_message


@pytest.mark.parametrize(
    "pattern, warning",
    [
        ("black", picture.BLACK),
        ("grey", picture.UNIFORM),
        ("snow", picture.NOISY),
        ("gradient", picture.BLURRY),
    ],
)
def test_unusable_pictures_are_flagged(rtsp_farm, pattern, warning):
    result = snap(rtsp_farm, f"/pattern/{pattern}")
    assert result.ok and result.snapshot
    assert picture.warnings(result.snapshot) == [warning], picture.measures(result.snapshot)


def test_a_picture_that_does_not_change_is_frozen_even_with_a_running_clock(rtsp_farm):
    first = snap(rtsp_farm, "/pattern/still").snapshot
    time.sleep(1.1)  # the clock in the top band moves on
    second = snap(rtsp_farm, "/pattern/still").snapshot
    assert picture.warnings(first) == []
    assert picture.warnings(second, previous=first) == [picture.FROZEN]


def test_a_moving_picture_is_not_flagged(rtsp_farm):
    with watched(rtsp_farm, "/moving"):
        first = snap(rtsp_farm, "/moving").snapshot
        second = snap(rtsp_farm, "/moving").snapshot
    assert first and second
    assert picture.warnings(first) == []
    assert picture.warnings(second, previous=first) == []
    assert picture.difference(second, first) > 10


def test_stream_without_keyframe_ends_at_the_deadline_without_snapshot(rtsp_farm):
    with watched(rtsp_farm, "/nokey", seconds=8):
        start = time.monotonic()
        result = probe(rtsp_farm.url("/nokey"), deadline=3, sample_seconds=0, snapshot=True)
        elapsed = time.monotonic() - start
    assert 2.0 <= elapsed <= 3 + DEADLINE_SLACK
    assert (result.ok, result.error_kind, result.snapshot) == (False, "no_video", b"")
    assert "no keyframe" in result.error_message
