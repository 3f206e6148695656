import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import HANDLE_MAX_LENGTH, handle_validators


def validate_time_zone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("Choose a time zone from the list."), code="bad_time_zone")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, handle, email, password=None, **fields):
        user = self.model(handle=handle, email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, handle, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(handle, email, password, **fields)

    def get_by_natural_key(self, handle):
        return self.get(handle__iexact=handle)


class User(AbstractBaseUser, PermissionsMixin):
    handle = models.CharField(
        _("handle"),
        max_length=HANDLE_MAX_LENGTH,
        unique=True,
        validators=handle_validators,
        help_text=_("Up to 15 letters, digits or underscores. Shown as @handle."),
        error_messages={"unique": _("That handle is taken.")},
    )
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    bio = models.CharField(_("bio"), max_length=160, blank=True)
    is_brand = models.BooleanField(
        _("brand account"),
        default=False,
        help_text=_("Brand accounts can run sponsored Spaces and have team members."),
    )
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    # An IANA zone name such as "Europe/Rome"; empty means the browser's (DESIGN §1).
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone]
    )
    # The zone the person's browser last reported: used when they chose none.
    browser_time_zone = models.CharField(max_length=64, blank=True)

    @property
    def zone_name(self) -> str:
        return self.time_zone or self.browser_time_zone

    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "handle"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("handle"), name="user_handle_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return f"@{self.handle}"

    @property
    def name(self) -> str:
        return self.display_name or self.handle

    @property
    def group_name(self) -> str:
        """The channel-layer group of this person's open pages (ws/me/)."""
        return self.group_name_for(self.pk)

    @staticmethod
    def group_name_for(user_id: int) -> str:
        return f"user-{user_id}"

    def get_absolute_url(self):
        return reverse("timeline:profile", kwargs={"handle": self.handle})


class Follow(models.Model):
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_set")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followee")), name="follow_not_self"
            ),
        ]
        indexes = [models.Index(fields=["followee", "-created_at"])]

    def __str__(self):
        return f"{self.follower} follows {self.followee}"


class Block(models.Model):
    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocking_set")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocked_by_set")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="block_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.blocker} blocks {self.blocked}"
