// The live room: one WebSocket for state and events, rendered with plain DOM calls.
import { connectSocket } from "../core/socket.js";
import { RoomAudio } from "./audio.js";

const root = document.getElementById("space-room");
const strings = JSON.parse(document.getElementById("space-strings").textContent);
const $ = (id) => document.getElementById(id);
const HEARTBEAT_MS = 10000;

const audio = new RoomAudio({
  send: (frame) => send(frame),
  element: $("space-audio"),
  strings,
  onStatus: (text) => { $("audio-status").textContent = text; },
  onLevel: (level) => {
    const meter = $("mic-level");
    meter.hidden = level === null;
    if (level !== null) meter.value = level;
  },
  onChange: () => renderAudio(),
});

let room = null; // the last snapshot, kept current by events
let seq = 0;
let socket = null;
let over = false;
const openMenus = new Set(); // participant ids whose moderator menu is open
let speaking = new Set(); // participant ids the media server hears talking
let snapshots = 0;

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function avatar(person, size = "") {
  if (person.avatar) return element("img", { className: `avatar ${size}`, src: person.avatar, alt: "" });
  const initial = (person.name || "?").slice(0, 1).toUpperCase();
  return element("span", { className: `avatar initials ${size}`, "aria-hidden": "true" }, initial);
}

function send(frame) {
  socket?.send(frame);
}

function me() {
  return room?.me;
}

function isModerator() {
  return ["host", "cohost"].includes(me()?.role);
}

function actionButton(label, frame, extra = {}) {
  return element("button", {
    type: "button",
    className: "secondary small",
    onclick: () => send({ ...frame, ...extra }),
  }, label);
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
  const label = strings.actions_for.replace("%(name)s", person.name || "");
  // Closed by default, so that the stage stays readable; open menus survive re-renders.
  const menu = element(
    "details",
    { className: "menu", open: openMenus.has(person.id) },
    element("summary", { "aria-label": label, title: label }, "⋯"),
    element("div", { className: "menu-items" }, ...buttons),
  );
  menu.addEventListener("toggle", () => {
    if (menu.open) openMenus.add(person.id);
    else openMenus.delete(person.id);
  });
  return menu;
}

function renderStage() {
  const stage = $("stage");
  stage.replaceChildren(
    ...room.stage.map((person) =>
      element(
        "li",
        {
          className: `seat ${person.role}${person.muted ? " muted" : ""}${speaking.has(person.id) ? " speaking" : ""}`,
          dataset: { participant: person.id },
        },
        element("a", { href: person.url || "#", className: "seat-avatar" }, avatar(person, "large")),
        element("span", { className: "seat-name" }, person.name || ""),
        element(
          "span",
          { className: "seat-role" },
          person.role === "speaker" ? strings.speaker : strings[person.role],
          person.muted ? element("span", { className: "muted-icon", title: strings.muted, "aria-label": strings.muted }, " 🔇") : null,
        ),
        moderatorMenu(person),
      ),
    ),
  );
}

function renderListeners() {
  const list = $("listeners");
  const items = room.listeners.map((person) =>
    element(
      "li",
      { className: "listener", dataset: { participant: person.id } },
      avatar(person, "small"),
      element("a", { href: person.url || "#" }, person.name || ""),
      moderatorMenu(person),
    ),
  );
  list.replaceChildren(...(items.length ? items : [element("li", { className: "muted" }, strings.no_listeners)]));
}

function renderHands() {
  const section = $("requests");
  section.hidden = !isModerator() || room.hands.length === 0;
  $("hands").replaceChildren(
    ...room.hands.map((person) =>
      element(
        "li",
        { className: "person", dataset: { participant: person.id } },
        avatar(person, "small"),
        element("span", {}, person.name || ""),
        isModerator() ? actionButton(strings.approve, { type: "request.approve", participant: person.id }) : null,
        isModerator() ? actionButton(strings.decline, { type: "request.decline", participant: person.id }) : null,
      ),
    ),
  );
}

function renderCount() {
  const total = room.counts.total;
  $("listener-count").textContent =
    total === 1 ? strings.listening_one : strings.listening_many.replace("%(count)s", total);
}

