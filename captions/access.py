"""Permission-checked fetches of a Space's stored captions, for every interface: the
transcript page, its downloads, the API, the replay's and clips' tracks, and the
directory's search (docs/captions.md, "Who reads a transcript").

- Reading (page, API, replay track, search): the Space has ended; the person is not
  shut out of the host's Spaces (rooms.access.shut_out) nor removed from this one; and
  the transcript is public only while the Space has a playable recording. Without one
  (never recorded, deleted, expired) only the host and its co-hosts read it: the host
  chose not to keep a replay, so what was said is not published for ever.
- Downloading: the host, and the co-hosts who held the seat at the end (a co-host who
  stepped out, or whom the host demoted, is back to listening in rooms' rows, which keep
  no history of roles: they do not), never someone shut out or removed.
- A clip's track: as the clip's page (recordings.access.access_clip).

Whatever may not be read is a 404 whose reason tells no more than the Space's page does;
a download by anyone else who may see the Space is a 403 that says why.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import hidden_user_ids
from core.errors import NotAllowed
from recordings.access import access_clip
from recordings.models import Clip, Recording
from rooms.access import shut_out
from rooms.models import Participant, Space, SpaceBan
from rooms.selectors import removed_from, space_get


class NoTranscript(Http404):
    """A 404 whose reason a person may read (str(exc))."""


@dataclass
class TranscriptAccess:
    """A Space whose transcript this person may read, and what else they may do with it."""

    space: Space
    recording: Recording | None  # its playable recording, if any (the timeline, the links)
    may_download: bool


def may_download(space: Space, user) -> bool:
    """The host, or a co-host of this Space at its end (not removed, not shut out)."""
    if user is None or not user.is_authenticated:
        return False
    if user.pk == space.host_id:
        return True
    cohost = Participant.objects.filter(
        space=space, user=user, role=Participant.Role.COHOST, removed_at__isnull=True
    ).exists()
    return cohost and not shut_out(space.host, user)


def _playable_recording(space: Space) -> Recording | None:
    recording = Recording.objects.filter(space=space).first()
    return recording if recording is not None and recording.playable else None


def _visible(space: Space, user, anon_id: str) -> None:
    """404 for whom the Space's page itself turns away (shut out) or who was removed."""
    if shut_out(space.host, user):
        raise NoTranscript(_("No such Space."))
    if removed_from(space, user=user, anon_id=anon_id):
        raise NoTranscript(_("You were removed from this Space."))


def access_transcript(*, code: str, user, anon_id: str = "") -> TranscriptAccess:
    """The ended Space's transcript if this person may read it; NoTranscript (404, with
    the reason) otherwise. It does not say whether anything was captioned."""
    return access_space_transcript(space=space_get(code), user=user, anon_id=anon_id)


def access_space_transcript(*, space: Space, user, anon_id: str = "") -> TranscriptAccess:
    """access_transcript, for a Space already fetched (its page's link)."""
    _visible(space, user, anon_id)
    if space.state != Space.State.ENDED:
        raise NoTranscript(_("The transcript is here once the Space has ended."))
    recording = _playable_recording(space)
    download = may_download(space, user)
    if recording is None and not download:
        # Said the same whether or not anything was captioned: the Space's page shows
        # that there is no replay, and no more.
        raise NoTranscript(_("This Space has no transcript: there is no replay of it."))
    return TranscriptAccess(space, recording, download)


def access_transcript_download(*, code: str, user) -> Space:
    """The Space whose transcript this person may download (the host, its co-hosts):
    NotAllowed (403) for anyone else who may see it, NoTranscript (404) before its end."""
    space = space_get(code)
    _visible(space, user, "")
    if not may_download(space, user):
        raise NotAllowed(
            _("Only the host and co-hosts can download the transcript."), "not_moderator"
        )
    if space.state != Space.State.ENDED:
        raise NoTranscript(_("The transcript is here once the Space has ended."))
    return space


def access_replay_captions(*, code: str, user, anon_id: str = "") -> TranscriptAccess:
    """The transcript for the replay's track: readable, and with a replay to play."""
    found = access_transcript(code=code, user=user, anon_id=anon_id)
    if found.recording is None:
        raise NoTranscript(_("This Space has no replay."))
    return found


def access_clip_captions(*, code: str, user) -> Clip:
    """A clip whose captions this person may read: whoever may play the clip (404)."""
    return access_clip(code=code, user=user)


def readable_spaces(viewer, anon_id: str = "") -> Q:
    """The search's side of the rule, as a filter on Spaces (subqueries, no query of its
    own): ended, not shut out or removed, and with a playable recording unless the
    viewer hosts or co-hosts it."""
    now = timezone.now()
    playable = Q(recording__state=Recording.State.READY) & (
        Q(recording__expires_at__isnull=True) | Q(recording__expires_at__gt=now)
    )
    readable = Q(state=Space.State.ENDED)
    if viewer is not None and viewer.is_authenticated:
        cohosted = Participant.objects.filter(
            user=viewer, role=Participant.Role.COHOST, removed_at__isnull=True
        ).values("space_id")
        removed = Participant.objects.filter(user=viewer, removed_at__isnull=False)
        return (
            readable
            & (playable | Q(host=viewer) | Q(pk__in=cohosted))
            & ~Q(host__in=hidden_user_ids(viewer))
            & ~Q(host__in=SpaceBan.objects.filter(user=viewer).values("host_id"))
            & ~Q(pk__in=removed.values("space_id"))
        )
    if anon_id:
        removed = Participant.objects.filter(anon_id=anon_id, removed_at__isnull=False)
        readable &= ~Q(pk__in=removed.values("space_id"))
    return readable & playable
