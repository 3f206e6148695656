"""The captions system check: a broken CAPTIONS_MODEL_PATH is an error at start-up."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from captions.checks import model_path_check
from captions.engine import models


def test_it_reports_a_model_directory_without_a_model(settings, tmp_path):
    settings.CAPTIONS_MODEL_PATH = str(tmp_path)

    [error] = model_path_check()

    assert error.id == "captions.E001"
    assert error.msg == f"CAPTIONS_MODEL_PATH {str(tmp_path)!r} has no model.bin"
    with pytest.raises(SystemCheckError, match=r"captions\.E001"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_it_passes_the_bundled_models_and_a_good_directory(settings):
    settings.CAPTIONS_MODEL_PATH = None
    assert model_path_check() == []

    settings.CAPTIONS_MODEL_PATH = str(models._english_path())
    assert model_path_check() == []
