// Every page: the language switcher and, for signed-in people, the ws/me/ socket
// that brings personal notifications to every open page.
import { connectSocket } from "./socket.js";

for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

function showToast(text, url) {
  const toasts = document.getElementById("toasts");
  if (!toasts) return;
  const toast = document.createElement(url ? "a" : "div");
  toast.className = "toast";
  toast.textContent = text;
  if (url) toast.href = url;
  toasts.append(toast);
  setTimeout(() => toast.remove(), 6000);
}

function addToList(notification) {
  const list = document.getElementById("notification-list");
  if (!list) return;
  const item = document.createElement("li");
  item.className = "notification";
  const body = document.createElement(notification.url ? "a" : "span");
  body.textContent = notification.text;
  if (notification.url) body.href = notification.url;
  item.append(body);
  list.prepend(item);
  document.getElementById("notifications-empty")?.setAttribute("hidden", "");
}

function bumpBadge() {
  const badge = document.getElementById("unread-badge");
  if (!badge) return;
  badge.textContent = String(Number(badge.textContent || 0) + 1);
  badge.hidden = false;
}

if (document.body.dataset.user) {
  connectSocket("/ws/me/", {
    onMessage(message) {
      if (message.type === "livebar.changed") {
        // The live bar (an htmx partial) refreshes itself on this event.
        document.body.dispatchEvent(new CustomEvent("livebar-changed"));
      }
      if (message.type === "notification") {
        bumpBadge();
        addToList(message);
        showToast(message.text, message.url);
      }
    },
  });
}
