from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "recordings"
    verbose_name = _("Recordings")

    def ready(self):
        # Receivers connect when their module loads, which needs the models loaded first.
        from recordings import receivers  # noqa: F401, PLC0415 (needs the models loaded)
        from recordings.selectors import clip_cards  # noqa: PLC0415 (needs the models loaded)
        from timeline.cards import card_provider_register  # noqa: PLC0415 (with the one above)

        # A tweet linking to a clip shows its card (timeline never imports recordings).
        card_provider_register(clip_cards)
