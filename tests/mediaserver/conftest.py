import asyncio
from dataclasses import dataclass

import pytest_asyncio
from aiortc import RTCPeerConnection, RTCSessionDescription

from mediaserver.embedded.server import MediaServer
from tests.mediaserver.tones import Recorder, ToneTrack


@dataclass
class Client:
    pc: RTCPeerConnection
    recorder: Recorder | None
    answer: str

    async def close(self):
        await self.pc.close()


async def offer_sdp(pc: RTCPeerConnection) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


async def connect(server: MediaServer, *, participant_id, publish, tone=None, space_id=1, **kw):
    """An aiortc browser stand-in: with a tone it sends a microphone, else it only listens."""
    pc = RTCPeerConnection()
    tracks = []
    pc.on("track", tracks.append)
    if tone is None:
        pc.addTransceiver("audio", direction="recvonly")
    else:
        pc.addTrack(ToneTrack(tone))
    answer = await server.offer(
        space_id=space_id,
        participant_id=participant_id,
        session=f"s{participant_id}",
        sdp=await offer_sdp(pc),
        publish=publish,
        **kw,
    )
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    recorder = Recorder(tracks[0]) if tracks else None
    return Client(pc=pc, recorder=recorder, answer=answer)


@pytest_asyncio.fixture
async def media_server():
    speaking = []

    async def on_speaking(space_id, participants):
        speaking.append((space_id, participants))

    server = MediaServer(on_speaking=on_speaking)
    server.speaking_events = speaking
    yield server
    await server.close()


async def wait_connected(*clients, timeout=10):
    async def one(client):
        while client.pc.connectionState != "connected":
            await asyncio.sleep(0.05)

    await asyncio.wait_for(asyncio.gather(*(one(c) for c in clients)), timeout)
