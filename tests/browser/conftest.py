import os
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np
import pytest
from django.conf import settings

from tests.conftest import CHROMIUM, CHROMIUM_ARGS

TONE_HZ = 660


def write_tone(path, frequency=TONE_HZ, seconds=4.0, rate=48000, amplitude=0.5):
    """A WAV file of a steady tone, for Chromium's fake microphone (it loops it)."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (amplitude * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


@pytest.fixture
def media_process(daphne_server):
    """`manage.py runmedia` beside the live Daphne server, on the same channel layer."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.live_settings",
        "REDIS_URL": settings.REDIS_URL,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runmedia"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        time.sleep(1.5)  # imports aiortc, then subscribes to its channel
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"runmedia did not start:\n{log.read().decode()[-3000:]}")
        yield process
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def audio_browser(tmp_path_factory):
    """Chromium with a fake microphone playing a known tone, allowed to use loopback ICE."""
    from playwright.sync_api import sync_playwright

    tone = write_tone(tmp_path_factory.mktemp("tone") / "tone.wav")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={tone}",
        "--allow-loopback-in-peer-connection",
    ]
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


# Measures what the page's <audio> element plays: the loudest frequency and the level.
MEASURE_JS = """
async (ms) => {
  const element = document.getElementById("space-audio");
  if (!element.srcObject) return null;
  window.__meter ??= (() => {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    context.createMediaStreamSource(element.srcObject).connect(analyser);
    return { context, analyser };
  })();
  const { context, analyser } = window.__meter;
  await context.resume();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let peak = 0;
  for (let i = 1; i < bins.length; i += 1) if (bins[i] > bins[peak]) peak = i;
  const wave = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(wave);
  let sum = 0;
  for (const v of wave) sum += v * v;
  return {
    peakHz: (peak * context.sampleRate) / analyser.fftSize,
    peakDb: bins[peak],
    rms: Math.sqrt(sum / wave.length),
  };
}
"""
