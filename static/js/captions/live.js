// Live captions on the Space page: the last lines under the stage, each under its
// speaker's name; the listener's own choices (shown or hidden, normal or large, remembered
// by this browser); the host's and co-hosts' switch. The room's script (rooms/space.js)
// keeps the state: the room's settings in its snapshot (`room.captions`), the lines and
// choices in `captionsState()`. Events change them through `captionsEvent()`, and
// `renderCaptions()` draws everything from them.

const MAX_LINES = 3;
const KEYS = { hidden: "spaces.captions.hidden", large: "spaces.captions.large" };
const $ = (id) => document.getElementById(id);

const section = $("captions");
const strings = JSON.parse($("captions-strings").textContent);
// The languages this site's speech models caption (the server's `languages()`).
const languages = new Set((section.dataset.languages || "").split(" ").filter(Boolean));

function remembered(key) {
  try {
    return localStorage.getItem(key) === "1";
  } catch {
    return false; // storage refused (private mode): the defaults
  }
}

function remember(key, on) {
  try {
    if (on) localStorage.setItem(key, "1");
    else localStorage.removeItem(key);
  } catch {
    // Not remembered, but still applied to this page.
  }
}

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function captionsState() {
  return {
    lines: [], // [{ key, name, text, final }], oldest first, at most MAX_LINES
    behind: false, // the worker dropped audio to catch up
    hidden: remembered(KEYS.hidden), // this listener hid them
    large: remembered(KEYS.large),
    saving: false, // the host's switch is on its way
    error: "", // why the switch was refused
    workerDown: section.dataset.worker === "down", // no captions worker when the page loaded
  };
}

function speakerName(speaker) {
  if (!speaker) return "";
  return speaker.name || (speaker.handle ? `@${speaker.handle}` : "");
}

// A phrase's partials and its final share a key: each replaces the line in place; a
// partial that arrives late never replaces the final text.
function upsert(state, event, final) {
  const line = state.lines.find((item) => item.key === event.key);
  if (line?.final && !final) return;
  const next = { key: event.key, name: speakerName(event.speaker), text: event.text || "", final };
  if (line) Object.assign(line, next);
  else state.lines.push(next);
  state.lines = state.lines.slice(-MAX_LINES);
}

// Apply one room event about captions; false for any other event. `settings`: the room's
// {enabled, language}, already updated by the caller for `captions.settings`.
export function captionsEvent(state, event, settings) {
  switch (event.type) {
    case "captions.partial":
    case "captions.final":
      if (settings?.enabled) upsert(state, event, event.type === "captions.final");
      return true;
    case "captions.behind":
      state.behind = Boolean(event.behind);
      return true;
    case "captions.settings":
      if (!event.enabled) Object.assign(state, { lines: [], behind: false });
      return true;
    default:
      return false;
  }
}

export function captionsToggle(state, choice) {
  state[choice] = !state[choice];
  remember(KEYS[choice], state[choice]);
}

// The host's switch: the same endpoint as the form without a script. Returns the room's
// new settings, or null (then `state.error` says why).
export async function captionsSwitch(state, { enabled, language }) {
  const form = $("captions-controls");
  const body = new URLSearchParams({ language });
  if (enabled) body.set("enabled", "true");
  state.saving = true;
  state.error = "";
  try {
    const response = await fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
      body,
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok) return { enabled: Boolean(data.enabled), language: data.language };
    state.error = data.detail || strings.failed;
  } catch {
    state.error = strings.failed;
  } finally {
    state.saving = false;
  }
  return null;
}

// Screen readers hear finished phrases only, each once: the log keeps the finals of the
// lines shown, adding new ones and dropping old ones (removals are not announced), so a
// phrase growing word by word never makes them read it again and again.
function renderLog(state) {
  const log = $("captions-live");
  const finals = state.lines.filter((line) => line.final);
  const keys = new Set(finals.map((line) => line.key));
  for (const node of [...log.children]) if (!keys.has(node.dataset.key)) node.remove();
  const present = new Set([...log.children].map((node) => node.dataset.key));
  for (const line of finals) {
    if (present.has(line.key)) continue;
    const node = element("p", "", line.name ? `${line.name}: ${line.text}` : line.text);
    node.dataset.key = line.key;
    log.append(node);
  }
}

function renderLines(state) {
  const items = state.lines.map((line) => {
    const item = element("li", `caption${line.final ? "" : " partial"}`);
    item.dataset.key = line.key;
    item.append(element("span", "caption-speaker", line.name), element("span", "caption-text", line.text));
    return item;
  });
  if (!items.length) {
    items.push(element("li", "caption-waiting", strings.waiting));
  }
  $("captions-lines").replaceChildren(...items);
}

function renderControls(state, { settings, live, moderator, unavailable }) {
  const form = $("captions-controls");
  if (!form) return; // anonymous pages have no switch
  form.hidden = !live || !moderator;
  const enabled = $("captions-enabled");
  const select = $("captions-language");
  // While a change is on its way the controls keep what the host chose.
  if (!state.saving) {
    enabled.checked = Boolean(settings?.enabled);
    select.value = settings?.language || select.value;
  }
  enabled.disabled = state.saving;
  select.disabled = state.saving;
  form.setAttribute("aria-busy", String(state.saving));
  $("captions-controls-status").textContent = state.saving ? strings.saving : state.error;
  $("captions-controls-status").classList.toggle("error", Boolean(state.error) && !state.saving);
  const note = $("captions-controls-note");
  note.hidden = !unavailable;
  note.textContent = unavailable;
}

// Everything captions show, from the state: the region (or nothing when the Space has
// captions off), the listener's toggles, the notices, and the host's switch.
export function renderCaptions(state, { settings, live, moderator }) {
  const enabled = live && Boolean(settings?.enabled);
  const language = settings?.language || "";
  const unavailable = language && !languages.has(language)
    ? format(strings.unavailable, { language: strings.languages[language] || language })
    : "";
  section.hidden = !enabled;
  section.classList.toggle("large", state.large);
  const visibility = $("captions-visibility");
  visibility.textContent = state.hidden ? strings.show : strings.hide;
  visibility.setAttribute("aria-expanded", String(!state.hidden));
  $("captions-size").textContent = strings.larger;
  $("captions-size").setAttribute("aria-pressed", String(state.large));
  $("captions-size").hidden = state.hidden || Boolean(unavailable);
  visibility.hidden = Boolean(unavailable);
  // No worker when the page loaded, and nothing captioned since: said where a screen
  // reader hears it too (the lines are hidden from it).
  const down = state.workerDown && !state.lines.length ? strings.down : "";
  $("captions-unavailable").hidden = !(unavailable || down);
  $("captions-unavailable").textContent = unavailable || down;
  $("captions-behind").hidden = !enabled || !state.behind || state.hidden || Boolean(unavailable);
  $("captions-region").hidden = !enabled || state.hidden || Boolean(unavailable);
  if (enabled) {
    renderLines(state);
    renderLog(state);
  }
  renderControls(state, { settings, live, moderator, unavailable });
}
