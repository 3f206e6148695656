"""Writes for Spaces: the only place that changes a room and emits its events, after commit.

Stage changes lock the Space row (`select_for_update`), so that two moderators
acting at once can never put more than 1 host, 2 co-hosts and 10 speakers on
the stage. Every event is numbered with the Space's `seq`.
"""

import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Follow, User
from accounts.selectors import is_blocked_between
from core import events as core_events
from core.errors import NotAllowed
from core.events import broadcast_on_commit, group_send
from core.forms import row_id
from core.ratelimit import rate_limit
from rooms import selectors
from rooms.errors import SpaceError
from rooms.media import command_on_commit as media_command
from rooms.models import (
    MAX_COHOSTS,
    MAX_PINS,
    MAX_SPEAKERS,
    MAX_TOPICS,
    REACTIONS,
    Participant,
    PinnedTweet,
    ReactionTally,
    Space,
    SpaceBan,
    Topic,
    clean_space_title,
)
from rooms.signals import space_started
from timeline.selectors import tweet_get

Role = Participant.Role
PRESENCE_TIMEOUT = timedelta(seconds=30)
# The room hears this long before a Space whose host is away ends by itself.
HOST_AWAY_NOTICE = 60
# Live-bar frames per task run, and Spaces looked at per beat run: bounded work.
LIVE_BAR_BATCH = 1000
LIVE_BAR_FIRST = 200  # sent from the request, after commit; the rest from a task
SWEEP_BATCH = 100
HAND_RAISES, HAND_RAISE_PERIOD = 3, 15  # at most 3 raises per person in 15 s


# Events ----------------------------------------------------------------------------------


def space_event_emit(space: Space, event: str, **data) -> int:
    """Number the next event of this Space and send it to the room once committed (for the
    apps whose services change a Space: scheduling's cancel and not-held)."""
    return _emit(space, event, **data)


def _emit(space: Space, event: str, **data) -> int:
    """Number the next event of this Space and send it to the room once committed."""
    Space.objects.filter(pk=space.pk).update(seq=F("seq") + 1)
    space.seq = Space.objects.values_list("seq", flat=True).get(pk=space.pk)
    broadcast_on_commit(
        space.group_name, {"type": "space.event", "event": event, "seq": space.seq, "data": data}
    )
    return space.seq


def _named(seat: Participant) -> dict:
    """Who an event is about: their id, and while they are still in the Space what the room
    may know of them (role and listed included), so that a page moving someone off the
    stage can put them in the Listeners list without a snapshot."""
    if seat.left_at is not None:
        return {"participant_id": seat.pk}
    return {"participant_id": seat.pk, "participant": selectors.participant_public(seat)}


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


def _emit_stage(space: Space, event: str, seat: Participant | None = None, **data) -> None:
    """A stage change: the new stage, raised hands and counts travel with the event, and
    the person it is about when it names one. Mutes and hands stay in the room: live bars
    hear only of who is on the stage (and a raised hand is nobody's followers' business)."""
    _emit(
        space,
        event,
        stage=selectors.stage(space),
        hands=selectors.hands(space),
        counts=selectors.counts(space),
        **(_named(seat) if seat is not None else {}),
        **data,
    )
    if event in STAGE_MEMBERSHIP_EVENTS:
        _live_bar_changed(space, also=[seat.user_id] if seat is not None and seat.user_id else [])


def _emit_listed(space: Space, event: str, participant: Participant, **data) -> None:
    """A listed listener came or went: news for everyone. Unlisted ones only move the
    count, which is announced in coalesced form (`counts_announce`), so that a crowd
    joining at once does not send every page one frame per newcomer."""
    _emit(
        space,
        event,
        participant=selectors.participant_public(participant),
        counts=selectors.counts(space),
        **data,
    )


