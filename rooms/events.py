"""Events of a Space: who hears them (group names), how they are numbered, what they carry.

Services decide what happened and call these; nothing here decides whether it may. Every
event that changes what a page shows is numbered with the Space's `seq` and sent after
commit; lossy refreshes (audience counts, reactions) carry the current seq without taking
one. The live bars of the people concerned hear of stage changes (DESIGN §3).
"""

import time
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from accounts.models import User
from core import events as core_events
from core.events import broadcast_on_commit, group_send
from core.tasks import enqueue
from rooms import selectors
from rooms.models import Participant, Space

# Live-bar frames per task run: bounded work.
LIVE_BAR_BATCH = 1000
LIVE_BAR_FIRST = 200  # sent from the request, after commit; the rest from a task

# Events that change who is on the stage: the only ones the followers' live bars show.
STAGE_MEMBERSHIP_EVENTS = frozenset(
    {
        "space.started",
        "stage.joined",
        "stage.left",
        "stage.speaker_added",
        "stage.speaker_removed",
        "stage.cohost_added",
        "stage.cohost_removed",
    }
)


# Groups ----------------------------------------------------------------------------------


def space_group(space: Space) -> str:
    """Every page open on this Space (the name comes from the model)."""
    return space.group_name


def live_bar_group(user_id: int) -> str:
    """Where a person's live bar listens: their own group (ws/me/)."""
    return User.group_name_for(user_id)


# The room --------------------------------------------------------------------------------


def stamp() -> float:
    """Now on the server's clock (epoch seconds, ms): an event's `at`, by which a page
    listening over HLS shows it with its audio (the stream's PROGRAM-DATE-TIME clock)."""
    return round(time.time(), 3)


def _frame(event: str, seq: int, data: dict) -> dict:
    # `at` is stamped here, when it happened, not by each consumer as it forwards it (the
    # fan-out to thousands of sockets takes a while).
    return {"type": "space.event", "event": event, "seq": seq, "data": data, "at": stamp()}


def emit(space: Space, event: str, **data) -> int:
    """Number the next event of this Space and send it to the room once committed."""
    Space.objects.filter(pk=space.pk).update(seq=F("seq") + 1)
    space.seq = Space.objects.values_list("seq", flat=True).get(pk=space.pk)
    broadcast_on_commit(space_group(space), _frame(event, space.seq, data))
    return space.seq


def space_event_emit(space: Space, event: str, **data) -> int:
    """Number the next event of this Space and send it to the room once committed (for the
    apps whose services change a Space: scheduling's cancel and not-held)."""
    return emit(space, event, **data)


def current(space_id: int) -> Space:
    """The Space's id and last seq, for a lossy event: read it just before sending one."""
    return Space.objects.only("pk", "seq").get(pk=space_id)


def emit_refresh(space: Space, event: str, **data) -> None:
    """Send the room a lossy refresh once committed: it carries the current seq (`current`)
    without taking a new one."""
    broadcast_on_commit(space_group(space), _frame(event, space.seq, data))


def emit_now(space: Space, event: str, **data) -> None:
    """Send the room a lossy event now, with the current seq (`current`): for what changes
    no state that a page reads back, so that it need not wait for a commit."""
    group_send(space_group(space), _frame(event, space.seq, data))


def named(seat: Participant) -> dict:
    """Who an event is about: their id, and while they are still in the Space what the room
    may know of them (role and listed included), so that a page moving someone off the
    stage can put them in the Listeners list without a snapshot."""
    if seat.left_at is not None:
        return {"participant_id": seat.pk}
    return {"participant_id": seat.pk, "participant": selectors.participant_public(seat)}


def emit_stage(space: Space, event: str, seat: Participant | None = None, **data) -> None:
    """A stage change: the new stage, raised hands and counts travel with the event, and
    the person it is about when it names one. Mutes and hands stay in the room: live bars
    hear only of who is on the stage (and a raised hand is nobody's followers' business)."""
    emit(
        space,
        event,
        stage=selectors.stage(space),
        hands=selectors.hands(space),
        counts=selectors.counts(space),
        **(named(seat) if seat is not None else {}),
        **data,
    )
    if event in STAGE_MEMBERSHIP_EVENTS:
        live_bar_changed(space, also=[seat.user_id] if seat is not None and seat.user_id else [])


def emit_listed(space: Space, event: str, participant: Participant, **data) -> None:
    """A listed listener came or went: news for everyone. Unlisted ones only move the
    count, which is announced in coalesced form (`counts_announce`), so that a crowd
    joining at once does not send every page one frame per newcomer."""
    emit(
        space,
        event,
        participant=selectors.participant_public(participant),
        counts=selectors.counts(space),
        **data,
    )


# Live bars -------------------------------------------------------------------------------


def live_bar_changed(space: Space, also: Iterable[int] = ()) -> None:
    """Once committed, tell the live bars of the host, of the people on the stage and of
    their followers that this Space changed. `also`: people who just left the stage, whose
    followers' bars must drop the Space. The stage is read now, as the change left it."""
    subjects = sorted(selectors.stage_user_ids([space.pk])[space.pk] | set(also))
    ids = {"space_id": space.pk, "space_code": space.code, "host_id": space.host_id}
    # robust: the change is committed; a failed refresh of the bars must not undo the reply.
    transaction.on_commit(lambda: live_bars_changed(**ids, subject_ids=subjects), robust=True)


def live_bars_changed(
    *,
    space_id: int,
    space_code: str,
    host_id: int,
    subject_ids: list[int],
    after: int = 0,
    batch: int = LIVE_BAR_FIRST,
):
    """Tell one batch of live bars, and queue a task for the next: the first batch (small)
    goes at once after commit, so that a stage change in a popular host's Space does not
    hold up the moderator's frame; the task sends the rest, batch after batch."""
    last = live_bars_notify(
        space_code=space_code, host_id=host_id, subject_ids=subject_ids, after=after, batch=batch
    )
    if last:
        enqueue("rooms.tasks.notify_live_bars", space_id, space_code, host_id, subject_ids, last)


def live_bars_notify(
    *, space_code: str, host_id: int, subject_ids: list[int], after: int = 0, batch: int = 0
) -> int:
    """Send `livebar.changed` to the personal group of one batch of the people whose live
    bar shows (or showed) this Space; return the last id sent when more may remain, else 0.
    Runs after commit, so it sends at once."""
    batch = batch or LIVE_BAR_BATCH
    recipients = selectors.live_bar_recipients(
        host_id=host_id, subject_ids=subject_ids, after=after, limit=batch
    )
    event = {"type": "livebar.changed", "space": space_code}
    core_events.group_send_many([(live_bar_group(pk), event) for pk in recipients])
    return recipients[-1] if len(recipients) == batch else 0
