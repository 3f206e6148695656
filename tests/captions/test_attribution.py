"""Captions name the right speaker, end to end: two aiortc speakers in one live Space
with captions on, the real media server, the real captions worker (`manage.py
runcaptions`, real speech recognition), and the Space's group on the channel layer.

Runs inside a loopback-only network namespace (scripts/in-netns), like the media tests.
"""

import asyncio
import signal

import pytest
from asgiref.sync import sync_to_async

from captions.models import CaptionSegment
from captions.services import captions_set
from mediaserver.embedded.server import MediaServer
from rooms import services as rooms
from rooms.events import space_group
from rooms.models import Participant
from tests.captions.live import (
    Listener,
    connected,
    free_udp_address,
    speaker_connect,
    worker_start,
    worker_stop,
)
from tests.captions.speech import ENGLISH, needs_espeak, words
from tests.conftest import live_env
from tests.factories import UserFactory

pytestmark = [pytest.mark.netns, pytest.mark.asyncio, needs_espeak]

# What each sentence must be heard saying (two of its three key words at least).
KEYS = {
    ENGLISH[0]: {"coffee", "design", "welcome"},
    ENGLISH[2]: {"captions", "speaker", "testing"},
    ENGLISH[3]: {"weather", "mountains", "windy"},
    ENGLISH[4]: {"breakfast", "bread", "honey"},
}
CAPTION_SECONDS = 60  # the first phrase also waits for the model to load


def says(data: dict, sentence: str) -> bool:
    return len(KEYS[sentence] & set(words(data["text"]))) >= 2


@pytest.fixture
def stage(transactional_db, host, settings):
    """A live Space with captions on, its host and a speaker on the stage, and the feed
    address the media server and the worker share."""
    space = rooms.space_create(host=host, title="Captioned live", captions_language="en")
    captions_set(space=space, actor=host, enabled=True)
    sam = UserFactory(handle="sam", display_name="Sam Speaker")
    seat = rooms.space_join(space=space, user=sam)
    rooms.hand_raise(participant=seat)
    rooms.request_approve(space=space, actor=host, participant_id=seat.pk)
    settings.CAPTIONS_FEED_ADDRESS = free_udp_address()
    hana = Participant.objects.get(space=space, user=host)
    return space, hana, seat


@pytest.fixture
def worker(stage, tmp_path, settings):
    """Starts `manage.py runcaptions` on the feed address; stops whatever is left of it."""
    env = live_env(CAPTIONS_FEED_ADDRESS=settings.CAPTIONS_FEED_ADDRESS)
    log = tmp_path / "runcaptions.log"
    processes = []

    def start():
        processes.append(worker_start(env, log))
        return processes[-1]

    yield start
    for process in processes:
        worker_stop(process)


async def test_each_speakers_sentence_is_captioned_under_their_name(stage, worker):
    space, hana, sam = stage
    worker()
    server = MediaServer(make_egress=None)
    try:
        async with Listener(space_group(space)) as listener:
            pc_hana, mic_hana = await speaker_connect(
                server, space_id=space.pk, participant_id=hana.pk
            )
            pc_sam, mic_sam = await speaker_connect(
                server, space_id=space.pk, participant_id=sam.pk
            )
            await connected(pc_hana, pc_sam)
            await asyncio.sleep(0.5)
            # They speak at the same time: each is still heard on their own.
            mic_hana.say(ENGLISH[0])
            mic_sam.say(ENGLISH[2])

            heard_hana = await listener.final(lambda d: says(d, ENGLISH[0]), CAPTION_SECONDS)
            heard_sam = await listener.final(lambda d: says(d, ENGLISH[2]), 20)

            assert heard_hana, f"no caption of Hana's sentence: {listener.finals()}"
            assert heard_sam, f"no caption of Sam's sentence: {listener.finals()}"
            assert heard_hana[1]["speaker"] == {
                "participant_id": hana.pk,
                "handle": "host",
                "name": "Hana Host",
            }
            assert heard_sam[1]["speaker"] == {
                "participant_id": sam.pk,
                "handle": "sam",
                "name": "Sam Speaker",
            }
            # Nobody is credited with the other's words.
            for _at, data in listener.finals():
                who = data["speaker"]["participant_id"]
                assert not says(data, ENGLISH[2] if who == hana.pk else ENGLISH[0]), data
            await pc_hana.close()
            await pc_sam.close()
    finally:
        await server.close()

    rows = await sync_to_async(list)(CaptionSegment.objects.order_by("started_at"))
    by_seat = {}
    for row in rows:
        by_seat.setdefault(row.participant_id, []).append(row)
    assert any(says({"text": r.text}, ENGLISH[0]) for r in by_seat[hana.pk]), rows
    assert any(says({"text": r.text}, ENGLISH[2]) for r in by_seat[sam.pk]), rows
    assert {r.speaker_name for r in by_seat[hana.pk]} == {"Hana Host"}
    assert {r.speaker_name for r in by_seat[sam.pk]} == {"Sam Speaker"}


async def test_a_killed_worker_comes_back_and_captions_the_next_sentence(stage, worker):
    space, hana, sam = stage
    first = worker()
    server = MediaServer(make_egress=None)
    try:
        async with Listener(space_group(space)) as listener:
            pc_hana, mic_hana = await speaker_connect(
                server, space_id=space.pk, participant_id=hana.pk
            )
            pc_sam, _mic_sam = await speaker_connect(
                server, space_id=space.pk, participant_id=sam.pk
            )
            await connected(pc_hana, pc_sam)
            mic_hana.say(ENGLISH[0])
            assert await listener.final(lambda d: says(d, ENGLISH[0]), CAPTION_SECONDS), (
                listener.finals()
            )

            # Killed mid-sentence: that phrase is lost, the room goes on.
            mic_hana.say(ENGLISH[3])
            await asyncio.sleep(1.0)
            first.send_signal(signal.SIGKILL)
            await asyncio.to_thread(first.wait, 10)
            await asyncio.to_thread(worker)
            await asyncio.sleep(4.0)  # the rest of the interrupted sentence
            mic_hana.say(ENGLISH[4])

            heard = await listener.final(lambda d: says(d, ENGLISH[4]), CAPTION_SECONDS)
            assert heard, f"nothing captioned after the restart: {listener.finals()}"
            assert heard[1]["speaker"]["participant_id"] == hana.pk
            # The speakers never noticed: still connected to the same room.
            assert pc_hana.connectionState == pc_sam.connectionState == "connected"
            assert set(server.rooms[space.pk].sessions) == {
                f"speaker-{hana.pk}",
                f"speaker-{sam.pk}",
            }
            await pc_hana.close()
            await pc_sam.close()
    finally:
        await server.close()
