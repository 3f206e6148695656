// "Clip the last 30 seconds" in a live recorded Space: asks the API, so the live audio
// goes on, and shows a link to the new clip (without JS the form opens the clip's page).
const form = document.getElementById("live-clip");
const button = document.getElementById("live-clip-button");
const result = document.getElementById("live-clip-result");
const view = { busy: false, clip: null, error: "" };

function render() {
  button.disabled = view.busy;
  button.setAttribute("aria-busy", String(view.busy));
  result.replaceChildren();
  if (view.clip) {
    const link = document.createElement("a");
    link.href = view.clip.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.id = "live-clip-link";
    link.textContent = form.dataset.ready || "Your clip is ready";
    result.append(link);
  } else if (view.error) {
    result.textContent = view.error;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (view.busy) return;
  Object.assign(view, { busy: true, clip: null, error: "" });
  render();
  try {
    const response = await fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": form.elements.csrfmiddlewaretoken.value,
      },
      body: JSON.stringify({ live: true }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok) view.clip = data;
    else view.error = data.detail || form.dataset.failed;
  } catch {
    view.error = form.dataset.failed;
  }
  view.busy = false;
  render();
});

render();
