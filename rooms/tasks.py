from celery import shared_task

from rooms import events, services


@shared_task(acks_late=True)
def sweep_presence():
    """Let go of participants whose page went silent (every 10 s from beat)."""
    return services.presence_sweep()


@shared_task(acks_late=True)
def end_when_host_away():
    """Warn, then end, the Spaces whose host has been away (every 10 s from beat)."""
    return services.host_away_check()


@shared_task(acks_late=True)
def refresh_live_bar_counts():
    """Refresh the live bars of Spaces whose audience changed (every 30 s from beat)."""
    return services.live_bar_counts_refresh()


@shared_task(acks_late=True)
def notify_live_bars(space_id, space_code, host_id, subject_ids, after=0):
    """Tell one batch of live bars that a Space changed (the service queues the next)."""
    events.live_bars_changed(
        space_id=space_id,
        space_code=space_code,
        host_id=host_id,
        subject_ids=subject_ids,
        after=after,
        batch=events.LIVE_BAR_BATCH,
    )
