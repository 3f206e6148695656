// The live room. One WebSocket brings the snapshot and the room's events; they change one
// state object (`view`), and `render()` draws every region from it, so no state can leave a
// control behind.
import { captionsEvent, captionsState, captionsSwitch, captionsToggle, renderCaptions } from "../captions/live.js";
import { connectSocket } from "../core/socket.js";
import { RoomAudio } from "./audio.js";
import { EventDelay } from "./delay.js";
import { HlsListener, hlsSupported } from "./hls.js";

const root = document.getElementById("space-room");
const strings = JSON.parse(document.getElementById("space-strings").textContent);
const $ = (id) => document.getElementById(id);
const HEARTBEAT_MS = 10000;
// No pong for this long: the socket is dead even if the browser has not noticed.
const PONG_TIMEOUT_MS = 25000;
const LOSSY = new Set(["reactions.batch", "audience.count", "captions.partial", "captions.behind"]);
const ROLE_LABELS = { host: strings.host, cohost: strings.cohost, speaker: strings.speaker, listener: strings.listener };

const view = {
  room: null, // the last snapshot, kept current by events
  seq: 0,
  phase: "connecting", // "live", then "ended", "removed" or "refused"
  connection: "connecting", // "connected", "reconnecting"
  refusal: "", // why the room refused this page
  endingSoon: null, // { until: ms } while the room will end by itself
  speaking: new Set(), // participant ids the media server hears talking
  tray: null, // "react" or "share": the open tray above the dock
  openMenus: new Set(), // participant ids whose moderator menu is open
  pinnable: null, // the tweets a moderator may pin, once fetched
  pinnableFailed: false, // the last fetch of those tweets failed
  audioStatus: "",
  micLevel: null, // the speaker's input level, 0 to 1, while their microphone is on
  captions: captionsState(), // the lines shown and this listener's choices (the room's
  // settings are the snapshot's `captions`)
};

// The HLS texts live in the template, beside the choice that they go with.
const hlsChoice = $("hls-choice");
Object.assign(strings, {
  hls_full: hlsChoice.dataset.full,
  hls_busy: hlsChoice.dataset.busy,
  hls_connecting: hlsChoice.dataset.connecting,
  hls_listening: hlsChoice.dataset.listening,
  hls_failed: hlsChoice.dataset.failed,
  hls_unsupported: hlsChoice.dataset.unsupported,
});
const canHls = hlsSupported($("hls-audio"));

const hls = new HlsListener({
  element: $("hls-audio"),
  strings,
  onStatus: (text) => {
    view.audioStatus = text;
    renderAudio();
  },
  onChange: () => renderAudio(),
  // Stalled, failed or stopped: nothing is held for audio that is not playing.
  onPlaying: () => delay.releaseDue(),
  // The stream's last segment played: the end, held until now, shows.
  onEnded: () => delay.releaseAll(),
});

const audio = new RoomAudio({
  send: (frame) => socket?.send(frame),
  element: $("space-audio"),
  hls,
  hlsUrl: root.dataset.hlsUrl,
  strings,
  onStatus: (text) => {
    view.audioStatus = text;
    renderAudio();
  },
  onLevel: (level) => {
    view.micLevel = level;
    renderMicLevel();
  },
  onChange: () => {
    renderDock();
    renderAudio();
  },
});

let socket = null;
let snapshots = 0;
let lastPong = Date.now();
// Resync: one snapshot fetch at a time; events that arrive meanwhile wait for it.
let fetching = null;
let buffered = [];
// Room events held for an HLS listener until the audio catches up with them (an event
// can never be held longer than 30 s: the stream stalled, or never started).
const delay = new EventDelay({
  playingDate: () => (audio.mode === "hls" ? hls.playingDate() : null),
  deliver,
  urgent: aboutMe,
});

// DOM helpers ------------------------------------------------------------------------------

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

function avatar(person, size = "") {
  if (person.avatar) return element("img", { className: `avatar ${size}`, src: person.avatar, alt: "" });
  const initial = (person.name || "?").slice(0, 1).toUpperCase();
  // The initial is drawn by CSS: decoration, never part of a link's name.
  return element("span", { className: `avatar initials ${size}`, "aria-hidden": "true", dataset: { initial } });
}

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

function send(frame) {
  socket?.send(frame);
}

