from django.apps import AppConfig
from django.urls import register_converter

from core.forms import RowIdConverter


class CoreConfig(AppConfig):
    name = "core"

    def ready(self):
        # Before any URLconf is read: `<id:...>` is the row-id converter every app uses.
        register_converter(RowIdConverter, "id")
