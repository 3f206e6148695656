"""Writes for reminders: set and remove them, and deliver the ones that are due.

Reminders are never queued days ahead (DESIGN §5): one beat task scans every 30 s
for reminders that are due, claims a batch under `select_for_update(skip_locked=True)`
and creates their notifications in the same transaction, so that a reminder is
delivered exactly once even with two scanners, a worker killed mid-batch, or a
broker that restarts: the claim and the delivery commit together or not at all.
"""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.selectors import is_blocked_between
from core.batches import in_batches
from core.errors import NotAllowed
from notifications.models import Notification
from notifications.services import notifications_create
from rooms.errors import SpaceError
from rooms.models import Space
from scheduling.models import Reminder

HOST_HEADS_UP = timedelta(minutes=30)
BATCH = 1000


def host_reminders_set(space: Space) -> None:
    """The host is reminded 30 minutes before and at the start (now, if that is past)."""
    for kind, due in (
        (Reminder.Kind.SOON, space.scheduled_for - HOST_HEADS_UP),
        (Reminder.Kind.START, space.scheduled_for),
    ):
        Reminder.objects.update_or_create(
            space=space,
            user_id=space.host_id,
            kind=kind,
            defaults={"due_at": max(due, timezone.now()), "sent_at": None},
        )


def reminded_people(space: Space) -> list:
    """People other than the host with a reminder for this Space."""
    return list(
        User.objects.filter(reminders__space=space, reminders__kind=Reminder.Kind.START).exclude(
            pk=space.host_id
        )
    )


@transaction.atomic
def reminder_set(*, space: Space, user) -> Reminder:
    """Remind this person when the Space starts."""
    space = Space.objects.select_for_update().get(pk=space.pk)
    if space.state != Space.State.SCHEDULED:
        if space.is_live:
            raise SpaceError(_("This Space is already live: join it now."), code="space_live")
        raise SpaceError(_("This Space has ended or was cancelled."), code="space_over")
    if space.scheduled_for and space.scheduled_for <= timezone.now():
        raise SpaceError(
            _("This Space's start time has passed; it has not started yet."),
            code="start_passed",
        )
    if is_blocked_between(user, space.host):
        raise NotAllowed(_("You cannot set a reminder for this Space."), "blocked")
    reminder, _created = Reminder.objects.get_or_create(
        space=space,
        user=user,
        kind=Reminder.Kind.START,
        defaults={"due_at": space.scheduled_for or timezone.now()},
    )
    return reminder


@transaction.atomic
def reminder_remove(*, space: Space, user) -> None:
    """Forget this person's reminder for the Space (the host keeps theirs)."""
    if user.pk == space.host_id:
        raise SpaceError(_("As the host you are always reminded."), code="host")
    Reminder.objects.filter(space=space, user=user, kind=Reminder.Kind.START).delete()


def reminders_deliver(*, batch: int = BATCH) -> int:
    """Deliver every reminder that is due, batch after batch; return how many."""
    return in_batches(_deliver_batch, batch=batch)


@transaction.atomic
def _deliver_batch(*, batch: int) -> int:
    """Claim up to `batch` due reminders and create their notifications, in one commit.

    `skip_locked` lets two scanners share the work: each takes rows the other has not
    locked. A worker that dies before the commit leaves the rows unclaimed for the next
    scan; once committed, `sent_at` keeps them from ever being sent again.
    """
    now = timezone.now()
    # Plain values, not model instances: at 100,000 reminders the objects cost more
    # than the queries. The Spaces (a handful) are read once per batch.
    claimed = list(
        Reminder.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(sent_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", "space_id", "user_id", "kind", "user__language", "space__state")[:batch]
    )
    if not claimed:
        return 0
    Reminder.objects.filter(pk__in=[row[0] for row in claimed]).update(sent_at=now)
    # A Space that ended (or was cancelled) meanwhile has nothing left to remind of: its
    # reminders are closed without a word.
    open_states = (Space.State.SCHEDULED, Space.State.LIVE)
    due = [row[:5] for row in claimed if row[5] in open_states]
    spaces = Space.objects.select_related("host").in_bulk({row[1] for row in due})
    texts = {}  # one wording per Space, kind and language
    notifications = []
    for _pk, space_id, user_id, kind, language in due:
        if kind == Reminder.Kind.SOON and _starting(spaces[space_id], now):
            continue  # no "starts in a minute" once it is time: the start reminder says it
        key = (space_id, kind, language or settings.LANGUAGE_CODE)
        if key not in texts:
            with translation.override(key[2]):
                texts[key] = _reminder_text(spaces[space_id], kind)
        notifications.append(
            Notification(
                user_id=user_id,
                kind=texts[key][0],
                text=texts[key][1],
                url=spaces[space_id].get_absolute_url(),
                space_id=space_id,
            )
        )
    notifications_create(notifications=notifications)
    return len(claimed)


def _starting(space: Space, now: datetime) -> bool:
    return (
        space.is_live
        or space.scheduled_for is None
        or space.scheduled_for - now < timedelta(seconds=30)
    )


def _reminder_text(space: Space, kind: str) -> tuple[str, str]:
    if kind == Reminder.Kind.SOON:
        # Usually 30 minutes, but a Space scheduled closer than that (or a late scan)
        # leaves less: say what is really left, and when, in the host's own zone.
        left = (space.scheduled_for - timezone.now()).total_seconds()
        minutes = max(1, round(left / 60))
        zone = zoneinfo.ZoneInfo(space.host.zone_name) if space.host.zone_name else None
        local = timezone.localtime(space.scheduled_for, zone)
        text = ngettext(
            "Your Space “%(title)s” starts in %(count)s minute, at %(time)s.",
            "Your Space “%(title)s” starts in %(count)s minutes, at %(time)s.",
            minutes,
        ) % {
            "title": space.title,
            "count": minutes,
            "time": f"{date_format(local, 'TIME_FORMAT')} {local.tzname()}",
        }
        return Notification.Kind.HOST_SOON, text
    if space.is_live:
        text = _("“%(title)s” is live now: join %(name)s.") % {
            "title": space.title,
            "name": space.host.name,
        }
        return Notification.Kind.REMINDER, text
    return Notification.Kind.REMINDER, _("“%(title)s” is starting now.") % {"title": space.title}