function me() {
  return view.room?.me;
}

function isModerator() {
  return view.phase === "live" && ["host", "cohost"].includes(me()?.role);
}

function onStage() {
  return ["host", "cohost", "speaker"].includes(me()?.role);
}

function announce(text) {
  // Screen readers hear joins, new speakers and hands here, not the whole stage re-read.
  const region = $("announcer");
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

function toast(text, { error = true } = {}) {
  const node = element("div", { className: error ? "toast error" : "toast" }, text);
  if (error) node.setAttribute("role", "alert");
  $("toasts").append(node);
  setTimeout(() => node.remove(), 5000);
}

// Regions ----------------------------------------------------------------------------------

function actionButton(label, frame) {
  return element("button", { type: "button", className: "secondary small", onclick: () => send(frame) }, label);
}

function moderatorMenu(person) {
  const mine = me();
  if (!isModerator() || person.id === mine.id || person.role === "host") return null;
  if (person.role === "cohost" && mine.role !== "host") return null;
  const buttons = [];
  if (person.role === "listener") {
    if (person.handle && !person.invited) buttons.push(actionButton(strings.invite, { type: "speaker.invite", participant: person.id }));
    if (person.invited) buttons.push(element("span", { className: "pill" }, strings.invited));
  }
  if (["speaker", "cohost"].includes(person.role) && !person.muted_by_host) {
    buttons.push(actionButton(strings.mute, { type: "speaker.mute", participant: person.id }));
  }
  if (person.role === "speaker") buttons.push(actionButton(strings.demote, { type: "speaker.demote", participant: person.id }));
  if (mine.role === "host" && person.handle) {
    if (person.role === "cohost") buttons.push(actionButton(strings.unmake_cohost, { type: "cohost.remove", participant: person.id }));
    else buttons.push(actionButton(strings.make_cohost, { type: "cohost.add", participant: person.id }));
  }
  buttons.push(actionButton(strings.remove, { type: "participant.remove", participant: person.id }));
  if (person.handle) buttons.push(actionButton(strings.ban, { type: "participant.remove", participant: person.id, ban: true }));
  const label = format(strings.actions_for, { name: person.name || "" });
  // Closed by default, so that the stage stays readable; open menus survive re-renders.
  const menu = element(
    "details",
    { className: "menu", open: view.openMenus.has(person.id) },
    element("summary", { "aria-label": label, title: label }, "⋯"),
    element("div", { className: "menu-items", role: "group", "aria-label": label }, ...buttons),
  );
  menu.addEventListener("toggle", () => {
    if (menu.open) {
      // One menu at a time: on a phone it opens as a sheet over the dock.
      for (const other of document.querySelectorAll("details.menu[open]")) if (other !== menu) other.open = false;
      view.openMenus = new Set([person.id]);
    } else view.openMenus.delete(person.id);
  });
  return menu;
}

function seatLabel(person) {
  const parts = [person.name || "", ROLE_LABELS[person.role] || ""];
  if (person.muted) parts.push(strings.muted);
  return parts.filter(Boolean).join(", ");
}

function renderStage() {
  if (view.room.stage.length === 0) {
    $("stage").replaceChildren(element("li", { className: "muted empty-stage" }, strings.empty_stage));
    return;
  }
  $("stage").replaceChildren(
    ...view.room.stage.map((person) =>
      element(
        "li",
        {
          className: `seat ${person.role}${person.muted ? " is-muted" : ""}${view.speaking.has(person.id) ? " speaking" : ""}`,
          dataset: { participant: person.id },
        },
        element("a", { href: person.url || "#", className: "seat-avatar", "aria-label": seatLabel(person) },
          avatar(person, "large"),
          person.muted ? element("span", { className: "seat-muted", title: strings.muted, "aria-hidden": "true" }, "🔇") : null),
        element("span", { className: "seat-name", "aria-hidden": "true" }, person.name || ""),
        element("span", { className: `seat-role role-${person.role}`, "aria-hidden": "true" }, ROLE_LABELS[person.role] || ""),
        view.speaking.has(person.id) ? element("span", { className: "visually-hidden" }, strings.speaking) : null,
        moderatorMenu(person),
      ),
    ),
  );
}

function renderListeners() {
  const items = view.room.listeners.map((person) =>
    element(
      "li",
      { className: "listener", dataset: { participant: person.id } },
      element("a", { href: person.url || "#", className: "listener-link" }, avatar(person, "medium"), element("span", { className: "listener-name" }, person.name || "")),
      moderatorMenu(person),
    ),
  );
  $("listeners").replaceChildren(...(items.length ? items : [element("li", { className: "muted empty-listeners" }, strings.no_listeners)]));
  const mine = me();
  const signedIn = root.dataset.signedIn === "true";
  $("listed-toggle").hidden = !signedIn || !mine || mine.role !== "listener" || mine.hand_raised;
  if (mine) $("listed").checked = mine.listed;
}

function renderHands() {
  $("requests").hidden = !isModerator() || view.room.hands.length === 0;
  $("hands").replaceChildren(
    ...view.room.hands.map((person) =>
      element(
        "li",
        { className: "person", dataset: { participant: person.id } },
        avatar(person, "small"),
        element("span", { className: "hand-name" }, person.name || ""),
        isModerator() ? actionButton(strings.approve, { type: "request.approve", participant: person.id }) : null,
        isModerator() ? actionButton(strings.decline, { type: "request.decline", participant: person.id }) : null,
      ),
    ),
  );
}

function renderPins() {
  const pins = $("pins");
  pins.hidden = view.room.pins.length === 0;
  pins.replaceChildren(
    ...view.room.pins.map((pin) =>
      element("div", { className: "pin card" },
        element("a", { href: pin.url, className: "pin-link" },
          element("strong", {}, `📌 ${pin.name} @${pin.handle}`),
          element("span", {}, pin.text)),
        isModerator() ? actionButton(strings.unpin, { type: "pin.remove", tweet: pin.tweet_id }) : null),
    ),
  );
  renderPinPicker();
}

function renderPinPicker() {
  const picker = $("pin-picker");
  picker.hidden = !isModerator();
  if (picker.hidden) return;
  if (view.pinnable === null) {
    if (view.pinnableFailed) $("pinnable-status").textContent = strings.pinnable_failed;
    return;
  }
  const pinned = new Set(view.room.pins.map((pin) => pin.tweet_id));
  const full = view.room.pins.length >= Number(root.dataset.maxPins);
  const choices = view.pinnable.filter((tweet) => !pinned.has(tweet.id));
  $("pinnable-status").textContent = full ? strings.pins_full : choices.length ? "" : strings.nothing_to_pin;
  $("pinnable-status").hidden = !$("pinnable-status").textContent;
  $("pinnable").replaceChildren(
    ...(full ? [] : choices).map((tweet) =>
      element("li", { className: "pinnable-tweet" },
        element("span", {}, element("strong", {}, `@${tweet.handle} `), tweet.text),
        actionButton(strings.pin, { type: "pin.add", tweet: tweet.id })),
    ),
  );
}

async function loadPinnable() {
  try {
    const response = await fetch(root.dataset.pinnableUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    view.pinnable = (await response.json()).tweets;
    view.pinnableFailed = false;
  } catch {
    view.pinnable = null;
    view.pinnableFailed = true;
  }
  renderPinPicker();
}

function renderCount() {
  const total = view.room?.counts.total ?? 0;
  $("listener-count").textContent = total === 1 ? strings.listening_one : format(strings.listening_many, { count: total });
}

function dockButton(id, icon, label, name = label) {
  const button = $(id);
  button.querySelector(".dock-icon").dataset.icon = icon;
  button.querySelector(".dock-label").textContent = label;
  if (name === label) button.removeAttribute("aria-label");
  else button.setAttribute("aria-label", name);
}

function renderDock() {
  const mine = me();
  const stage = onStage();
  const signedIn = root.dataset.signedIn === "true";
  const live = view.phase === "live" && Boolean(mine);
  // The audio slot: listen or stop; on the stage, connect, then the microphone switch.
  if (stage && audio.wanted) {
    if (mine.muted) dockButton("audio-toggle", "🎙", strings.unmute);
    else dockButton("audio-toggle", "🔇", strings.mute_short);
  } else if (stage) dockButton("audio-toggle", "🎙", strings.connect_short, strings.listen_stage);
  else if (audio.wanted) dockButton("audio-toggle", "⏹", strings.stop_short, strings.stop_listening);
  else dockButton("audio-toggle", "🎧", strings.listen);
  $("audio-toggle").hidden = !live;
  $("raise-hand").hidden = !live || !signedIn || stage || mine.hand_raised;
  $("lower-hand").hidden = !live || stage || !mine.hand_raised;
  $("stage-leave").hidden = !live || !stage || mine.role === "host";
  $("react-toggle").hidden = !live;
  $("react-toggle").setAttribute("aria-expanded", String(view.tray === "react"));
  $("share-toggle").setAttribute("aria-expanded", String(view.tray === "share"));
  $("reaction-tray").hidden = !live || view.tray !== "react";
  $("share-tray").hidden = view.tray !== "share";
  $("native-share").hidden = !navigator.share;
  $("invite-prompt").hidden = !live || !mine.invited || stage;
  // Told before accepting: what is said on a recorded stage is kept in the replay.
  $("invite-recorded").hidden = !view.room?.recorded;
  if (view.room?.recorded) $("invite-prompt").setAttribute("aria-describedby", "invite-recorded");
  else $("invite-prompt").removeAttribute("aria-describedby");
  $("host-actions").hidden = !live || mine.role !== "host";
}

function renderAudio() {
  $("audio-status").textContent = view.audioStatus;
  $("audio-retry").hidden = !audio.retryable;
  // Listeners may choose the HLS stream (a few seconds late); the stage is always WebRTC.
  const listener = view.phase === "live" && Boolean(me()) && !onStage();
  hlsChoice.hidden = !listener || !canHls;
  $("hls-listen").checked = audio.listenOver === "hls";
}

// Apart from renderAudio: the level changes many times a second, the status line must not.
function renderMicLevel() {
  const meter = $("mic-level");
  meter.hidden = view.micLevel === null;
  if (view.micLevel !== null) meter.value = view.micLevel;
}

// The header: the LIVE and REC badges, the count, the connection and the host's notices.
function renderHead() {
  const over = ["ended", "removed", "refused"].includes(view.phase);
  const live = view.phase === "live";
  $("live-pill").hidden = !live;
  $("rec-pill").hidden = !live || !view.room?.recorded;
  $("listener-count").hidden = !live;
  $("connection-status").hidden = over;
  $("connection-status").textContent = strings[view.connection];
  $("recording-failed").hidden = !live || !view.room?.recording_failed || me()?.role !== "host";
}

function renderOver() {
  const over = ["ended", "removed", "refused"].includes(view.phase);
  $("space-over").hidden = !over;
  $("room-body").hidden = over;
  renderHead();
  $("ending-soon").hidden = over || !view.endingSoon;
  if (view.endingSoon) {
    const seconds = Math.max(0, Math.round((view.endingSoon.until - Date.now()) / 1000));
    $("ending-soon").textContent = format(strings.ending_soon, { seconds });
  }
  root.classList.toggle("over", over);
  if (!over) return;
  const [pill, title, text] = {
    ended: [strings.ended_pill, strings.ended, strings.ended_text],
    removed: [strings.removed_pill, strings.removed, strings.removed_text],
    refused: [strings.refused_pill, view.refusal, ""],
  }[view.phase];
  $("over-pill").textContent = pill;
  $("over-title").textContent = title;
  $("over-text").textContent = text;
  $("over-text").hidden = !text;
}

// The captions region and the host's switch (static/js/captions/live.js).
function renderRoomCaptions() {
  renderCaptions(view.captions, {
    settings: view.room?.captions,
    live: view.phase === "live" && Boolean(view.room),
    moderator: isModerator(),
  });
}

function render() {
  renderOver();
  renderRoomCaptions();
  if (view.room && view.phase === "live") {
    renderStage();
    renderListeners();
    renderHands();
    renderPins();
    renderCount();
  }
  renderDock();
  renderAudio();
  audio.update({ onStage: view.phase === "live" && onStage(), muted: Boolean(me()?.muted) });
}

// State changes ------------------------------------------------------------------------------

// The page is done with this Space: stop the audio and the socket, show why, once.
function finish(phase, refusal = "") {
  if (["ended", "removed", "refused"].includes(view.phase)) return;
  view.phase = phase;
  view.refusal = refusal;
  view.tray = null;
  audio.stop();
  socket?.close();
  render();
  $("space-over").scrollIntoView({ block: "start" });
  $("over-title").focus?.();
}

function applySnapshot(snapshot) {
  // A slow snapshot fetch can land after the socket brought a newer one: keep the newer.
  if (view.room && snapshot.seq < view.seq) return;
  view.room = snapshot;
  view.seq = snapshot.seq;
  view.endingSoon = snapshot.ending_in === null || snapshot.ending_in === undefined
    ? null
    : { until: Date.now() + snapshot.ending_in * 1000 };
  if (snapshot.state !== "live") return finish("ended");
  view.phase = "live";
  render();
}

function upsertListener(person) {
  const listeners = view.room.listeners.filter((p) => p.id !== person.id);
  const onTheStage = view.room.stage.some((p) => p.id === person.id);
  if (person.role === "listener" && person.listed !== false && !onTheStage) listeners.push(person);
  view.room.listeners = listeners;
}

function removeListener(id) {
  view.room.listeners = view.room.listeners.filter((p) => p.id !== id);
}

// The viewer's own seat follows the stage, hands and invitation events.
function refreshMe(data) {
  const mine = me();
  if (!mine) return;
  const seat = view.room.stage.find((p) => p.id === mine.id) || view.room.hands.find((p) => p.id === mine.id);
  if (seat) Object.assign(mine, seat, { invited: view.room.stage.includes(seat) ? false : mine.invited });
  else if (data.participant?.id === mine.id) Object.assign(mine, data.participant);
  else Object.assign(mine, { role: mine.role === "host" ? "host" : "listener", hand_raised: false, muted: true, muted_by_host: false });
}

function announceStageChanges(before, beforeHands) {
  for (const person of view.room.stage) {
    if (!before.has(person.id) && person.id !== me()?.id) announce(format(strings.now_on_stage, { name: person.name || "" }));
  }
  if (!isModerator()) return;
  for (const person of view.room.hands) {
    if (!beforeHands.has(person.id)) announce(format(strings.asks_to_speak, { name: person.name || "" }));
  }
}

function apply(event) {
  const data = event;
  if (event.type === "reactions.batch") return floatReactions(data);
  if (event.type === "captions.settings") view.room.captions = { enabled: data.enabled, language: data.language };
  if (captionsEvent(view.captions, event, view.room.captions)) {
    // Only the switch's change redraws the room (the host's controls); lines are frequent.
    return event.type === "captions.settings" ? render() : renderRoomCaptions();
  }
  if (event.type === "audience.count") {
    view.room.counts = data.counts;
    return renderCount();
  }
  if (data.stage) {
    const before = new Set(view.room.stage.map((p) => p.id));
    const beforeHands = new Set(view.room.hands.map((p) => p.id));
    view.room.stage = data.stage;
    view.room.hands = data.hands;
    view.room.counts = data.counts;
    view.room.listeners = view.room.listeners.filter((p) => !data.stage.some((s) => s.id === p.id));
    if (data.participant) upsertListener(data.participant);
    else if (data.participant_id && event.type === "stage.left") removeListener(data.participant_id);
    refreshMe(data);
    announceStageChanges(before, beforeHands);
  }
  switch (event.type) {
    case "audience.listed_changed":
      if (me()?.id === data.participant.id) me().listed = data.listed;
    // falls through
    case "audience.joined":
      view.room.counts = data.counts;
      if (data.participant) {
        const isNew = !view.room.listeners.some((p) => p.id === data.participant.id);
        upsertListener({ ...data.participant, listed: data.listed !== false && data.participant.listed !== false });
        if (isNew && event.type === "audience.joined" && data.participant.name) announce(format(strings.joined, { name: data.participant.name }));
      }
      break;
    case "audience.left":
      view.room.counts = data.counts;
      removeListener(data.participant.id);
      break;
    case "stage.invited":
      if (me()?.id === data.participant_id) me().invited = true;
      view.room.listeners.forEach((p) => { if (p.id === data.participant_id) p.invited = true; });
      break;
    case "stage.invite_declined":
      if (me()?.id === data.participant_id) me().invited = false;
      view.room.listeners.forEach((p) => { if (p.id === data.participant_id) p.invited = false; });
      break;
    case "pins.changed":
      view.room.pins = data.pins;
      break;
    case "space.policy_changed":
      view.room.speak_policy = data.speak_policy;
      break;
    case "space.ending_soon":
      view.endingSoon = { until: Date.now() + (data.seconds || 60) * 1000 };
      announce(format(strings.ending_soon, { seconds: data.seconds || 60 }));
      break;
    case "space.ending_cancelled":
      view.endingSoon = null;
      break;
    case "recording.failed":
      // Only the host's page says so (also after a reload: the snapshot has it); the
      // Space goes on for everyone.
      view.room.recording_failed = true;
      break;
    case "participant.removed":
      removeListener(data.participant_id);
      if (me()?.id === data.participant_id) return finish("removed");
      break;
    case "space.ended":
      return finish("ended");
  }
  render();
}

function floatReactions({ counts, reactors }) {
  const layer = $("floats");
  for (const [participantId, emoji] of Object.entries(reactors || {})) {
    const seat = $("stage").querySelector(`[data-participant="${participantId}"]`);
    if (seat) seat.append(element("span", { className: "seat-reaction", "aria-hidden": "true", onanimationend: (e) => e.target.remove() }, emoji));
  }
  for (const [emoji, count] of Object.entries(counts)) {
    for (let i = 0; i < Math.min(count, 6); i += 1) {
      const bubble = element("span", { className: "float", onanimationend: (e) => e.target.remove() }, emoji);
      bubble.style.left = `${5 + Math.random() * 90}%`;
      bubble.style.animationDelay = `${Math.random() * 200}ms`;
      layer.append(bubble);
    }
  }
}

// Events in order: a gap fetches one snapshot, events meanwhile wait, and those the
// snapshot already holds are dropped.
function onRoomEvent(message) {
  if (LOSSY.has(message.type)) return apply(message);
  if (fetching) {
    buffered.push(message);
    return;
  }
  if (message.seq <= view.seq) return;
  if (message.seq > view.seq + 1) {
    buffered.push(message);
    resync();
    return;
  }
  view.seq = message.seq;
  apply(message);
}

function resync() {
  if (fetching) return fetching;
  fetching = (async () => {
    try {
      const response = await fetch(root.dataset.stateUrl, { headers: { Accept: "application/json" } });
      if (response.ok) applySnapshot(await response.json());
    } catch {
      // The socket's next reconnection brings a snapshot anyway.
    } finally {
      fetching = null;
      const waiting = buffered.sort((a, b) => a.seq - b.seq);
      buffered = [];
      // Drop what the snapshot holds; a gap that remains means the events are lost: the
      // next one that arrives fetches again.
      for (const event of waiting) {
        if (event.seq === view.seq + 1) {
          view.seq = event.seq;
          apply(event);
        }
      }
    }
  })();
  return fetching;
}

function onMessage(message) {
  lastPong = Date.now();
  if (message.type === "snapshot") {
    view.connection = "connected";
    audio.configure(message.media);
    // The media server hung up when the socket went: offer again on a reconnection.
    if (snapshots++ > 0) audio.resume();
    buffered = buffered.filter((event) => event.seq > message.seq);
    return applySnapshot(message);
  }
  if (message.type === "pong") return;
  if (message.type === "media.answer") return audio.onAnswer(message);
  if (message.type === "media.ice") return audio.onIce(message);
  if (message.type === "speaking") return delay.push(message);
  if (message.type === "error") {
    if (message.code === "space_ended") return finish("ended");
    if (message.code === "removed") return finish("removed");
    if (!view.room && ["banned", "blocked", "space_not_found", "forbidden"].includes(message.code)) {
      return finish("refused", message.message);
    }
    if (message.for === "media.offer" || message.for === "media.ice") return audio.onError(message);
    return toast(message.message);
  }
  if (message.type === "media.hls") return audio.onHls(message);
  if (!view.room) return;
  if (message.type === "audience.count") return onRoomEvent(message);
  delay.push(message);
}

function aboutMe(message) {
  const mine = me();
  if (!mine) return false;
  return message.participant_id === mine.id || message.participant?.id === mine.id;
}

function deliver(message) {
  if (message.type === "speaking") {
    view.speaking = new Set(message.speaking);
    if (view.room && view.phase === "live") renderStage();
    return;
  }
  if (view.room) onRoomEvent(message);
}

// Interactions --------------------------------------------------------------------------------

root.addEventListener("click", (event) => {
  const button = event.target.closest("[data-frame]");
  if (button) send({ type: button.dataset.frame });
});
$("audio-toggle").addEventListener("click", () => {
  if (!audio.wanted) return audio.start();
  if (!onStage()) return audio.stop();
  const unmute = Boolean(me()?.muted);
  send({ type: "mute.set", muted: !unmute });
  if (unmute) audio.retryMicrophone();
});
$("audio-retry").addEventListener("click", () => audio.tryAgain());
$("hls-listen").addEventListener("change", (event) => audio.choose(event.target.checked ? "hls" : "webrtc"));
$("listed").addEventListener("change", (event) => send({ type: "listed.set", listed: event.target.checked }));
for (const button of document.querySelectorAll("[data-emoji]")) {
  button.addEventListener("click", () => send({ type: "react", emoji: button.dataset.emoji }));
}
function toggleTray(name) {
  view.tray = view.tray === name ? null : name;
  renderDock();
}
$("react-toggle").addEventListener("click", () => toggleTray("react"));
$("share-toggle").addEventListener("click", () => toggleTray("share"));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && view.tray) {
    const opener = view.tray === "react" ? "react-toggle" : "share-toggle";
    toggleTray(view.tray);
    $(opener).focus();
  }
});
$("copy-link").addEventListener("click", async (event) => {
  try {
    await navigator.clipboard.writeText(event.currentTarget.dataset.url);
    toast(strings.copied, { error: false });
  } catch {
    toast(strings.copy_failed);
  }
});
$("native-share").addEventListener("click", () => {
  navigator.share?.({ title: document.title, url: $("copy-link").dataset.url }).catch(() => {});
});
$("pin-picker").addEventListener("toggle", (event) => {
  if (event.target.open && view.pinnable === null) loadPinnable();
});
$("captions-visibility").addEventListener("click", () => {
  captionsToggle(view.captions, "hidden");
  renderRoomCaptions();
});
$("captions-size").addEventListener("click", () => {
  captionsToggle(view.captions, "large");
  renderRoomCaptions();
});
$("captions-controls")?.addEventListener("change", async () => {
  const choice = { enabled: $("captions-enabled").checked, language: $("captions-language").value };
  const saving = captionsSwitch(view.captions, choice);
  renderRoomCaptions();
  const settings = await saving;
  if (settings && view.room) view.room.captions = settings;
  render();
});
$("captions-controls")?.addEventListener("submit", (event) => event.preventDefault());
$("end-space").addEventListener("click", () => $("confirm-end").showModal());
$("confirm-end").addEventListener("close", (event) => {
  if (event.target.returnValue === "end") send({ type: "space.end" });
});
$("leave").addEventListener("click", () => {
  view.phase = "left";
  audio.stop();
  send({ type: "leave" });
  // Give the frame a moment to leave before the page (and its socket) goes away.
  setTimeout(() => { window.location.href = root.dataset.directoryUrl; }, 300);
});

