"""Server-side render time and query count of the home timeline and a profile page.

Budget (DESIGN §8): under 50 ms at p95 with a constant number of queries. Runs on
a throwaway test database (SQLite by default, PostgreSQL when DATABASE_URL says so).
"""

import copy
import statistics
import time

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext, setup_test_environment

FOLLOWED = 50
TWEETS_PER_PERSON = 40
ROUNDS = 200


def _seed():
    from accounts.models import Follow, User
    from timeline.models import Tweet

    reader = User.objects.create_user("reader", "reader@example.com", "x" * 12)
    people = [
        User(handle=f"person{n}", email=f"person{n}@example.com", display_name=f"Person {n}")
        for n in range(FOLLOWED)
    ]
    User.objects.bulk_create(people)
    people = list(User.objects.exclude(pk=reader.pk))
    Follow.objects.bulk_create([Follow(follower=reader, followee=p) for p in people])
    Tweet.objects.bulk_create(
        [
            Tweet(author=p, text=f"Tweet {n} by @{p.handle} https://example.com/{n}")
            for p in people
            for n in range(TWEETS_PER_PERSON)
        ]
    )
    return reader


def _measure(client, url):
    client.get(url)  # warm up templates and caches
    connection.queries_log.clear()  # a full log (maxlen) would make the count read 0
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    return (
        f"{url:<12} p50 {statistics.median(timings):6.1f} ms   p95 {p95:6.1f} ms   "
        f"{len(queries)} queries   ({ROUNDS} renders)"
    )


def _production_templates():
    """The cached template loader, as production (DEBUG off) uses it."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["APP_DIRS"] = False
    templates[0]["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.cached.Loader",
            [
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        )
    ]
    return templates


@override_settings(TEMPLATES=_production_templates())
def run():
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        reader = _seed()
        client = Client()
        client.force_login(reader)
        return [
            f"{FOLLOWED} followed accounts, {FOLLOWED * TWEETS_PER_PERSON} tweets, "
            f"database {connection.vendor}",
            _measure(client, "/"),
            _measure(client, "/@person7/"),
        ]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
