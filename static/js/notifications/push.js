// Turn Web Push on or off for this browser, on the notification settings page.
const root = document.getElementById("push-control");
const status = document.getElementById("push-status");
const csrf = root.querySelector("[name=csrfmiddlewaretoken]").value;
const text = (name) => root.dataset[name];

function applicationServerKey(base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function api(method, body) {
  const response = await fetch("/api/push/subscriptions/", {
    method,
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
}

async function main() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    // A plain sentence, and no button that could do nothing.
    const note = document.createElement("p");
    note.id = "push-unsupported";
    note.textContent = text("unsupported");
    root.insertBefore(note, status);
    return;
  }
  let registration;
  let subscription;
  try {
    registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    subscription = await registration.pushManager.getSubscription();
  } catch (error) {
    status.textContent = `${text("failed")} ${error.message}`;
    return;
  }
  const button = document.createElement("button");
  button.type = "button";
  button.id = "push-toggle";
  root.insertBefore(button, status);
  const render = () => {
    button.textContent = subscription ? text("off") : text("on");
    button.setAttribute("aria-pressed", String(Boolean(subscription)));
  };
  render();
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (subscription) {
        await api("DELETE", { endpoint: subscription.endpoint });
        await subscription.unsubscribe();
        subscription = null;
        status.textContent = text("removed");
      } else {
        if ((await Notification.requestPermission()) !== "granted") {
          status.textContent = text("denied");
          return;
        }
        subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: applicationServerKey(root.dataset.vapidKey),
        });
        await api("POST", subscription.toJSON());
        status.textContent = text("added");
      }
    } catch (error) {
      status.textContent = `${text("failed")} ${error.message}`;
    } finally {
      button.disabled = false;
      render();
    }
  });
}

main();
