"""Sockets under a real Daphne, where sending on a closing connection raises."""

import base64
import json
import os
import socket
import struct
import time

import pytest

from rooms import services
from tests.conftest import _free_port, start_daphne, stop_daphne
from tests.factories import UserFactory


@pytest.fixture
def daphne(transactional_db, tmp_path):
    """A Daphne process on the test database; yields (port, path of its log)."""
    port, log_path = _free_port(), tmp_path / "daphne.log"
    with log_path.open("wb") as log:
        process = start_daphne(port, log)
        yield port, log_path
        stop_daphne(process)


class RawSocket:
    """A WebSocket client that does only what the test says: in particular, it does not
    answer the server's close frame, so that the server stays in its closing handshake."""

    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\n"
                f"Origin: http://localhost:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _read(self, n):
        while len(self.buffer) < n:
            self.buffer += self.sock.recv(65536)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def receive(self):
        """(opcode, payload) of the next frame from the server (never masked)."""
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read(8))
        return first & 0x0F, self._read(length)

    def send_json(self, frame):
        payload = json.dumps(frame).encode()
        assert len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)


def test_events_after_a_listener_leaves_log_no_traceback(daphne):
    port, log_path = daphne
    space = services.space_create(host=UserFactory(handle="host"), title="Live now")
    listener = RawSocket(port, f"/ws/spaces/{space.code}/")
    opcode, payload = listener.receive()
    assert (opcode, json.loads(payload)["type"]) == (1, "snapshot")

    listener.send_json({"type": "leave"})
    opcode, payload = listener.receive()
    assert (opcode, struct.unpack("!H", payload[:2])[0]) == (8, 1000)  # the server's close
    # The leave moves the count: the room hears it within 250 ms, this socket included,
    # while its closing handshake waits for an answer that never comes.
    time.sleep(1.5)
    listener.sock.close()
    time.sleep(0.5)

    log = log_path.read_text()
    assert "Traceback" not in log, log
    assert log.count("closed protocol") <= 1, log
