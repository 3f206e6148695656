from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.module_loading import import_string

from core.tasks import clear_sessions
from spaces_site.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_it_deletes_expired_sessions_and_keeps_live_ones():
    expired, live = SessionStore(), SessionStore()
    expired.create()
    live.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    clear_sessions.delay()

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_beat_runs_it():
    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]

    assert entries.count("core.tasks.clear_sessions") == 1


# Every task that a service queues by its path (core.tasks.enqueue, enqueue_on_commit).
ENQUEUED = [
    "notifications.tasks.send_emails",
    "notifications.tasks.send_pushes",
    "scheduling.tasks.notify_followers",
    "scheduling.tasks.render_promo_card",
]


@pytest.mark.parametrize(
    "path", ENQUEUED + [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
)
def test_each_task_named_by_a_service_or_beat_is_a_registered_task(path):
    task = import_string(path)  # a worker imports the tasks modules the same way

    assert (task.name, path in celery_app.tasks) == (path, True)