def _live_bar_changed(space: Space, also: Iterable[int] = ()) -> None:
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
        # rooms.tasks imports this module to call it.
        from rooms.tasks import notify_live_bars

        notify_live_bars.delay(space_id, space_code, host_id, subject_ids, last)


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
    core_events.group_send_many([(User.group_name_for(pk), event) for pk in recipients])
    return recipients[-1] if len(recipients) == batch else 0


# Helpers ---------------------------------------------------------------------------------


def _lock(space: Space) -> Space:
    """Lock the Space row for this transaction and reload it: stage changes queue up here."""
    list(Space.objects.select_for_update().filter(pk=space.pk).values_list("pk", flat=True))
    space.refresh_from_db()
    return space


def _require_live(space: Space) -> None:
    if space.state != Space.State.LIVE:
        if space.is_over:
            raise SpaceError(_("This Space has ended."), code="space_ended")
        raise SpaceError(_("This Space has not started yet."), code="space_not_live")


def _row_id(raw) -> int | None:
    """An id from a frame or a request: a whole number a row can have, else None. JSON's
    true is no id (Python takes it for 1), and past 64 bits PostgreSQL's driver raises
    OverflowError instead of finding nothing."""
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        return None
    return row_id(raw)


def _seat(space: Space, participant_id) -> Participant:
    """A present participant of this Space, by id."""
    pk = _row_id(participant_id)
    seat = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=pk, space=space, left_at__isnull=True)
        .first()
        if pk is not None
        else None
    )
    if seat is None:
        raise SpaceError(_("That person is not in this Space."), code="no_such_participant")
    return seat


def _fresh(participant: Participant) -> Participant:
    """Re-read a participant under lock, and check they are still in the Space. The Space
    row is locked first, in the order every stage change takes (Space, then seat): a seat
    locked first would deadlock against a join or a moderator holding the Space."""
    return _seat(_lock(participant.space), participant.pk)


def _moderator(space: Space, actor) -> Participant:
    """The actor's seat if they host or co-host this Space; otherwise NotAllowed."""
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Only the host and co-hosts can do this."), "not_moderator")
    seat = Participant.objects.filter(space=space, user=actor).first()
    if seat is None or not seat.is_moderator or (seat.role == Role.COHOST and seat.left_at):
        raise NotAllowed(_("Only the host and co-hosts can do this."), "not_moderator")
    return seat


def _require_host(space: Space, actor) -> None:
    if actor is None or actor.pk != space.host_id:
        raise NotAllowed(_("Only the host can do this."), "not_host")


def _stage_room(space: Space, role: str) -> None:
    """Refuse a promotion that would overfill the stage (called with the Space locked)."""
    limit = MAX_COHOSTS if role == Role.COHOST else MAX_SPEAKERS
    taken = selectors.present(space).filter(role=role).count()
    if taken >= limit:
        if role == Role.COHOST:
            raise SpaceError(
                _("A Space has at most %(n)s co-hosts.") % {"n": MAX_COHOSTS}, code="cohosts_full"
            )
        raise SpaceError(
            _("The stage is full: at most %(n)s speakers.") % {"n": MAX_SPEAKERS},
            code="stage_full",
        )


def _to_stage(participant: Participant, role: str) -> None:
    participant.role = role
    participant.hand_raised_at = None
    participant.invited_at = None
    participant.muted_by_host = False
    participant.self_muted = True  # everyone comes up muted and unmutes when ready
    participant.listed = True
    participant.save()


def _to_audience(participant: Participant) -> None:
    participant.role = Role.LISTENER
    participant.hand_raised_at = None
    participant.invited_at = None
    participant.muted_by_host = False
    participant.self_muted = True
    participant.save()


def _microphone_off(seat: Participant) -> None:
    """Someone left the stage: cut their microphone at the media server; they go on
    hearing the room once their browser offers again as a listener."""
    media_command("remove", space_id=seat.space_id, participant_id=seat.pk, publishing_only=True)


