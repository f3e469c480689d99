"""Square cover art drawn with Pillow: the show's and each routine's podcast image, and the skill icons.

Podcast apps refuse a show without a 1400-3000 px square image and the Alexa console wants 108 and
512 px icons, so every picture is drawn here from shapes and Pillow's bundled font: no asset files,
no network, the same picture for the same words.
"""

from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

BRAND = (21, 94, 117)  # deep teal: the background
BAND = (249, 115, 22)  # resistance-band orange: the loop motif
INK = (255, 255, 255)  # title text
SOFT_INK = (204, 228, 235)  # subtitle text
COVER_SIZE = 1400  # the smallest square Apple Podcasts accepts (1400-3000 px)
VERSION = 1
"""Bump when the drawing changes: exports with a drawn cover are then rewritten."""

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
PICTURE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}  # what podcast apps and ID3 APIC take


class NotACover(ValueError):
    """A file given as a cover that is not a PNG or JPEG image."""


def picture_type(data: bytes) -> tuple[str, tuple[int, int]]:
    """The MIME type and pixel size of a PNG or JPEG image; NotACover (with the fix) for anything else."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size = image.format, image.size
    except (OSError, ValueError) as exc:
        raise NotACover("the cover is not an image: give a PNG or JPEG file") from exc
    if kind not in PICTURE_TYPES:
        raise NotACover(f"the cover is a {kind} image: give a PNG or JPEG file")
    return PICTURE_TYPES[kind], size


def square_png(size: int, title: str, subtitle: str | None = None) -> bytes:
    """A `size` by `size` PNG: brand colour, a band looped around two handles, and the title (and subtitle) below it.

    Small sizes (icons under 200 px) draw the motif alone, since text would not be readable.
    """
    if size < 16:
        raise ValueError(f"cover size {size} px is too small; use at least 16 px")
    image = Image.new("RGB", (size, size), BRAND)
    draw = ImageDraw.Draw(image)
    with_text = size >= 200 and bool(title.strip())
    _draw_band(draw, size, top=0.12 if with_text else 0.2, height=0.36 if with_text else 0.6)
    if with_text:
        _draw_words(draw, size, title, subtitle)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # optimize=True: 4 % smaller, twice as slow
    return buffer.getvalue()


def _draw_band(draw: ImageDraw.ImageDraw, size: int, top: float, height: float) -> None:
    """A stretched resistance band (a thick rounded loop) with a handle at each end."""
    stroke = max(2, size // 28)
    left, right = size * 0.2, size * 0.8
    upper, lower = size * top, size * (top + height)
    draw.rounded_rectangle((left, upper, right, lower), radius=(lower - upper) / 2,
                           outline=BAND, width=stroke)
    handle = max(3, size // 14)
    middle = (upper + lower) / 2
    for x in (left, right):
        draw.rounded_rectangle((x - handle / 2, middle - handle * 1.3, x + handle / 2, middle + handle * 1.3),
                               radius=handle / 3, fill=INK)


def _draw_words(draw: ImageDraw.ImageDraw, size: int, title: str, subtitle: str | None) -> None:
    """The title, wrapped to at most three lines, centred under the motif; the subtitle smaller below it."""
    y = size * 0.56
    title_font = _font(size // 11)
    for line in textwrap.wrap(title.strip(), width=18)[:3]:
        y = _centred(draw, size, y, line, title_font, INK)
    if subtitle and subtitle.strip():
        y += size * 0.02
        _centred(draw, size, y, textwrap.shorten(subtitle.strip(), width=34, placeholder="…"),
                 _font(size // 20), SOFT_INK)


def _centred(draw: ImageDraw.ImageDraw, size: int, y: float, text: str, font: Font,
             colour: tuple[int, int, int]) -> float:
    """Draw one horizontally centred line at `y`; return the `y` of the next line."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((size - (right - left)) / 2 - left, y - top), text, font=font, fill=colour)
    return y + (bottom - top) * 1.3


def _font(pixels: int) -> Font:
    """Pillow's bundled scalable font at `pixels` (Pillow ≥ 10.1 with FreeType), else its small bitmap font."""
    try:
        return ImageFont.load_default(size=max(8, pixels))
    except TypeError:  # Pillow 10.0 takes no size
        return ImageFont.load_default()
