"""Real concurrency for the PostgreSQL race tests."""

import threading

from django.db import connections


def at_once(*calls, timeout: float = 60) -> list:
    """Run the calls in threads released together; return what each returned or raised,
    in order. Each thread closes its own database connections."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
