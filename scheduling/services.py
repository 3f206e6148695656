"""Writes for scheduled Spaces, reminders and notifications.

Reminders are never queued days ahead (DESIGN §5): one beat task scans every 30 s
for reminders that are due, claims a batch under `select_for_update(skip_locked=True)`
and creates their notifications in the same transaction, so that a reminder is
delivered exactly once even with two scanners, a worker killed mid-batch, or a
broker that restarts: the claim and the delivery commit together or not at all.
"""

import logging
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Follow
from accounts.services import notify_many
from core.errors import NotAllowed
from rooms import services as rooms
from rooms.errors import SpaceError
from rooms.models import Space, clean_space_title
from scheduling.models import (
    EmailOutbox,
    Notification,
    NotificationSettings,
    Promotion,
    PushOutbox,
    PushSubscription,
    Reminder,
)

logger = logging.getLogger(__name__)
User = get_user_model()
MAX_AHEAD = timedelta(days=14)
HOST_HEADS_UP = timedelta(minutes=30)
BATCH = 1000


# Times -----------------------------------------------------------------------------------


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


# Scheduling ------------------------------------------------------------------------------


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
        start_now=False,
    )
    space.scheduled_for = starts_at
    space.save(update_fields=["scheduled_for"])
    _cohosts_set(space, cohosts)
    _host_reminders(space)
    Promotion.objects.create(space=space, tweet_on_start=tweet_on_start)
    _redraw_card(space)
    return space


def _redraw_card(space: Space) -> None:
    from scheduling.tasks import render_promo_card

    render_promo_card.delay_on_commit(space.pk)


def promo_card_render(*, space_id: int) -> Promotion:
    """Draw the Space's promo card and store it, replacing the previous one."""
    from django.core.files.base import ContentFile

    from scheduling.promo import card_png

    space = Space.objects.select_related("host").get(pk=space_id)
    promotion, _created = Promotion.objects.get_or_create(space=space)
    old = promotion.card.name if promotion.card else ""
    promotion.card.save(f"{space.code}.png", ContentFile(card_png(space)), save=False)
    promotion.updated_at = timezone.now()
    promotion.save(update_fields=["card", "updated_at"])
    if old and old != promotion.card.name:
        promotion.card.storage.delete(old)
    return promotion


def _cohosts_set(space: Space, handles: Iterable[str]) -> None:
    """Name the Space's co-hosts ahead (at most two): they take the co-host seat when
    they open the live Space, and their avatars are on the promo card."""
    from accounts.selectors import is_blocked_between
    from rooms.models import MAX_COHOSTS, Participant

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


def _host_reminders(space: Space) -> None:
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
            space.title = clean_space_title(title)  # the same rule as creating
        except ValidationError as error:
            raise SpaceError({"title": error}) from None
    if topics is not None:
        names = rooms.clean_topics(topics)
        space.topics.set([rooms.Topic.objects.get_or_create(name=n)[0] for n in names])
    if cohosts is not None:
        _cohosts_set(space, cohosts)
    moved = starts_at is not None and starts_at != space.scheduled_for
    if moved:
        _check_start(starts_at)
        space.scheduled_for = starts_at
    space.full_clean(exclude=["topics", "host"])
    space.save()
    _redraw_card(space)
    if moved:
        # Everyone's reminder fires again at the new time, even one that already fired.
        Reminder.objects.filter(space=space, kind=Reminder.Kind.START).update(
            due_at=starts_at, sent_at=None
        )
        _host_reminders(space)
        audience = _reminded(space)
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
    audience = _reminded(space)
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
    rooms.space_event_emit(space, event, state=str(space.state))


def _in_batches(claim, *, batch: int) -> int:
    """Run `claim(batch=...)` until a batch comes back short; return how many in all.
    Each batch is a transaction of its own, so a crash loses at most one batch's work."""
    done = 0
    while True:
        count = claim(batch=batch)
        done += count
        if count < batch:
            return done


def not_held_after() -> timedelta:
    """How long after its time a scheduled Space that never started is let go."""
    return timedelta(seconds=getattr(settings, "SPACE_NOT_HELD_AFTER", 2 * 3600))


