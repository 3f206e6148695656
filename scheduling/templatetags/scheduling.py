from django import template

from scheduling import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def reminded_ids(context, spaces):
    """The ids of these Spaces that the viewer has a reminder for, in one query."""
    return selectors.reminded_space_ids(context["request"].user, spaces)


@register.simple_tag(takes_context=True)
def has_reminder(context, space) -> bool:
    return space.pk in selectors.reminded_space_ids(context["request"].user, [space])


@register.simple_tag
def reminder_count(space):
    return selectors.reminder_count(space)


@register.simple_tag
def upcoming_spaces(person):
    """A host's scheduled Spaces, soonest first, for their profile."""
    return selectors.upcoming_hosted(person)


@register.simple_tag
def reminder_counts(spaces) -> dict[int, int]:
    """How many people set a reminder, for each of these Spaces (one query)."""
    return selectors.reminder_counts(spaces)


@register.filter
def count_for(counts: dict, space) -> int:
    return counts.get(space.pk, 0)
