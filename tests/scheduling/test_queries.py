"""Query counts pinned on the scheduling selectors: the same number for few and many rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling import selectors, services


@pytest.mark.parametrize("count", [2, 5])
def test_upcoming_hosted_is_two_queries(count, host, django_assert_num_queries):
    for n in range(count):
        services.space_schedule(
            host=host,
            title=f"Show {n}",
            starts_at=timezone.now() + timedelta(hours=n + 1),
            topics=[f"t{n}", "shared"],
        )

    with django_assert_num_queries(2):
        cards = [
            (space.title, space.host.name, [t.name for t in space.topics.all()])
            for space in selectors.upcoming_hosted(host)
        ]

    assert [card[0] for card in cards] == [f"Show {n}" for n in range(count)]
