// Live audio in the room. Listeners open a receive-only connection and hear the room's
// mix; people on the stage send their microphone and hear the other speakers. Offers and
// answers travel on the room's WebSocket; the audio goes to the media server over WebRTC.
// Listeners past the WebRTC cap (the server answers `media.hls`), or who choose it, hear
// the room's HLS stream instead (hls.js); on the stage everyone is on WebRTC.

const GATHER_TIMEOUT_MS = 2000;
const ANSWER_TIMEOUT_MS = 12000;
const WATCH_MS = 1000;
const STALL_MS = 4000;
const DISCONNECTED_GRACE_MS = 3000;
// Retries stay short, so that audio is back within a few seconds of the media server:
// the server refuses at once while it is down (see docs/media.md), so a retry costs little.
const RETRY_MS = [400, 2000];
// No audio this long after asking: say so, why it may be, and offer Try again (retries go on).
const CONNECT_FAIL_MS = 8000;
// TURN credentials expire: ask the server for fresh ones when these are older than this.
const ICE_REFRESH_MS = 60000;
const ICE_WAIT_MS = 1500;

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    // With TURN servers gathering can take a while; host candidates are enough to start.
    setTimeout(resolve, GATHER_TIMEOUT_MS);
  });
}

function microphoneProblem(error) {
  if (!error) return "mic_missing";
  if (error.name === "NotAllowedError" || error.name === "SecurityError") return "mic_denied";
  if (error.name === "NotFoundError" || error.name === "OverconstrainedError") return "mic_missing";
  return "mic_failed";
}

export class RoomAudio {
  constructor({ send, element, strings, onStatus, onLevel, onChange, hls, hlsUrl }) {
    this.send = send;
    this.hls = hls; // an HlsListener (hls.js)
    this.hlsUrl = hlsUrl;
    this.listenOver = "webrtc"; // how a listener hears the room: "webrtc" or "hls"
    this.hlsReason = ""; // why HLS: "cap" or "saturated" (the server said), "" (chosen)
    this.element = element;
    this.strings = strings;
    this.onStatus = onStatus;
    this.onLevel = onLevel;
    this.onChange = onChange;
    this.iceServers = [];
    this.wanted = false; // the person asked to hear the room (a click: browsers need one)
    this.onStage = false;
    this.muted = true;
    this.mode = null; // "speak" or "listen", as last offered; "hls" while on the HLS stream
    this.pc = null;
    this.attempt = 0; // bumped by every (re)connection and by stop(): stale work gives up
    this.offerId = 0; // echoed on the answer, so that a late answer cannot hit a new offer
    this.failures = 0;
    this.microphone = null; // { stream, track }
    this.micProblem = null;
    this.context = null;
    this.timers = {};
    this.lastBytes = 0;
    this.lastProgress = 0;
    this.disconnectedSince = 0;
    this.failed = false; // no audio for CONNECT_FAIL_MS: the page offers Try again
    this.iceFetchedAt = 0;
    this.iceRequest = null; // { id, resolve } while fresh ICE servers are on their way
    setInterval(() => this.watch(), WATCH_MS);
  }

  configure({ ice_servers: iceServers } = {}) {
    if (Array.isArray(iceServers)) {
      this.iceServers = iceServers;
      this.iceFetchedAt = performance.now();
    }
  }

  // TURN credentials are minted per request; host-only ICE needs nothing fresh.
  async freshIceServers() {
    const relayed = this.iceServers.some((server) => server.credential);
    if (!relayed || performance.now() - this.iceFetchedAt < ICE_REFRESH_MS) return this.iceServers;
    const id = (this.offerId += 1);
    const answer = new Promise((resolve) => {
      this.iceRequest = { id, resolve };
      setTimeout(resolve, ICE_WAIT_MS);
    });
    this.send({ type: "media.ice", id });
    await answer;
    this.iceRequest = null;
    return this.iceServers;
  }

  onIce(frame) {
    if (!this.iceRequest || frame.id !== this.iceRequest.id) return;
    this.configure(frame);
    this.iceRequest.resolve();
  }

  // The connection has not come up for a while: tell the person, keep trying.
  armFailure() {
    if (this.timers.fail) return;
    this.timers.fail = setTimeout(() => {
      this.timers.fail = null;
      if (!this.wanted || this.pc?.connectionState === "connected") return;
      this.failed = true;
      this.onStatus(this.strings.audio_failed_connect);
      this.onChange?.();
    }, CONNECT_FAIL_MS);
  }

  settled() {
    clearTimeout(this.timers.fail);
    this.timers.fail = null;
    const wasFailed = this.failed;
    this.failed = false;
    if (wasFailed) this.onChange?.();
  }

  // Whether the page offers Try again: WebRTC gave up, or the HLS stream did.
  get retryable() {
    return this.failed || (this.mode === "hls" && this.hls.failed);
  }