def clean_topics(names: Iterable[str]) -> list[str]:
    """Normalise topic names: trimmed, no '#', lower case, unique, at most three."""
    topics = []
    for name in names:
        name = name.strip().lstrip("#").strip().lower()
        if name and name not in topics:
            topics.append(name)
    if len(topics) > MAX_TOPICS:
        raise SpaceError(
            {"topics": _("A Space has at most %(n)s topics.") % {"n": MAX_TOPICS}},
        )
    if any(len(name) > 30 for name in topics):
        raise SpaceError({"topics": _("A topic is at most 30 characters.")})
    return topics


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
    start_now: bool = True,
) -> Space:
    """Create a Space; with start_now it goes live at once with its host on the stage."""
    try:
        title = clean_space_title(title)
    except ValidationError as error:
        raise SpaceError({"title": error}) from None
    if speak_policy not in Space.SpeakPolicy.values:
        raise SpaceError({"speak_policy": _("Choose who can request to speak.")})
    names = clean_topics(topics)
    space = Space.objects.create(
        host=host, title=title, speak_policy=speak_policy, record=record, captions=captions
    )
    space.topics.set([Topic.objects.get_or_create(name=name)[0] for name in names])
    if start_now:
        space_start(space=space, actor=host)
    return space


@transaction.atomic
def space_start(*, space: Space, actor) -> Space:
    """Go live: only the host, only once."""
    _require_host(space, actor)
    _lock(space)
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
    _emit_stage(space, "space.started", state=space.state)
    space_started.send(sender=Space, space=space)
    return space


@transaction.atomic
def space_end(*, space: Space, actor) -> Space:
    """End the Space for everyone: only the host."""
    _require_host(space, actor)
    _lock(space)
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
    _live_bar_changed(space)
    selectors.present(space).update(left_at=space.ended_at, hand_raised_at=None, invited_at=None)
    _emit(space, "space.ended", state=space.state)
    media_command("close_room", space_id=space.pk)


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
    space = _lock(Space(pk=space_id))
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
    _emit(space, "space.ending_soon", reason="host_away", seconds=HOST_AWAY_NOTICE)
    return True


@transaction.atomic
def space_host_away_end(*, space_id: int) -> bool:
    """End a Space whose room was warned a minute ago and whose host is still away."""
    space = _lock(Space(pk=space_id))
    if (
        space.state != Space.State.LIVE
        or space.ending_at is None
        or space.ending_at > timezone.now()
        or _host_away_since(space) is None
    ):
        return False
    _end(space)
    return True


def _host_back(space: Space) -> None:
    """The host is in the room again (Space locked): a warned room goes on."""
    if space.ending_at is not None:
        space.ending_at = None
        space.save(update_fields=["ending_at"])
        _emit(space, "space.ending_cancelled")


@transaction.atomic
def speak_policy_set(*, space: Space, actor, policy: str) -> Space:
    """Choose who may request to speak: everyone, people the host follows, or invitees."""
    _moderator(space, actor)
    if policy not in Space.SpeakPolicy.values:
        raise SpaceError(_("Choose who can request to speak."), code="bad_policy")
    _lock(space)
    space.speak_policy = policy
    space.save(update_fields=["speak_policy"])
    _emit(space, "space.policy_changed", speak_policy=policy)
    return space


# Joining and leaving ---------------------------------------------------------------------


@transaction.atomic
def space_join(*, space: Space, user=None, anon_id: str = "", listed: bool | None = None):
    """Take a seat in a live Space, as a signed-in person or an anonymous browser."""
    signed_in = user is not None and user.is_authenticated
    is_host = signed_in and user.pk == space.host_id
    if is_host:
        # Queue up behind a host-away end in progress, and see the Space as it left it.
        _lock(space)
    _require_live(space)
    if signed_in:
        if SpaceBan.objects.filter(host_id=space.host_id, user=user).exists():
            raise NotAllowed(_("The host has removed you from their Spaces."), "banned")
        if is_blocked_between(user, space.host):
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
        _host_back(space)
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
            _to_audience(seat)
        seat.left_at = None
        seat.listed = seat.role == Role.HOST or listed
        seat.joined_at = seat.last_seen_at = now
        seat.save()
    if seat.on_stage:
        _emit_stage(space, "stage.joined")
    elif seat.listed:
        _emit_listed(space, "audience.joined", seat)
    return seat


