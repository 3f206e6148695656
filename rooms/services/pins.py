"""Writes for the tweets pinned at the top of a Space."""

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from core.forms import row_id
from rooms import selectors
from rooms.access import access_moderator
from rooms.errors import SpaceError
from rooms.events import emit
from rooms.models import MAX_PINS, PinnedTweet, Space
from rooms.services.space import space_lock
from rooms.signals import pins_changed
from timeline.access import access_tweet


@transaction.atomic
def pin_add(*, space: Space, actor, tweet_id) -> PinnedTweet:
    """A host or co-host pins a tweet at the top of the Space (at most three)."""
    access_moderator(space, actor)
    pk = row_id(tweet_id)
    try:
        if pk is None:
            raise Http404
        tweet = access_tweet(tweet_id=pk, viewer=actor)
    except Http404:
        raise SpaceError(_("There is no such tweet."), code="no_such_tweet") from None
    space_lock(space)
    if space.is_over:
        raise SpaceError(_("This Space has ended."), code="space_ended")
    if PinnedTweet.objects.filter(space=space, tweet=tweet).exists():
        raise SpaceError(_("This tweet is already pinned."), code="already_pinned")
    if PinnedTweet.objects.filter(space=space).count() >= MAX_PINS:
        raise SpaceError(
            _("A Space has at most %(n)s pinned tweets; unpin one first.") % {"n": MAX_PINS},
            code="pins_full",
        )
    pin = PinnedTweet.objects.create(space=space, tweet=tweet, pinned_by=actor)
    pins = selectors.pins(space)
    emit(space, "pins.changed", pins=pins)
    pins_changed.send(sender=None, space=space, pins=pins)
    return pin


@transaction.atomic
def pin_remove(*, space: Space, actor, tweet_id) -> None:
    """A host or co-host unpins a tweet."""
    access_moderator(space, actor)
    pk = row_id(tweet_id)
    deleted = pk is not None and PinnedTweet.objects.filter(space=space, tweet_id=pk).delete()[0]
    if not deleted:
        raise SpaceError(_("This tweet is not pinned."), code="not_pinned")
    pins = selectors.pins(space)
    emit(space, "pins.changed", pins=pins)
    pins_changed.send(sender=None, space=space, pins=pins)
