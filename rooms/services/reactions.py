"""Writes for reactions: checked, sent to the room at once, tallied per minute."""

import time

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.ratelimit import rate_limit
from rooms.errors import SpaceError
from rooms.events import current, emit_now
from rooms.models import REACTIONS, Participant, ReactionTally
from rooms.signals import reactions_sent


def reaction_send(*, participant: Participant, emoji: str) -> None:
    """One reaction sent on its own (the API); sockets batch theirs through the coalescer."""
    reaction_check(participant=participant, emoji=emoji)
    rate_limit(
        key=f"react:{participant.pk}",
        limit=30,
        period=10,
        message=_("You are reacting too fast."),
    )
    reactors = {participant.pk: emoji} if participant.on_stage else {}
    reactions_flush(space_id=participant.space_id, counts={emoji: 1}, reactors=reactors)


def reaction_check(*, participant: Participant, emoji: str) -> None:
    """Whether this participant may send this reaction now (they are coalesced elsewhere)."""
    if emoji not in REACTIONS:
        raise SpaceError(_("Unknown reaction."), code="bad_reaction")
    if participant.left_at is not None:
        raise SpaceError(_("You are not in this Space."), code="not_in_space")


def reactions_flush(*, space_id: int, counts: dict[str, int], reactors: dict[int, str]) -> None:
    """Send a batch of reactions to the room now, then record it per minute for analytics."""
    space = current(space_id)
    at = time.time()
    # Reactions change no state that a page reads back, so the frame need not wait for the
    # tally's commit. Lossy and frequent: it carries the current seq without taking one.
    emit_now(
        space,
        "reactions.batch",
        # reactors: who on the stage reacted with what, to float over their avatars;
        # at: when the batch left, for measuring delivery (benchmarks/ws_fanout.py).
        counts=counts,
        reactors={str(k): v for k, v in reactors.items()},
        at=at,
    )
    reactions_sent.send(sender=None, space_id=space_id, counts=counts, reactors=reactors, at=at)
    _reactions_tally(space_id=space_id, counts=counts)


@transaction.atomic
def _reactions_tally(*, space_id: int, counts: dict[str, int]) -> None:
    minute = timezone.now().replace(second=0, microsecond=0)
    for emoji, count in counts.items():
        tally, _created = ReactionTally.objects.get_or_create(
            space_id=space_id, minute=minute, emoji=emoji
        )
        ReactionTally.objects.filter(pk=tally.pk).update(count=F("count") + count)