@transaction.atomic
def space_leave(*, participant: Participant) -> None:
    """Leave the Space (closing the page, or the Leave button)."""
    space = _lock(Space(pk=participant.space_id))  # Space, then seat: see _fresh
    seat = Participant.objects.select_for_update().get(pk=participant.pk)
    if seat.left_at is not None:
        return
    seat.space = space
    was_on_stage = seat.on_stage or seat.hand_raised_at is not None
    seat.left_at = timezone.now()
    if seat.role != Role.HOST:
        _to_audience(seat)
    else:
        seat.save()
    if was_on_stage:
        _emit_stage(space, "stage.left", seat)
    elif seat.listed:
        _emit_listed(space, "audience.left", seat)
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
    # rooms.tasks imports this module to call it.
    from rooms.tasks import notify_live_bars

    stages = selectors.stage_user_ids(changed)
    for pk in changed:
        code, host_id, _total = audiences[pk]
        notify_live_bars.delay(pk, code, host_id, sorted(stages[pk]))
    cache.set_many({keys[pk]: audiences[pk][2] for pk in changed}, timeout=3600)
    return len(changed)


def counts_announce(*, space_id: int) -> None:
    """Send the room its current audience count (coalesced: joins of unlisted people)."""
    space = Space.objects.only("pk", "seq").get(pk=space_id)
    # Like reactions, a lossy refresh: it carries the current seq without taking a new one.
    broadcast_on_commit(
        space.group_name,
        {
            "type": "space.event",
            "event": "audience.count",
            "seq": space.seq,
            "data": {"counts": selectors.counts(space)},
        },
    )


@transaction.atomic
def listed_set(*, participant: Participant, listed: bool) -> Participant:
    """A signed-in listener chooses to be shown in the listener list, or to listen anonymously."""
    seat = _fresh(participant)
    if seat.user_id is None and listed:
        raise SpaceError(_("Sign in to be listed."), code="sign_in_required")
    if seat.role != Role.LISTENER or seat.hand_raised_at:
        raise SpaceError(_("People on the stage are always shown."), code="on_stage")
    seat.listed = listed
    seat.save(update_fields=["listed"])
    _emit(
        seat.space,
        "audience.listed_changed",
        participant=selectors.participant_public(seat),
        listed=listed,
        counts=selectors.counts(seat.space),
    )
    return seat


# Requests to speak -----------------------------------------------------------------------


@transaction.atomic
def hand_raise(*, participant: Participant) -> Participant:
    """A listener asks to speak, as the Space's policy allows."""
    space = _lock(participant.space)
    _require_live(space)
    seat = _fresh(participant)
    if seat.user_id is None:
        raise SpaceError(_("Sign in to request to speak."), code="sign_in_required")
    if seat.role != Role.LISTENER:
        raise SpaceError(_("You are already on the stage."), code="on_stage")
    if space.speak_policy == Space.SpeakPolicy.INVITED:
        raise SpaceError(_("In this Space only invited people speak."), code="invite_only")
    if (
        space.speak_policy == Space.SpeakPolicy.FOLLOWED
        and not Follow.objects.filter(follower_id=space.host_id, followee_id=seat.user_id).exists()
    ):
        raise SpaceError(
            _("In this Space only people the host follows can request to speak."),
            code="not_followed",
        )
    if seat.hand_raised_at is None:
        # Per person, whatever the interface (socket or API) and however often it
        # reconnects: every raise interrupts the hosts.
        rate_limit(
            key=f"hand:{seat.user_id}",
            limit=HAND_RAISES,
            period=HAND_RAISE_PERIOD,
            message=_("You are raising your hand too often: wait a moment."),
        )
        seat.hand_raised_at = timezone.now()
        seat.listed = True
        seat.save(update_fields=["hand_raised_at", "listed"])
        _emit_stage(space, "hands.raised", seat)
    return seat


