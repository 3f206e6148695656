"""The live bar as a template tag: the home timeline shows it, and timeline's Python never
imports rooms (timeline is the lower layer)."""

from django import template

from rooms import selectors

register = template.Library()


@register.inclusion_tag("rooms/_live_bar.html", takes_context=True)
def live_bar(context):
    """The live Spaces of the people the viewer follows, as the purple bar of bubbles."""
    return {"live_spaces": selectors.live_bar(context["request"].user)}
