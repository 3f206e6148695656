"""Clip pages, files, card image, the cutter and the live button, the API, and the clip
card under tweets."""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from accounts.services import block_create, follow_create
from mediaserver.egress import storage
from recordings import services
from recordings.models import Clip, Recording
from rooms import services as rooms
from rooms.models import SpaceBan
from tests.factories import TweetFactory, UserFactory
from tests.recordings.clipkit import tone_after, write_recording
from timeline import selectors as timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def toned(host, django_capture_on_commit_callbacks):
    space = rooms.space_create(host=host, title="Tones & talk", record=True)
    write_recording(space.pk, tone_after(20.0, 5.0))
    with django_capture_on_commit_callbacks(execute=True):
        rooms.space_end(space=space, actor=host)
    return Recording.objects.get(space=space)


@pytest.fixture
def clipper(db):
    return UserFactory(handle="clipper", display_name="Cleo Clipper")


@pytest.fixture
def clip(toned, clipper):
    return services.clip_create(
        recording=toned, actor=clipper, start=4, duration=12, title="The tone comes in"
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _meta(html: str, prop: str) -> str | None:
    found = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)"', html)
    return found.group(1) if found else None


# The page ----------------------------------------------------------------------------------


def test_the_clip_page_shows_the_player_the_space_and_who_clipped_it(client, clip):
    response = client.get(f"/c/{clip.code}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'src="/c/{clip.code}/clip.mp4"' in html
    assert "The tone comes in" in html
    assert f'href="/s/{clip.recording.space.code}/"' in html
    assert "Clipped by Cleo Clipper (@clipper)" in html
    assert "Sign in to tweet this clip" in html


def test_the_clip_page_has_open_graph_tags_with_absolute_urls(client, clip):
    html = client.get(f"/c/{clip.code}/").content.decode()

    base = "http://testserver"
    assert _meta(html, "og:title") == "The tone comes in"
    assert _meta(html, "og:type") == "website"
    assert _meta(html, "og:url") == f"{base}/c/{clip.code}/"
    assert _meta(html, "og:audio") == f"{base}/c/{clip.code}/clip.mp4"
    assert _meta(html, "og:audio:type") == "audio/mp4"
    assert _meta(html, "og:image") == f"{base}/c/{clip.code}/card.png"
    assert "0:12 clip of “Tones &amp; talk”" in _meta(html, "og:description")


def test_the_card_is_a_png_drawn_once(client, clip, django_assert_num_queries):
    response = client.get(f"/c/{clip.code}/card.png")

    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (1200, 630))
    again = client.get(f"/c/{clip.code}/card.png")
    assert again.content == response.content


def test_the_clip_file_is_served_with_ranges(client, clip):
    with storage().open(clip.path, "rb") as handle:
        data = handle.read()

    whole = client.get(f"/c/{clip.code}/clip.mp4")
    part = client.get(f"/c/{clip.code}/clip.mp4", HTTP_RANGE="bytes=4-11")
    past = client.get(f"/c/{clip.code}/clip.mp4", HTTP_RANGE=f"bytes={len(data)}-")

    assert (whole.status_code, whole["Content-Type"], _body(whole)) == (200, "audio/mp4", data)
    assert (part.status_code, _body(part)) == (206, data[4:12])
    assert part["Content-Range"] == f"bytes 4-11/{len(data)}"
    assert past.status_code == 416


def test_the_clip_file_answers_odd_ranges(client, clip):
    with storage().open(clip.path, "rb") as handle:
        data = handle.read()
    url = f"/c/{clip.code}/clip.mp4"

    suffix = client.get(url, HTTP_RANGE="bytes=-10")
    malformed = client.get(url, HTTP_RANGE="bytes=abc")
    several = client.get(url, HTTP_RANGE="bytes=0-3,8-11")
    if_range = client.get(url, HTTP_RANGE="bytes=4-11", HTTP_IF_RANGE='"some-etag"')

    assert (suffix.status_code, _body(suffix)) == (206, data[-10:])
    assert suffix["Content-Range"] == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"
    # Ignored, as RFC 9110 allows: the whole file.
    for whole in (malformed, several, if_range):
        assert (whole.status_code, _body(whole)) == (200, data)