@transaction.atomic
def hand_lower(*, participant: Participant) -> Participant:
    """Withdraw one's request to speak."""
    seat = _fresh(participant)
    if seat.hand_raised_at is not None:
        seat.hand_raised_at = None
        seat.save(update_fields=["hand_raised_at"])
        _emit_stage(seat.space, "hands.lowered", seat)
    return seat


@transaction.atomic
def request_approve(*, space: Space, actor, participant_id) -> Participant:
    """A host or co-host brings a raised hand up to the stage."""
    _moderator(space, actor)
    _lock(space)
    _require_live(space)
    seat = _seat(space, participant_id)
    if seat.hand_raised_at is None or seat.role != Role.LISTENER:
        raise SpaceError(_("This person has not asked to speak."), code="no_request")
    _stage_room(space, Role.SPEAKER)
    _to_stage(seat, Role.SPEAKER)
    _emit_stage(space, "stage.speaker_added", seat)
    return seat


@transaction.atomic
def request_decline(*, space: Space, actor, participant_id) -> Participant:
    """A host or co-host turns down a request to speak."""
    _moderator(space, actor)
    seat = _seat(space, participant_id)
    if seat.hand_raised_at is None:
        raise SpaceError(_("This person has not asked to speak."), code="no_request")
    seat.hand_raised_at = None
    seat.save(update_fields=["hand_raised_at"])
    _emit_stage(space, "hands.declined", seat)
    return seat


@transaction.atomic
def speaker_invite(*, space: Space, actor, participant_id) -> Participant:
    """Pass the mic: a host or co-host invites a signed-in listener to speak."""
    _moderator(space, actor)
    _lock(space)
    _require_live(space)
    seat = _seat(space, participant_id)
    if seat.user_id is None:
        raise SpaceError(_("Only signed-in listeners can be invited."), code="sign_in_required")
    if seat.role != Role.LISTENER:
        raise SpaceError(_("This person is already on the stage."), code="on_stage")
    _stage_room(space, Role.SPEAKER)
    seat.invited_at = timezone.now()
    seat.save(update_fields=["invited_at"])
    _emit(space, "stage.invited", **_named(seat))
    return seat


@transaction.atomic
def invite_answer(*, participant: Participant, accept: bool) -> Participant:
    """The invited listener comes up to the stage, or says no."""
    space = _lock(participant.space)
    _require_live(space)
    seat = _fresh(participant)
    if seat.invited_at is None:
        raise SpaceError(_("You have no invitation to speak."), code="no_invitation")
    if not accept:
        seat.invited_at = None
        seat.save(update_fields=["invited_at"])
        _emit(space, "stage.invite_declined", **_named(seat))
        return seat
    _stage_room(space, Role.SPEAKER)
    _to_stage(seat, Role.SPEAKER)
    _emit_stage(space, "stage.speaker_added", seat)
    return seat


# On the stage ----------------------------------------------------------------------------


@transaction.atomic
def speaker_demote(*, space: Space, actor, participant_id) -> Participant:
    """A host or co-host moves a speaker back to listening."""
    _moderator(space, actor)
    seat = _seat(space, participant_id)
    if seat.role != Role.SPEAKER:
        raise SpaceError(_("Only speakers can be moved back to listening."), code="not_speaker")
    _to_audience(seat)
    _emit_stage(space, "stage.speaker_removed", seat)
    _microphone_off(seat)
    return seat


