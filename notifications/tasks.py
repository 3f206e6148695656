"""Notifications' Celery tasks: thin, safe to run twice (see notifications.services)."""

from celery import shared_task

from notifications import services


@shared_task
def send_pushes() -> int:
    """Send the Web Push messages that notifications owe (queued after each notification
    commits, and every 30 s from beat for retries and anything a lost task left)."""
    return services.pushes_send()


@shared_task
def send_emails() -> int:
    """Send the emails that notifications owe (queued after each notification commits,
    and every 30 s from beat for retries and anything a lost task left)."""
    return services.emails_send()