def spaces_mark_not_held(*, batch: int = 100) -> int:
    """Mark every scheduled Space that was never started, `SPACE_NOT_HELD_AFTER` past its
    time, as not held, batch after batch; return how many."""
    return _in_batches(_not_held_batch, batch=batch)


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
        audience = _reminded(space)
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


def _reminded(space: Space) -> list:
    """People other than the host with a reminder for this Space."""
    return list(
        User.objects.filter(reminders__space=space, reminders__kind=Reminder.Kind.START).exclude(
            pk=space.host_id
        )
    )


# Reminders -------------------------------------------------------------------------------


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
    from accounts.selectors import is_blocked_between

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
    return _in_batches(_deliver_batch, batch=batch)


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
    _create_and_push(notifications)
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


# Notifications ---------------------------------------------------------------------------


def notifications_send(*, users: Iterable, kind: str, space: Space | None, text) -> int:
    """One notification each, in each person's language (`text` is called per person)."""
    notifications = []
    for user in users:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            notifications.append(
                Notification(
                    user=user,
                    kind=kind,
                    text=text(user),
                    url=space.get_absolute_url() if space else "",
                    space=space,
                )
            )
    _create_and_push(notifications)
    return len(notifications)


def _create_and_push(notifications: list[Notification]) -> None:
    """Store the notifications and, in the same transaction, the emails they owe; once
    committed, every open page of each person hears, as each person chose."""
    if not notifications:
        return
    choices = {
        row["user_id"]: row
        for row in NotificationSettings.objects.filter(
            user_id__in={n.user_id for n in notifications}
        ).values("user_id", "in_app", "email", "push")
    }
    now = timezone.now()
    for notification in notifications:
        if not choices.get(notification.user_id, {}).get("in_app", True):
            notification.read_at = now  # kept in the list, but it rings no bell
    Notification.objects.bulk_create(notifications)
    notify_many([n for n in notifications if n.read_at is None])
    # Going live is news of the moment: it rings and pushes, but sends no email.
    emailed = [
        n
        for n in notifications
        if n.kind != Notification.Kind.LIVE and choices.get(n.user_id, {}).get("email", True)
    ]
    if emailed:
        EmailOutbox.objects.bulk_create(EmailOutbox(notification=n) for n in emailed)
        from scheduling.tasks import send_emails

        send_emails.delay_on_commit()
    if settings.VAPID_PRIVATE_KEY:
        wanted = [n for n in notifications if choices.get(n.user_id, {}).get("push", True)]
        subscriptions = list(
            PushSubscription.objects.filter(user_id__in={n.user_id for n in wanted}).values_list(
                "pk", "user_id"
            )
        )
        if subscriptions:
            by_user: dict[int, list[int]] = {}
            for pk, user_id in subscriptions:
                by_user.setdefault(user_id, []).append(pk)
            PushOutbox.objects.bulk_create(
                PushOutbox(notification=n, subscription_id=pk)
                for n in wanted
                for pk in by_user.get(n.user_id, [])
            )
            from scheduling.tasks import send_pushes

            send_pushes.delay_on_commit()


def emails_send(*, batch: int = 200) -> int:
    """Send the emails owed, batch after batch; return how many went out."""
    return _in_batches(_send_email_batch, batch=batch)


MAX_ATTEMPTS = 4
RETRY_AFTER = [timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1)]


