"""Scheduling's Celery tasks: thin, safe to run twice (see scheduling.services)."""

from celery import shared_task

from notifications import services as notifications
from scheduling import services


@shared_task
def deliver_reminders() -> int:
    """The beat scan, every 30 s: deliver every reminder that is due, exactly once (the
    emails and pushes they owe are notifications' own beat sweep)."""
    return services.reminders_deliver()


@shared_task
def mark_not_held() -> int:
    """The beat scan, every minute: scheduled Spaces never started, long past their time,
    are marked not held and their people told."""
    return services.spaces_mark_not_held()


@shared_task
def render_promo_card(space_id: int) -> None:
    """Draw (or redraw, after an edit) a scheduled Space's promo card."""
    services.promo_card_render(space_id=space_id)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_followers(space_id: int, after_user_id: int = 0) -> None:
    """Tell the host's followers a Space is live, a batch per task run."""
    last = services.followers_notify_live(space_id=space_id, after_user_id=after_user_id)
    if last:
        notify_followers.delay(space_id, last)


# The email and push sweeps moved to notifications.tasks (issue 10). A message queued under
# the old names before an upgrade still runs (the sweep is the same); remove these two
# once a release has gone by.
@shared_task(name="scheduling.tasks.send_emails")
def send_emails_moved() -> int:
    """The email sweep, under its name before the move to notifications."""
    return notifications.emails_send()


@shared_task(name="scheduling.tasks.send_pushes")
def send_pushes_moved() -> int:
    """The push sweep, under its name before the move to notifications."""
    return notifications.pushes_send()
