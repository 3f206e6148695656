import re

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

# URLs and @mentions, found in the raw text; everything else is escaped.
TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])|(?<![\w@])@(?P<handle>[A-Za-z0-9_]{1,15})\b"
)


@register.filter(is_safe=True)
def linkify(text: str) -> str:
    """Turn http(s) links and @mentions into links; never lets HTML through."""
    parts = []
    position = 0
    for match in TOKEN.finditer(text or ""):
        parts.append(escape(text[position : match.start()]))
        if match.group("url"):
            url = match.group("url")
            shown = url.split("://", 1)[1]
            if len(shown) > 40:
                shown = shown[:39] + "…"
            parts.append(
                format_html(
                    '<a href="{}" rel="nofollow noopener ugc" target="_blank">{}</a>', url, shown
                )
            )
        else:
            handle = match.group("handle")
            url = reverse("timeline:profile", kwargs={"handle": handle})
            parts.append(format_html('<a href="{}" class="mention">@{}</a>', url, handle))
        position = match.end()
    parts.append(escape((text or "")[position:]))
    return mark_safe("".join(parts))
