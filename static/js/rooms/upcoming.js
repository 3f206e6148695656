// An upcoming Space's page waits for it: when the host starts it, the page becomes the live
// room by itself; cancelled or not held, it shows that instead. The socket joins the room's
// events without taking a seat; a slow poll covers a socket that cannot connect. One state
// object (`view`), one render function for the page's one region, the status line.
import { connectSocket } from "../core/socket.js";

const root = document.getElementById("space-upcoming");
const strings = JSON.parse(document.getElementById("upcoming-strings").textContent);
const POLL_MS = 30000;
const OVER = new Set(["space.started", "space.cancelled", "space.not_held", "space.ended"]);

const view = {
  phase: "waiting", // "leaving" once the page reloads into what the Space has become
};

function renderStatus() {
  document.getElementById("upcoming-status").textContent = view.phase === "leaving" ? strings.starting : "";
}

function reload() {
  if (view.phase === "leaving") return;
  view.phase = "leaving";
  renderStatus();
  // The same link now serves the live room (or the page saying it will not happen).
  window.location.reload();
}

const socket = connectSocket(root.dataset.wsPath, {
  onMessage(message) {
    if (OVER.has(message.type)) return reload();
    // The Space went live between this page loading and the socket connecting.
    if (message.type === "snapshot") return reload();
    if (message.type === "error" && ["space_ended", "space_not_found"].includes(message.code)) return reload();
  },
  shouldReconnect: (event) => view.phase !== "leaving" && ![4403, 4404, 4410].includes(event.code),
});

setInterval(async () => {
  if (view.phase === "leaving") return;
  try {
    const response = await fetch(root.dataset.stateUrl, { headers: { Accept: "application/json" } });
    if (response.ok && (await response.json()).state !== "scheduled") reload();
  } catch {
    // Offline for a moment: the next poll or the socket will notice.
  }
}, POLL_MS);

// A waiting socket still checks in, so that the server keeps its place.
setInterval(() => socket.send({ type: "ping" }), 10000);
window.addEventListener("pagehide", () => socket.close());
