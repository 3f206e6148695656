"""The directory finds ended Spaces by what was said in them: PostgreSQL full-text search
(run with the postgres DATABASE_URL) or words contained on SQLite (run with a sqlite one);
a hit shows the phrase with the words marked and links to that moment of the replay."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.services import block_create
from captions.selectors import highlight, transcript_search
from recordings import files
from recordings.models import Recording
from rooms import services
from tests.captions.factories import said
from tests.factories import UserFactory
from tests.recordings.conftest import write_hls

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite fallback")


def ended_space(host, title, *, django_capture_on_commit_callbacks, segments=3):
    space = services.space_create(host=host, title=title, record=True)
    write_hls(space.pk, segments=segments)
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=space, actor=host)
    return space


@pytest.fixture
def engine(host, django_capture_on_commit_callbacks):
    """An ended recorded Space where two phrases were said, 1.5 s and 4 s in."""
    space = ended_space(
        host, "Engines", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    zero = Recording.objects.get(space=space).started_at.timestamp()
    said(
        space, host, "The Analytical Engine weaves algebraic patterns", at=1.5, until=3, epoch=zero
    )
    said(space, host, "Jacquard looms & punched cards, 1 < 2", at=4.0, until=5.5, epoch=zero)
    return space


def search(query, viewer=None):
    return transcript_search(query=query, viewer=viewer)


def test_it_finds_an_ended_space_by_a_word_said_and_links_to_that_moment(engine):
    [hit] = search("algebraic")

    assert hit.space == engine
    assert hit.url == f"{engine.get_absolute_url()}?t=1.5#replay"
    assert hit.line.speaker == "Hana Host"
    assert str(hit.snippet) == "The Analytical Engine weaves <mark>algebraic</mark> patterns"


def test_all_the_words_must_have_been_said(engine):
    assert [hit.line.text for hit in search("punched cards")] == [
        "Jacquard looms & punched cards, 1 < 2"
    ]
    assert search("punched algebraic") == []


def test_the_phrase_is_escaped_around_the_marks(engine):
    [hit] = search("CARDS")

    assert str(hit.snippet) == "Jacquard looms &amp; punched <mark>cards</mark>, 1 &lt; 2"


def test_live_spaces_are_not_searched_by_what_is_said(host):
    live = services.space_create(host=host, title="Still on", captions=True)
    said(live, host, "algebraic live words", at=1, until=2)

    assert search("algebraic") == []


def test_spaces_of_a_host_who_blocked_the_viewer_are_hidden(engine, host, outsider):
    block_create(blocker=host, blocked=outsider)

    assert search("algebraic", outsider) == []
    assert len(search("algebraic", UserFactory())) == 1


def test_a_space_whose_replay_failed_is_found_by_its_host_only_linking_to_its_transcript(
    engine, host, outsider
):
    Recording.objects.filter(space=engine).update(state=Recording.State.FAILED)

    [hit] = search("algebraic", host)

    assert search("algebraic", outsider) == []
    assert search("algebraic") == []
    assert hit.url == f"{reverse('captions:transcript', args=[engine.code])}#line-{hit.line.id}"


def test_a_trimmed_replay_is_joined_where_it_starts(engine):
    Recording.objects.filter(space=engine).update(trim_start=2.0)

    [hit] = search("algebraic")

    assert hit.url.endswith("?t=2#replay")


def test_nothing_to_search_asks_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert search("   ") == []
        assert search("!!") == []


def test_a_search_with_only_words_to_leave_out_finds_nothing(engine, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert search("-algebraic") == []
        assert search("-algebraic -looms or") == []
        assert search("- , -") == []


def test_words_left_out_are_left_out(engine):
    assert [hit.line.text for hit in search("engine -looms")] == [
        "The Analytical Engine weaves algebraic patterns"
    ]
    assert search("engine -algebraic") == []


def test_an_unrecorded_space_is_found_by_its_host_only(host, outsider):
    space = services.space_create(host=host, title="Off the record")
    services.space_end(space=space, actor=host)
    said(space, host, "algebraic but unrecorded", at=1, until=2)

    [hit] = search("algebraic", host)

    assert hit.url == f"{reverse('captions:transcript', args=[space.code])}#line-{hit.line.id}"
    assert search("algebraic", outsider) == []
    assert search("algebraic") == []


def test_a_repeated_search_reads_nothing_from_storage(engine, monkeypatch):
    reads = []
    playlist_read = files.playlist_read
    monkeypatch.setattr(
        files, "playlist_read", lambda prefix: reads.append(prefix) or playlist_read(prefix)
    )

    first = search("algebraic")
    after_first = list(reads)
    again = search("algebraic")
    once_more = search("patterns")

    assert after_first == [Recording.objects.get(space=engine).prefix]
    assert reads == after_first  # nothing more
    assert [hit.url for hit in again] == [hit.url for hit in first]
    assert once_more[0].url == first[0].url


def test_a_clock_cached_is_read_again_once_the_recording_is_measured_again(engine, monkeypatch):
    search("algebraic")
    reads = []
    monkeypatch.setattr(files, "playlist_read", lambda prefix: reads.append(prefix))
    Recording.objects.filter(space=engine).update(duration=5.5)

    search("algebraic")

    assert len(reads) == 1


@pytest.mark.parametrize("count", [1, 6])
def test_the_search_is_one_query(
    count, host, outsider, django_assert_num_queries, django_capture_on_commit_callbacks
):
    for n in range(count):
        space = ended_space(
            UserFactory(),
            f"Space {n}",
            django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
        )
        said(space, space.host, f"the weaving machine number {n}", at=1, until=2)
        said(space, space.host, "weaving again", at=3, until=4)

    # One: who may read what is in subqueries, each hit's recording comes with it.
    with django_assert_num_queries(1):
        hits = search("weaving", outsider)

    assert len(hits) == 2 * count


def test_the_directory_shows_the_hits(engine):
    page = Client().get(reverse("rooms:directory"), {"q": "looms"})

    html = page.content.decode()
    assert "Said in ended Spaces" in html
    assert f'href="{engine.get_absolute_url()}?t=4#replay"' in html
    assert "Jacquard <mark>looms</mark> &amp; punched cards, 1 &lt; 2" in html


def test_the_directorys_htmx_results_show_the_hits_too(engine):
    page = Client().get(
        reverse("rooms:directory"),
        {"q": "looms"},
        headers={"HX-Request": "true", "HX-Target": "space-results"},
    )

    assert "Jacquard <mark>looms</mark>" in page.content.decode()


def test_the_directory_says_when_nothing_said_matches(engine):
    html = Client().get(reverse("rooms:directory"), {"q": "zebra"}).content.decode()

    assert "Nothing said in an ended Space matches your search." in html


def test_the_directory_without_a_search_shows_no_hits(engine):
    html = Client().get(reverse("rooms:directory")).content.decode()

    assert "Said in ended Spaces" not in html


def test_a_long_phrase_is_cut_around_the_first_match():
    text = ("word " * 60) + "needle " + ("word " * 60)

    snippet = str(highlight(text.strip(), ["needle"], whole_words=True))

    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "<mark>needle</mark>" in snippet
    assert len(snippet) < 200


@postgres_only
def test_postgres_matches_whole_words_only(engine):
    assert search("algebra") == []
    assert len(search("Algebraic")) == 1


@postgres_only
def test_postgres_uses_the_gin_index(engine):
    queryset = transcript_search.__globals__["_matching"]("algebraic", ["algebraic"], [])
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = queryset.explain()
        cursor.execute("SET enable_seqscan = on")

    assert "captions_segment_text_search" in plan


@sqlite_only
def test_sqlite_finds_words_contained(engine):
    [hit] = search("algebra")

    assert str(hit.snippet) == "The Analytical Engine weaves <mark>algebra</mark>ic patterns"
