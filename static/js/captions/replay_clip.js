// A clip's captions: its <audio> carries the clip's WebVTT track (times from the clip's
// start); the phrase being heard shows above the clip's transcript, and its line is
// marked. Audio elements draw no cues themselves: the track is read in "hidden" mode.
const audio = document.getElementById("clip-audio");
const box = document.getElementById("clip-caption");
const lines = [...document.querySelectorAll("#clip-transcript .transcript-line")];
const track = audio?.querySelector("track")?.track;

function render(cue) {
  box.hidden = !cue;
  if (cue) {
    // getCueAsHTML parses the voice tag: <v Ada> becomes a span titled "Ada".
    const html = cue.getCueAsHTML();
    const voice = html.querySelector?.("span[title]");
    document.getElementById("clip-caption-speaker").textContent = voice ? voice.title : "";
    document.getElementById("clip-caption-text").textContent = html.textContent;
  }
  for (const line of lines) {
    const start = Number(line.dataset.start);
    line.classList.toggle("current", Boolean(cue) && Math.abs(start - cue.startTime) < 0.002);
  }
}

if (audio && box && track) {
  track.mode = "hidden";
  track.addEventListener("cuechange", () => render(track.activeCues?.[0] || null));
}
