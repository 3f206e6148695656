"""Logging filters: one line per problem."""

import logging

import redis.exceptions


class OutageOneLiner(logging.Filter):
    """A Redis connection lost (Valkey restarting) is expected and recovered from: log it
    as one line naming the error, not a 30-line traceback per process and reconnect."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            if _is_outage(error):
                record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
                record.args = ()
                record.exc_info = None
                record.exc_text = None
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _is_outage(error: BaseException) -> bool:
    return isinstance(
        error,
        redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | ConnectionError,
    )
