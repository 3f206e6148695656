from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for a newcomer: the top layer, so it may use every app's services."""

    name = "demo"
    verbose_name = _("Demo data")
