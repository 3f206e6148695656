"""The playlist as the egress writes it, and as the trim serves it."""

from recordings.files import Playlist

EGRESS = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.000,
seg-000000.m4s
#EXTINF:2.000,
seg-000001.m4s
#EXT-X-DISCONTINUITY
#EXTINF:1.500,
seg-000002.m4s
#EXT-X-ENDLIST
"""


def test_it_reads_the_segments_and_the_duration():
    playlist = Playlist.parse(EGRESS)

    assert [(s.uri, s.duration, s.tags) for s in playlist.segments] == [
        ("seg-000000.m4s", 2.0, []),
        ("seg-000001.m4s", 2.0, []),
        ("seg-000002.m4s", 1.5, ["#EXT-X-DISCONTINUITY"]),
    ]
    assert (playlist.duration, playlist.ended) == (5.5, True)


def test_a_trim_keeps_the_header_and_the_discontinuity():
    text = Playlist.parse(EGRESS).trimmed(4.25)

    assert text.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        "#EXT-X-MEDIA-SEQUENCE:2",
        '#EXT-X-MAP:URI="init.mp4"',
        "#EXT-X-START:TIME-OFFSET=0.250,PRECISE=YES",
        "#EXT-X-DISCONTINUITY",
        "#EXTINF:1.500,",
        "seg-000002.m4s",
        "#EXT-X-ENDLIST",
    ]


def test_no_trim_serves_every_segment():
    text = Playlist.parse(EGRESS).trimmed(0)

    assert "#EXT-X-START" not in text
    assert [line for line in text.splitlines() if line.startswith("seg-")] == [
        "seg-000000.m4s",
        "seg-000001.m4s",
        "seg-000002.m4s",
    ]
