"""Writes for captions: the host's switch, and what the recognition worker hears.

Partial captions are lossy news (a page that misses one gets the final text anyway) and
are sent at once without a row; final captions are stored, then sent once committed.
The worker calls these with ids only: it keeps no rows of its own between phrases.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from captions.models import CaptionSegment
from rooms.access import access_moderator
from rooms.errors import SpaceError
from rooms.events import current, emit, emit_now
from rooms.models import Participant, Space
from rooms.services.space import space_lock

TEXT_MAX_LENGTH = 2000  # one phrase; the worker ends a phrase after 15 s at most
# The last phrase before the host ends the Space reaches us after it has ended (the
# worker finishes it when it learns of the end): it is kept if it started by then.
ENDED_GRACE = timedelta(seconds=5)


def speaker_of(participant: Participant) -> dict:
    """How a caption names its speaker: the seat, and the person's name and handle."""
    user = participant.user
    return {
        "participant_id": participant.pk,
        "handle": user.handle if user is not None else "",
        "name": (user.display_name or user.handle) if user is not None else "",
    }


@transaction.atomic
def captions_set(*, space: Space, actor, enabled: bool, language: str | None = None) -> Space:
    """The host or a co-host turns the Space's captions on or off, or changes their language."""
    access_moderator(space, actor)
    space_lock(space)
    if space.is_over:
        raise SpaceError(_("This Space has ended."), code="space_ended")
    fields = []
    if language is not None:
        if language not in {code for code, _name in settings.LANGUAGES}:
            raise SpaceError(_("Choose English or Italian."), code="bad_language")
        if language != space.captions_language:
            space.captions_language = language
            fields.append("captions_language")
    if bool(enabled) != space.captions:
        space.captions = bool(enabled)
        fields.append("captions")
    if fields:
        space.save(update_fields=fields)
        emit(
            space,
            "captions.settings",
            enabled=space.captions,
            language=space.captions_language,
        )
    return space


def _captioned_seat(
    space_id: int, participant_id: int, *, started_at: datetime | None = None
) -> Participant | None:
    """The speaker's seat, when their Space is live with captions on (else None: the
    worker heard audio it must not caption, e.g. just after the host turned them off).
    With `started_at`, a Space that has ended counts too when the phrase started before
    its end (give or take ENDED_GRACE): the last words before the end."""
    seat = (
        Participant.objects.select_related("space", "user")
        .filter(pk=participant_id, space_id=space_id)
        .first()
    )
    if seat is None or not seat.space.captions:
        return None
    space = seat.space
    if space.state == Space.State.LIVE:
        return seat
    if (
        started_at is not None
        and space.state == Space.State.ENDED
        and space.ended_at is not None
        and started_at <= space.ended_at + ENDED_GRACE
    ):
        return seat
    return None


def caption_partial_send(
    *, space_id: int, participant_id: int, key: str, text: str, started_at: datetime
) -> bool:
    """Show a phrase still being spoken (replaced by later partials and by the final
    caption with the same `key`); nothing is stored. False when not to be captioned."""
    seat = _captioned_seat(space_id, participant_id)
    if seat is None or not text.strip():
        return False
    emit_now(
        current(space_id),
        "captions.partial",
        key=key,
        speaker=speaker_of(seat),
        text=text.strip()[:TEXT_MAX_LENGTH],
        started_at=started_at.isoformat(),
    )
    return True


@transaction.atomic
def caption_segment_add(
    *,
    space_id: int,
    participant_id: int,
    key: str,
    text: str,
    started_at: datetime,
    ended_at: datetime,
    language: str,
) -> CaptionSegment | None:
    """Store a finished phrase and show it in place of its partials (same `key`); None
    when the Space is not live with captions on (or the phrase did not start before it
    ended), or nothing was said."""
    text = " ".join(text.split())[:TEXT_MAX_LENGTH]
    seat = _captioned_seat(space_id, participant_id, started_at=started_at)
    if seat is None or not text:
        return None
    if ended_at < started_at:
        raise ValueError("A caption cannot end before it starts.")
    segment = CaptionSegment.objects.create(
        space_id=space_id,
        participant=seat,
        speaker=seat.user,
        speaker_name=speaker_of(seat)["name"],
        language=language,
        text=text,
        started_at=started_at,
        ended_at=ended_at,
    )
    emit(
        seat.space,
        "captions.final",
        key=key,
        id=segment.pk,
        speaker=speaker_of(seat),
        text=text,
        started_at=started_at.isoformat(),
        ended_at=ended_at.isoformat(),
    )
    return segment


def captions_behind_send(*, space_id: int, behind: bool) -> None:
    """Tell the room that its captions are running behind (audio was dropped to catch
    up), or that they have caught up again."""
    emit_now(current(space_id), "captions.behind", behind=behind)


def transcript_delete(*, space_id: int) -> int:
    """Forget what was said in a Space: its recording was deleted (by its host, or
    expired), and its transcript goes with it, in the same transaction. The count."""
    deleted, _by_model = CaptionSegment.objects.filter(space_id=space_id).delete()
    return deleted
