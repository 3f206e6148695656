"""Each person's channels: in the app (live, the bell) and email, in their language."""

from html.parser import HTMLParser

import pytest
import time_machine
from django.core import mail

from notifications import services
from notifications.models import EmailOutbox, Notification, NotificationSettings
from scheduling import services as scheduling

pytestmark = pytest.mark.django_db


def _due(scheduled, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(scheduled.scheduled_for, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        scheduling.reminders_deliver()


def test_a_reminder_is_emailed_once_in_the_persons_language(
    scheduled, fan, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://spaces.example.com"
    fan.language = "it"
    fan.save()
    scheduling.reminder_set(space=scheduled, user=fan)

    _due(scheduled, django_capture_on_commit_callbacks)
    services.emails_send()  # a second run sends nothing again

    [email] = [m for m in mail.outbox if m.to == [fan.email]]
    assert email.subject == "«Tomorrow's show» sta iniziando."
    assert "Ciao Fran Fan," in email.body
    assert f"https://spaces.example.com/s/{scheduled.code}/" in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html"
    assert "Apri lo Space" in html
    assert EmailOutbox.objects.get(notification__user=fan).sent_at is not None


def test_no_email_for_someone_who_turned_it_off(
    client, scheduled, fan, django_capture_on_commit_callbacks
):
    client.force_login(fan)
    page = client.post("/settings/notifications/", {"in_app": "on"}, follow=True)
    assert "Your notification settings are saved." in page.text
    scheduling.reminder_set(space=scheduled, user=fan)

    _due(scheduled, django_capture_on_commit_callbacks)

    assert [m for m in mail.outbox if m.to == [fan.email]] == []
    assert Notification.objects.filter(user=fan, read_at__isnull=True).count() == 1


def test_in_app_off_keeps_the_notification_but_rings_no_bell(
    scheduled, fan, events, django_capture_on_commit_callbacks
):
    services.notification_settings_set(user=fan, in_app=False, email=True)
    scheduling.reminder_set(space=scheduled, user=fan)

    _due(scheduled, django_capture_on_commit_callbacks)

    [notification] = Notification.objects.filter(user=fan)
    assert notification.read_at is not None
    assert [e for e in events if e[0] == fan.group_name] == []
    assert len([m for m in mail.outbox if m.to == [fan.email]]) == 1


def _checkboxes(html: str) -> dict[str, bool]:
    """Each checkbox of the page, by name: ticked or not, whatever the attributes' order."""
    boxes = {}

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("type") == "checkbox":
                boxes[attrs["name"]] = "checked" in attrs

    Parser().feed(html)
    return boxes


def test_the_settings_page_shows_the_current_choice(client, fan):
    NotificationSettings.objects.create(user=fan, in_app=True, email=False)
    client.force_login(fan)

    page = client.get("/settings/notifications/")

    assert _checkboxes(page.text) == {"in_app": True, "email": False, "push": True}
    form = page.context["form"]
    assert (form["in_app"].value(), form["email"].value(), form["push"].value()) == (
        True,
        False,
        True,
    )


def test_an_smtp_outage_is_retried_later_not_burned_at_once(
    scheduled, fan, monkeypatch, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.core.mail import EmailMultiAlternatives

    scheduling.reminder_set(space=scheduled, user=fan)
    real_send = EmailMultiAlternatives.send

    def down(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", down)
    _due(scheduled, django_capture_on_commit_callbacks)
    services.emails_send()  # the beat's next scan, at once: too soon to try again
    email = EmailOutbox.objects.get(notification__user=fan)
    assert (email.attempts, email.sent_at, email.last_error) == (1, None, "SMTP is down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    with time_machine.travel(scheduled.scheduled_for + timedelta(minutes=2), tick=False):
        services.emails_send()

    email.refresh_from_db()
    assert (email.attempts, email.last_error) == (2, "")
    assert email.sent_at is not None
    assert len([m for m in mail.outbox if m.to == [fan.email]]) == 1
