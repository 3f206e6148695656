// Every page: the language switcher and, for signed-in people, the ws/me/ socket
// that brings personal notifications to every open page.
import { connectSocket } from "./socket.js";

for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// Forms that cannot be undone (end, cancel) ask first: <form data-confirm="Question?"
// data-confirm-yes="Do it" data-confirm-no="Keep it">, in a modal dialog.
function confirmDialog(form) {
  const dialog = document.createElement("dialog");
  dialog.className = "confirm card";
  const body = document.createElement("form");
  body.method = "dialog";
  const question = document.createElement("h2");
  question.id = "confirm-question";
  question.textContent = form.dataset.confirm;
  dialog.setAttribute("aria-labelledby", question.id);
  const actions = document.createElement("p");
  actions.className = "actions";
  const yes = document.createElement("button");
  yes.className = "danger";
  yes.value = "yes";
  yes.textContent = form.dataset.confirmYes;
  const no = document.createElement("button");
  no.className = "secondary";
  no.value = "no";
  no.textContent = form.dataset.confirmNo;
  no.autofocus = true;
  actions.append(yes, no);
  body.append(question, actions);
  dialog.append(body);
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "yes");
      dialog.remove();
    });
    dialog.showModal();
  });
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.dataset?.confirm || form.dataset.confirmed === "yes") return;
  event.preventDefault();
  if (await confirmDialog(form)) {
    form.dataset.confirmed = "yes";
    form.requestSubmit(event.submitter);
  }
});

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

// What the ws/me/ socket has brought: the page's count of unread notifications (the server's,
// then one more per arrival) and the notifications that arrived since the page loaded. The
// badge and the notifications page's list are drawn from it.
const inbox = {
  unread: Number(document.getElementById("unread-badge")?.textContent || 0),
  arrived: [],
};
let listed = 0; // how many of inbox.arrived the list already shows

function renderBadge() {
  const badge = document.getElementById("unread-badge");
  if (!badge) return;
  badge.textContent = String(inbox.unread);
  badge.hidden = inbox.unread === 0;
}

function renderList() {
  const list = document.getElementById("notification-list");
  if (!list) return;
  for (const notification of inbox.arrived.slice(listed)) {
    const item = document.createElement("li");
    item.className = "notification";
    const body = document.createElement(notification.url ? "a" : "span");
    body.textContent = notification.text;
    if (notification.url) body.href = notification.url;
    item.append(body);
    list.prepend(item);
  }
  listed = inbox.arrived.length;
  if (listed) document.getElementById("notifications-empty")?.setAttribute("hidden", "");
}

if (document.body.dataset.user) {
  connectSocket("/ws/me/", {
    onMessage(message) {
      if (message.type === "livebar.changed") {
        // The live bar (an htmx partial) refreshes itself on this event.
        document.body.dispatchEvent(new CustomEvent("livebar-changed"));
      }
      if (message.type === "notification") {
        inbox.unread += 1;
        inbox.arrived.push(message);
        renderBadge();
        renderList();
        showToast(message.text, message.url);
      }
    },
  });
}

// Times are shown in the viewer's zone: tell the server the browser's (the account's
// own setting, when there is one, wins).
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (zone && !document.cookie.split("; ").includes(`tz=${zone}`)) {
  document.cookie = `tz=${zone}; path=/; max-age=31536000; SameSite=Lax`;
}

// "in 2 hours", "in 5 minutes": countdowns to scheduled Spaces, in the page's language.
const relative = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" });
function countdown(element) {
  const seconds = Math.round((Date.parse(element.dataset.countdown) - Date.now()) / 1000);
  const [value, unit] =
    Math.abs(seconds) >= 86400 ? [Math.round(seconds / 86400), "day"]
    : Math.abs(seconds) >= 3600 ? [Math.round(seconds / 3600), "hour"]
    : Math.abs(seconds) >= 60 ? [Math.round(seconds / 60), "minute"]
    : [seconds, "second"];
  element.textContent = `(${relative.format(value, unit)})`;
}
function countdowns() {
  for (const element of document.querySelectorAll("[data-countdown]")) countdown(element);
}
countdowns();
setInterval(countdowns, 1000);
document.body.addEventListener("htmx:afterSwap", countdowns);
