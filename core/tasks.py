from celery import shared_task
from django.core import management


@shared_task(acks_late=True)
def clear_sessions():
    """Delete expired sessions, which Django otherwise keeps for ever (hourly from beat)."""
    management.call_command("clearsessions")
