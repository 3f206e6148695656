// A clip's page: "Copy link" (the link's text field is there without JS too).
const view = { copy: "" }; // "", "copied" or "failed"
const button = document.getElementById("clip-copy");
const status = document.getElementById("clip-copy-status");

function render() {
  button.hidden = !navigator.clipboard;
  status.textContent = view.copy ? status.dataset[view.copy] : "";
}

button.addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(button.dataset.url);
    view.copy = "copied";
  } catch {
    view.copy = "failed";
  }
  render();
});

render();
