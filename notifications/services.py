"""Writes for notifications: store them, ring every open page, and send the emails and
Web Push messages they owe.

A notification and the messages it owes (the outboxes) are written in one transaction;
the send tasks then claim the owed rows, so that no message is lost when a worker or
the broker goes away (see `_claim`)."""

import base64
import binascii
import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pywebpush import WebPushException, webpush

from accounts.models import User
from core.batches import in_batches
from core.events import broadcast_many_on_commit
from core.tasks import enqueue_on_commit
from notifications.models import (
    EmailOutbox,
    Notification,
    NotificationSettings,
    PushOutbox,
    PushSubscription,
)
from rooms.models import Space

logger = logging.getLogger(__name__)


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
    notifications_create(notifications=notifications)
    return len(notifications)


def notifications_create(*, notifications: list[Notification]) -> None:
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
        enqueue_on_commit("notifications.tasks.send_emails")
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
            enqueue_on_commit("notifications.tasks.send_pushes")


def notify_many(notifications) -> None:
    """Deliver stored notifications to every page their people have open, after commit."""
    broadcast_many_on_commit(
        [
            (
                User.group_name_for(n.user_id),
                {
                    "type": "notification.new",
                    "kind": n.kind,
                    "text": n.text,
                    "url": n.url,
                    "data": {"id": n.pk},
                },
            )
            for n in notifications
        ]
    )


@transaction.atomic
def notifications_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one notification, or all of them, as read; return how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_settings_set(
    *, user, in_app: bool, email: bool, push: bool = True
) -> NotificationSettings:
    """A person chooses how they hear of things."""
    choice, _created = NotificationSettings.objects.update_or_create(
        user=user, defaults={"in_app": in_app, "email": email, "push": push}
    )
    return choice


# Email and push sending ------------------------------------------------------------------


def emails_send(*, batch: int = 200) -> int:
    """Send the emails owed, batch after batch; return how many went out."""
    return in_batches(_send_email_batch, batch=batch)


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
                body=render_to_string("notifications/email/notification.txt", context),
                to=[user.email],
            )
            message.attach_alternative(
                render_to_string("notifications/email/notification.html", context), "text/html"
            )
        try:
            message.send()
        except Exception as error:
            _failed(email, error)
            logger.warning("Could not email notification %s: %s", notification.pk, error)
        else:
            _sent(email)
    return len(owed)


# Web Push --------------------------------------------------------------------------------


MAX_PUSH_SUBSCRIPTIONS = 10


def _b64url(value: str, size: int, field: str) -> None:
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
    return in_batches(_send_push_batch, batch=batch)


def _send_push_batch(*, batch: int) -> int:
    """Send one batch of owed pushes, encrypted for each browser (RFC 8291) and signed
    with the server's VAPID key. A push service that answers 404 or 410 says the
    subscription is gone: it is deleted, with whatever else it was owed."""
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