  tryAgain() {
    if (this.mode === "hls") return this.hls.tryAgain();
    this.settled();
    this.failures = 0;
    this.micProblem = null;
    this.connect();
    this.onChange?.();
  }

  get publishing() {
    return this.mode === "speak";
  }

  // The click on Listen: from now on the page may play sound.
  start() {
    this.wanted = true;
    this.failures = 0;
    this.context ??= new AudioContext();
    this.context.resume();
    this.element.play().catch(() => {});
    this.connect();
    this.onChange?.();
  }

  stop() {
    this.wanted = false;
    this.attempt += 1;
    clearTimeout(this.timers.retry);
    this.settled();
    this.hangUp();
    this.stopHls();
    this.stopMicrophone();
    this.send({ type: "media.stop" });
    this.onStatus("");
    this.onChange?.();
  }

  // Called whenever the room re-renders: follows the role and the mute switch.
  update({ onStage, muted }) {
    const stageChanged = onStage !== this.onStage;
    this.onStage = onStage;
    this.muted = muted;
    if (this.microphone) this.microphone.track.enabled = !muted;
    if (!onStage) this.stopMicrophone();
    if (this.wanted && stageChanged) {
      this.micProblem = null;
      this.failures = 0;
      this.connect();
    }
  }

  // The socket came back: the media server hung up when it went, so offer again.
  resume() {
    if (this.wanted) this.connect();
  }

  retryMicrophone() {
    if (this.wanted && this.onStage && !this.microphone) {
      this.micProblem = null;
      this.connect();
    }
  }

  // The person chose how to listen ("webrtc" or "hls"); the stage is always WebRTC.
  choose(over) {
    this.listenOver = over;
    this.hlsReason = "";
    if (this.wanted) this.connect();
    this.onChange?.();
  }

  // The server has no WebRTC place for this listener: the HLS stream, and why.
  onHls(frame) {
    if (frame.id !== undefined && frame.id !== null && frame.id !== this.offerId) return;
    clearTimeout(this.timers.answer);
    this.listenOver = "hls";
    this.hlsReason = frame.reason || "cap";
    if (frame.url) this.hlsUrl = frame.url;
    if (this.wanted) this.connect();
    this.onChange?.();
  }

  startHls() {
    this.hangUp();
    this.settled();
    this.failures = 0;
    // Let go of a WebRTC place held at the server, if any: someone else may have it.
    this.send({ type: "media.stop" });
    this.mode = "hls";
    this.hls.start(this.hlsUrl, this.hlsReason);
    this.onChange?.();
  }

  stopHls() {
    if (this.mode !== "hls") return;
    this.hls.stop();
    this.mode = null;
  }

