from celery import shared_task
from django.core import management
from django.db import transaction
from django.utils.module_loading import import_string


@shared_task(acks_late=True)
def clear_sessions():
    """Delete expired sessions, which Django otherwise keeps for ever (hourly from beat)."""
    management.call_command("clearsessions")


def enqueue(task: str, *args, **kwargs) -> None:
    """Queue the task at the dotted path `task` now.

    Services name the tasks they queue instead of importing them: a task module imports
    its app's services, so an import the other way would close a cycle. The path is
    resolved when the task is queued, and `tests/core/test_tasks.py` checks every path
    that a service names."""
    import_string(task).delay(*args, **kwargs)


def enqueue_on_commit(task: str, *args, **kwargs) -> None:
    """`enqueue` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
