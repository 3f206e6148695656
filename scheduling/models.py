from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rooms.models import Space


class Reminder(models.Model):
    """Someone wants to hear when a scheduled Space starts; sent once, by the beat scan."""

    class Kind(models.TextChoices):
        START = "start", _("At the start")
        SOON = "soon", _("30 minutes before")  # the host's own

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.START)
    due_at = models.DateTimeField()
    # Set in the same transaction that creates the notification: the claim and the
    # delivery commit together or not at all (see scheduling.services.reminders_deliver).
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "user", "kind"], name="one_reminder_per_kind")
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(sent_at__isnull=True), name="reminder_due")
        ]

    def __str__(self):
        return f"{self.user_id} → {self.space_id} ({self.kind})"


class Promotion(models.Model):
    """How a scheduled Space is promoted: its card image, and the tweet at the start."""

    space = models.OneToOneField(Space, on_delete=models.CASCADE, related_name="promotion")
    card = models.ImageField(upload_to="promo/", blank=True)
    tweet_on_start = models.BooleanField(_("tweet the link when the Space starts"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Promotion of {self.space_id}"