@transaction.atomic
def speaker_mute(*, space: Space, actor, participant_id) -> Participant:
    """A host or co-host mutes someone on the stage; only that person can unmute."""
    mine = _moderator(space, actor)
    seat = _seat(space, participant_id)
    if seat.role == Role.HOST or (seat.role == Role.COHOST and mine.role != Role.HOST):
        raise NotAllowed(_("You cannot mute this person."), "cannot_mute")
    if not seat.on_stage:
        raise SpaceError(_("Only people on the stage can be muted."), code="not_on_stage")
    seat.muted_by_host = True
    seat.save(update_fields=["muted_by_host"])
    _emit_stage(space, "stage.muted", seat)
    media_command("mute", space_id=space.pk, participant_id=seat.pk, muted=True)
    return seat


@transaction.atomic
def self_mute_set(*, participant: Participant, muted: bool) -> Participant:
    """Someone on the stage mutes or unmutes themselves (which also lifts a host's mute)."""
    seat = _fresh(participant)
    if not seat.on_stage:
        raise SpaceError(_("Only people on the stage have a microphone."), code="not_on_stage")
    if seat.self_muted == muted and (muted or not seat.muted_by_host):
        return seat  # nothing changes: no event for the room, no command for the media server
    seat.self_muted = muted
    if not muted:
        seat.muted_by_host = False
    seat.save(update_fields=["self_muted", "muted_by_host"])
    _emit_stage(seat.space, "stage.muted" if muted else "stage.unmuted", seat)
    media_command("mute", space_id=seat.space_id, participant_id=seat.pk, muted=muted)
    return seat


@transaction.atomic
def stage_leave(*, participant: Participant) -> Participant:
    """A speaker or co-host steps down to listening."""
    seat = _fresh(participant)
    if seat.role == Role.HOST:
        raise SpaceError(_("The host stays on the stage; end the Space instead."), code="host")
    if not seat.on_stage:
        raise SpaceError(_("You are not on the stage."), code="not_on_stage")
    _to_audience(seat)
    _emit_stage(seat.space, "stage.speaker_removed", seat)
    _microphone_off(seat)
    return seat


@transaction.atomic
def participant_remove(*, space: Space, actor, participant_id, ban: bool = False) -> Participant:
    """A host or co-host removes someone from the Space, optionally from all the host's Spaces."""
    mine = _moderator(space, actor)
    seat = _seat(space, participant_id)
    if seat.pk == mine.pk or seat.role == Role.HOST:
        raise NotAllowed(_("You cannot remove this person."), "cannot_remove")
    if seat.role == Role.COHOST and mine.role != Role.HOST:
        raise NotAllowed(_("Only the host can remove a co-host."), "not_host")
    seat.left_at = seat.removed_at = timezone.now()
    _to_audience(seat)
    if ban and seat.user_id:
        SpaceBan.objects.get_or_create(host_id=space.host_id, user_id=seat.user_id)
    _emit(space, "participant.removed", participant_id=seat.pk, banned=ban)
    _emit_stage(space, "stage.left", seat)
    media_command("remove", space_id=space.pk, participant_id=seat.pk)
    return seat


@transaction.atomic
def cohost_add(*, space: Space, actor, participant_id) -> Participant:
    """The host makes a signed-in participant a co-host (at most two)."""
    _require_host(space, actor)
    _lock(space)
    _require_live(space)
    seat = _seat(space, participant_id)
    if seat.user_id is None:
        raise SpaceError(_("Only signed-in people can co-host."), code="sign_in_required")
    if seat.role in (Role.HOST, Role.COHOST):
        raise SpaceError(_("This person already hosts this Space."), code="already_cohost")
    _stage_room(space, Role.COHOST)
    _to_stage(seat, Role.COHOST)
    _emit_stage(space, "stage.cohost_added", seat)
    return seat


