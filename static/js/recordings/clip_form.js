// The clip cutter on a replay: its start follows the player (replay.js sends
// "replay:position" on #replay) until the person types one; "Preview" seeks the player
// there ("replay:seek"). htmx swaps the form after a refusal, so elements are looked up
// each time, and the listeners sit on the document and on #replay.
const replay = document.getElementById("replay");
const view = { position: null, typed: false, typedLength: false };

function render() {
  const form = document.getElementById("clip-form");
  if (!form) return;
  const start = form.querySelector("#clip-start");
  if (!view.typed && view.position !== null && document.activeElement !== start) {
    const min = Number(form.dataset.min || 0);
    start.value = Math.max(min, view.position).toFixed(1);
  }
  // The length fits what is left of the recording after the start, until typed.
  const max = Number(form.dataset.max || 0);
  const length = form.querySelector("#clip-duration");
  if (!view.typedLength && max > 0 && document.activeElement !== length) {
    const left = Math.max(0.1, max - Number(start.value || 0));
    length.value = Math.min(30, Math.floor(left * 10) / 10).toFixed(1);
  }
  form.querySelector("#clip-preview").hidden = !replay;
}

replay?.addEventListener("replay:position", (event) => {
  view.position = Number(event.detail?.position ?? 0);
  render();
});

document.addEventListener("input", (event) => {
  if (event.target.id === "clip-start") view.typed = true;
  if (event.target.id === "clip-duration") view.typedLength = true;
});

document.addEventListener("click", (event) => {
  if (event.target.id !== "clip-preview" || !replay) return;
  const position = Number(document.getElementById("clip-start").value || 0);
  replay.dispatchEvent(new CustomEvent("replay:seek", { detail: { position } }));
});

document.body.addEventListener("htmx:afterSwap", render);
render();