// The socket and its heartbeat ------------------------------------------------------------------

const CLOSED_FOR_GOOD = [4403, 4404, 4410, 4429];
socket = connectSocket(root.dataset.wsPath, {
  onMessage,
  onOpen() {
    lastPong = Date.now();
  },
  onClose(event) {
    if (event.code === 4410) return delay.holds("space.ended") ? undefined : finish("ended");
    if (CLOSED_FOR_GOOD.includes(event.code) || view.phase !== "live") return;
    view.connection = "reconnecting";
    renderOver();
  },
  shouldReconnect: (event) => view.phase === "live" || view.phase === "connecting" ? !CLOSED_FOR_GOOD.includes(event.code) : false,
});

function heartbeat() {
  if (!["live", "connecting"].includes(view.phase)) return;
  if (Date.now() - lastPong > PONG_TIMEOUT_MS) {
    // A sleeping laptop or a dead proxy: the browser still thinks the socket is open.
    lastPong = Date.now();
    view.connection = "reconnecting";
    renderOver();
    socket.reconnect();
    return;
  }
  send({ type: "ping" });
}
setInterval(heartbeat, HEARTBEAT_MS);
// A background tab's timers are throttled: on coming back, check in at once (the server
// sends a fresh snapshot if it had let this page go meanwhile).
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") heartbeat();
});
setInterval(() => {
  if (view.endingSoon) renderOver();
}, 1000);
render();
