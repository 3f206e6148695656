"""Scheduling's tasks under the names queued before notifications had an app of its own."""

import pytest
from django.core import mail

from notifications.models import EmailOutbox, Notification
from scheduling import tasks  # noqa: F401 (registers the tasks, as the worker does)
from spaces_site.celery import app

pytestmark = pytest.mark.django_db


def test_an_email_sweep_queued_under_its_old_name_still_sends_what_is_owed(fan):
    notification = Notification.objects.create(
        user=fan, kind=Notification.Kind.REMINDER, text="Starting now.", url="/"
    )
    EmailOutbox.objects.create(notification=notification)

    sent = app.tasks["scheduling.tasks.send_emails"].apply().get()

    assert sent == 1
    assert [m.to for m in mail.outbox] == [[fan.email]]
    assert EmailOutbox.objects.get().sent_at is not None


def test_a_push_sweep_queued_under_its_old_name_runs_the_push_sweep():
    assert app.tasks["scheduling.tasks.send_pushes"].apply().get() == 0