def _never_was(client, name: str) -> bytes:
    """What a clip that never existed answers (without its per-request tokens): the same
    for one that may not be seen."""
    return _scrub(_body(client.get(f"/c/nothere123/{name}")), "nothere123")


def _scrub(body: bytes, code: str) -> bytes:
    """Without per-request tokens (CSRF, nonces), and the asked code (the language form's
    `next`)."""
    return re.sub(rb"[A-Za-z0-9_-]{32,}", b"", body).replace(code.encode(), b"CODE")


@pytest.mark.parametrize("how", ["blocked", "blocking", "banned"])
@pytest.mark.parametrize("name", ["", "clip.mp4", "card.png"])
def test_someone_kept_away_from_the_host_finds_no_clip(client, clip, host, name, how):
    outsider = UserFactory()
    if how == "blocked":
        block_create(blocker=host, blocked=outsider)
    elif how == "blocking":
        block_create(blocker=outsider, blocked=host)
    else:
        SpaceBan.objects.create(host=host, user=outsider)
    client.force_login(outsider)

    response = client.get(f"/c/{clip.code}/{name}")

    with storage().open(clip.path, "rb") as handle:
        data = handle.read()
    never = _never_was(client, name)
    assert response.status_code == 404
    assert _scrub(_body(response), clip.code) == never
    assert data not in _body(response)
    assert clip.title.encode() not in _body(response)


def test_a_deleted_clip_is_gone(client, clip, clipper):
    services.clip_delete(clip=clip, actor=clipper)

    for name in ("", "clip.mp4", "card.png"):
        response = client.get(f"/c/{clip.code}/{name}")
        assert response.status_code == 404
        assert _scrub(_body(response), clip.code) == _never_was(client, name)


def test_the_creator_the_host_blocked_still_deletes_their_clip(client, api, clip, clipper, host):
    block_create(blocker=host, blocked=clipper)
    client.force_login(clipper)
    assert client.get(f"/c/{clip.code}/").status_code == 404  # no longer theirs to play

    response = client.post(reverse("recordings:clip-delete", args=[clip.code]))

    clip.refresh_from_db()
    assert response.status_code == 302
    assert clip.state == "deleted"


def test_the_creator_the_host_blocked_deletes_through_the_api(api, clip, clipper, host):
    block_create(blocker=clipper, blocked=host)
    api.force_authenticate(clipper)

    kept = api.patch(f"/api/clips/{clip.code}/", {"kept": True}, format="json")
    deleted = api.delete(f"/api/clips/{clip.code}/")

    assert (kept.status_code, kept.json()["code"]) == (403, "not_host")
    assert (deleted.status_code, deleted.json()["state"]) == (200, "deleted")


def test_someone_else_kept_away_cannot_delete_a_clip(client, clip, host):
    outsider = UserFactory()
    block_create(blocker=host, blocked=outsider)
    client.force_login(outsider)

    response = client.post(reverse("recordings:clip-delete", args=[clip.code]))

    clip.refresh_from_db()
    assert (response.status_code, clip.state) == (404, "ready")


@pytest.mark.parametrize("who", ["viewer", "creator"])
def test_the_creator_is_someone_to_a_viewer_with_a_block_between_them(
    client, api, clip, clipper, who
):
    viewer = UserFactory()
    if who == "viewer":
        block_create(blocker=viewer, blocked=clipper)
    else:
        block_create(blocker=clipper, blocked=viewer)
    client.force_login(viewer)
    api.force_authenticate(viewer)

    html = client.get(f"/c/{clip.code}/").content.decode()

    assert "Clipped by someone" in html
    assert "Cleo Clipper" not in html
    assert "@clipper" not in html
    assert api.get(f"/api/clips/{clip.code}/").json()["creator"] is None


