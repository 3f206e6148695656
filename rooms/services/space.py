"""Writes for a Space as a whole: create, start, end, the host away, who may speak.

Stage changes lock the Space row (`select_for_update`), so that two moderators acting at
once can never put more than 1 host, 2 co-hosts and 10 speakers on the stage (see
`stage.py`). Every event is numbered with the Space's `seq` (`rooms.events`).
"""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mediaserver.base import command_on_commit as media_command
from rooms import selectors
from rooms.access import access_host, access_moderator
from rooms.errors import SpaceError
from rooms.events import emit, emit_stage, live_bar_changed
from rooms.models import Participant, Space, Topic
from rooms.signals import space_ended, space_started

Role = Participant.Role
# The room hears this long before a Space whose host is away ends by itself.
HOST_AWAY_NOTICE = 60
# Spaces looked at per beat run: bounded work.
SWEEP_BATCH = 100


# Helpers ---------------------------------------------------------------------------------


def space_lock(space: Space) -> Space:
    """Lock the Space row for this transaction and reload it: stage changes queue up here."""
    list(Space.objects.select_for_update().filter(pk=space.pk).values_list("pk", flat=True))
    space.refresh_from_db()
    return space


def require_live(space: Space) -> None:
    if space.state != Space.State.LIVE:
        if space.is_over:
            raise SpaceError(_("This Space has ended."), code="space_ended")
        raise SpaceError(_("This Space has not started yet."), code="space_not_live")


# The Space -------------------------------------------------------------------------------


@transaction.atomic
def space_create(
    *,
    host,
    title: str,
    topics: Iterable[str] = (),
    speak_policy: str = Space.SpeakPolicy.EVERYONE,
    record: bool = False,
    captions: bool = False,
    captions_language: str = "",
    start_now: bool = True,
) -> Space:
    """Create a Space; with start_now it goes live at once with its host on the stage."""
    try:
        title = Space.clean_title(title)
    except ValidationError as error:
        raise SpaceError({"title": error}) from None
    if speak_policy not in Space.SpeakPolicy.values:
        raise SpaceError({"speak_policy": _("Choose who can request to speak.")})
    names = Space.clean_topics(topics)
    space = Space.objects.create(
        host=host,
        title=title,
        speak_policy=speak_policy,
        record=record,
        captions=captions,
        captions_language=Space.caption_language_for(host, captions_language),
    )
    space.topics.set([Topic.objects.get_or_create(name=name)[0] for name in names])
    if start_now:
        space_start(space=space, actor=host)
    return space


@transaction.atomic
def space_start(*, space: Space, actor) -> Space:
    """Go live: only the host, only once."""
    access_host(space, actor)
    space_lock(space)
    if space.state != Space.State.SCHEDULED:
        raise SpaceError(_("This Space has already started or ended."), code="already_started")
    space.state = Space.State.LIVE
    space.started_at = timezone.now()
    space.save(update_fields=["state", "started_at"])
    Participant.objects.update_or_create(
        space=space,
        user=space.host,
        defaults={"role": Role.HOST, "listed": True, "left_at": None, "self_muted": True},
    )
    emit_stage(space, "space.started", state=space.state)
    space_started.send(sender=Space, space=space)
    return space


@transaction.atomic
def space_end(*, space: Space, actor) -> Space:
    """End the Space for everyone: only the host."""
    access_host(space, actor)
    space_lock(space)
    if space.state != Space.State.LIVE:
        raise SpaceError(_("This Space is not live."), code="space_not_live")
    _end(space)
    return space


def _end(space: Space) -> None:
    """End a live Space whose row is locked: everyone leaves, the room and live bars hear."""
    space.state = Space.State.ENDED
    space.ended_at = timezone.now()
    space.save(update_fields=["state", "ended_at"])
    # The live bar must hear who was on stage before everyone leaves.
    live_bar_changed(space)
    selectors.present(space).update(left_at=space.ended_at, hand_raised_at=None, invited_at=None)
    emit(space, "space.ended", state=space.state)
    media_command("close_room", space_id=space.pk)
    space_ended.send(sender=Space, space=space)


# The host away ---------------------------------------------------------------------------


def host_away_check(*, batch: int = SWEEP_BATCH) -> int:
    """Warn the rooms whose host has been away for HOST_AWAY_GRACE, and end those warned
    HOST_AWAY_NOTICE seconds ago (beat, every 10 s); return how many Spaces were acted on.
    Each Space is handled in a transaction of its own that checks again under its lock, so
    two runs at once, or one run twice, warn and end each Space once."""
    now = timezone.now()
    away_since = now - timedelta(seconds=settings.HOST_AWAY_GRACE)
    live = Space.objects.filter(state=Space.State.LIVE).order_by("pk")
    to_warn = live.filter(
        ending_at__isnull=True,
        participants__role=Role.HOST,
        participants__left_at__lte=away_since,
    ).values_list("pk", flat=True)[:batch]
    to_end = live.filter(ending_at__lte=now).values_list("pk", flat=True)[:batch]
    warned = sum(space_host_away_warn(space_id=pk) for pk in to_warn)
    ended = sum(space_host_away_end(space_id=pk) for pk in to_end)
    return warned + ended


def _host_away_since(space: Space):
    """When the host's seat was let go, or None while the host is in the room."""
    return (
        Participant.objects.filter(space=space, role=Role.HOST)
        .values_list("left_at", flat=True)
        .first()
    )


@transaction.atomic
def space_host_away_warn(*, space_id: int) -> bool:
    """Tell the room that the Space ends in a minute because its host has been away."""
    space = space_lock(Space(pk=space_id))
    left_at = _host_away_since(space)
    grace = timedelta(seconds=settings.HOST_AWAY_GRACE)
    if (
        space.state != Space.State.LIVE
        or space.ending_at is not None
        or left_at is None
        or left_at > timezone.now() - grace
    ):
        return False
    space.ending_at = timezone.now() + timedelta(seconds=HOST_AWAY_NOTICE)
    space.save(update_fields=["ending_at"])
    emit(space, "space.ending_soon", reason="host_away", seconds=HOST_AWAY_NOTICE)
    return True


@transaction.atomic
def space_host_away_end(*, space_id: int) -> bool:
    """End a Space whose room was warned a minute ago and whose host is still away."""
    space = space_lock(Space(pk=space_id))
    if (
        space.state != Space.State.LIVE
        or space.ending_at is None
        or space.ending_at > timezone.now()
        or _host_away_since(space) is None
    ):
        return False
    _end(space)
    return True


def host_back(space: Space) -> None:
    """The host is in the room again (Space locked): a warned room goes on."""
    if space.ending_at is not None:
        space.ending_at = None
        space.save(update_fields=["ending_at"])
        emit(space, "space.ending_cancelled")


# Who may speak ---------------------------------------------------------------------------


@transaction.atomic
def speak_policy_set(*, space: Space, actor, policy: str) -> Space:
    """Choose who may request to speak: everyone, people the host follows, or invitees."""
    access_moderator(space, actor)
    if policy not in Space.SpeakPolicy.values:
        raise SpaceError(_("Choose who can request to speak."), code="bad_policy")
    space_lock(space)
    space.speak_policy = policy
    space.save(update_fields=["speak_policy"])
    emit(space, "space.policy_changed", speak_policy=policy)
    return space
