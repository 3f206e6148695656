"""Reads for accounts: profiles, relationships and follower lists."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import Block, Follow, User


def user_get_by_handle(handle: str) -> User:
    """The active account with this handle, whatever its case, or 404."""
    try:
        return User.objects.get(handle__iexact=handle, is_active=True)
    except User.DoesNotExist:
        raise Http404("No such account.") from None


def is_blocked_between(a: User, b: User) -> bool:
    """Whether either person blocked the other."""
    if not (a.is_authenticated and b.is_authenticated):
        return False
    return Block.objects.filter(Q(blocker=a, blocked=b) | Q(blocker=b, blocked=a)).exists()


def hidden_user_ids(viewer) -> QuerySet:
    """Ids of accounts the viewer must not see: blocked by the viewer or blocking them."""
    if not viewer.is_authenticated:
        return User.objects.none().values("pk")
    return User.objects.filter(
        Q(blocked_by_set__blocker=viewer) | Q(blocking_set__blocked=viewer)
    ).values("pk")


def with_counts(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        followers_count=Count("follower_set", distinct=True),
        following_count=Count("following_set", distinct=True),
    )


def with_relationship(queryset: QuerySet, viewer) -> QuerySet:
    """Annotate each user with how the viewer relates to them."""
    if not viewer.is_authenticated:
        return queryset
    return queryset.annotate(
        viewer_follows=Exists(Follow.objects.filter(follower=viewer, followee=OuterRef("pk"))),
        follows_viewer=Exists(Follow.objects.filter(follower=OuterRef("pk"), followee=viewer)),
        viewer_blocked=Exists(Block.objects.filter(blocker=viewer, blocked=OuterRef("pk"))),
        blocked_viewer=Exists(Block.objects.filter(blocker=OuterRef("pk"), blocked=viewer)),
    )


def profile_get(*, handle: str, viewer) -> User:
    """A profile with its counts and the viewer's relationship to it, in one query."""
    queryset = with_relationship(with_counts(User.objects.filter(is_active=True)), viewer)
    try:
        return queryset.get(handle__iexact=handle)
    except User.DoesNotExist:
        raise Http404("No such account.") from None


def followers_list(*, user: User, viewer, limit: int = 200) -> list[User]:
    """People who follow `user`, newest first, hiding those the viewer must not see."""
    queryset = User.objects.filter(following_set__followee=user, is_active=True).exclude(
        pk__in=hidden_user_ids(viewer)
    )
    return list(with_relationship(queryset, viewer).order_by("-following_set__created_at")[:limit])


def following_list(*, user: User, viewer, limit: int = 200) -> list[User]:
    """People `user` follows, newest first, hiding those the viewer must not see."""
    queryset = User.objects.filter(follower_set__follower=user, is_active=True).exclude(
        pk__in=hidden_user_ids(viewer)
    )
    return list(with_relationship(queryset, viewer).order_by("-follower_set__created_at")[:limit])
