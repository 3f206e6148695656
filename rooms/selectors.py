"""Reads for Spaces: the page, the snapshot, the directory, the dashboard and the live bar."""

from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Block, Follow, User
from accounts.selectors import hidden_user_ids
from rooms.models import Participant, PinnedTweet, Space, SpaceBan
from timeline.selectors import visible_tweets

LISTED_LISTENERS_SHOWN = 100
ROLE_ORDER = {"host": 0, "cohost": 1, "speaker": 2, "listener": 3}


def space_get(code: str) -> Space:
    """The Space with this code, or 404."""
    try:
        return Space.objects.select_related("host").prefetch_related("topics").get(code=code)
    except Space.DoesNotExist:
        raise Http404("No such Space.") from None


def participant_public(participant: Participant) -> dict:
    """What everyone in the room may know about a participant."""
    user = participant.user
    return {
        "id": participant.pk,
        "role": participant.role,
        "handle": user.handle if user else None,
        "name": user.name if user else None,
        "avatar": user.avatar.url if user and user.avatar else None,
        "url": user.get_absolute_url() if user else None,
        "muted": participant.muted_by_host or participant.self_muted,
        "muted_by_host": participant.muted_by_host,
        "hand_raised": participant.hand_raised_at is not None,
        "invited": participant.invited_at is not None,
        "listed": participant.listed,
    }


def present(space: Space) -> QuerySet:
    return Participant.objects.filter(space=space, left_at__isnull=True)


def present_seat_by_handle(space: Space, handle: str) -> Participant | None:
    """The seat of a signed-in person who is in the Space now, by handle."""
    return present(space).filter(user__handle__iexact=handle).select_related("user").first()


def stage(space: Space) -> list[dict]:
    """Who is on the stage: host, co-hosts, then speakers in the order they came up."""
    people = present(space).filter(role__in=Participant.STAGE_ROLES).select_related("user")
    ordered = sorted(people, key=lambda p: (ROLE_ORDER[p.role], p.joined_at, p.pk))
    return [participant_public(p) for p in ordered]


def hands(space: Space) -> list[dict]:
    """Raised hands, oldest first."""
    raised = (
        present(space)
        .filter(hand_raised_at__isnull=False)
        .select_related("user")
        .order_by("hand_raised_at")
    )
    return [participant_public(p) for p in raised]


def people_present(path: str = "") -> Count:
    """How many people are in a Space now: seats not let go, never sockets. The one count
    behind the room's "N listening" (`counts`) and every list of Spaces (the live bar,
    the directory, the dashboard), so that they always agree. `path` leads from the rows
    counted over to the participants ("participants__" from Spaces)."""
    return Count(f"{path}pk", filter=Q(**{f"{path}left_at__isnull": True}))


def counts(space: Space) -> dict:
    """Everyone present is counted; only those who chose to be are listed."""
    return present(space).aggregate(
        total=people_present(), listed=Count("pk", filter=Q(listed=True) | ~Q(role="listener"))
    )


def listed_listeners(space: Space) -> list[dict]:
    listeners = (
        present(space)
        .filter(role=Participant.Role.LISTENER, listed=True)
        .select_related("user")
        .order_by("joined_at")[:LISTED_LISTENERS_SHOWN]
    )
    return [participant_public(p) for p in listeners]


def pins(space: Space) -> list[dict]:
    pinned = PinnedTweet.objects.filter(space=space).select_related("tweet__author")
    return [
        {
            "tweet_id": pin.tweet_id,
            "text": pin.tweet.text,
            "handle": pin.tweet.author.handle,
            "name": pin.tweet.author.name,
            "url": pin.tweet.get_absolute_url(),
        }
        for pin in pinned
    ]


def space_snapshot(space: Space, me: Participant | None = None) -> dict:
    """The whole room as a client needs it to (re)start: state, stage, audience, pins."""
    # Read seq first: events after it may already show in the data, and events carry
    # whole lists, so a client that replays them ends in the same state.
    current = Space.objects.values(
        "seq", "state", "speak_policy", "ending_at", "captions", "captions_language"
    ).get(pk=space.pk)
    ending_at = current.pop("ending_at")
    captions = {"enabled": current.pop("captions"), "language": current.pop("captions_language")}
    return {
        **current,
        # Seconds until a Space whose host is away ends by itself, or None.
        "ending_in": (
            max(0, round((ending_at - timezone.now()).total_seconds()))
            if ending_at is not None
            else None
        ),
        "code": space.code,
        "title": space.title,
        # A REC badge for everyone, and a notice for whoever is invited to the stage.
        "recorded": space.record,
        "recording_failed": space.recording_failed,  # only the host's page shows it
        # Live captions for the whole room (the host's switch): read with seq, as events are.
        "captions": captions,
        "stage": stage(space),
        "hands": hands(space),
        "listeners": listed_listeners(space),
        "counts": counts(space),
        "pins": pins(space),
        "me": participant_public(me) if me else None,
    }


def hosts_shutting_out(user, host_ids: Iterable[int]) -> set[int]:
    """Which of these hosts keep this person away from their Spaces (a ban, a block either
    way): access.shut_out for a whole page of cards, in one query."""
    if user is None or not user.is_authenticated:
        return set()
    host_ids = set(host_ids)
    if not host_ids:
        return set()
    blocked = Block.objects.filter(blocker=user, blocked_id__in=host_ids)
    blocking = Block.objects.filter(blocked=user, blocker_id__in=host_ids)
    banned = SpaceBan.objects.filter(user=user, host_id__in=host_ids)
    return set(
        blocked.values_list("blocked_id", flat=True).union(
            blocking.values_list("blocker_id", flat=True),
            banned.values_list("host_id", flat=True),
        )
    )