def test_the_host_keeps_and_deletes_from_the_page(client, clip, host):
    client.force_login(host)
    page = client.get(f"/c/{clip.code}/").content.decode()
    assert "Keep this clip" in page
    assert "Delete the clip" in page

    client.post(reverse("recordings:clip-keep", args=[clip.code]), {"kept": "1"})
    clip.refresh_from_db()
    assert clip.kept
    assert "Kept by the host" in client.get(f"/c/{clip.code}/").content.decode()

    response = client.post(reverse("recordings:clip-delete", args=[clip.code]))
    clip.refresh_from_db()
    assert (clip.state, response.url) == ("deleted", clip.recording.space.get_absolute_url())


def test_a_live_clip_says_when_it_will_expire(client, host, clipper, settings):
    settings.RECORDING_RETENTION_DAYS = 30
    space = rooms.space_create(host=host, title="Live", record=True)
    write_recording(space.pk, tone_after(8.0, 1.0), ended=False)
    live = services.clip_create_live(space=space, actor=clipper)
    client.force_login(host)

    html = client.get(f"/c/{live.code}/").content.decode()

    assert "It expires with the recording, 30 days after the Space ends." in html
    assert "on ." not in html


def test_a_listener_neither_keeps_nor_deletes(client, clip):
    client.force_login(UserFactory())
    page = client.get(f"/c/{clip.code}/").content.decode()
    assert "Keep this clip" not in page
    assert "Delete the clip" not in page

    client.post(reverse("recordings:clip-keep", args=[clip.code]), {"kept": "1"})
    client.post(reverse("recordings:clip-delete", args=[clip.code]))

    clip.refresh_from_db()
    assert (clip.kept, clip.state) == (False, "ready")


def test_tweet_this_clip_prefills_the_compose_with_the_link(client, clip, clipper):
    client.force_login(clipper)
    html = client.get(f"/c/{clip.code}/").content.decode()

    assert f"The tone comes in http://testserver/c/{clip.code}/</textarea>" in html


# The cutter and the live button ------------------------------------------------------------


def test_the_cutter_makes_a_clip_without_js(client, toned, clipper):
    client.force_login(clipper)
    url = reverse("recordings:clip-new", args=[toned.space.code])

    form = client.get(url + "?start=6.5").content.decode()
    response = client.post(url, {"start": "6.5", "duration": "10", "title": "Mine"})

    assert 'id="clip-start" value="6.5"' in form
    clip = Clip.objects.get()
    assert (clip.start, clip.duration, clip.title) == (6.5, 10.0, "Mine")
    assert response.url == f"/c/{clip.code}/"


def test_the_cutter_sends_htmx_to_the_new_clip(client, toned, clipper):
    client.force_login(clipper)

    response = client.post(
        reverse("recordings:clip-new", args=[toned.space.code]),
        {"start": "1", "duration": "3"},
        HTTP_HX_REQUEST="true",
    )

    assert response["HX-Redirect"] == Clip.objects.get().get_absolute_url()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "0", "duration": "31"}, "at most 30 seconds"),
        ({"start": "15", "duration": "10"}, "within the recording"),
        ({"start": "x", "duration": "10"}, "Enter a number"),
    ],
)
def test_the_cutter_shows_what_is_wrong_in_the_form(client, toned, clipper, data, message):
    client.force_login(clipper)
    url = reverse("recordings:clip-new", args=[toned.space.code])

    page = client.post(url, data)
    partial = client.post(url, data, HTTP_HX_REQUEST="true")

    assert page.status_code == partial.status_code == 422
    assert message in page.content.decode()
    assert message in partial.content.decode()
    assert partial.content.decode().lstrip().startswith(("<link", "{"))  # the form alone
    assert Clip.objects.count() == 0


def test_the_live_clip_button_is_only_in_recorded_spaces(client, host, clipper):
    recorded = rooms.space_create(host=host, title="Recorded", record=True)
    unrecorded = rooms.space_create(host=UserFactory(), title="Not recorded")
    client.force_login(clipper)

    assert "Clip the last 30 seconds" in client.get(recorded.get_absolute_url()).content.decode()
    assert (
        "Clip the last 30 seconds" not in client.get(unrecorded.get_absolute_url()).content.decode()
    )


