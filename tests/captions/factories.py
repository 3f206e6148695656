"""Stored captions for tests: rows as caption_segment_add makes them (its checks of a
live Space with captions on are tested with the service itself)."""

from datetime import UTC, datetime, timedelta

import factory

from captions.models import CaptionSegment


class CaptionSegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaptionSegment

    speaker_name = factory.LazyAttribute(lambda s: s.speaker.name if s.speaker else "Someone")
    language = "en"
    text = factory.Sequence(lambda n: f"Phrase number {n}")
    started_at = factory.LazyAttribute(lambda s: s.space.started_at)
    ended_at = factory.LazyAttribute(lambda s: s.started_at + timedelta(seconds=2))


def said(space, speaker, text: str, *, at: float, until: float, epoch: float | None = None):
    """A phrase `speaker` said from `at` to `until` seconds after `epoch` (default: when
    the Space started)."""
    zero = epoch if epoch is not None else space.started_at.timestamp()
    return CaptionSegmentFactory(
        space=space,
        speaker=speaker,
        text=text,
        started_at=datetime.fromtimestamp(zero + at, tz=UTC),
        ended_at=datetime.fromtimestamp(zero + until, tz=UTC),
    )
