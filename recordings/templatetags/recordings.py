"""The recording's panel on an ended Space's page (rooms' template loads it: a way up
that is not an import, docs/architecture.md)."""

from django import template

from recordings.forms import TrimForm
from recordings.selectors import recording_panel

register = template.Library()


@register.inclusion_tag("recordings/_panel.html", takes_context=True)
def recording_panel_for(context, space):
    """The recording of this Space as the viewer may see it: nothing, a replay, or (for
    its host) its state and the delete, trim and download actions."""
    request = context["request"]
    panel = recording_panel(space=space, user=request.user) or {}
    if "replay" in panel and request.session.session_key is None:
        # The session its plays are counted in (recordings.services.recording_play):
        # made by the page, never by the play's POST alone.
        request.session["replay_viewer"] = True
    recording = panel.get("recording")
    if recording is not None:
        panel["trim_form"] = TrimForm(initial={"trim_start": int(recording.trim_start)})
    return panel


@register.filter
def clock(seconds) -> str:
    """Seconds as m:ss, or h:mm:ss past the hour."""
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"
