from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from rooms.signals import space_started


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self):
        # Here, not at the top: apps.py is imported before the models are ready, and the
        # services import models.
        from scheduling import services  # noqa: PLC0415 (models not ready before)

        def on_space_started(sender, space, **kwargs):
            services.space_went_live(space=space)

        space_started.connect(on_space_started, dispatch_uid="scheduling.space_went_live")
