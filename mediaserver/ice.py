"""ICE servers for a browser: the configured ones, plus short-lived TURN credentials."""

import base64
import hashlib
import hmac
import time

from django.conf import settings


def ice_servers(*, identity: str, now: float | None = None) -> list[dict]:
    """RTCIceServer dicts for one participant's browser.

    With `TURN_SECRET` set, credentials follow coturn's REST scheme (`use-auth-secret`):
    the username is "<expiry>:<identity>" and the password its HMAC-SHA1 under the
    shared secret, so that they lapse after `TURN_TTL` seconds and the secret stays here.
    """
    servers = [dict(server) for server in settings.MEDIA_ICE_SERVERS]
    if settings.TURN_SECRET and settings.TURN_URLS:
        expiry = int(now if now is not None else time.time()) + settings.TURN_TTL
        username = f"{expiry}:{identity}"
        digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1)
        servers.append(
            {
                "urls": list(settings.TURN_URLS),
                "username": username,
                "credential": base64.b64encode(digest.digest()).decode(),
            }
        )
    return servers
