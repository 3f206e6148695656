"""Notifications: what a person should know, the channels they chose, and the email and
push messages owed for each (outboxes written in the notification's transaction)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rooms.models import Space


class Notification(models.Model):
    """Something a person should know, kept for the notifications page and the bell."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        HOST_SOON = "host_soon", _("Your Space starts soon")
        LIVE = "live", _("Live now")
        CHANGED = "changed", _("Space changed")
        CANCELLED = "cancelled", _("Space cancelled")
        NOT_HELD = "not_held", _("Space not held")
        RECORDING_FAILED = "rec_failed", _("Recording failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=200, blank=True)
    space = models.ForeignKey(
        Space, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="unread"),
        ]
        constraints = [
            # A follower hears once that a Space went live, however often the task runs.
            models.UniqueConstraint(
                fields=["user", "space"], condition=Q(kind="live"), name="one_live_alert"
            )
        ]

    def __str__(self):
        return self.text


class NotificationSettings(models.Model):
    """Which channels a person wants notifications through (all on until they choose)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    in_app = models.BooleanField(_("in the app (the bell, live)"), default=True)
    email = models.BooleanField(_("by email"), default=True)
    push = models.BooleanField(_("by push notification"), default=True)

    def __str__(self):
        return f"Notification settings of {self.user_id}"


class Outbox(models.Model):
    """A message owed for a notification: written with the notification, in the same
    transaction, and sent by a task that claims it (notifications.services._claim), so that
    none is lost."""

    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before: a failed attempt waits longer each time (SMTP may be down a while).
    retry_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


class EmailOutbox(Outbox):
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="email"
    )

    class Meta:
        indexes = [
            models.Index(fields=["retry_at"], condition=Q(sent_at__isnull=True), name="email_due")
        ]

    def __str__(self):
        return f"Email for notification {self.notification_id}"


class PushSubscription(models.Model):
    """A browser that agreed to Web Push: where to send, and the keys to encrypt with."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=500, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.endpoint


class PushOutbox(Outbox):
    """A push owed to one browser for a notification."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        PushSubscription, on_delete=models.CASCADE, related_name="outbox"
    )

    class Meta:
        indexes = [
            models.Index(fields=["retry_at"], condition=Q(sent_at__isnull=True), name="push_due")
        ]

    def __str__(self):
        return f"Push for notification {self.notification_id}"
