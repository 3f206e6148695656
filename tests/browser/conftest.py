import os
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np
import pytest
from django.conf import settings

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, live_env

TONE_HZ = 660
# The live servers that browser tests start (Daphne, a Celery worker) share a queue of
# their own, so that no other test run's worker takes their tasks, nor theirs another's.
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"browser-{os.getpid()}")


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


def _start_media(log):
    env = live_env()
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
    return process


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def celery_worker(daphne_server):
    """A real Celery worker beside the live Daphne server, on the same database and
    broker, for what services hand to tasks (the live bar's fan-out, notifications)."""
    env = live_env()
    queue = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "spaces_site",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        time.sleep(2.0)  # connects to the broker
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"The Celery worker did not start:\n{log.read().decode()[-3000:]}")
        yield process
        _stop(process)


@pytest.fixture
def media_process(daphne_server):
    """`manage.py runmedia` beside the live Daphne server, on the same channel layer."""
    with tempfile.TemporaryFile() as log:
        processes = [_start_media(log)]
        yield processes
        for process in processes:
            _stop(process)


@pytest.fixture
def restart_media(media_process):
    """Stop the media server, leave it down for a while, start a new one."""
    with tempfile.TemporaryFile() as log:

        def restart(down_for: float):
            _stop(media_process[-1])
            time.sleep(down_for)
            media_process.append(_start_media(log))

        yield restart


@pytest.fixture(scope="module")
def audio_browsers(tmp_path_factory):
    """Chromium processes whose fake microphone plays a known tone (one per frequency,
    since the tone is a command-line flag), allowed to use loopback ICE."""
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("tones")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = {}

            def launch(frequency=TONE_HZ, microphone=True):
                key = (frequency, microphone)
                if key not in launched:
                    args = [
                        *CHROMIUM_ARGS,
                        "--use-fake-ui-for-media-stream",
                        "--allow-loopback-in-peer-connection",
                    ]
                    if microphone:
                        tone = write_tone(folder / f"tone-{frequency}.wav", frequency)
                        args += [
                            "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-audio-capture={tone}",
                        ]
                    launched[key] = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
                return launched[key]

            yield launch
            for browser in launched.values():
                browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="module")
def audio_browser(audio_browsers):
    return audio_browsers()


# Measures what the page's <audio> element plays: the loudest frequency, the level, and
# the level (dB) near each of the given frequencies.
MEASURE_JS = """
async ([ms, frequencies]) => {
  const element = document.getElementById("space-audio");
  if (!element.srcObject) return null;
  if (!window.__meter || window.__meter.stream !== element.srcObject) {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    context.createMediaStreamSource(element.srcObject).connect(analyser);
    window.__meter = { context, analyser, stream: element.srcObject };
  }
  const { context, analyser } = window.__meter;
  await context.resume();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  const hz = context.sampleRate / analyser.fftSize;
  let peak = 1;
  for (let i = 1; i < bins.length; i += 1) if (bins[i] > bins[peak]) peak = i;
  const levels = {};
  for (const f of frequencies) {
    const at = Math.round(f / hz);
    levels[f] = Math.max(...bins.slice(at - 3, at + 4));
  }
  const wave = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(wave);
  let sum = 0;
  for (const v of wave) sum += v * v;
  return { peakHz: peak * hz, peakDb: bins[peak], rms: Math.sqrt(sum / wave.length), levels };
}
"""
