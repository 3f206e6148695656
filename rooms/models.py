import secrets
import string
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rooms.errors import SpaceError

CODE_ALPHABET = string.ascii_letters + string.digits
TITLE_MAX_LENGTH = 70
MAX_TOPICS = 3
MAX_COHOSTS = 2
MAX_SPEAKERS = 10
MAX_PINS = 3
REACTIONS = ["💯", "👏", "❤️", "😂", "🙏", "✊", "👋", "➕", "✋"]


def new_space_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


class Topic(models.Model):
    name = models.CharField(_("topic"), max_length=30, unique=True)

    def __str__(self):
        return self.name


class Space(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        LIVE = "live", _("Live")
        ENDED = "ended", _("Ended")
        CANCELLED = "cancelled", _("Cancelled")
        # Scheduled but never started: let go some time after its start (scheduling/).
        NOT_HELD = "not_held", _("Not held")

    class SpeakPolicy(models.TextChoices):
        EVERYONE = "everyone", _("Everyone")
        FOLLOWED = "followed", _("People you follow")
        INVITED = "invited", _("Only people you invite")

    code = models.CharField(max_length=12, unique=True, default=new_space_code, editable=False)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    topics = models.ManyToManyField(Topic, blank=True, related_name="spaces")
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_spaces"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    speak_policy = models.CharField(
        _("who can request to speak"),
        max_length=10,
        choices=SpeakPolicy.choices,
        default=SpeakPolicy.EVERYONE,
    )
    record = models.BooleanField(_("record this Space"), default=False)
    # Set by the recordings app when the egress could not write: the host's page says so,
    # after a reload too. The Space goes on.
    recording_failed = models.BooleanField(default=False, editable=False)
    captions = models.BooleanField(_("captions"), default=False)
    # What the captions worker listens for (docs/captions.md): set from the host's language
    # when the Space is made, changed by the host.
    captions_language = models.CharField(
        _("caption language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # When the Space ends by itself because its host has been away (the room was told).
    ending_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The number of the last real-time event sent for this Space (DESIGN §3).
    seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["state", "-started_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("rooms:space", kwargs={"code": self.code})

    @staticmethod
    def caption_language_for(host, language: str = "") -> str:
        """The caption language asked for, else the host's own, else the site's."""
        known = {code for code, _name in settings.LANGUAGES}
        for choice in (language, getattr(host, "language", ""), settings.LANGUAGE_CODE):
            if choice in known:
                return choice
        return "en"

    @staticmethod
    def clean_title(value) -> str:
        """The one rule for a Space's title, for creating and editing alike (every interface):
        one line of text, 1 to TITLE_MAX_LENGTH characters, without surrounding spaces."""
        title = (value or "").strip()
        if not title:
            raise ValidationError(gettext("Give your Space a title."), code="title_empty")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in title):
            raise ValidationError(gettext("A title is one line of text."), code="title_lines")
        if len(title) > TITLE_MAX_LENGTH:
            raise ValidationError(
                gettext("A title is at most %(max)s characters; this one has %(count)s.")
                % {"max": TITLE_MAX_LENGTH, "count": len(title)},
                code="title_too_long",
            )
        return title

    @staticmethod
    def clean_topics(names: Iterable[str]) -> list[str]:
        """Normalise topic names: trimmed, no '#', lower case, unique, at most three."""
        topics = []
        for name in names:
            name = name.strip().lstrip("#").strip().lower()
            if name and name not in topics:
                topics.append(name)
        if len(topics) > MAX_TOPICS:
            raise SpaceError(
                {"topics": gettext("A Space has at most %(n)s topics.") % {"n": MAX_TOPICS}},
            )
        if any(len(name) > 30 for name in topics):
            raise SpaceError({"topics": gettext("A topic is at most 30 characters.")})
        return topics

    def clean(self):
        try:
            self.title = self.clean_title(self.title)
        except ValidationError as error:
            raise ValidationError({"title": error}) from None

    @property
    def group_name(self) -> str:
        return f"space-{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.state == self.State.LIVE

    @property
    def is_over(self) -> bool:
        return self.state in (self.State.ENDED, self.State.CANCELLED, self.State.NOT_HELD)


class Participant(models.Model):
    class Role(models.TextChoices):
        HOST = "host", _("Host")
        COHOST = "cohost", _("Co-host")
        SPEAKER = "speaker", _("Speaker")
        LISTENER = "listener", _("Listener")

    STAGE_ROLES = (Role.HOST, Role.COHOST, Role.SPEAKER)
    MODERATOR_ROLES = (Role.HOST, Role.COHOST)

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="participations",
    )
    # An anonymous browser's signed identity (kept in its session), never shown.
    anon_id = models.CharField(max_length=32, blank=True, default="")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.LISTENER)
    listed = models.BooleanField(default=False)
    hand_raised_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    muted_by_host = models.BooleanField(default=False)
    self_muted = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # Removed by a host or co-host: this person or browser cannot come back to this Space.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["space", "user"], condition=Q(user__isnull=False), name="one_seat_per_user"
            ),
            models.UniqueConstraint(
                fields=["space", "anon_id"], condition=~Q(anon_id=""), name="one_seat_per_anon"
            ),
            models.UniqueConstraint(
                fields=["space"], condition=Q(role="host"), name="one_host_per_space"
            ),
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(anon_id=""))
                | (Q(user__isnull=True) & ~Q(anon_id="")),
                name="participant_user_or_anon",
            ),
        ]
        indexes = [models.Index(fields=["space", "left_at", "role"])]

    def __str__(self):
        return f"{self.user or 'anonymous'} in {self.space_id} as {self.role}"

    @property
    def on_stage(self) -> bool:
        return self.role in self.STAGE_ROLES

    @property
    def is_moderator(self) -> bool:
        return self.role in self.MODERATOR_ROLES

    def to_stage(self, role: str) -> None:
        """Come up to the stage in this role, muted: everyone unmutes when ready."""
        self.role = role
        self.hand_raised_at = None
        self.invited_at = None
        self.muted_by_host = False
        self.self_muted = True
        self.listed = True
        self.save()

    def to_audience(self) -> None:
        """Go back to listening, with no hand raised, invitation or microphone."""
        self.role = self.Role.LISTENER
        self.hand_raised_at = None
        self.invited_at = None
        self.muted_by_host = False
        self.self_muted = True
        self.save()


class SpaceBan(models.Model):
    """Someone removed and banned from every Space of one host."""

    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="space_bans"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="space_banned_by"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["host", "user"], name="ban_once")]

    def __str__(self):
        return f"{self.user} banned from {self.host}'s Spaces"


class PinnedTweet(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="pins")
    tweet = models.ForeignKey("timeline.Tweet", on_delete=models.CASCADE, related_name="pins")
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    pinned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["space", "tweet"], name="pin_once")]
        ordering = ["pinned_at"]

    def __str__(self):
        return f"{self.tweet_id} pinned in {self.space_id}"


class ReactionTally(models.Model):
    """Reactions per Space, minute and emoji, for analytics."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="reaction_tallies")
    minute = models.DateTimeField()
    emoji = models.CharField(max_length=8)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "minute", "emoji"], name="tally_once")
        ]

    def __str__(self):
        return f"{self.emoji}×{self.count} in {self.space_id} at {self.minute:%H:%M}"
