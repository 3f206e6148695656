"""ASGI entry point: HTTP through Django, WebSockets through each app's routing."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

import notifications.routing  # noqa: E402
import rooms.routing  # noqa: E402
from core.middleware import BodyLimitMiddleware  # noqa: E402

websocket_urlpatterns = [
    *notifications.routing.websocket_urlpatterns,
    *rooms.routing.websocket_urlpatterns,
]

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