function renderPins() {
  const pins = $("pins");
  pins.hidden = room.pins.length === 0;
  pins.replaceChildren(
    ...room.pins.map((pin) =>
      element("a", { className: "pin card", href: pin.url },
        element("strong", {}, `📌 ${pin.name} @${pin.handle}`),
        element("span", {}, pin.text)),
    ),
  );
}

function renderMine() {
  const mine = me();
  const signedIn = root.dataset.signedIn === "true";
  const onStage = mine && ["host", "cohost", "speaker"].includes(mine.role);
  $("raise-hand").hidden = !signedIn || !mine || onStage || mine.hand_raised;
  $("lower-hand").hidden = !mine || onStage || !mine.hand_raised;
  $("unmute").hidden = !onStage || !mine.muted;
  $("mute").hidden = !onStage || mine.muted;
  $("stage-leave").hidden = !onStage || mine.role === "host";
  $("listed-toggle").hidden = !signedIn || !mine || mine.role !== "listener" || mine.hand_raised;
  if (mine) $("listed").checked = mine.listed;
  $("invite-prompt").hidden = !mine || !mine.invited || onStage;
  audio.update({ onStage: Boolean(onStage), muted: Boolean(mine?.muted) });
  renderAudio();
}

function renderAudio() {
  const listen = $("listen");
  listen.hidden = audio.wanted;
  listen.textContent = audio.onStage ? strings.listen_stage : strings.listen;
  $("audio-stop").hidden = !audio.wanted;
}

function renderSpeaking(ids) {
  speaking = new Set(ids);
  for (const seat of $("stage").querySelectorAll(".seat")) {
    const id = Number(seat.dataset.participant);
    seat.classList.toggle("speaking", speaking.has(id));
    seat.querySelector(".seat-speaking")?.remove();
    if (speaking.has(id)) seat.append(element("span", { className: "seat-speaking visually-hidden" }, strings.speaking));
  }
}

function render() {
  renderStage();
  renderListeners();
  renderHands();
  renderCount();
  renderPins();
  renderMine();
}

// The viewer's own seat follows the stage, hands and invitation events.
function refreshMe(data = {}) {
  const mine = me();
  if (!mine) return;
  const seat = room.stage.find((p) => p.id === mine.id) || room.hands.find((p) => p.id === mine.id);
  if (seat) Object.assign(mine, seat);
  else if (data.stage) Object.assign(mine, { role: mine.role === "host" ? "host" : "listener", hand_raised: false, muted: true, muted_by_host: false });
  if (data.stage && room.stage.some((p) => p.id === mine.id)) mine.invited = false;
}

function applySnapshot(snapshot) {
  room = snapshot;
  seq = snapshot.seq;
  if (room.state !== "live") return showEnded();
  render();
}

async function resync() {
  const response = await fetch(root.dataset.stateUrl, { headers: { Accept: "application/json" } });
  if (response.ok) applySnapshot(await response.json());
}

function removeListener(id) {
  room.listeners = room.listeners.filter((p) => p.id !== id);
}

function apply(event) {
  const data = event;
  if (event.type === "reactions.batch") return floatReactions(data);
  if (event.type === "audience.count") {
    room.counts = data.counts;
    return renderCount();
  }
  if (data.stage) {
    room.stage = data.stage;
    room.hands = data.hands;
    room.counts = data.counts;
    room.listeners = room.listeners.filter(
      (p) => !room.stage.some((s) => s.id === p.id) && p.id !== data.participant_id,
    );
    refreshMe(data);
  }
  switch (event.type) {
    case "audience.listed_changed":
      if (me()?.id === data.participant.id) me().listed = data.listed;
    // falls through
    case "audience.joined":
      room.counts = data.counts;
      if (data.participant) {
        removeListener(data.participant.id);
        if (data.listed !== false) room.listeners.push(data.participant);
      }
      break;
    case "audience.left":
      room.counts = data.counts;
      removeListener(data.participant.id);
      break;
    case "stage.invited":
      if (me()?.id === data.participant_id) me().invited = true;
      room.listeners.forEach((p) => { if (p.id === data.participant_id) p.invited = true; });
      break;
    case "stage.invite_declined":
      if (me()?.id === data.participant_id) me().invited = false;
      room.listeners.forEach((p) => { if (p.id === data.participant_id) p.invited = false; });
      break;
    case "pins.changed":
      room.pins = data.pins;
      break;
    case "space.policy_changed":
      room.speak_policy = data.speak_policy;
      break;
    case "participant.removed":
      removeListener(data.participant_id);
      if (me()?.id === data.participant_id) return showRemoved();
      break;
    case "space.ended":
      return showEnded();
  }
  render();
}

