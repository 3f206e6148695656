"""Writes for accounts: profiles, follows, blocks and API tokens."""

from allauth.account.adapter import get_adapter
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts.images import avatar_from_upload
from accounts.models import Block, Follow, User
from accounts.selectors import is_blocked_between
from core.ratelimit import RateLimited


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str,
    bio: str,
    avatar=None,
    remove_avatar: bool = False,
    time_zone: str | None = None,
) -> User:
    """Change a person's display name, bio, time zone and avatar (re-encoded by Pillow)."""
    user.display_name = display_name.strip()
    user.bio = bio.strip()
    if time_zone is not None:
        user.time_zone = time_zone
    user.full_clean(exclude=["password", "avatar"])
    # Validate and re-encode before anything is written to storage.
    content = avatar_from_upload(avatar) if avatar is not None else None
    old_avatar = user.avatar.name if user.avatar else ""
    if content is not None:
        user.avatar.save(content.name, content, save=False)
    elif remove_avatar:
        user.avatar = ""
    user.save()
    if old_avatar and old_avatar != (user.avatar.name if user.avatar else ""):
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user


def user_set_language(*, user: User, language: str) -> None:
    """Remember a person's interface language."""
    user.language = language
    user.save(update_fields=["language"])


@transaction.atomic
def follow_create(*, follower: User, followee: User) -> Follow:
    """Follow someone; refuses oneself and anyone on either side of a block."""
    if follower.pk == followee.pk:
        raise ValidationError(_("You cannot follow yourself."), code="follow_self")
    if is_blocked_between(follower, followee):
        raise ValidationError(
            _("You cannot follow @%(handle)s.") % {"handle": followee.handle},
            code="follow_blocked",
        )
    try:
        with transaction.atomic():
            follow, _created = Follow.objects.get_or_create(follower=follower, followee=followee)
    except IntegrityError:
        # Two requests raced to create the same follow: the other one won.
        follow = Follow.objects.get(follower=follower, followee=followee)
    return follow


@transaction.atomic
def follow_delete(*, follower: User, followee: User) -> None:
    """Stop following someone (nothing happens if one did not)."""
    Follow.objects.filter(follower=follower, followee=followee).delete()


@transaction.atomic
def block_create(*, blocker: User, blocked: User) -> Block:
    """Block someone: follows are removed both ways and each stops seeing the other."""
    if blocker.pk == blocked.pk:
        raise ValidationError(_("You cannot block yourself."), code="block_self")
    block, _created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    Follow.objects.filter(follower=blocker, followee=blocked).delete()
    Follow.objects.filter(follower=blocked, followee=blocker).delete()
    return block


@transaction.atomic
def block_delete(*, blocker: User, blocked: User) -> None:
    """Unblock someone; follows that the block removed stay removed."""
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()


def token_issue(*, request, login: str, password: str) -> str:
    """An API token for an email (or handle) and password. Failures count towards the
    sign-in form's own lockout (allauth's "login_failed", per account and per address), and
    no token is given while it holds: one lockout for both ways in."""
    login = login.strip()
    if "@" not in login:
        # The form signs in by email and keys its lockout on it: key on the same.
        person = User.objects.filter(handle__iexact=login).only("email").first()
        login = person.email if person is not None else login
    adapter = get_adapter(request)
    try:
        user = adapter.authenticate(request, email=login, password=password)
    except ValidationError as error:  # allauth's lockout
        raise RateLimited(" ".join(error.messages), code="too_many_login_attempts") from None
    if user is None:
        raise adapter.validation_error("email_password_mismatch")
    token, _created = Token.objects.get_or_create(user=user)
    return token.key
