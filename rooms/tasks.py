from celery import shared_task

from rooms import services


@shared_task(acks_late=True)
def sweep_presence():
    """Let go of participants whose page went silent (every 10 s from beat)."""
    return services.presence_sweep()
