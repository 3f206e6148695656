import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from PIL import Image

from rooms import services as rooms
from scheduling import services
from scheduling.models import Promotion
from timeline.models import Tweet

pytestmark = pytest.mark.django_db


def test_every_scheduled_space_gets_a_promo_card_served_as_its_link_preview(
    client, host, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        space = services.space_schedule(
            host=host, title="Cards", starts_at=timezone.now() + timedelta(days=1)
        )
    promotion = Promotion.objects.get(space=space)
    first = promotion.card.name

    page = client.get(space.get_absolute_url())
    card = client.get(f"/spaces/{space.code}/card.png")

    assert f'og:image" content="http://testserver/spaces/{space.code}/card.png"' in page.text
    assert card["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(b"".join(card.streaming_content)))
    assert image.size == (1200, 630)
    download = client.get(f"/spaces/{space.code}/card.png?download")
    assert download["Content-Disposition"] == f'attachment; filename="space-{space.code}.png"'

    with django_capture_on_commit_callbacks(execute=True):
        services.space_reschedule(space=space, actor=host, title="Cards, redrawn")
    promotion.refresh_from_db()
    assert promotion.card.name != first  # redrawn after the edit
    assert not promotion.card.storage.exists(first)


def test_the_card_shows_the_time_in_the_hosts_zone(host):
    from scheduling.promo import host_time

    host.time_zone = "America/New_York"
    host.save()
    space = services.space_schedule(
        host=host, title="Zones", starts_at=timezone.now() + timedelta(days=1)
    )
    space.scheduled_for = datetime(2027, 1, 5, 23, 30, tzinfo=UTC)

    assert host_time(space).endswith("6:30 p.m. EST")


def test_the_calendar_file_has_the_event_in_utc(client, scheduled):
    response = client.get(f"/spaces/{scheduled.code}/calendar.ics")

    text = response.content.decode()
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert f"DTSTART:{scheduled.scheduled_for.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n" in text
    assert "SUMMARY:Tomorrow's show\r\n" in text
    assert f"URL:http://testserver/s/{scheduled.code}/\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_calendar_text_is_escaped_and_folded():
    from scheduling.promo import _fold, _ics_text

    assert _ics_text("a, b; c\\d\ne") == "a\\, b\\; c\\\\d\\ne"
    folded = _fold("DESCRIPTION:" + "é" * 80)
    assert all(len(line.encode()) <= 75 for line in folded.split("\r\n "))
    assert folded.replace("\r\n ", "") == "DESCRIPTION:" + "é" * 80


def test_the_host_can_have_the_start_tweeted_with_the_link(host, settings):
    settings.SITE_URL = "https://spaces.example.com"
    space = services.space_schedule(
        host=host,
        title="Tweeted",
        starts_at=timezone.now() + timedelta(hours=1),
        tweet_on_start=True,
    )

    rooms.space_start(space=space, actor=host)

    [tweet] = Tweet.objects.filter(author=host)
    assert tweet.text == f"We're live: “Tweeted” https://spaces.example.com/s/{space.code}/"


def test_no_tweet_unless_asked(scheduled, host):
    rooms.space_start(space=scheduled, actor=host)

    assert not Tweet.objects.exists()


def test_a_missing_card_is_drawn_for_the_answer_without_writing(client, scheduled):
    Promotion.objects.filter(space=scheduled).update(card="")

    card = client.get(f"/spaces/{scheduled.code}/card.png")

    assert card.status_code == 200
    assert card["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(card.content)).size == (1200, 630)
    assert not Promotion.objects.get(space=scheduled).card  # the task stores it, not a GET


def test_a_card_whose_file_is_gone_is_drawn_again_for_the_answer(client, scheduled):
    promotion = services.promo_card_render(space_id=scheduled.pk)
    promotion.card.storage.delete(promotion.card.name)

    card = client.get(f"/spaces/{scheduled.code}/card.png")

    assert card.status_code == 200
    assert Image.open(io.BytesIO(card.content)).size == (1200, 630)


def test_the_card_speaks_the_hosts_language(host):
    from django.utils import translation

    from scheduling.promo import card_text

    host.language, host.time_zone = "it", "Europe/Rome"
    host.save()
    space = services.space_schedule(
        host=host, title="Chiacchiere", starts_at=timezone.now() + timedelta(days=1)
    )
    space.scheduled_for = datetime(2027, 1, 5, 17, 30, tzinfo=UTC)

    with translation.override("en"):  # whoever's request or task draws it
        text = card_text(space)

    assert text["when"] == "Martedì 05 Gennaio 2027 18:30 CET"
    with translation.override("it"):
        assert text["label"] == translation.gettext("Upcoming Space")
    assert text["title"] == ["Chiacchiere"]