function floatReactions({ counts, reactors }) {
  const layer = $("floats");
  for (const [participantId, emoji] of Object.entries(reactors || {})) {
    const seat = $("stage").querySelector(`[data-participant="${participantId}"]`);
    if (seat) seat.append(element("span", { className: "seat-reaction", onanimationend: (e) => e.target.remove() }, emoji));
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

function status(text) {
  $("connection-status").textContent = text;
}

function showEnded() {
  over = true;
  audio.stop();
  socket?.close();
  root.classList.add("ended");
  $("space-ended").hidden = false;
  $("live-pill").hidden = true;
  for (const id of ["stage", "my-controls", "requests", "invite-prompt"]) $(id).hidden = true;
  status(strings.ended);
}

function showRemoved() {
  over = true;
  audio.stop();
  socket?.close();
  root.classList.add("ended");
  for (const id of ["stage", "my-controls", "requests", "invite-prompt"]) $(id).hidden = true;
  status(strings.removed);
}

function toast(text) {
  const toasts = $("toasts");
  const node = element("div", { className: "toast error", role: "alert" }, text);
  toasts.append(node);
  setTimeout(() => node.remove(), 5000);
}

function onMessage(message) {
  if (message.type === "snapshot") {
    status(strings.connected);
    audio.configure(message.media);
    // The media server hung up when the socket went: offer again on a reconnection.
    if (snapshots++ > 0) audio.resume();
    return applySnapshot(message);
  }
  if (message.type === "pong") return;
  if (message.type === "media.answer") return audio.onAnswer(message);
  if (message.type === "speaking") return renderSpeaking(message.speaking);
  if (message.type === "error") {
    if (message.code === "space_ended") return showEnded();
    if (message.for === "media.offer") return audio.onError(message);
    return toast(message.message);
  }
  if (!room) return;
  // Reactions and audience counts are lossy refreshes: they carry seq but take none.
  if (message.type !== "reactions.batch" && message.type !== "audience.count") {
    if (message.seq > seq + 1) {
      resync();
      return;
    }
    seq = Math.max(seq, message.seq);
  }
  apply(message);
}

root.addEventListener("click", (event) => {
  const button = event.target.closest("[data-frame]");
  if (button) send({ type: button.dataset.frame });
});
$("mute").addEventListener("click", () => send({ type: "mute.set", muted: true }));
$("unmute").addEventListener("click", () => {
  send({ type: "mute.set", muted: false });
  audio.retryMicrophone();
});
$("listen").addEventListener("click", () => audio.start());
$("audio-stop").addEventListener("click", () => audio.stop());
$("listed").addEventListener("change", (event) => send({ type: "listed.set", listed: event.target.checked }));
for (const button of document.querySelectorAll("[data-emoji]")) {
  button.addEventListener("click", () => send({ type: "react", emoji: button.dataset.emoji }));
}
$("copy-link").addEventListener("click", async (event) => {
  await navigator.clipboard?.writeText(event.target.dataset.url);
  toast(strings.copied);
});
$("leave").addEventListener("click", () => {
  over = true;
  audio.stop();
  send({ type: "leave" });
  // Give the frame a moment to leave before the page (and its socket) goes away.
  setTimeout(() => { window.location.href = "/spaces/"; }, 300);
});

socket = connectSocket(root.dataset.wsPath, {
  onMessage,
  onClose(event) {
    if (event.code === 4410) return showEnded();
    if (event.code === 4403 || event.code === 4404) return;
    if (!over) status(strings.reconnecting);
  },
  shouldReconnect: (event) => !over && ![4403, 4404, 4410, 4429].includes(event.code),
});
setInterval(() => send({ type: "ping" }), HEARTBEAT_MS);
