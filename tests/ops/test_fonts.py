"""The browser tests and screenshots see emoji reactions, not empty boxes."""

import shutil
import subprocess

import pytest

from rooms.models import REACTIONS
from tests.conftest import CHROMIUM


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="no Chromium: no browser tests either")
@pytest.mark.skipif(not shutil.which("fc-list"), reason="fontconfig lists Chromium's fonts")
@pytest.mark.parametrize("emoji", REACTIONS)
def test_a_font_that_chromium_finds_draws_each_reaction(emoji):
    # Chromium picks its fonts through fontconfig: `make chromium` and .ci/run install
    # fonts-noto-color-emoji where Chromium is installed.
    fonts = subprocess.run(
        ["fc-list", f":charset={ord(emoji[0]):x}", "family"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout

    assert "Noto Color Emoji" in fonts
