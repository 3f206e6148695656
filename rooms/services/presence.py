"""Writes for who is in a Space: joining, leaving, heartbeats, the sweep, counts, listing."""

from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotAllowed
from core.tasks import enqueue
from mediaserver.base import command_on_commit as media_command
from rooms import selectors
from rooms.access import shut_out
from rooms.errors import SpaceError
from rooms.events import current, emit, emit_listed, emit_refresh, emit_stage
from rooms.models import MAX_COHOSTS, Participant, Space
from rooms.services.space import SWEEP_BATCH, host_back, require_live, space_lock
from rooms.services.stage import seat_fresh

Role = Participant.Role
PRESENCE_TIMEOUT = timedelta(seconds=30)


# Joining and leaving ---------------------------------------------------------------------


@transaction.atomic
def space_join(*, space: Space, user=None, anon_id: str = "", listed: bool | None = None):
    """Take a seat in a live Space, as a signed-in person or an anonymous browser."""
    signed_in = user is not None and user.is_authenticated
    is_host = signed_in and user.pk == space.host_id
    if is_host:
        # Queue up behind a host-away end in progress, and see the Space as it left it.
        space_lock(space)
    require_live(space)
    if signed_in:
        shut = shut_out(space.host, user)
        if shut == "banned":
            raise NotAllowed(_("The host has removed you from their Spaces."), "banned")
        if shut:
            raise NotAllowed(_("You cannot join this Space."), "blocked")
        lookup = {"space": space, "user": user}
    elif anon_id:
        lookup = {"space": space, "anon_id": anon_id}
    else:
        raise SpaceError(_("Open the Space's page to join."), code="no_identity")
    if selectors.removed_from(space, user=user, anon_id=anon_id):
        raise NotAllowed(_("You were removed from this Space."), "removed")
    now = timezone.now()
    listed = signed_in if listed is None else (listed and signed_in)
    try:
        with transaction.atomic():
            seat, created = Participant.objects.select_for_update().get_or_create(
                **lookup, defaults={"listed": listed, "joined_at": now, "last_seen_at": now}
            )
    except IntegrityError:
        seat, created = Participant.objects.select_for_update().get(**lookup), False
    if is_host:
        host_back(space)
    if not created and seat.left_at is None:
        seat.last_seen_at = now
        seat.save(update_fields=["last_seen_at"])
        return seat  # another tab of the same person
    if not created:
        # A co-host (named when the Space was scheduled, or who stepped out) comes back as
        # one, while the stage has room for them.
        keep = seat.role == Role.HOST or (
            seat.role == Role.COHOST
            and selectors.present(space).filter(role=Role.COHOST).count() < MAX_COHOSTS
        )
        if not keep:
            seat.to_audience()
        seat.left_at = None
        seat.listed = seat.role == Role.HOST or listed
        seat.joined_at = seat.last_seen_at = now
        seat.save()
    if seat.on_stage:
        emit_stage(space, "stage.joined")
    elif seat.listed:
        emit_listed(space, "audience.joined", seat)
    return seat


@transaction.atomic
def space_leave(*, participant: Participant) -> None:
    """Leave the Space (closing the page, or the Leave button)."""
    space = space_lock(Space(pk=participant.space_id))  # Space, then seat: see stage.seat_fresh
    seat = Participant.objects.select_for_update().get(pk=participant.pk)
    if seat.left_at is not None:
        return
    seat.space = space
    was_on_stage = seat.on_stage or seat.hand_raised_at is not None
    seat.left_at = timezone.now()
    if seat.role != Role.HOST:
        seat.to_audience()
    else:
        seat.save()
    if was_on_stage:
        emit_stage(space, "stage.left", seat)
    elif seat.listed:
        emit_listed(space, "audience.left", seat)
    media_command("remove", space_id=space.pk, participant_id=seat.pk)


def participant_seen(*, participant: Participant) -> bool:
    """A heartbeat: the participant's page is still open. False when the seat was let go
    meanwhile (the presence sweep after a long silence): the page must join again."""
    seen = Participant.objects.filter(pk=participant.pk, left_at__isnull=True).update(
        last_seen_at=timezone.now()
    )
    return seen == 1


def presence_sweep() -> int:
    """Let go of participants whose page has been silent for 30 s; return how many."""
    cutoff = timezone.now() - PRESENCE_TIMEOUT
    gone = list(
        Participant.objects.filter(
            left_at__isnull=True, last_seen_at__lt=cutoff, space__state=Space.State.LIVE
        ).select_related("space")
    )
    for seat in gone:
        space_leave(participant=seat)
    for space_id in {seat.space_id for seat in gone}:
        counts_announce(space_id=space_id)
    return len(gone)


# Counts ----------------------------------------------------------------------------------


def live_bar_counts_refresh(*, batch: int = SWEEP_BATCH) -> int:
    """Refresh the live bars showing a Space whose audience grew or shrank since they were
    last told (beat): the bars re-read the same count as the room (`people_present`).
    Coarse on purpose: every open home page of every follower re-fetches its bar, so at
    most once per run and Space, and at most `batch` Spaces per run (the rest next run)."""
    audiences = selectors.live_audiences()
    keys = {pk: f"rooms:livebar-total:{pk}" for pk in audiences}
    told = cache.get_many(keys.values())
    changed = [pk for pk, (_c, _h, total) in audiences.items() if told.get(keys[pk]) != total]
    changed = sorted(changed)[:batch]
    stages = selectors.stage_user_ids(changed)
    for pk in changed:
        code, host_id, _total = audiences[pk]
        enqueue("rooms.tasks.notify_live_bars", pk, code, host_id, sorted(stages[pk]))
    cache.set_many({keys[pk]: audiences[pk][2] for pk in changed}, timeout=3600)
    return len(changed)


def counts_announce(*, space_id: int) -> None:
    """Send the room its current audience count (coalesced: joins of unlisted people)."""
    space = current(space_id)
    # Like reactions, a lossy refresh: it carries the current seq without taking a new one.
    emit_refresh(space, "audience.count", counts=selectors.counts(space))


@transaction.atomic
def listed_set(*, participant: Participant, listed: bool) -> Participant:
    """A signed-in listener chooses to be shown in the listener list, or to listen anonymously."""
    seat = seat_fresh(participant)
    if seat.user_id is None and listed:
        raise SpaceError(_("Sign in to be listed."), code="sign_in_required")
    if seat.role != Role.LISTENER or seat.hand_raised_at:
        raise SpaceError(_("People on the stage are always shown."), code="on_stage")
    seat.listed = listed
    seat.save(update_fields=["listed"])
    emit(
        seat.space,
        "audience.listed_changed",
        participant=selectors.participant_public(seat),
        listed=listed,
        counts=selectors.counts(seat.space),
    )
    return seat
