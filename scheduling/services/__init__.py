"""Writes for scheduled Spaces, by concern: `schedule` (schedule, edit, cancel, co-hosts,
not held), `reminders` (set, remove, deliver) and `promotion` (promo card, going live).
The public names are here, so that `scheduling.services.space_schedule(...)` works."""

from scheduling.services.promotion import (
    followers_notify_live,
    promo_card_render,
    space_went_live,
)
from scheduling.services.reminders import reminder_remove, reminder_set, reminders_deliver
from scheduling.services.schedule import (
    local_to_utc,
    not_held_after,
    space_cancel,
    space_reschedule,
    space_schedule,
    spaces_mark_not_held,
)

__all__ = [
    "followers_notify_live",
    "local_to_utc",
    "not_held_after",
    "promo_card_render",
    "reminder_remove",
    "reminder_set",
    "reminders_deliver",
    "space_cancel",
    "space_reschedule",
    "space_schedule",
    "space_went_live",
    "spaces_mark_not_held",
]
