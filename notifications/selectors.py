"""Reads for notifications: the bell's count and the notifications page."""

from notifications.models import Notification


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications(user, *, before: int | None = None, limit: int = 30) -> list[Notification]:
    """A person's notifications, newest first, a page at a time (cursor: an id)."""
    rows = Notification.objects.filter(user=user).order_by("-pk")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    return list(rows[:limit])