@pytest.fixture
def removed(host, clipper):
    """A live recorded Space the host removed the clipper from."""
    space = rooms.space_create(host=host, title="Live", record=True)
    write_recording(space.pk, tone_after(8.0, 1.0), ended=False)
    seat = rooms.space_join(space=space, user=clipper)
    rooms.participant_remove(space=space, actor=host, participant_id=seat.pk)
    return space


def test_someone_removed_from_the_space_takes_no_live_clip(client, api, removed, clipper):
    client.force_login(clipper)
    page = client.post(reverse("recordings:clip-live", args=[removed.code]), follow=True)
    api.force_authenticate(clipper)
    refused = api.post(f"/api/spaces/{removed.code}/clips/", {"live": True}, format="json")

    assert "You cannot clip this Space." in page.content.decode()
    assert (refused.status_code, refused.json()["code"]) == (403, "removed")
    assert Clip.objects.count() == 0


def test_the_live_button_without_js_opens_the_clip(client, host, clipper):
    space = rooms.space_create(host=host, title="Live", record=True)
    write_recording(space.pk, tone_after(8.0, 1.0), ended=False)
    client.force_login(clipper)

    response = client.post(reverse("recordings:clip-live", args=[space.code]))

    clip = Clip.objects.get()
    assert (response.url, clip.live) == (clip.get_absolute_url(), True)


# The API -----------------------------------------------------------------------------------


def test_the_api_cuts_a_clip(api, toned, clipper):
    api.force_authenticate(clipper)

    response = api.post(
        f"/api/spaces/{toned.space.code}/clips/", {"start": 2, "duration": 5}, format="json"
    )

    clip = Clip.objects.get()
    assert response.status_code == 201
    assert response.json() | {"created_at": None} == {
        "code": clip.code,
        "url": f"/c/{clip.code}/",
        "audio_url": f"/c/{clip.code}/clip.mp4",
        "card_url": f"/c/{clip.code}/card.png",
        "space": toned.space.code,
        "creator": "clipper",
        "start": 2.0,
        "duration": 5.0,
        "title": "",
        "live": False,
        "kept": False,
        "state": "ready",
        "created_at": None,
    }


def test_the_api_cuts_a_live_clip(api, host, clipper):
    space = rooms.space_create(host=host, title="Live", record=True)
    write_recording(space.pk, tone_after(8.0, 1.0), ended=False)
    api.force_authenticate(clipper)

    response = api.post(f"/api/spaces/{space.code}/clips/", {"live": True}, format="json")

    assert (response.status_code, response.json()["live"]) == (201, True)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"start": 0, "duration": 45}, 400, "clip_length"),
        ({"start": 18, "duration": 5}, 400, "clip_outside"),
        ({"start": 0}, 400, "required"),
        ({"live": True}, 400, "not_live"),
    ],
)
def test_the_api_refuses_bad_clips_with_a_reason(api, toned, clipper, data, status, code):
    api.force_authenticate(clipper)

    response = api.post(f"/api/spaces/{toned.space.code}/clips/", data, format="json")

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.json()["detail"]
    assert Clip.objects.count() == 0


