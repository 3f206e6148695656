"""ICE servers for a browser, with TURN credentials minted in coturn's REST scheme."""

import base64
import hashlib
import hmac

from mediaserver.ice import ice_servers


def test_turn_credentials_follow_coturns_rest_scheme(settings):
    settings.TURN_SECRET = "north-wind"
    settings.TURN_URLS = ["turn:127.0.0.1:3478"]
    settings.TURN_TTL = 600

    [turn] = ice_servers(identity="p42", now=1_800_000_000)

    assert turn["username"] == "1800000600:p42"
    expected = hmac.new(b"north-wind", b"1800000600:p42", hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
    assert turn["urls"] == ["turn:127.0.0.1:3478"]


def test_without_a_turn_secret_there_are_only_the_configured_servers(settings):
    settings.MEDIA_ICE_SERVERS = []
    settings.TURN_SECRET = ""

    assert ice_servers(identity="p1") == []
