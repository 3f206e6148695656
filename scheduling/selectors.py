"""Reads for reminders and scheduled Spaces."""

from django.db.models import Count, F

from rooms.models import Space
from scheduling.models import Reminder


def reminder_count(space) -> int:
    """How many people (the host aside) will be reminded when the Space starts."""
    return (
        Reminder.objects.filter(space=space, kind=Reminder.Kind.START)
        .exclude(user_id=space.host_id)
        .count()
    )


def reminded_space_ids(user, spaces) -> set[int]:
    """Which of these Spaces the person has a reminder for (one query for a whole list)."""
    if not user.is_authenticated:
        return set()
    return set(
        Reminder.objects.filter(
            user=user, kind=Reminder.Kind.START, space__in=[s.pk for s in spaces]
        ).values_list("space_id", flat=True)
    )


def upcoming_hosted(user) -> list:
    """The person's scheduled Spaces, soonest first, with their topics (two queries)."""
    return list(
        Space.objects.filter(host=user, state=Space.State.SCHEDULED)
        .select_related("host")
        .prefetch_related("topics")
        .order_by("scheduled_for")[:10]
    )


def reminder_counts(spaces) -> dict[int, int]:
    """People (hosts aside) with a reminder, per Space, for a list of Spaces."""
    rows = (
        Reminder.objects.filter(space__in=[s.pk for s in spaces], kind=Reminder.Kind.START)
        .exclude(user_id=F("space__host_id"))
        .values("space_id")
        .annotate(count=Count("pk"))
    )
    return {row["space_id"]: row["count"] for row in rows}
