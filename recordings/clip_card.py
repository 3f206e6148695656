"""A clip's link-preview image (og:image): the Space's title, its host, the clip's length."""

import io
import textwrap
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image, ImageDraw, ImageFont

from recordings.models import Clip
from scheduling.promo import DEEP, FONTS, PURPLE, SIZE, SOFT, WHITE


def _font(size: int):
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def clip_card_png(clip: Clip) -> bytes:
    """1200×630 like the promo card, in the host's language (the card speaks for them)."""
    space = clip.recording.space
    host = space.host
    with translation.override(host.language or settings.LANGUAGE_CODE):
        label = gettext("Clip")
        length = gettext("%(seconds)s s clip") % {"seconds": round(clip.duration)}
    image = Image.new("RGB", SIZE, DEEP)
    draw = ImageDraw.Draw(image)
    for y in range(SIZE[1]):
        mix = y / SIZE[1]
        colour = tuple(round(a + (b - a) * mix) for a, b in zip(DEEP, PURPLE, strict=True))
        draw.line([(0, y), (SIZE[0], y)], fill=colour)
    draw.text((64, 56), f"Spaces · {label}", font=_font(36), fill=SOFT)
    title = textwrap.wrap(clip.title or space.title, width=26)[:3]
    draw.multiline_text((64, 140), "\n".join(title), font=_font(64), fill=WHITE, spacing=12)
    draw.text((64, 420), f"{host.name} · @{host.handle}", font=_font(34), fill=SOFT)
    # A waveform-like strip, and the length: what it is at a glance.
    for index in range(40):
        height = 20 + (index * 37 % 60)
        x = 64 + index * 18
        draw.rounded_rectangle((x, 540 - height / 2, x + 10, 540 + height / 2), 4, fill=SOFT)
    draw.text((SIZE[0] - 64, 540), length, font=_font(40), fill=WHITE, anchor="rm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