def test_the_api_refuses_someone_the_host_blocked(api, toned, clipper, host):
    block_create(blocker=host, blocked=clipper)
    api.force_authenticate(clipper)

    response = api.post(
        f"/api/spaces/{toned.space.code}/clips/", {"start": 0, "duration": 5}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (403, "blocked")
    assert Clip.objects.count() == 0


@pytest.mark.parametrize("how", ["blocked", "banned"])
def test_the_clip_api_shows_nothing_to_someone_kept_away(api, clip, host, how):
    outsider = UserFactory()
    if how == "blocked":
        block_create(blocker=host, blocked=outsider)
    else:
        SpaceBan.objects.create(host=host, user=outsider)
    api.force_authenticate(outsider)

    response = api.get(f"/api/clips/{clip.code}/")
    never = api.get("/api/clips/nothere123/")

    assert (response.status_code, response.json()) == (404, never.json())
    assert clip.title not in response.content.decode()


def test_the_api_needs_a_signed_in_person_to_clip(api, toned):
    response = api.post(
        f"/api/spaces/{toned.space.code}/clips/", {"start": 0, "duration": 5}, format="json"
    )
    assert response.status_code in (401, 403)
    assert Clip.objects.count() == 0


def test_the_api_gets_keeps_and_deletes(api, clip, host, clipper):
    assert api.get(f"/api/clips/{clip.code}/").json()["title"] == "The tone comes in"

    api.force_authenticate(clipper)
    refused = api.patch(f"/api/clips/{clip.code}/", {"kept": True}, format="json")
    api.force_authenticate(host)
    kept = api.patch(f"/api/clips/{clip.code}/", {"kept": True}, format="json")
    api.force_authenticate(clipper)
    deleted = api.delete(f"/api/clips/{clip.code}/")

    assert (refused.status_code, refused.json()["code"]) == (403, "not_host")
    assert kept.json()["kept"] is True
    assert deleted.json()["state"] == "deleted"
    assert api.get(f"/api/clips/{clip.code}/").status_code == 404


def test_the_clip_api_is_in_the_schema(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/spaces/{code}/clips/" in schema
    assert "/api/clips/{code}/" in schema


# The card under tweets ---------------------------------------------------------------------


def test_a_tweet_with_the_clip_link_shows_its_card(client, clip, clipper):
    TweetFactory(author=clipper, text=f"Listen! https://spaces.example/c/{clip.code}/")
    client.force_login(clipper)

    html = client.get("/").content.decode()

    assert 'class="clip-card"' in html
    assert f'href="/c/{clip.code}/"' in html
    assert f'src="/c/{clip.code}/clip.mp4"' in html
    assert "From “Tones &amp; talk”, hosted by Hana Host" in html


def test_the_card_styles_load_once_whatever_the_cards(client, toned, clipper):
    for n in range(3):
        made = services.clip_create(recording=toned, actor=clipper, start=n, duration=2)
        TweetFactory(author=clipper, text=f"Clip {n}: /c/{made.code}/")
    client.force_login(clipper)

    for url in ("/", f"/@{clipper.handle}/"):
        html = client.get(url).content.decode()
        assert html.count('class="clip-card"') == 3, url
        assert html.count("css/timeline/cards.css") == 1, url
        assert "css/recordings/clip.css" not in html, url


def test_no_card_for_a_deleted_clip_or_a_blocked_host(client, clip, clipper, host):
    TweetFactory(author=clipper, text=f"Listen! /c/{clip.code}/")
    reader = UserFactory()
    follow_create(follower=reader, followee=clipper)
    client.force_login(reader)
    assert 'class="clip-card"' in client.get("/").content.decode()

    block_create(blocker=reader, blocked=host)
    assert 'class="clip-card"' not in client.get("/").content.decode()


def test_no_card_for_someone_the_host_banned(client, clip, clipper, host):
    TweetFactory(author=clipper, text=f"Listen! /c/{clip.code}/")
    reader = UserFactory()
    follow_create(follower=reader, followee=clipper)
    SpaceBan.objects.create(host=host, user=reader)
    client.force_login(reader)

    html = client.get("/").content.decode()

    assert "Listen!" in html  # the tweet, without its card
    assert 'class="clip-card"' not in html


@pytest.mark.parametrize("count", [2, 6])
def test_the_home_timeline_with_clip_cards_is_three_queries(
    count, toned, clipper, django_assert_num_queries
):
    """One for the tweets (as without cards), one for the clips they link to, one for
    blocks and bans between the viewer and those clips' hosts: whatever the count."""
    for n in range(count):
        made = services.clip_create(recording=toned, actor=clipper, start=n, duration=2)
        TweetFactory(author=clipper, text=f"Clip {n}: https://x.example/c/{made.code}/")

    with django_assert_num_queries(3):
        page = timeline.home_timeline(user=clipper)
        cards = [
            (card["clip"].recording.space.host.handle) for t in page.tweets for card in t.cards
        ]

    assert cards == ["host"] * count


def test_a_timeline_without_clip_links_reads_no_clips(alice, django_assert_num_queries):
    TweetFactory(author=alice, text="No links here, just /c/ and c/abc")

    with django_assert_num_queries(1):
        page = timeline.home_timeline(user=alice)

    assert page.tweets[0].cards == []
