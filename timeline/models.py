from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TWEET_MAX_LENGTH = 280


class Tweet(models.Model):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tweets"
    )
    text = models.TextField(_("text"), validators=[MaxLengthValidator(TWEET_MAX_LENGTH)])
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["author", "-id"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="tweet_text_not_empty"),
        ]

    def __str__(self):
        return f"{self.author}: {self.text[:40]}"

    def get_absolute_url(self):
        return reverse("timeline:tweet", kwargs={"tweet_id": self.pk})
