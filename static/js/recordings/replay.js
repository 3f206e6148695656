// The replay of an ended Space: the recording's HLS playlist in <audio id="replay-audio">
// (hls.js, or the browser's own HLS), with its waveform, who spoke when, the reactions and
// the pinned tweets as they were at each moment. The page carries everything (json_script
// "replay-data"); one state object (`view`) changes, and `render()` draws every region.
//
// Positions are seconds on the recording's own timeline (0 = its first sample, not moved
// by the trim), as the API's offsets are. #replay tells others where playback is with
// `replay:position` events and seeks on `replay:seek` ones (the clip cutter uses both).
// A link may start it elsewhere: ?t=<seconds on that timeline> (a transcript's line).
// Captions, when the Space had some, come as "replay-captions-data" (the captions app's
// partial): the phrases at the playhead show under their speaker's name.
import Hls from "../../vendor/hls.min.mjs";

const REACTION_BURST = 6; // at most this many bubbles per emoji in a batch

let current = null; // the mounted replay, replaced when htmx swaps the panel

function mount() {
  const root = document.getElementById("replay");
  if (!root || root === current?.root) return;
  current?.destroy();
  current = createReplay(root);
}

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds || 0));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function createReplay(root) {
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("replay-data").textContent);
  const audio = $("replay-audio");
  const labels = root.dataset;
  const start = data.trim_start; // where the replay begins
  const end = data.duration;
  const base = data.playlist_start; // the recording position of the playlist's time 0
  const asked = Number.parseFloat(new URLSearchParams(window.location.search).get("t"));
  const first = Number.isFinite(asked) ? Math.min(end, Math.max(start, asked)) : start;
  const captionsData = $("replay-captions-data");
  const cues = captionsData ? JSON.parse(captionsData.textContent).sort((a, b) => a.start - b.start) : [];
  const CAPTIONS_KEY = "replay-captions";
  const view = {
    ready: false,
    playing: false,
    position: first,
    rate: 1,
    status: "",
    pins: null, // the pins shown, to redraw only when they change
    played: false, // this page view counted its play
    plays: data.plays,
    captions: cues.length > 0 && readCaptionsChoice() !== "off", // shown (the toggle)
    shownCues: "", // the phrases drawn, to redraw only when they change
  };
  // Reaction batches in order; those after the last position float when reached. An index
  // of the next one to float: each frame looks at it alone, a jump finds it again.
  const reactions = [...data.reactions].sort((a, b) => a.offset - b.offset);
  let lastReactionAt = first;
  let nextReaction = 0;
  let frame = 0;
  let hls = null;
  const cleanups = [];
  const on = (target, type, handler) => {
    target.addEventListener(type, handler);
    cleanups.push(() => target.removeEventListener(type, handler));
  };

  // -- the audio -----------------------------------------------------------------------

  if (Hls.isSupported()) {
    // No worker: the page's CSP allows no blob: scripts.
    hls = new Hls({ enableWorker: false, startPosition: Math.max(0, first - base) });
    hls.on(Hls.Events.MANIFEST_PARSED, () => setReady());
    hls.on(Hls.Events.ERROR, (_event, error) => {
      if (error.fatal) setStatus(labels.labelError);
    });
    hls.loadSource(data.playlist_url);
    hls.attachMedia(audio);
  } else if (audio.canPlayType("application/vnd.apple.mpegurl")) {
    audio.src = data.playlist_url;
    on(audio, "loadedmetadata", () => setReady());
    on(audio, "error", () => setStatus(labels.labelError));
  } else {
    setStatus(labels.labelUnplayable);
  }

  function setReady() {
    view.ready = true;
    if (first !== start) seek(first); // a link's ?t=
    else render();
  }

  function setStatus(text) {
    view.status = text;
    render();
  }

  const positionNow = () => (view.ready ? audio.currentTime + base : view.position);

  function seek(position) {
    const to = Math.min(end, Math.max(start, Number(position) || 0));
    view.position = to;
    skipReactionsTo(to); // reactions before here do not float after a jump
    if (view.ready) audio.currentTime = Math.max(0, to - base);
    announce();
    render();
  }

  function announce() {
    root.dispatchEvent(new CustomEvent("replay:position", { detail: { position: view.position } }));
  }

  function tick() {
    frame = 0;
    view.position = positionNow();
    floatReactionsUpTo(view.position);
    render();
    if (view.playing) frame = requestAnimationFrame(tick);
  }

  on(audio, "play", () => {
    view.playing = true;
    countPlay();
    if (!frame) frame = requestAnimationFrame(tick);
    render();
  });
  on(audio, "pause", () => {
    view.playing = false;
    render();
  });
  on(audio, "ended", () => {
    view.playing = false;
    render();
  });
  on(audio, "timeupdate", () => {
    view.position = positionNow();
    announce();
    if (!view.playing) render();
  });
  on(audio, "seeked", () => {
    view.position = positionNow();
    skipReactionsTo(view.position);
    announce();
    render();
  });
  on(root, "replay:seek", (event) => seek(event.detail?.position));

  // -- controls ------------------------------------------------------------------------

  const play = $("replay-play");
  on(play, "click", () => {
    if (!view.ready) return;
    if (audio.paused) {
      if (view.position >= end - 0.05) seek(start);
      audio.play().catch(() => {});
    } else {
      audio.pause();
    }
  });
  const seekBar = $("replay-seek");
  on(seekBar, "input", () => seek(seekBar.value));
  // Keys move by seconds that make sense for speech, whatever the length.
  const KEY_STEPS = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -30, PageUp: 30 };
  on(seekBar, "keydown", (event) => {
    let to = null;
    if (event.key in KEY_STEPS) to = view.position + KEY_STEPS[event.key];
    else if (event.key === "Home") to = start;
    else if (event.key === "End") to = end;
    if (to === null) return;
    event.preventDefault();
    seek(to);
  });
  for (const button of root.querySelectorAll("[data-rate]")) {
    on(button, "click", () => {
      view.rate = Number(button.dataset.rate);
      audio.playbackRate = view.rate;
      render();
    });
  }
  const canvas = $("replay-waveform");
  on(canvas, "click", (event) => {
    const box = canvas.getBoundingClientRect();
    seek(start + ((event.clientX - box.left) / box.width) * (end - start));
  });

  function countPlay() {
    if (view.played) return;
    view.played = true;
    fetch(root.dataset.playUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((body) => {
        if (body && typeof body.plays === "number") {
          view.plays = body.plays;
          render();
        }
      })
      .catch(() => {});
  }

  // -- reactions -----------------------------------------------------------------------

  function skipReactionsTo(position) {
    // The first batch after `position` (binary search).
    let low = 0;
    let high = reactions.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (reactions[middle].offset <= position) low = middle + 1;
      else high = middle;
    }
    nextReaction = low;
    lastReactionAt = position;
  }

  function floatReactionsUpTo(position) {
    if (position < lastReactionAt) {
      skipReactionsTo(position);
      return;
    }
    while (nextReaction < reactions.length && reactions[nextReaction].offset <= position) {
      floatBatch(reactions[nextReaction]);
      nextReaction += 1;
    }
    lastReactionAt = position;
  }

  function floatBatch({ counts, reactors }) {
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) return;
    const layer = $("replay-floats");
    for (const [participantId, emoji] of Object.entries(reactors || {})) {
      const lane = $("replay-lanes").querySelector(`[data-participant="${participantId}"] .replay-lane-name`);
      if (lane) lane.append(element("span", { className: "replay-lane-reaction", onanimationend: (e) => e.target.remove() }, emoji));
    }
    for (const [emoji, count] of Object.entries(counts || {})) {
      for (let i = 0; i < Math.min(count, REACTION_BURST); i += 1) {
        const bubble = element("span", { className: "replay-float", onanimationend: (e) => e.target.remove() }, emoji);
        bubble.style.left = `${5 + Math.random() * 90}%`;
        bubble.style.animationDelay = `${Math.random() * 200}ms`;
        layer.append(bubble);
      }
    }
  }

  // -- drawing -------------------------------------------------------------------------

  const share = (position) => (end > start ? (position - start) / (end - start) : 0);

  function drawLanes() {
    const list = $("replay-lanes");
    list.replaceChildren();
    for (const speaker of data.speakers) {
      const turns = speaker.turns.filter(([, stop]) => stop > start);
      if (!turns.length) continue;
      const name = speaker.name || speaker.handle || "?";
      const avatar = speaker.avatar
        ? element("img", { className: "avatar small", src: speaker.avatar, alt: "", width: "32", height: "32" })
        : element("span", { className: "avatar small initials", "aria-hidden": "true", "data-initial": name.slice(0, 1).toUpperCase() });
      // One tab stop per lane (roving tabindex): arrows, Home and End move between turns.
      const track = element("div", { className: "replay-lane-track", onkeydown: moveInLane });
      for (const [index, [from, to]] of turns.entries()) {
        const begin = Math.max(start, from);
        const label = labels.labelTurn.replace("%(name)s", name).replace("%(start)s", clock(begin - start));
        const turn = element("button", {
          type: "button",
          className: "replay-turn",
          "aria-label": label,
          title: label,
          tabindex: index === 0 ? "0" : "-1",
          onclick: () => seek(begin),
        });
        turn.style.left = `${share(begin) * 100}%`;
        turn.style.width = `${Math.max(0.5, (share(to) - share(begin)) * 100)}%`;
        track.append(turn);
      }
      list.append(
        element(
          "li",
          { className: "replay-lane", "data-participant": String(speaker.participant_id) },
          element("span", { className: "replay-lane-name" }, avatar, element("span", { className: "replay-lane-label" }, name)),
          track,
        ),
      );
    }
    $("replay-no-speakers").hidden = list.children.length > 0;
  }

  const LANE_KEYS = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 };

  function moveInLane(event) {
    const turns = [...event.currentTarget.querySelectorAll(".replay-turn")];
    const at = turns.indexOf(document.activeElement);
    if (at < 0) return;
    let to = null;
    if (event.key in LANE_KEYS) to = Math.min(turns.length - 1, Math.max(0, at + LANE_KEYS[event.key]));
    else if (event.key === "Home") to = 0;
    else if (event.key === "End") to = turns.length - 1;
    if (to === null) return;
    event.preventDefault();
    turns[at].tabIndex = -1;
    turns[to].tabIndex = 0;
    turns[to].focus();
  }

  function drawWaveform() {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const styles = getComputedStyle(root);
    const played = styles.getPropertyValue("--replay-played").trim() || "#7c3aed";
    const ahead = styles.getPropertyValue("--replay-ahead").trim() || "#ccc";
    const peaks = data.waveform.length ? data.waveform : [0];
    const loudest = Math.max(...peaks, 0.05);
    const first = Math.floor((start / (end || 1)) * peaks.length);
    const shown = peaks.slice(first).length ? peaks.slice(first) : peaks;
    const bar = width / shown.length;
    const progress = share(view.position) * width;
    for (let i = 0; i < shown.length; i += 1) {
      const h = Math.max(2, (shown[i] / loudest) * (height - 4));
      context.fillStyle = i * bar < progress ? played : ahead;
      context.fillRect(i * bar, (height - h) / 2, Math.max(1, bar - (bar > 3 ? 1 : 0)), h);
    }
  }

  function drawPins() {
    let pins = [];
    for (const change of data.pins) {
      if (change.offset <= view.position + 0.001) pins = change.pins;
      else break;
    }
    if (pins === view.pins) return;
    view.pins = pins;
    $("replay-pins").hidden = pins.length === 0;
    $("replay-pin-list").replaceChildren(
      ...pins.map((pin) =>
        element(
          "li",
          { className: "replay-pin" },
          element("a", { href: pin.url }, element("strong", {}, pin.name), ` @${pin.handle}`),
          element("p", {}, pin.text),
        ),
      ),
    );
  }

  // -- captions ------------------------------------------------------------------------

  function readCaptionsChoice() {
    try {
      return window.localStorage.getItem(CAPTIONS_KEY);
    } catch {
      return null;
    }
  }

  const captionsToggle = $("replay-captions-toggle");
  if (captionsToggle) {
    on(captionsToggle, "click", () => {
      view.captions = !view.captions;
      try {
        window.localStorage.setItem(CAPTIONS_KEY, view.captions ? "on" : "off");
      } catch {
        // private browsing: the choice lasts for this page
      }
      render();
    });
  }

  function cuesAt(position) {
    // The phrases said at this moment: two people may speak at once. A link's ?t= is in
    // tenths and a phrase's start in milliseconds: one starting 10 ms on shows already.
    const found = [];
    for (const cue of cues) {
      if (cue.start - 0.01 > position) break;
      if (position < cue.end || (cue.end <= cue.start && position - cue.start < 1)) found.push(cue);
    }
    return found;
  }

  function drawCaptions() {
    const box = $("replay-captions");
    if (!cues.length || !box) return;
    if (captionsToggle) captionsToggle.setAttribute("aria-pressed", String(view.captions));
    const shown = view.captions ? cuesAt(view.position) : [];
    const key = shown.map((cue) => `${cue.start}|${cue.speaker}`).join("\n");
    box.hidden = shown.length === 0;
    if (key === view.shownCues) return;
    view.shownCues = key;
    box.replaceChildren(
      ...shown.map((cue) =>
        element(
          "p",
          { className: "replay-caption" },
          element("span", { className: "replay-caption-speaker" }, cue.speaker),
          " ",
          element("span", { className: "replay-caption-text" }, cue.text),
        ),
      ),
    );
  }

  function render() {
    play.disabled = !view.ready;
    const label = view.playing ? labels.labelPause : labels.labelPlay;
    play.setAttribute("aria-label", label);
    play.classList.toggle("playing", view.playing);
    if (document.activeElement !== seekBar || !view.playing) seekBar.value = String(view.position);
    seekBar.setAttribute("aria-valuetext", `${clock(view.position - start)} / ${clock(end - start)}`);
    $("replay-time").textContent = clock(view.position - start);
    for (const button of root.querySelectorAll("[data-rate]")) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.rate) === view.rate));
    }
    const status = $("replay-status");
    status.hidden = !view.status;
    status.textContent = view.status;
    $("replay-plays").textContent = String(view.plays);
    drawWaveform();
    drawPins();
    drawCaptions();
  }

  drawLanes();
  render();
  const resize = () => drawWaveform();
  on(window, "resize", resize);

  return {
    root,
    destroy() {
      if (frame) cancelAnimationFrame(frame);
      for (const cleanup of cleanups) cleanup();
      hls?.destroy();
      audio.pause();
    },
  };
}

mount();
// The host's trim swaps the recording panel (htmx): mount the new replay.
document.body.addEventListener("htmx:afterSettle", mount);
