from channels.consumer import get_handler_name


class FanOutEventsMixin:
    """Skip Channels' per-message database clean-up for events that touch no database.

    Channels closes stale database connections before every message it dispatches, a
    hop to a worker thread and back. Events fanned out to thousands of sockets (room
    events, live-bar refreshes) never query the database, so that hop is pure cost;
    `database_sync_to_async` still cleans up around every query the consumer does make.
    """

    fan_out_events: frozenset[str] = frozenset()

    async def dispatch(self, message):
        if message["type"] in self.fan_out_events:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)
