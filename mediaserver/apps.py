from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaServerConfig(AppConfig):
    name = "mediaserver"
    verbose_name = _("Media server")
