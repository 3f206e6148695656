import logging

import redis.exceptions

from core.logging import OutageOneLiner


def _record(error):
    try:
        raise error
    except Exception as exc:
        return logging.LogRecord(
            "channels_redis.pubsub",
            logging.ERROR,
            __file__,
            1,
            "Unexpected exception in receive task",
            (),
            (type(exc), exc, exc.__traceback__),
        )


def test_a_lost_redis_connection_is_one_line_without_a_traceback():
    record = _record(redis.exceptions.ConnectionError("Connection closed by server."))

    assert OutageOneLiner().filter(record)

    assert record.exc_info is None
    assert logging.Formatter().format(record) == (
        "Unexpected exception in receive task: ConnectionError: Connection closed by server."
    )
    assert record.levelname == "WARNING"


def test_other_errors_keep_their_traceback():
    record = _record(ValueError("a bug"))

    OutageOneLiner().filter(record)

    assert record.exc_info is not None
    assert "Traceback" in logging.Formatter().format(record)
