"""Cheap checks of a snapshot: can a person judge the camera's placement from it?

Pure image arithmetic on the snapshot's JPEG (Pillow only, no Django, no numpy): each
check returns a code of ``cameras.choices.PictureWarning`` (the same strings, kept apart
so that this module stands alone like the probe). The checks run on a grey copy reduced
to ``_WIDTH`` pixels across, which costs about a millisecond, and leave out a band at the
top and at the bottom of the picture, where cameras draw their clock and name: a black
picture with a white clock is still black, and a frozen one with a running clock still
frozen.

The thresholds were set on the RTSP farm's test patterns (tests/rtsp_farm.py, measured
values in tests/test_picture.py) with room on both sides: a black or one-colour picture
scores 0-3 where the darkest/most uniform usable scene scores tens, a gradient (no edge at
all) scores under 1 for sharpness where a scene with edges scores hundreds. They are
deliberately lenient: a warning asks a person to look, it changes no eligibility.
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageFilter, ImageStat

# The codes, equal to cameras.choices.PictureWarning's values.
BLACK = "black"
UNIFORM = "uniform"
FROZEN = "frozen"
BLURRY = "blurry"
NOISY = "noisy"

# Width of the grey copy the checks run on.
_WIDTH = 320
# Share of the height left out at the top and at the bottom (clock, camera name).
_BAND = 0.12
# Nearly black: 98 % of the pixels darker than this (of 255).
_DARK_LEVEL = 32
# Uniform (a covered lens, a wall at 10 cm): standard deviation of the grey levels below this.
_UNIFORM_STDDEV = 6.0
# Too blurry: variance of the Laplacian below this (a gradient scores < 1, a scene with
# edges hundreds).
_BLURRY_LAPLACIAN = 20.0
# Noise: neighbouring pixels differ on average by this share of the picture's standard
# deviation or more (snow: about 1; a scene or colour bars: under 0.3).
_NOISE_RATIO = 0.6
# Frozen: a 64-pixel-wide copy differs from the previous snapshot's by less than this on
# average (of 255): an encoder's noise between two pictures of the same frame.
_FROZEN_DIFFERENCE = 1.5
_FROZEN_WIDTH = 64

# Laplacian kernel; the offset keeps negative responses (Pillow clips to 0..255).
_LAPLACIAN = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128)


def grey(jpeg: bytes, width: int = _WIDTH) -> Image.Image:
    """The picture's middle (without the clock bands), in grey levels, ``width`` pixels across."""
    with Image.open(io.BytesIO(jpeg)) as image:
        image.draft("L", (width, width))  # JPEG: decode at 1/2, 1/4 or 1/8 scale directly
        image = image.convert("L")
    height = max(1, round(image.height * width / image.width))
    small = image.resize((width, height), Image.Resampling.BOX)
    band = int(height * _BAND)
    return small.crop((0, band, width, height - band))


def measures(jpeg: bytes) -> dict[str, float]:
    """The numbers the checks compare with their thresholds (for tests and tuning)."""
    image = grey(jpeg)
    stat = ImageStat.Stat(image)
    histogram = image.histogram()
    total = sum(histogram)
    dark = sum(histogram[:_DARK_LEVEL]) / total if total else 1.0
    stddev = stat.stddev[0]
    # Pillow leaves the outermost pixels unfiltered: they are cut off.
    edges = image.filter(_LAPLACIAN).crop((1, 1, image.width - 1, image.height - 1))
    laplacian = ImageStat.Stat(edges).stddev[0] ** 2
    # Mean absolute difference between horizontally neighbouring pixels.
    shifted = image.crop((1, 0, image.width, image.height))
    trimmed = image.crop((0, 0, image.width - 1, image.height))
    neighbour = ImageStat.Stat(ImageChops.difference(trimmed, shifted)).mean[0]
    return {
        "dark_share": dark,
        "stddev": stddev,
        "laplacian": laplacian,
        "noise_ratio": neighbour / stddev if stddev else 0.0,
    }


def difference(jpeg: bytes, previous: bytes) -> float:
    """Mean absolute difference (0-255) between two snapshots, clock bands left out."""
    a, b = grey(jpeg, _FROZEN_WIDTH), grey(previous, _FROZEN_WIDTH)
    if a.size != b.size:
        return 255.0
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


def warnings(jpeg: bytes, previous: bytes | None = None) -> list[str]:
    """The picture warnings of a snapshot, most telling first; [] for a usable picture.

    ``previous`` is the camera's previous snapshot, for the frozen check. A black picture
    is not also called uniform or blurry: one warning says what to check.
    """
    m = measures(jpeg)
    found: list[str] = []
    if m["dark_share"] >= 0.98:
        found.append(BLACK)
    elif m["stddev"] < _UNIFORM_STDDEV:
        found.append(UNIFORM)
    elif m["noise_ratio"] >= _NOISE_RATIO:
        found.append(NOISY)
    elif m["laplacian"] < _BLURRY_LAPLACIAN:
        found.append(BLURRY)
    if previous and difference(jpeg, previous) < _FROZEN_DIFFERENCE:
        found.append(FROZEN)
    return found
