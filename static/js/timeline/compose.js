// The compose box: a live count of the characters left, and Ctrl/Cmd+Enter to send.
const LIMIT = 280;

function update(textarea) {
  const counter = document.getElementById(textarea.dataset.counter);
  if (!counter) return;
  const left = LIMIT - [...textarea.value].length;
  counter.textContent = String(left);
  counter.classList.toggle("over", left < 0);
  counter.classList.toggle("near", left >= 0 && left <= 20);
}

document.addEventListener("input", (event) => {
  if (event.target.matches("textarea[data-counter]")) update(event.target);
});

document.addEventListener("keydown", (event) => {
  if (event.target.matches("textarea[data-counter]") && event.key === "Enter" &&
      (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    event.target.form.requestSubmit();
  }
});

document.addEventListener("htmx:afterSwap", () => {
  for (const textarea of document.querySelectorAll("textarea[data-counter]")) update(textarea);
});

for (const textarea of document.querySelectorAll("textarea[data-counter]")) update(textarea);
