// A WebSocket that reconnects with backoff and full jitter.
// The ceiling stays low (2.5 s), so that an open page is back within about 3 s of a
// restarted server being ready; the jitter spreads a crowd's reconnections over that window.
const MAX_DELAY_MS = 2500;
const FIRST_DELAY_MS = 300;

export function connectSocket(path, { onMessage, onOpen, onClose, shouldReconnect } = {}) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  let attempt = 0;
  let socket;
  let stopped = false;
  let timer = null;

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(open, delay);
  }

  function open() {
    timer = null;
    const current = new WebSocket(`${scheme}//${location.host}${path}`);
    socket = current;
    current.addEventListener("open", () => {
      attempt = 0;
      onOpen?.(current);
    });
    current.addEventListener("message", (event) => {
      if (current !== socket) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      onMessage?.(message, current);
    });
    current.addEventListener("close", (event) => {
      // A socket we replaced (reconnect) says nothing more.
      if (current !== socket) return;
      onClose?.(event);
      // 4401: not signed in; 4403: not allowed. Retrying would not help.
      if (stopped || event.code === 4401 || event.code === 4403) return;
      if (shouldReconnect && !shouldReconnect(event)) return;
      const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
      attempt += 1;
      schedule(ceiling / 2 + Math.random() * (ceiling / 2));
    });
  }

  open();
  return {
    send(message) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    // The socket looks open but is dead (no answer to heartbeats): start a new one now.
    reconnect() {
      if (stopped) return;
      const old = socket;
      socket = null;
      old.close();
      open();
    },
    close() {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
