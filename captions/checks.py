"""System checks of the captions settings (`manage.py check`, run at every start)."""

from django.conf import settings
from django.core import checks


@checks.register()
def model_path_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A CAPTIONS_MODEL_PATH that is no usable model directory is an error at start-up,
    not a surprise later: live pages would offer no captions, the worker would not start."""
    path = getattr(settings, "CAPTIONS_MODEL_PATH", None)
    if not path:
        return []
    # Loads the engine's small module only (ctranslate2 is imported on first model load).
    from captions.engine.models import model_path_problem  # noqa: PLC0415 (app registry ready)

    problem = model_path_problem(path)
    if not problem:
        return []
    return [
        checks.Error(
            problem,
            hint="Point it at a CTranslate2 faster-whisper model directory (model.bin, "
            "tokenizer.json, vocabulary.json), or unset it to use the bundled models.",
            id="captions.E001",
        )
    ]
