"""Promotion material for a scheduled Space: the card image and the calendar file."""

import io
import textwrap
import zoneinfo
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from PIL import Image, ImageDraw, ImageFont, ImageOps

from rooms.models import Participant, Space

SIZE = (1200, 630)
PURPLE, DEEP, WHITE, SOFT = (124, 58, 237), (46, 16, 101), (255, 255, 255), (237, 233, 254)
FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
]


def _font(size: int):
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)  # Pillow's own, when the system has none


def _avatar(user, diameter: int) -> Image.Image:
    """A round avatar: the person's picture, or their initial on the soft purple."""
    picture = None
    if user.avatar:
        try:
            with user.avatar.open("rb") as handle:
                picture = ImageOps.fit(Image.open(handle).convert("RGB"), (diameter, diameter))
        except (OSError, ValueError):
            picture = None
    if picture is None:
        picture = Image.new("RGB", (diameter, diameter), SOFT)
        draw = ImageDraw.Draw(picture)
        initial = (user.name or "?")[:1].upper()
        draw.text(
            (diameter / 2, diameter / 2),
            initial,
            font=_font(diameter // 2),
            fill=PURPLE,
            anchor="mm",
        )
    mask = Image.new("L", (diameter, diameter), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, diameter - 1, diameter - 1), fill=255)
    picture.putalpha(mask)
    return picture


def host_time(space: Space) -> str:
    """The start as the host sees it: in the host's zone, named."""
    zone = zoneinfo.ZoneInfo(space.host.zone_name) if space.host.zone_name else None
    local = timezone.localtime(space.scheduled_for, zone)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def card_text(space: Space) -> dict:
    """The card's words, in the host's language: the card speaks for the host."""
    with translation.override(space.host.language or settings.LANGUAGE_CODE):
        return {
            "label": gettext("Upcoming Space"),
            "title": textwrap.wrap(space.title, width=26)[:3],
            "when": host_time(space) if space.scheduled_for else "",
        }


def card_png(space: Space) -> bytes:
    """1200×630, the size link previews use: title, time, host and co-host avatars."""
    text = card_text(space)
    image = Image.new("RGB", SIZE, DEEP)
    draw = ImageDraw.Draw(image)
    for y in range(SIZE[1]):  # a vertical gradient from deep to bright purple
        mix = y / SIZE[1]
        colour = tuple(round(a + (b - a) * mix) for a, b in zip(DEEP, PURPLE, strict=True))
        draw.line([(0, y), (SIZE[0], y)], fill=colour)
    draw.text((64, 56), f"Spaces · {text['label']}", font=_font(36), fill=SOFT)
    draw.multiline_text((64, 140), "\n".join(text["title"]), font=_font(64), fill=WHITE, spacing=12)
    if text["when"]:
        draw.text((64, 400), text["when"], font=_font(34), fill=SOFT)
    people = [space.host] + [
        seat.user
        for seat in Participant.objects.filter(space=space, role=Participant.Role.COHOST)
        .select_related("user")
        .order_by("pk")[:2]
    ]
    for index, person in enumerate(people):
        image.paste(_avatar(person, 96), (64 + index * 112, 470), _avatar(person, 96))
    names = ", ".join(f"@{p.handle}" for p in people)
    draw.text((64 + len(people) * 112 + 16, 518), names, font=_font(30), fill=WHITE, anchor="lm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 lines are at most 75 octets; longer ones continue after CRLF and a space."""
    data = line.encode()
    parts = []
    while len(data) > 75:
        cut = 75 if not parts else 74
        while cut and (data[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        parts.append(data[:cut])
        data = data[cut:]
    parts.append(data)
    return "\r\n ".join(part.decode() for part in parts)


def calendar_ics(space: Space, *, link: str) -> str:
    """An iCalendar file with the Space as one event (an hour long, in UTC)."""
    starts = space.scheduled_for or timezone.now()
    utc = zoneinfo.ZoneInfo("UTC")

    def stamp(moment) -> str:
        return moment.astimezone(utc).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Spaces//Scheduled Space//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{space.code}@spaces",
        f"DTSTAMP:{stamp(timezone.now())}",
        f"DTSTART:{stamp(starts)}",
        f"DTEND:{stamp(starts + timedelta(hours=1))}",
        f"SUMMARY:{_ics_text(space.title)}",
        f"DESCRIPTION:{_ics_text(f'A Space hosted by {space.host.name}. {link}')}",
        f"URL:{link}",
        "STATUS:" + ("CANCELLED" if space.state == Space.State.CANCELLED else "CONFIRMED"),
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_ics_text(space.title)}",
        "TRIGGER:-PT15M",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def site_link(space: Space) -> str:
    return settings.SITE_URL.rstrip("/") + space.get_absolute_url()
