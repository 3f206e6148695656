"""Permission-checked fetches: a Space or a seat, if this person may have it.

The one place that says who may act on a Space, for services, views, the API, consumers
and other apps alike. Each raises the error its interface shows: NotAllowed (403, error
frame) for someone in the room who may not do this, Http404 for a page that must not
reveal the Space, SpaceError for a seat one has not taken.
"""

from django.http import Http404
from django.utils.translation import gettext as _

from accounts.selectors import is_blocked_between
from core.errors import NotAllowed
from rooms import selectors
from rooms.errors import SpaceError
from rooms.identity import browser_identity
from rooms.models import Participant, Space, SpaceBan


def shut_out(host, user) -> str:
    """Why this person is kept away from all of the host's Spaces, their replays and clips
    ("banned", or "blocked" either way), or "" when not: the one rule, for every app
    (cards use selectors.hosts_shutting_out, its bulk form)."""
    if user is None or not user.is_authenticated:
        return ""
    if SpaceBan.objects.filter(host_id=host.pk, user=user).exists():
        return "banned"
    if is_blocked_between(user, host):
        return "blocked"
    return ""


def may_listen(space: Space, *, user=None, anon_id: str = "") -> bool:
    """Whether this person or browser may hear this Space, live or by a live clip: not
    shut out from its host's Spaces, not removed from it (the rules of joining)."""
    if user is not None and user.is_authenticated:
        return not shut_out(space.host, user) and not selectors.removed_from(space, user=user)
    return not selectors.removed_from(space, anon_id=anon_id)


def access_moderator(space: Space, actor) -> Participant:
    """The actor's seat if they host or co-host this Space; otherwise NotAllowed."""
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Only the host and co-hosts can do this."), "not_moderator")
    seat = Participant.objects.filter(space=space, user=actor).first()
    if (
        seat is None
        or not seat.is_moderator
        or (seat.role == Participant.Role.COHOST and seat.left_at)
    ):
        raise NotAllowed(_("Only the host and co-hosts can do this."), "not_moderator")
    return seat


def access_host(space: Space, actor) -> Space:
    """The Space if the actor is its host; otherwise NotAllowed."""
    if actor is None or actor.pk != space.host_id:
        raise NotAllowed(_("Only the host can do this."), "not_host")
    return space


def access_manageable_space(*, code: str, user) -> Space:
    """A Space its host (or a co-host) may manage, or 404 for anyone else."""
    space = selectors.space_get(code)
    if space.host_id == user.pk:
        return space
    if Participant.objects.filter(
        space=space, user=user, role=Participant.Role.COHOST, left_at__isnull=True
    ).exists():
        return space
    raise Http404("No such Space.")


def access_my_seat(request, space: Space) -> Participant:
    """The caller's present seat in the Space; they must have joined."""
    seat = selectors.participant_for(space, user=request.user, anon_id=browser_identity(request))
    if seat is None or seat.left_at is not None:
        raise SpaceError(_("Join the Space first."), code="not_in_space")
    return seat
