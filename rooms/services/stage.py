"""Writes for the stage: requests to speak, invitations, mutes, removals and co-hosts.

Every change locks the Space row first, then the seat (`seat_fresh`), in the order every stage
change takes, so that two moderators acting at once can never put more than 1 host,
2 co-hosts and 10 speakers on the stage.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Follow
from core.errors import NotAllowed
from core.forms import row_id
from core.ratelimit import rate_limit
from mediaserver.base import command_on_commit as media_command
from rooms import selectors
from rooms.access import access_host, access_moderator
from rooms.errors import SpaceError
from rooms.events import emit, emit_stage, named
from rooms.models import MAX_COHOSTS, MAX_SPEAKERS, Participant, Space, SpaceBan
from rooms.services.space import require_live, space_lock

Role = Participant.Role
HAND_RAISES, HAND_RAISE_PERIOD = 3, 15  # at most 3 raises per person in 15 s


# Helpers ---------------------------------------------------------------------------------


def _seat(space: Space, participant_id) -> Participant:
    """A present participant of this Space, by id."""
    pk = row_id(participant_id)
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


def seat_fresh(participant: Participant) -> Participant:
    """Re-read a participant under lock, and check they are still in the Space. The Space
    row is locked first, in the order every stage change takes (Space, then seat): a seat
    locked first would deadlock against a join or a moderator holding the Space."""
    return _seat(space_lock(participant.space), participant.pk)


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


def _microphone_off(seat: Participant) -> None:
    """Someone left the stage: cut their microphone at the media server; they go on
    hearing the room once their browser offers again as a listener."""
    media_command("remove", space_id=seat.space_id, participant_id=seat.pk, publishing_only=True)


# Requests to speak -----------------------------------------------------------------------


@transaction.atomic
def hand_raise(*, participant: Participant) -> Participant:
    """A listener asks to speak, as the Space's policy allows."""
    space = space_lock(participant.space)
    require_live(space)
    seat = seat_fresh(participant)
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
        emit_stage(space, "hands.raised", seat)
    return seat


@transaction.atomic
def hand_lower(*, participant: Participant) -> Participant:
    """Withdraw one's request to speak."""
    seat = seat_fresh(participant)
    if seat.hand_raised_at is not None:
        seat.hand_raised_at = None
        seat.save(update_fields=["hand_raised_at"])
        emit_stage(seat.space, "hands.lowered", seat)
    return seat


@transaction.atomic
def request_approve(*, space: Space, actor, participant_id) -> Participant:
    """A host or co-host brings a raised hand up to the stage."""
    access_moderator(space, actor)
    space_lock(space)
    require_live(space)
    seat = _seat(space, participant_id)
    if seat.hand_raised_at is None or seat.role != Role.LISTENER:
        raise SpaceError(_("This person has not asked to speak."), code="no_request")
    _stage_room(space, Role.SPEAKER)
    seat.to_stage(Role.SPEAKER)
    emit_stage(space, "stage.speaker_added", seat)
    return seat


@transaction.atomic
def request_decline(*, space: Space, actor, participant_id) -> Participant:
    """A host or co-host turns down a request to speak."""
    access_moderator(space, actor)
    seat = _seat(space, participant_id)
    if seat.hand_raised_at is None:
        raise SpaceError(_("This person has not asked to speak."), code="no_request")
    seat.hand_raised_at = None
    seat.save(update_fields=["hand_raised_at"])
    emit_stage(space, "hands.declined", seat)
    return seat


@transaction.atomic
def speaker_invite(*, space: Space, actor, participant_id) -> Participant:
    """Pass the mic: a host or co-host invites a signed-in listener to speak."""
    access_moderator(space, actor)
    space_lock(space)
    require_live(space)
    seat = _seat(space, participant_id)
    if seat.user_id is None:
        raise SpaceError(_("Only signed-in listeners can be invited."), code="sign_in_required")
    if seat.role != Role.LISTENER:
        raise SpaceError(_("This person is already on the stage."), code="on_stage")
    _stage_room(space, Role.SPEAKER)
    seat.invited_at = timezone.now()
    seat.save(update_fields=["invited_at"])
    emit(space, "stage.invited", **named(seat))
    return seat


@transaction.atomic
def invite_answer(*, participant: Participant, accept: bool) -> Participant:
    """The invited listener comes up to the stage, or says no."""
    space = space_lock(participant.space)
    require_live(space)
    seat = seat_fresh(participant)
    if seat.invited_at is None:
        raise SpaceError(_("You have no invitation to speak."), code="no_invitation")
    if not accept:
        seat.invited_at = None
        seat.save(update_fields=["invited_at"])
        emit(space, "stage.invite_declined", **named(seat))
        return seat
    _stage_room(space, Role.SPEAKER)
    seat.to_stage(Role.SPEAKER)
    emit_stage(space, "stage.speaker_added", seat)
    return seat


# On the stage ----------------------------------------------------------------------------


@transaction.atomic
def speaker_demote(*, space: Space, actor, participant_id) -> Participant:
    """A host or co-host moves a speaker back to listening."""
    access_moderator(space, actor)
    seat = _seat(space, participant_id)
    if seat.role != Role.SPEAKER:
        raise SpaceError(_("Only speakers can be moved back to listening."), code="not_speaker")
    seat.to_audience()
    emit_stage(space, "stage.speaker_removed", seat)
    _microphone_off(seat)
    return seat


