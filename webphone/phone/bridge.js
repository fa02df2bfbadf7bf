// The phone inside <ovoz-phone> (embed.js): commands from the embedding
// page and events back, over postMessage. Only the parent window may
// talk to the phone, and only after it said hello; events go to that
// parent's origin alone. Which origins may be the parent at all is
// decided by the server's CSP frame-ancestors ([http] origins).

export function startBridge(api) {
  if (window.parent === window) return;
  let parentOrigin = null;
  const send = (msg) => { if (parentOrigin) window.parent.postMessage({ ovoz: 1, ...msg }, parentOrigin); };
  const emit = (name, detail = {}) => send({ type: 'event', name, detail });

  let lastConn = null;
  api.phone.addEventListener('conn', (e) => {
    const s = e.detail.state;
    if (s === lastConn) return;
    if (s === 'registered') emit('registered', { extension: e.detail.ext });
    else if (lastConn === 'registered' || s === 'failed') {
      emit('unregistered', { reason: e.detail.reason ?? (s === 'idle' ? 'signed_out' : s) });
    }
    lastConn = s;
  });
  api.phone.addEventListener('call', (e) => {
    const c = e.detail;
    const detail = { direction: c.direction, number: c.number, name: c.name };
    if (c.state === 'incoming' || c.state === 'ringing') emit('ringing', detail);
    else if (c.state === 'answered' && !c.held && !c.muted) emit('answered', detail);
    else if (c.state === 'ended') emit('ended', { ...detail, reason: c.reason, duration: c.duration });
  });

  const commands = {
    hello(m, origin) {
      parentOrigin = origin;
      send({ type: 'hello' });
      if (lastConn === 'registered') emit('registered', { extension: api.phone.ext });
    },
    setCredentials(m) {
      if (typeof m.username !== 'string' || typeof m.password !== 'string') return;
      api.signIn(m.username, m.password, { persist: false });
    },
    call(m) { if (typeof m.number === 'string') api.dial(m.number); },
    hangup() { api.phone.hangup(); },
  };

  window.addEventListener('message', (e) => {
    if (e.source !== window.parent || !e.data || e.data.ovoz !== 1) return;
    if (parentOrigin && e.origin !== parentOrigin) return;
    if (!parentOrigin && e.data.type !== 'hello') return;
    commands[e.data.type]?.(e.data, e.origin);
  });
  window.parent.postMessage({ ovoz: 1, type: 'ready' }, '*');
}
