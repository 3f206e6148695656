"""The services the captions worker calls: what is stored and sent, and when not."""

from datetime import timedelta

import pytest

from captions.models import CaptionSegment
from captions.services import caption_partial_send, caption_segment_add, captions_set
from rooms import services as rooms
from rooms.models import Participant


@pytest.fixture
def space(db, host):
    space = rooms.space_create(host=host, title="Captioned", captions_language="en")
    captions_set(space=space, actor=host, enabled=True)
    return space


def phrase(space, seat, *, started_at, key="k1", text="the last words"):
    return caption_segment_add(
        space_id=space.pk,
        participant_id=seat.pk,
        key=key,
        text=text,
        started_at=started_at,
        ended_at=started_at + timedelta(seconds=2),
        language="en",
    )


def test_the_last_phrase_before_the_end_is_stored(space, host):
    seat = Participant.objects.get(space=space, user=host)
    space = rooms.space_end(space=space, actor=host)
    # The worker finishes the phrase when it learns of the end, a moment after it.
    stored = phrase(space, seat, started_at=space.ended_at - timedelta(seconds=1))

    assert stored is not None
    assert list(CaptionSegment.objects.values_list("text", flat=True)) == ["the last words"]


def test_a_phrase_that_started_after_the_end_is_not_stored(space, host):
    seat = Participant.objects.get(space=space, user=host)
    space = rooms.space_end(space=space, actor=host)

    assert phrase(space, seat, started_at=space.ended_at + timedelta(seconds=30)) is None
    assert not CaptionSegment.objects.exists()


def test_after_the_end_nothing_is_shown_as_being_spoken(space, host):
    seat = Participant.objects.get(space=space, user=host)
    space = rooms.space_end(space=space, actor=host)

    sent = caption_partial_send(
        space_id=space.pk,
        participant_id=seat.pk,
        key="k1",
        text="the last",
        started_at=space.ended_at - timedelta(seconds=1),
    )

    assert sent is False


def test_a_space_that_ended_with_captions_off_stores_nothing(space, host):
    seat = Participant.objects.get(space=space, user=host)
    captions_set(space=space, actor=host, enabled=False)
    space = rooms.space_end(space=space, actor=host)

    assert phrase(space, seat, started_at=space.ended_at - timedelta(seconds=1)) is None
