"""One socket's offers and answers, against a recording backend (the consumer's part is
in tests/rooms/test_media_signalling.py)."""

import asyncio

import pytest

from mediaserver.base import MediaError
from mediaserver.signalling import Signalling

pytestmark = pytest.mark.asyncio


class Outcome:
    """What the consumer would send: the answers and the errors, in order."""

    def __init__(self):
        self.frames = []
        self.done = asyncio.Event()

    async def answered(self, answer):
        self.frames.append(("answer", answer))
        self.done.set()

    async def failed(self, exc):
        self.frames.append(("error", exc.code, exc.message))
        self.done.set()


async def _offer(signalling, *, publish=False, muted=True, confirm=None):
    outcome = Outcome()
    signalling.offer(
        participant_id=7,
        sdp="v=0 offer",
        publish=publish,
        muted=muted,
        answered=outcome.answered,
        failed=outcome.failed,
        confirm=confirm,
    )
    await asyncio.wait_for(outcome.done.wait(), 5)
    return outcome


async def test_it_answers_a_listener(media):
    signalling = Signalling(space_id=3)

    outcome = await _offer(signalling)

    assert outcome.frames == [("answer", f"v=0 answer for {signalling.session}")]
    assert media.calls == [
        (
            "listener_offer",
            {"space_id": 3, "participant_id": 7, "session": signalling.session, "sdp": "v=0 offer"},
        )
    ]
    assert signalling.publishing is False


async def test_it_asks_for_a_speaker_muted_as_told(media):
    signalling = Signalling(space_id=3)

    await _offer(signalling, publish=True, muted=False)

    [offer] = media.commands("speaker_offer")
    assert offer["muted"] is False
    assert signalling.publishing is True


async def test_a_new_offer_hangs_up_the_previous_session(media):
    signalling = Signalling(space_id=3)
    await _offer(signalling)
    first = signalling.session

    await _offer(signalling)

    assert media.commands("session_close") == [{"space_id": 3, "session": first}]
    assert signalling.session != first


async def test_a_media_server_that_is_down_means_try_again(media):
    media.down = True

    outcome = await _offer(Signalling(space_id=3))

    assert outcome.frames == [
        ("error", "media_unavailable", "Live audio is unavailable right now. Trying again…")
    ]


async def test_the_media_servers_refusal_is_passed_on(media):
    media.refuse = MediaError("The offer has no audio.", "bad_sdp")

    outcome = await _offer(Signalling(space_id=3))

    assert outcome.frames == [("error", "bad_sdp", "The offer has no audio.")]


async def test_a_speaker_who_is_no_longer_allowed_gets_no_answer(media):
    async def confirm():
        raise MediaError("Only people on the stage can speak.", "not_on_stage")

    outcome = await _offer(Signalling(space_id=3), publish=True, confirm=confirm)

    assert outcome.frames == [("error", "not_on_stage", "Only people on the stage can speak.")]


async def test_an_unexpected_failure_is_logged_and_means_try_again(media, monkeypatch, caplog):
    async def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(media, "listener_offer", broken)

    outcome = await _offer(Signalling(space_id=3))

    assert outcome.frames == [
        ("error", "media_unavailable", "Live audio is unavailable right now. Trying again…")
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "mediaserver.signalling"]
    assert logged == ["Media negotiation failed in Space 3"]


async def test_a_newer_offer_replaces_one_still_waiting(media, monkeypatch):
    release = asyncio.Event()
    record = media.listener_offer

    async def slow_first(**kwargs):
        if not media.calls:
            await release.wait()
        return await record(**kwargs)

    monkeypatch.setattr(media, "listener_offer", slow_first)
    signalling = Signalling(space_id=3)
    first = Outcome()
    signalling.offer(
        participant_id=7,
        sdp="v=0 a",
        publish=False,
        muted=True,
        answered=first.answered,
        failed=first.failed,
    )
    await asyncio.sleep(0)

    second = await _offer(signalling)
    release.set()
    await asyncio.sleep(0.05)

    assert first.frames == []
    assert second.frames == [("answer", f"v=0 answer for {signalling.session}")]


async def test_hanging_up_closes_the_session_once(media):
    signalling = Signalling(space_id=3)
    await _offer(signalling, publish=True)
    session = signalling.session

    await signalling.hang_up()
    await signalling.hang_up()

    assert media.commands("session_close") == [{"space_id": 3, "session": session}]
    assert (signalling.session, signalling.publishing) == (None, False)
