from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptionsConfig(AppConfig):
    name = "captions"
    verbose_name = _("Captions")

    def ready(self):
        # Both register when their module loads, which needs the models loaded first.
        from captions import checks, receivers  # noqa: F401, PLC0415 (needs the models loaded)
