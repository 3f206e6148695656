"""Writes for promotion: the promo card, and going live (followers told, the automatic
tweet)."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Follow, User
from core.tasks import enqueue_on_commit
from notifications.models import Notification
from notifications.services import notifications_send
from rooms.models import Space
from scheduling.models import Promotion, Reminder
from scheduling.promo import card_png, site_link
from scheduling.services.reminders import BATCH
from timeline.services import tweet_create

logger = logging.getLogger(__name__)


def promo_card_redraw(space: Space) -> None:
    """Draw the Space's promo card again once the change commits (a task: Pillow takes
    its time)."""
    enqueue_on_commit("scheduling.tasks.render_promo_card", space.pk)


def promo_card_render(*, space_id: int) -> Promotion:
    """Draw the Space's promo card and store it, replacing the previous one."""
    space = Space.objects.select_related("host").get(pk=space_id)
    promotion, _created = Promotion.objects.get_or_create(space=space)
    old = promotion.card.name if promotion.card else ""
    promotion.card.save(f"{space.code}.png", ContentFile(card_png(space)), save=False)
    promotion.updated_at = timezone.now()
    promotion.save(update_fields=["card", "updated_at"])
    if old and old != promotion.card.name:
        promotion.card.storage.delete(old)
    return promotion


@transaction.atomic
def followers_notify_live(*, space_id: int, after_user_id: int = 0, batch: int = BATCH) -> int:
    """Tell one batch of the host's followers that the Space is live; returns the last
    follower id done (0 when there are no more). Safe to run twice: a follower is told
    once per Space (a unique constraint), and only the ones not yet told are sent."""
    space = Space.objects.select_related("host").get(pk=space_id)
    if not space.is_live:
        return 0
    followers = list(
        User.objects.filter(
            pk__in=Follow.objects.filter(followee_id=space.host_id).values("follower_id"),
            pk__gt=after_user_id,
        ).order_by("pk")[:batch]
    )
    # Those with a reminder hear from it instead.
    reminded = set(
        Reminder.objects.filter(space=space, user__in=followers).values_list("user_id", flat=True)
    )
    if not followers:
        return 0
    told = set(
        Notification.objects.filter(
            space=space, kind=Notification.Kind.LIVE, user__in=followers
        ).values_list("user_id", flat=True)
    )
    notifications_send(
        users=[f for f in followers if f.pk not in told and f.pk not in reminded],
        kind=Notification.Kind.LIVE,
        space=space,
        text=lambda user: (
            _("%(name)s is live: “%(title)s”.") % {"name": space.host.name, "title": space.title}
        ),
    )
    return followers[-1].pk if len(followers) == batch else 0


def space_went_live(*, space: Space) -> None:
    """Called when a Space starts (also early): reminders for it fall due now, and the
    followers' fan-out task is queued once the start commits."""
    pending = Reminder.objects.filter(space=space, sent_at__isnull=True)
    # The host started it: their own reminders have nothing left to say.
    pending.filter(user_id=space.host_id).delete()
    pending.update(due_at=timezone.now())
    enqueue_on_commit("scheduling.tasks.notify_followers", space.pk)
    promotion = Promotion.objects.filter(space=space, tweet_on_start=True).first()
    if promotion is not None:
        _tweet_live(space)


def _tweet_live(space: Space) -> None:
    """The host asked for it when scheduling: a tweet with the link as the Space starts."""
    with translation.override(space.host.language or settings.LANGUAGE_CODE):
        text = _("We're live: “%(title)s” %(link)s") % {
            "title": space.title,
            "link": site_link(space),
        }
    try:
        with transaction.atomic():
            tweet_create(author=space.host, text=text)
    except ValidationError:
        # A rate limit must not keep the Space from starting; the host can tweet by hand.
        logger.warning("Could not tweet the start of Space %s", space.pk)