def removed_from(space: Space, *, user=None, anon_id: str = "") -> bool:
    """Whether a host or co-host removed this person (or anonymous browser) from this Space."""
    if user is not None and user.is_authenticated:
        seat = Q(user=user)
    elif anon_id:
        seat = Q(anon_id=anon_id)
    else:
        return False
    return Participant.objects.filter(seat, space=space, removed_at__isnull=False).exists()


def participant_for(space: Space, *, user=None, anon_id: str = "") -> Participant | None:
    """The seat of a signed-in person or an anonymous browser in this Space, if any."""
    if user is not None and user.is_authenticated:
        return Participant.objects.filter(space=space, user=user).select_related("user").first()
    if anon_id:
        return Participant.objects.filter(space=space, anon_id=anon_id).first()
    return None


def with_listener_count(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(listener_count=people_present("participants__"))


def directory(*, query: str = "", viewer=None) -> dict:
    """Live and upcoming Spaces, searchable by title, host and topic."""
    spaces = (
        Space.objects.filter(state__in=[Space.State.LIVE, Space.State.SCHEDULED])
        .select_related("host")
        .prefetch_related("topics")
    )
    if viewer is not None:
        spaces = spaces.exclude(host__in=hidden_user_ids(viewer))
    query = query.strip()
    if query:
        # Match through a subquery: a join on topics would multiply the listener counts.
        matching = Space.objects.filter(
            Q(title__icontains=query)
            | Q(host__handle__icontains=query.lstrip("@"))
            | Q(host__display_name__icontains=query)
            | Q(topics__name__icontains=query.lstrip("#"))
        ).values("pk")
        spaces = spaces.filter(pk__in=matching)
    spaces = with_listener_count(spaces)
    return {
        "live": list(spaces.filter(state=Space.State.LIVE).order_by("-started_at")[:50]),
        "upcoming": list(
            spaces.filter(state=Space.State.SCHEDULED).order_by("scheduled_for", "pk")[:50]
        ),
    }


def hosted_by(user) -> dict:
    """A host's Spaces for the dashboard: live, upcoming and ended."""
    spaces = with_listener_count(
        Space.objects.filter(host=user).prefetch_related("topics").select_related("host")
    )
    return {
        "live": list(spaces.filter(state=Space.State.LIVE).order_by("-started_at")),
        "upcoming": list(spaces.filter(state=Space.State.SCHEDULED).order_by("scheduled_for")),
        "ended": list(
            spaces.filter(
                state__in=[Space.State.ENDED, Space.State.CANCELLED, Space.State.NOT_HELD]
            ).order_by("-ended_at", "-pk")[:50]
        ),
    }


def live_bar(viewer) -> list[Space]:
    """Live Spaces hosted by, or with a current speaker among, the people the viewer follows."""
    if not viewer.is_authenticated:
        return []
    followed = Follow.objects.filter(follower=viewer).values("followee")
    speaking = Participant.objects.filter(
        space=OuterRef("pk"),
        left_at__isnull=True,
        role__in=Participant.STAGE_ROLES,
        user__in=followed,
    )
    stage_people = Participant.objects.filter(
        left_at__isnull=True, role__in=Participant.STAGE_ROLES
    ).select_related("user")
    spaces = (
        with_listener_count(Space.objects.filter(state=Space.State.LIVE))
        .filter(Q(host__in=followed) | Exists(speaking))
        .exclude(host__in=hidden_user_ids(viewer))
        .select_related("host")
        .prefetch_related(Prefetch("participants", queryset=stage_people, to_attr="on_stage"))
        .order_by("-started_at")[:20]
    )
    return list(spaces)


def live_bar_recipients(
    *, host_id: int, subject_ids: Iterable[int], after: int = 0, limit: int = 1000
) -> list[int]:
    """Whose live bar a change of this Space may change, in one query: its host and the
    people on (or just off) its stage, and their followers; never anyone who blocked the
    host or whom the host blocked. Ids above `after`, ascending, at most `limit`."""
    subject_ids = {host_id, *subject_ids}
    followers = Follow.objects.filter(followee_id__in=subject_ids).values("follower_id")
    blocking_host = Block.objects.filter(blocked_id=host_id).values("blocker_id")
    blocked_by_host = Block.objects.filter(blocker_id=host_id).values("blocked_id")
    return list(
        User.objects.filter(Q(pk__in=subject_ids) | Q(pk__in=followers), pk__gt=after)
        .exclude(pk__in=blocking_host)
        .exclude(pk__in=blocked_by_host)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def live_audiences() -> dict[int, tuple[str, int, int]]:
    """Every live Space's code, host and number of people present, by Space id."""
    live = with_listener_count(Space.objects.filter(state=Space.State.LIVE).order_by())
    rows = live.values_list("pk", "code", "host_id", "listener_count")
    return {pk: (code, host_id, total) for pk, code, host_id, total in rows}


def stage_user_ids(space_ids: Iterable[int]) -> dict[int, set[int]]:
    """The signed-in people on the stage of each of these Spaces, by Space id."""
    people: dict[int, set[int]] = {space_id: set() for space_id in space_ids}
    rows = Participant.objects.filter(
        space_id__in=people,
        left_at__isnull=True,
        role__in=Participant.STAGE_ROLES,
        user__isnull=False,
    ).values_list("space_id", "user_id")
    for space_id, user_id in rows:
        people[space_id].add(user_id)
    return people


def pinnable_tweets(space: Space, user, *, limit: int = 10) -> list:
    """What a host or co-host may pin from the room: the host's tweets and their own, as
    the timeline shows them to this person (pin_add accepts the same), newest first."""
    return list(visible_tweets(user).filter(author__in={space.host_id, user.pk})[:limit])