  async connect() {
    const attempt = ++this.attempt;
    clearTimeout(this.timers.retry);
    if (this.wanted && !(this.onStage && !this.micProblem) && this.listenOver === "hls") {
      // Already on the stream (a new socket, a re-render): let it play on.
      if (this.mode !== "hls" || !this.hls.active) this.startHls();
      return;
    }
    this.stopHls();
    this.hangUp();
    if (!this.wanted) return;
    let publish = this.onStage && !this.micProblem;
    this.armFailure();
    if (publish && !(await this.openMicrophone(attempt))) publish = false;
    if (attempt !== this.attempt) return;
    const iceServers = await this.freshIceServers();
    if (attempt !== this.attempt) return;
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    if (publish) {
      pc.addTransceiver(this.microphone.track, { direction: "sendrecv", streams: [this.microphone.stream] });
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    pc.ontrack = (event) => {
      this.element.srcObject = new MediaStream([event.track]);
      this.element.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "connected") {
        this.lastProgress = performance.now();
        this.settled();
        this.showState();
      }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    if (attempt !== this.attempt) return;
    this.mode = publish ? "speak" : "listen";
    this.lastBytes = 0;
    this.lastProgress = performance.now();
    this.disconnectedSince = 0;
    this.offerId += 1;
    this.send({ type: "media.offer", sdp: pc.localDescription.sdp, publish, id: this.offerId });
    if (!this.micProblem && !this.failed) this.onStatus(this.strings.audio_connecting);
    this.timers.answer = setTimeout(() => this.retry(), ANSWER_TIMEOUT_MS);
    this.onChange?.();
  }

  async openMicrophone(attempt) {
    if (this.microphone) return true;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.micProblem = "mic_missing";
    } else {
      try {
        // One prompt at a time: a second click while the browser asks waits for the first.
        this.micRequest ??= navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        });
        const stream = await this.micRequest;
        if (this.microphone?.stream === stream) return true;
        const [track] = stream.getAudioTracks();
        if (!track) throw new DOMException("no audio track", "NotFoundError");
        // Moved off the stage, or audio stopped, while the prompt was open: let go of it.
        if (!this.wanted || !this.onStage) {
          for (const each of stream.getTracks()) each.stop();
          return false;
        }
        track.enabled = !this.muted;
        this.microphone = { stream, track };
        this.meter(stream);
        // A newer connection attempt may have started meanwhile; it finds the microphone.
        return attempt === this.attempt;
      } catch (error) {
        this.micProblem = microphoneProblem(error);
      } finally {
        this.micRequest = null;
      }
    }
    this.onStatus(this.strings[this.micProblem]);
    this.onChange?.();
    return false;
  }

  // The speaker's input level, so that they can see their microphone works.
  meter(stream) {
    this.context ??= new AudioContext();
    const analyser = this.context.createAnalyser();
    analyser.fftSize = 512;
    this.context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const draw = () => {
      if (!this.microphone || this.microphone.stream !== stream) return this.onLevel(null);
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const value of samples) sum += value * value;
      const rms = Math.sqrt(sum / samples.length);
      this.onLevel(this.microphone.track.enabled ? Math.min(1, rms * 4) : 0);
      requestAnimationFrame(draw);
    };
    requestAnimationFrame(draw);
  }

  stopMicrophone() {
    if (!this.microphone) return;
    for (const track of this.microphone.stream.getTracks()) track.stop();
    this.microphone = null;
    this.onLevel(null);
  }

  hangUp() {
    clearTimeout(this.timers.answer);
    if (this.pc) {
      this.pc.onconnectionstatechange = null;
      this.pc.close();
      this.pc = null;
    }
    if (this.mode !== "hls") this.mode = null;
  }

  onAnswer(frame) {
    const pc = this.pc;
    if (frame.id !== this.offerId || !pc || pc.signalingState !== "have-local-offer") return;
    clearTimeout(this.timers.answer);
    pc.setRemoteDescription({ type: "answer", sdp: frame.sdp }).catch(() => this.retry());
  }

  // An error frame answering our offer.
  onError(frame) {
    // An error about an older offer (errors found before the server looked at the offer
    // carry no id and concern the latest one).
    if (frame.for === "media.ice") {
      // A server without fresh credentials to give: go on with the ones we have.
      this.iceRequest?.resolve();
      return;
    }
    if (frame.id !== undefined && frame.id !== null && frame.id !== this.offerId) return;
    if (!this.wanted) return;
    clearTimeout(this.timers.answer);
    // The server hung up on purpose (a newer offer, a role change): what follows decides.
    if (frame.code === "session_closed") return;
    if (frame.code === "media_unavailable") {
      if (!this.failed) this.onStatus(this.strings.audio_unavailable);
      return this.retry({ quiet: true });
    }
    if (frame.code === "not_on_stage") {
      // Moved off the stage while offering: hear the room as a listener.
      this.onStage = false;
      this.stopMicrophone();
      return this.connect();
    }
    if (this.mode === "hls") return; // an error about a WebRTC offer that HLS replaced
    if (frame.code === "rate_limited") return this.retry({ quiet: true });
    this.hangUp();
    this.settled();
    this.failed = true;
    this.onStatus(frame.message || this.strings.audio_failed);
    this.onChange?.();
  }

  retry({ quiet = false } = {}) {
    this.hangUp();
    if (!this.wanted) return;
    const [low, high] = this.failures === 0 ? [RETRY_MS[0], RETRY_MS[0] * 2] : [RETRY_MS[1] * 0.75, RETRY_MS[1] * 1.25];
    const delay = low + Math.random() * (high - low);
    this.failures += 1;
    this.armFailure();
    if (!quiet && !this.failed) this.onStatus(this.strings.audio_reconnecting);
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }

  // Notice a dead connection (network drop, media server restart) and start again.
  async watch() {
    const pc = this.pc;
    if (!pc || !this.wanted) return;
    const now = performance.now();
    if (pc.connectionState === "failed") return this.retry();
    if (pc.connectionState === "disconnected") {
      this.disconnectedSince ||= now;
      if (now - this.disconnectedSince > DISCONNECTED_GRACE_MS) this.retry();
      return;
    }
    this.disconnectedSince = 0;
    if (pc.connectionState !== "connected") return;
    let bytes = 0;
    const stats = await pc.getStats();
    stats.forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "audio") bytes += report.bytesReceived || 0;
    });
    if (pc !== this.pc) return;
    if (bytes > this.lastBytes) {
      this.lastBytes = bytes;
      this.lastProgress = now;
      if (this.failures || this.failed) {
        this.failures = 0;
        this.settled();
        this.showState();
      }
    } else if (now - this.lastProgress > STALL_MS) {
      // The media server sends packets all the time, silence included: none means it is gone.
      this.retry();
    }
  }

  showState() {
    if (this.micProblem) return this.onStatus(this.strings[this.micProblem]);
    this.onStatus(this.publishing ? this.strings.audio_speaking : this.strings.audio_listening);
  }
}
