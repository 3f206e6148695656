from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = _("Spaces")

    def ready(self):
        # Receivers connect when their module loads, which needs the models loaded first.
        from rooms import receivers  # noqa: F401, PLC0415 (needs the models loaded)