@transaction.atomic
def speaker_mute(*, space: Space, actor, participant_id) -> Participant:
    """A host or co-host mutes someone on the stage; only that person can unmute."""
    mine = access_moderator(space, actor)
    seat = _seat(space, participant_id)
    if seat.role == Role.HOST or (seat.role == Role.COHOST and mine.role != Role.HOST):
        raise NotAllowed(_("You cannot mute this person."), "cannot_mute")
    if not seat.on_stage:
        raise SpaceError(_("Only people on the stage can be muted."), code="not_on_stage")
    seat.muted_by_host = True
    seat.save(update_fields=["muted_by_host"])
    emit_stage(space, "stage.muted", seat)
    media_command("mute", space_id=space.pk, participant_id=seat.pk, muted=True)
    return seat


@transaction.atomic
def self_mute_set(*, participant: Participant, muted: bool) -> Participant:
    """Someone on the stage mutes or unmutes themselves (which also lifts a host's mute)."""
    seat = seat_fresh(participant)
    if not seat.on_stage:
        raise SpaceError(_("Only people on the stage have a microphone."), code="not_on_stage")
    if seat.self_muted == muted and (muted or not seat.muted_by_host):
        return seat  # nothing changes: no event for the room, no command for the media server
    seat.self_muted = muted
    if not muted:
        seat.muted_by_host = False
    seat.save(update_fields=["self_muted", "muted_by_host"])
    emit_stage(seat.space, "stage.muted" if muted else "stage.unmuted", seat)
    media_command("mute", space_id=seat.space_id, participant_id=seat.pk, muted=muted)
    return seat


@transaction.atomic
def stage_leave(*, participant: Participant) -> Participant:
    """A speaker or co-host steps down to listening."""
    seat = seat_fresh(participant)
    if seat.role == Role.HOST:
        raise SpaceError(_("The host stays on the stage; end the Space instead."), code="host")
    if not seat.on_stage:
        raise SpaceError(_("You are not on the stage."), code="not_on_stage")
    seat.to_audience()
    emit_stage(seat.space, "stage.speaker_removed", seat)
    _microphone_off(seat)
    return seat


@transaction.atomic
def participant_remove(*, space: Space, actor, participant_id, ban: bool = False) -> Participant:
    """A host or co-host removes someone from the Space, optionally from all the host's Spaces."""
    mine = access_moderator(space, actor)
    seat = _seat(space, participant_id)
    if seat.pk == mine.pk or seat.role == Role.HOST:
        raise NotAllowed(_("You cannot remove this person."), "cannot_remove")
    if seat.role == Role.COHOST and mine.role != Role.HOST:
        raise NotAllowed(_("Only the host can remove a co-host."), "not_host")
    seat.left_at = seat.removed_at = timezone.now()
    seat.to_audience()
    if ban and seat.user_id:
        SpaceBan.objects.get_or_create(host_id=space.host_id, user_id=seat.user_id)
    emit(space, "participant.removed", participant_id=seat.pk, banned=ban)
    emit_stage(space, "stage.left", seat)
    media_command("remove", space_id=space.pk, participant_id=seat.pk)
    return seat


@transaction.atomic
def cohost_add(*, space: Space, actor, participant_id) -> Participant:
    """The host makes a signed-in participant a co-host (at most two)."""
    access_host(space, actor)
    space_lock(space)
    require_live(space)
    seat = _seat(space, participant_id)
    if seat.user_id is None:
        raise SpaceError(_("Only signed-in people can co-host."), code="sign_in_required")
    if seat.role in (Role.HOST, Role.COHOST):
        raise SpaceError(_("This person already hosts this Space."), code="already_cohost")
    _stage_room(space, Role.COHOST)
    seat.to_stage(Role.COHOST)
    emit_stage(space, "stage.cohost_added", seat)
    return seat


@transaction.atomic
def cohost_remove(*, space: Space, actor, participant_id) -> Participant:
    """The host takes co-hosting away; the person goes back to listening."""
    access_host(space, actor)
    seat = _seat(space, participant_id)
    if seat.role != Role.COHOST:
        raise SpaceError(_("This person is not a co-host."), code="not_cohost")
    seat.to_audience()
    emit_stage(space, "stage.cohost_removed", seat)
    _microphone_off(seat)
    return seat


# Live audio ------------------------------------------------------------------------------


def media_access(*, participant: Participant, publish: bool) -> dict:
    """Whether this seat may connect its audio, and how: only people on the stage send a
    microphone, and the media server starts them muted as the database says they are."""
    seat = Participant.objects.select_related("space").get(pk=participant.pk)
    require_live(seat.space)
    if seat.left_at is not None:
        raise SpaceError(_("You are not in this Space."), code="not_in_space")
    if publish and not seat.on_stage:
        raise NotAllowed(_("Only people on the stage can speak."), "not_on_stage")
    return {"publish": publish, "muted": seat.self_muted or seat.muted_by_host}
