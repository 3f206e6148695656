// A WebSocket that reconnects with exponential backoff and jitter.
const MAX_DELAY_MS = 30000;

export function connectSocket(path, { onMessage, onOpen, onClose, shouldReconnect } = {}) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  let attempt = 0;
  let socket;
  let stopped = false;

  function open() {
    socket = new WebSocket(`${scheme}//${location.host}${path}`);
    socket.addEventListener("open", () => {
      attempt = 0;
      onOpen?.(socket);
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      onMessage?.(message, socket);
    });
    socket.addEventListener("close", (event) => {
      onClose?.(event);
      // 4401: not signed in; 4403: not allowed. Retrying would not help.
      if (stopped || event.code === 4401 || event.code === 4403) return;
      if (shouldReconnect && !shouldReconnect(event)) return;
      const ceiling = Math.min(MAX_DELAY_MS, 500 * 2 ** attempt);
      attempt += 1;
      setTimeout(open, ceiling / 2 + Math.random() * (ceiling / 2));
    });
  }

  open();
  return {
    send(message) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    close() {
      stopped = true;
      socket.close();
    },
  };
}
