"""Writes for scheduled Spaces: schedule, edit, cancel, co-hosts named ahead, and the
Spaces never started that are let go (not held)."""

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import is_blocked_between
from core.batches import in_batches
from core.errors import NotAllowed
from notifications.models import Notification
from notifications.services import notifications_send
from rooms import services as rooms
from rooms.errors import SpaceError
from rooms.events import space_event_emit
from rooms.models import MAX_COHOSTS, Participant, Space, Topic
from scheduling.models import Promotion, Reminder
from scheduling.services.promotion import promo_card_redraw
from scheduling.services.reminders import host_reminders_set, reminded_people

MAX_AHEAD = timedelta(days=14)


def local_to_utc(local: datetime, zone_name: str) -> datetime:
    """A wall-clock time in a zone, as an aware UTC time; refuses a time that does not
    exist there (the hour skipped when the clocks go forward). In the hour that happens
    twice when they go back, the first one is meant."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SpaceError({"time_zone": _("Choose a time zone from the list.")}) from None
    aware = local.replace(tzinfo=zone, fold=0)
    back = aware.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise SpaceError(
            {
                "starts_at": _(
                    "%(time)s does not exist in %(zone)s: the clocks go forward then. "
                    "Pick another time."
                )
                % {"time": local.strftime("%H:%M"), "zone": zone_name}
            }
        )
    return aware.astimezone(UTC)


def _check_start(starts_at: datetime) -> None:
    now = timezone.now()
    if starts_at <= now:
        raise SpaceError({"starts_at": _("Pick a time in the future.")})
    if starts_at > now + MAX_AHEAD:
        raise SpaceError({"starts_at": _("A Space can be scheduled at most 14 days ahead.")})


def _when(space: Space, user) -> str:
    """The Space's start in the person's own zone (their setting, else the server's)."""
    zone = zoneinfo.ZoneInfo(user.zone_name) if user.zone_name else None
    local = timezone.localtime(space.scheduled_for, zone)
    return f"{date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})"


@transaction.atomic
def space_schedule(
    *,
    host,
    title: str,
    starts_at: datetime,
    topics: Iterable[str] = (),
    speak_policy: str = Space.SpeakPolicy.EVERYONE,
    record: bool = False,
    captions: bool = False,
    captions_language: str = "",
    tweet_on_start: bool = False,
    cohosts: Iterable[str] = (),
) -> Space:
    """Schedule a Space from now up to 14 days ahead; the host is reminded twice, and
    its promo card is drawn once the transaction commits."""
    _check_start(starts_at)
    space = rooms.space_create(
        host=host,
        title=title,
        topics=topics,
        speak_policy=speak_policy,
        record=record,
        captions=captions,
        captions_language=captions_language,
        start_now=False,
    )
    space.scheduled_for = starts_at
    space.save(update_fields=["scheduled_for"])
    _cohosts_set(space, cohosts)
    host_reminders_set(space)
    Promotion.objects.create(space=space, tweet_on_start=tweet_on_start)
    promo_card_redraw(space)
    return space


def _cohosts_set(space: Space, handles: Iterable[str]) -> None:
    """Name the Space's co-hosts ahead (at most two): they take the co-host seat when
    they open the live Space, and their avatars are on the promo card."""
    names = []
    for handle in handles:
        handle = handle.strip().lstrip("@")
        if handle and handle.lower() not in {n.lower() for n in names}:
            names.append(handle)
    if len(names) > MAX_COHOSTS:
        raise SpaceError({"cohosts": _("A Space has at most %(n)s co-hosts.") % {"n": MAX_COHOSTS}})
    people = []
    for name in names:
        person = User.objects.filter(handle__iexact=name).first()
        if person is None or is_blocked_between(person, space.host):
            raise SpaceError({"cohosts": _("There is no @%(handle)s.") % {"handle": name}})
        if person.pk == space.host_id:
            raise SpaceError({"cohosts": _("You host this Space already.")})
        people.append(person)
    now = timezone.now()
    Participant.objects.filter(space=space, role=Participant.Role.COHOST).exclude(
        user__in=people
    ).delete()
    for person in people:
        Participant.objects.update_or_create(
            space=space,
            user=person,
            defaults={
                "role": Participant.Role.COHOST,
                "listed": True,
                "left_at": now,  # named, not yet in the room
                "joined_at": now,
                "last_seen_at": now,
            },
        )


def _scheduled(space: Space, actor) -> Space:
    """The host's own scheduled Space, locked."""
    if actor is None or actor.pk != space.host_id:
        raise NotAllowed(_("Only the host can do this."), "not_host")
    space = Space.objects.select_for_update().get(pk=space.pk)
    if space.state != Space.State.SCHEDULED:
        raise SpaceError(_("Only a scheduled Space can be changed."), code="not_scheduled")
    return space


@transaction.atomic
def space_reschedule(
    *,
    space: Space,
    actor,
    title: str | None = None,
    topics: Iterable[str] | None = None,
    starts_at: datetime | None = None,
    cohosts: Iterable[str] | None = None,
) -> Space:
    """The host edits a scheduled Space; a new time moves every reminder and tells
    everyone who set one."""
    space = _scheduled(space, actor)
    if title is not None:
        try:
            space.title = Space.clean_title(title)  # the same rule as creating
        except ValidationError as error:
            raise SpaceError({"title": error}) from None
    if topics is not None:
        names = Space.clean_topics(topics)
        space.topics.set([Topic.objects.get_or_create(name=n)[0] for n in names])
    if cohosts is not None:
        _cohosts_set(space, cohosts)
    moved = starts_at is not None and starts_at != space.scheduled_for
    if moved:
        _check_start(starts_at)
        space.scheduled_for = starts_at
    space.full_clean(exclude=["topics", "host"])
    space.save()
    promo_card_redraw(space)
    if moved:
        # Everyone's reminder fires again at the new time, even one that already fired.
        Reminder.objects.filter(space=space, kind=Reminder.Kind.START).update(
            due_at=starts_at, sent_at=None
        )
        host_reminders_set(space)
        audience = reminded_people(space)
        notifications_send(
            users=audience,
            kind=Notification.Kind.CHANGED,
            space=space,
            text=lambda user: (
                _("“%(title)s” now starts %(when)s.")
                % {"title": space.title, "when": _when(space, user)}
            ),
        )
    return space


@transaction.atomic
def space_cancel(*, space: Space, actor) -> Space:
    """The host calls a scheduled Space off; everyone with a reminder is told."""
    space = _scheduled(space, actor)
    audience = reminded_people(space)
    space.state = Space.State.CANCELLED
    space.ended_at = timezone.now()
    space.save(update_fields=["state", "ended_at"])
    Reminder.objects.filter(space=space).delete()
    _emit_over(space, "space.cancelled")
    notifications_send(
        users=audience,
        kind=Notification.Kind.CANCELLED,
        space=space,
        text=lambda user: _("“%(title)s” was cancelled.") % {"title": space.title},
    )
    return space


def _emit_over(space: Space, event: str) -> None:
    """Tell the Space's open pages (an Upcoming page waits on its socket) that it will
    not go live, numbered like every room event, once the change commits."""
    space_event_emit(space, event, state=str(space.state))


def not_held_after() -> timedelta:
    """How long after its time a scheduled Space that never started is let go."""
    return timedelta(seconds=getattr(settings, "SPACE_NOT_HELD_AFTER", 2 * 3600))


def spaces_mark_not_held(*, batch: int = 100) -> int:
    """Mark every scheduled Space that was never started, `SPACE_NOT_HELD_AFTER` past its
    time, as not held, batch after batch; return how many."""
    return in_batches(_not_held_batch, batch=batch)


@transaction.atomic
def _not_held_batch(*, batch: int) -> int:
    """Claim up to `batch` overdue scheduled Spaces (skip_locked: a host starting one right
    now keeps it), mark them not held, and tell their host and everyone with a reminder."""
    cutoff = timezone.now() - not_held_after()
    spaces = list(
        Space.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=Space.State.SCHEDULED, scheduled_for__lt=cutoff)
        .select_related("host")
        .order_by("scheduled_for", "pk")[:batch]
    )
    now = timezone.now()
    for space in spaces:
        audience = reminded_people(space)
        space.state = Space.State.NOT_HELD
        space.ended_at = now
        space.save(update_fields=["state", "ended_at"])
        # Whatever was still owed has nothing left to say: this notice replaces it.
        Reminder.objects.filter(space=space, sent_at__isnull=True).delete()
        _emit_over(space, "space.not_held")
        notifications_send(
            users=[space.host],
            kind=Notification.Kind.NOT_HELD,
            space=space,
            text=lambda user, space=space: (
                _("Your Space “%(title)s” was never started, so it did not take place.")
                % {"title": space.title}
            ),
        )
        notifications_send(
            users=audience,
            kind=Notification.Kind.NOT_HELD,
            space=space,
            text=lambda user, space=space: (
                _("“%(title)s” did not take place: its host never started it.")
                % {"title": space.title}
            ),
        )
    return len(spaces)
