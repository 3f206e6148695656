// Room events held for an HLS listener. They hear the room a few seconds late, so a
// reaction, a stage change or a speaking ring waits until the audio playing reaches its
// `at` (server time, as is the stream's EXT-X-PROGRAM-DATE-TIME); then it goes to
// `deliver`, the page's usual path. Only while the stream plays with a known date
// (`playingDate()` not null): connecting, stalled or failed, events go through at once.
// Events about the viewer's own seat (`urgent`) go at once, with everything held before
// them, so that the order never changes. None waits longer than `maxMs`.

const CHECK_MS = 50;

export class EventDelay {
  constructor({ playingDate, deliver, urgent, maxMs = 30000 }) {
    this.playingDate = playingDate; // () => ms since the epoch, or null
    this.deliver = deliver;
    this.urgent = urgent;
    this.maxMs = maxMs;
    this.held = []; // [{ message, since }], in arrival order
    this.timer = null; // runs only while something is held (never on a WebRTC page)
  }

  push(message) {
    if (this.playingDate() === null || typeof message.at !== "number") {
      this.releaseAll();
      return this.deliver(message);
    }
    this.held.push({ message, since: performance.now() });
    if (this.urgent(message)) return this.releaseAll();
    this.releaseDue();
  }

  // Whether an event of this type is on its way to the audio (the end, so that the
  // socket's close does not end the page first).
  holds(type) {
    return this.held.some(({ message }) => message.type === type);
  }

  releaseAll() {
    const waiting = this.held;
    this.held = [];
    this.schedule();
    for (const { message } of waiting) this.deliver(message);
  }

  releaseDue() {
    const playing = this.playingDate();
    if (playing === null) return this.releaseAll();
    const now = performance.now();
    while (this.held.length) {
      const { message, since } = this.held[0];
      if (message.at > playing && now - since < this.maxMs) break;
      this.held.shift();
      this.deliver(message);
    }
    this.schedule();
  }

  schedule() {
    if (this.held.length && this.timer === null) {
      this.timer = setInterval(() => this.releaseDue(), CHECK_MS);
    } else if (!this.held.length && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