def _claim(model, *, batch: int, related: tuple[str, ...]) -> list:
    """Claim owed emails or pushes (skip_locked, like reminders) and count the attempt,
    committing before any network call: no row stays locked while SMTP or a push service
    takes its time. A worker that dies after the claim leaves the row for its retry
    time: these channels are at least once, since neither SMTP nor a push service can
    take part in our transaction."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            model.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, retry_at__lte=now)
            .select_related(*related)
            .order_by("retry_at", "pk")[:batch]
        )
        for row in rows:
            row.retry_at = now + RETRY_AFTER[min(row.attempts, len(RETRY_AFTER) - 1)]
            row.attempts += 1
        model.objects.bulk_update(rows, ["attempts", "retry_at"])
    return rows


def _sent(row) -> None:
    type(row).objects.filter(pk=row.pk).update(sent_at=timezone.now(), last_error="")


def _failed(row, error) -> None:
    type(row).objects.filter(pk=row.pk).update(last_error=str(error)[:300])


def _send_email_batch(*, batch: int) -> int:
    """Send one batch of owed emails, each in its person's language."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string

    owed = _claim(EmailOutbox, batch=batch, related=("notification__user",))
    site = settings.SITE_URL.rstrip("/")
    for email in owed:
        notification, user = email.notification, email.notification.user
        if not user.email:
            EmailOutbox.objects.filter(pk=email.pk).update(
                attempts=MAX_ATTEMPTS, last_error="no address"
            )
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            context = {
                "user": user,
                "notification": notification,
                "link": site + notification.url if notification.url else "",
                "settings_link": site + "/settings/notifications/",
            }
            message = EmailMultiAlternatives(
                subject=notification.text,
                body=render_to_string("scheduling/email/notification.txt", context),
                to=[user.email],
            )
            message.attach_alternative(
                render_to_string("scheduling/email/notification.html", context), "text/html"
            )
        try:
            message.send()
        except Exception as error:
            _failed(email, error)
            logger.warning("Could not email notification %s: %s", notification.pk, error)
        else:
            _sent(email)
    return len(owed)


@transaction.atomic
def notification_settings_set(
    *, user, in_app: bool, email: bool, push: bool = True
) -> NotificationSettings:
    """A person chooses how they hear of things."""
    choice, _created = NotificationSettings.objects.update_or_create(
        user=user, defaults={"in_app": in_app, "email": email, "push": push}
    )
    return choice


# Web Push --------------------------------------------------------------------------------


MAX_PUSH_SUBSCRIPTIONS = 10


def _b64url(value: str, size: int, field: str) -> None:
    import base64
    import binascii

    try:
        padded = (value + "=" * (-len(value) % 4)).replace("-", "+").replace("_", "/")
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raw = b""
    if len(raw) != size or (field == "p256dh" and raw[:1] != b"\x04"):
        raise ValidationError(
            {field: _("This is not a valid key of this browser's push subscription.")}
        )


def _check_endpoint(endpoint: str) -> None:
    """The server will POST to this address, so it must be a browser vendor's push
    service (`PUSH_SERVICE_HOSTS`), never an address inside our own network; plain
    http to loopback only where `PUSH_ALLOW_LOOPBACK` says so (tests, development)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(endpoint or "")
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        host, port, parts = "", None, None
    loopback = host in {"localhost", "127.0.0.1", "::1"}
    if not endpoint or len(endpoint) > 500 or not host:
        raise ValidationError({"endpoint": _("A push endpoint is an https:// address.")})
    if loopback and settings.PUSH_ALLOW_LOOPBACK and parts.scheme in ("http", "https"):
        return
    if parts.scheme != "https":
        raise ValidationError({"endpoint": _("A push endpoint is an https:// address.")})
    vendor = any(
        host == allowed or host.endswith("." + allowed) for allowed in settings.PUSH_SERVICE_HOSTS
    )
    if not vendor or port not in (None, 443):
        raise ValidationError(
            {"endpoint": _("This is not the address of a browser's push service.")}
        )


@transaction.atomic
def push_subscribe(*, user, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Remember a browser's push subscription for this person (a browser that signs in
    as someone else moves to them)."""
    _check_endpoint(endpoint)
    _b64url(p256dh or "", 65, "p256dh")
    _b64url(auth or "", 16, "auth")
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
    )
    # A person has a few browsers, not hundreds: the oldest go.
    stale = PushSubscription.objects.filter(user=user).order_by("-created_at", "-pk")[
        MAX_PUSH_SUBSCRIPTIONS:
    ]
    PushSubscription.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return subscription


@transaction.atomic
def push_unsubscribe(*, user, endpoint: str) -> int:
    """Forget a browser's subscription; return how many were removed."""
    deleted, _per_model = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted


def pushes_send(*, batch: int = 200) -> int:
    """Send the pushes owed, batch after batch; return how many were handled."""
    return _in_batches(_send_push_batch, batch=batch)


def _send_push_batch(*, batch: int) -> int:
    """Send one batch of owed pushes, encrypted for each browser (RFC 8291) and signed
    with the server's VAPID key. A push service that answers 404 or 410 says the
    subscription is gone: it is deleted, with whatever else it was owed."""
    import json

    import requests
    from pywebpush import WebPushException, webpush

    session = requests.Session()
    session.max_redirects = 0  # a push service answers; it never sends us elsewhere
    session.trust_env = False  # and no proxy from the environment stands in between
    owed = _claim(PushOutbox, batch=batch, related=("notification", "subscription"))
    gone = set()
    for push in owed:
        if push.subscription_id in gone:
            continue
        notification, subscription = push.notification, push.subscription
        payload = json.dumps(
            {"title": "Spaces", "body": notification.text, "url": notification.url}
        )
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=payload,
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                ttl=3600,
                timeout=5,
                requests_session=session,
            )
        except WebPushException as error:
            if getattr(error.response, "status_code", None) in (404, 410):
                gone.add(subscription.pk)
                PushSubscription.objects.filter(pk=subscription.pk).delete()
            else:
                _failed(push, error.message)
        except Exception as error:
            _failed(push, error)
        else:
            _sent(push)
    return len(owed)


@transaction.atomic
def followers_notify_live(*, space_id: int, after_user_id: int = 0, batch: int = BATCH) -> int:
    """Tell one batch of the host's followers that the Space is live; returns the last
    follower id done (0 when there are no more). Safe to run twice: a follower is told
    once per Space (a unique constraint), and only the ones not yet told are sent."""
    space = Space.objects.select_related("host").get(pk=space_id)
    if not space.is_live:
        return 0
    followers = list(
        User.objects.filter(
            pk__in=Follow.objects.filter(followee_id=space.host_id).values("follower_id"),
            pk__gt=after_user_id,
        ).order_by("pk")[:batch]
    )
    # Those with a reminder hear from it instead.
    reminded = set(
        Reminder.objects.filter(space=space, user__in=followers).values_list("user_id", flat=True)
    )
    if not followers:
        return 0
    told = set(
        Notification.objects.filter(
            space=space, kind=Notification.Kind.LIVE, user__in=followers
        ).values_list("user_id", flat=True)
    )
    notifications_send(
        users=[f for f in followers if f.pk not in told and f.pk not in reminded],
        kind=Notification.Kind.LIVE,
        space=space,
        text=lambda user: (
            _("%(name)s is live: “%(title)s”.") % {"name": space.host.name, "title": space.title}
        ),
    )
    return followers[-1].pk if len(followers) == batch else 0


def space_went_live(*, space: Space) -> None:
    """Called when a Space starts (also early): reminders for it fall due now, and the
    followers' fan-out task is queued once the start commits."""
    from scheduling.tasks import notify_followers

    pending = Reminder.objects.filter(space=space, sent_at__isnull=True)
    # The host started it: their own reminders have nothing left to say.
    pending.filter(user_id=space.host_id).delete()
    pending.update(due_at=timezone.now())
    notify_followers.delay_on_commit(space.pk)
    promotion = Promotion.objects.filter(space=space, tweet_on_start=True).first()
    if promotion is not None:
        _tweet_live(space)


def _tweet_live(space: Space) -> None:
    """The host asked for it when scheduling: a tweet with the link as the Space starts."""
    from scheduling.promo import site_link
    from timeline.services import tweet_create

    with translation.override(space.host.language or settings.LANGUAGE_CODE):
        text = _("We're live: “%(title)s” %(link)s") % {
            "title": space.title,
            "link": site_link(space),
        }
    try:
        with transaction.atomic():
            tweet_create(author=space.host, text=text)
    except ValidationError:
        # A rate limit must not keep the Space from starting; the host can tweet by hand.
        logger.warning("Could not tweet the start of Space %s", space.pk)


@transaction.atomic
def notifications_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one notification, or all of them, as read; return how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