@transaction.atomic
def cohost_remove(*, space: Space, actor, participant_id) -> Participant:
    """The host takes co-hosting away; the person goes back to listening."""
    _require_host(space, actor)
    seat = _seat(space, participant_id)
    if seat.role != Role.COHOST:
        raise SpaceError(_("This person is not a co-host."), code="not_cohost")
    _to_audience(seat)
    _emit_stage(space, "stage.cohost_removed", seat)
    _microphone_off(seat)
    return seat


# Live audio ------------------------------------------------------------------------------


def media_access(*, participant: Participant, publish: bool) -> dict:
    """Whether this seat may connect its audio, and how: only people on the stage send a
    microphone, and the media server starts them muted as the database says they are."""
    seat = Participant.objects.select_related("space").get(pk=participant.pk)
    _require_live(seat.space)
    if seat.left_at is not None:
        raise SpaceError(_("You are not in this Space."), code="not_in_space")
    if publish and not seat.on_stage:
        raise NotAllowed(_("Only people on the stage can speak."), "not_on_stage")
    return {"publish": publish, "muted": seat.self_muted or seat.muted_by_host}


# Pins and reactions ----------------------------------------------------------------------


@transaction.atomic
def pin_add(*, space: Space, actor, tweet_id) -> PinnedTweet:
    """A host or co-host pins a tweet at the top of the Space (at most three)."""
    _moderator(space, actor)
    pk = _row_id(tweet_id)
    try:
        if pk is None:
            raise Http404
        tweet = tweet_get(tweet_id=pk, viewer=actor)
    except Http404:
        raise SpaceError(_("There is no such tweet."), code="no_such_tweet") from None
    _lock(space)
    if space.is_over:
        raise SpaceError(_("This Space has ended."), code="space_ended")
    if PinnedTweet.objects.filter(space=space, tweet=tweet).exists():
        raise SpaceError(_("This tweet is already pinned."), code="already_pinned")
    if PinnedTweet.objects.filter(space=space).count() >= MAX_PINS:
        raise SpaceError(
            _("A Space has at most %(n)s pinned tweets; unpin one first.") % {"n": MAX_PINS},
            code="pins_full",
        )
    pin = PinnedTweet.objects.create(space=space, tweet=tweet, pinned_by=actor)
    _emit(space, "pins.changed", pins=selectors.pins(space))
    return pin


@transaction.atomic
def pin_remove(*, space: Space, actor, tweet_id) -> None:
    """A host or co-host unpins a tweet."""
    _moderator(space, actor)
    pk = _row_id(tweet_id)
    deleted = pk is not None and PinnedTweet.objects.filter(space=space, tweet_id=pk).delete()[0]
    if not deleted:
        raise SpaceError(_("This tweet is not pinned."), code="not_pinned")
    _emit(space, "pins.changed", pins=selectors.pins(space))


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
    space = Space.objects.only("pk", "seq").get(pk=space_id)
    # Reactions change no state that a page reads back, so the frame need not wait for the
    # tally's commit. Lossy and frequent: it carries the current seq without taking one.
    group_send(
        space.group_name,
        {
            "type": "space.event",
            "event": "reactions.batch",
            "seq": space.seq,
            # reactors: who on the stage reacted with what, to float over their avatars;
            # at: when the batch left, for measuring delivery (benchmarks/ws_fanout.py).
            "data": {
                "counts": counts,
                "reactors": {str(k): v for k, v in reactors.items()},
                "at": time.time(),
            },
        },
    )
    _reactions_tally(space_id=space_id, counts=counts)


@transaction.atomic
def _reactions_tally(*, space_id: int, counts: dict[str, int]) -> None:
    minute = timezone.now().replace(second=0, microsecond=0)
    for emoji, count in counts.items():
        tally, _created = ReactionTally.objects.get_or_create(
            space_id=space_id, minute=minute, emoji=emoji
        )
        ReactionTally.objects.filter(pk=tally.pk).update(count=F("count") + count)
