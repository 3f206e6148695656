// Listening to a live Space over HLS: past the WebRTC listener cap, on a saturated media
// server, or by choice. The room mix comes as 2 s fMP4 Opus segments a few seconds late;
// `playingDate()` says which moment of the room is playing now (the segments'
// EXT-X-PROGRAM-DATE-TIME, on the server's clock), so that the page can hold reactions,
// stage changes and speaking rings until the audio they belong to is heard.
import Hls from "../../vendor/hls.min.mjs";

// How far behind the live edge to play: small, as the issue asks (2 s segments: the newest
// one is complete when listed), with a little room so that a late playlist does not stall.
const LIVE_SYNC_SECONDS = 2.5;
const LIVE_MAX_LATENCY_SECONDS = 8;
// Nothing playing this long after starting (or a stall this long): say so, offer Try again.
const FAIL_MS = 15000;
// No progress this long: not playing any more (a stall), so the page stops holding events
// for the audio; playing again when it moves. Longer than a playlist reload (2 s).
const STALL_MS = 3000;
const WATCH_MS = 500;
// A stream that is not there yet (the Space's first segment is 2 s away) or a network
// hiccup: start again on our own this many times, a little later each time, before
// saying so.
const RESTARTS = 3;
const RESTART_MS = 2000;

export function hlsSupported(element) {
  return Hls.isSupported() || Boolean(element.canPlayType("application/vnd.apple.mpegurl"));
}

export class HlsListener {
  constructor({ element, strings, onStatus, onChange, onPlaying, onEnded }) {
    this.element = element;
    this.strings = strings;
    this.status = "";
    // The audio line is a live region: tell it only what changed.
    this.onStatus = (text) => {
      if (text === this.status) return;
      this.status = text;
      onStatus(text);
    };
    this.onChange = onChange; // the failure state changed
    this.onPlaying = onPlaying; // playing (a known playing date) started or stopped
    this.onEnded = onEnded; // the stream played to its ENDLIST: the Space is over here too
    this.url = "";
    this.hls = null;
    this.active = false;
    this.failed = false;
    this.playing = false;
    this.startedAt = 0;
    this.lastTime = 0;
    this.lastProgress = 0;
    this.reason = ""; // what the status line says while playing: why HLS
    this.restarts = 0;
    this.restartTimer = null;
    this.watchTimer = null; // only while a stream is on
    element.addEventListener("ended", () => {
      if (this.active) this.onEnded?.();
    });
  }

  setPlaying(playing) {
    if (playing === this.playing) return;
    this.playing = playing;
    this.onPlaying?.(playing);
  }

  // Start (or restart) playback of the live playlist at `url`. Called from a click, or
  // after one (browsers need a gesture before sound).
  start(url, reason = "", { restart = false } = {}) {
    this.stop();
    if (!restart) this.restarts = 0;
    this.status = "";
    this.url = url || this.url;
    this.reason = reason;
    this.active = true;
    this.failed = false;
    this.startedAt = performance.now();
    this.lastProgress = performance.now();
    this.lastTime = 0;
    this.onStatus(this.reasonText() || this.strings.hls_connecting);
    this.watchTimer ??= setInterval(() => this.watch(), WATCH_MS);
    const element = this.element;
    if (Hls.isSupported()) {
      const hls = new Hls({
        liveSyncDuration: LIVE_SYNC_SECONDS,
        liveMaxLatencyDuration: LIVE_MAX_LATENCY_SECONDS,
        maxLiveSyncPlaybackRate: 1.1, // catch up gently after a stall
        lowLatencyMode: false,
        enableWorker: false, // fMP4 needs no transmuxing; and no worker under our CSP
        manifestLoadingMaxRetry: 1, // then this restarts on its own (RESTARTS)
        levelLoadingMaxRetry: 6,
        fragLoadingMaxRetry: 6,
      });
      this.hls = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (hls !== this.hls || !data.fatal) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else this.fail();
      });
      hls.loadSource(this.url);
      hls.attachMedia(element);
    } else if (element.canPlayType("application/vnd.apple.mpegurl")) {
      element.src = this.url;
    } else {
      this.active = false;
      this.failed = true;
      this.onStatus(this.strings.hls_unsupported);
      this.onChange?.();
      return;
    }
    element.play().catch(() => {});
  }

  stop() {
    clearTimeout(this.restartTimer);
    clearInterval(this.watchTimer);
    this.watchTimer = null;
    this.active = false;
    this.setPlaying(false);
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    if (this.element.getAttribute("src")) {
      this.element.removeAttribute("src");
      this.element.load();
    }
    this.element.pause();
    if (this.failed) {
      this.failed = false;
      this.onChange?.();
    }
  }

  fail() {
    if (!this.active) return;
    const hls = this.hls;
    if (this.restarts < RESTARTS) {
      this.restarts += 1;
      this.stop();
      this.active = true;
      this.lastProgress = performance.now() + RESTART_MS * this.restarts; // not a stall
      this.restartTimer = setTimeout(
        () => this.start(this.url, this.reason, { restart: true }),
        RESTART_MS * this.restarts,
      );
      return hls;
    }
    this.stop();
    this.failed = true;
    this.onStatus(this.strings.hls_failed);
    this.onChange?.();
    return hls;
  }

  tryAgain() {
    this.start(this.url, this.reason);
  }

  reasonText() {
    return { cap: this.strings.hls_full, saturated: this.strings.hls_busy }[this.reason] || "";
  }

  // The moment of the room playing now, in server epoch seconds; null while unknown.
  playingDate() {
    if (!this.playing) return null;
    if (this.hls) {
      const date = this.hls.playingDate;
      return date ? date.getTime() / 1000 : null;
    }
    const start = this.element.getStartDate?.();
    const ms = start?.getTime();
    return Number.isFinite(ms) && ms > 0 ? ms / 1000 + this.element.currentTime : null;
  }

  // Seconds between now and what is heard (glass to glass, give or take clock skew).
  latency() {
    const at = this.playingDate();
    return at === null ? null : Math.max(0, Date.now() / 1000 - at);
  }

  watch() {
    if (!this.active) return;
    const now = performance.now();
    const time = this.element.currentTime;
    if (time > this.lastTime && !this.element.paused) {
      this.lastTime = time;
      this.lastProgress = now;
      if (!this.playing) this.restarts = 0;
      this.setPlaying(true);
      this.showState();
    } else if (now - this.lastProgress > FAIL_MS) {
      this.fail();
    } else if (now - this.lastProgress > STALL_MS) {
      this.setPlaying(false);
    }
  }

  showState() {
    const reason = this.reasonText();
    const latency = this.latency();
    if (reason) return this.onStatus(reason);
    if (latency === null) return this.onStatus(this.strings.hls_connecting);
    this.onStatus(this.strings.hls_listening.replace("%(seconds)s", String(Math.max(1, Math.round(latency)))));
  }
}
