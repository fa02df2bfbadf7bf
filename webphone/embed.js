// <ovoz-phone>: Ovoz's web phone in one script tag.
//   <script src="https://pbx.example.com:8443/embed.js"></script>
//   <ovoz-phone></ovoz-phone>
// The element wraps an iframe of /phone/ and talks to it with
// postMessage, checking the origin both ways. API:
//   el.setCredentials({ username, password }), el.call('1002'), el.hangup()
//   events: registered, unregistered, ringing, answered, ended (CustomEvent, .detail)
// Attributes: server (the Ovoz origin; default: where this script came
// from), lang (uz, ru, en), domain (SIP domain if not the server's host).
(() => {
  const scriptOrigin = document.currentScript ? new URL(document.currentScript.src).origin : location.origin;

  class OvozPhone extends HTMLElement {
    constructor() {
      super();
      this.queue = [];
      this.ready = false;
      this.onMessage = this.onMessage.bind(this);
      const root = this.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = ':host{display:block;width:100%;max-width:420px;height:680px}iframe{border:0;width:100%;height:100%}';
      this.frame = document.createElement('iframe');
      this.frame.setAttribute('allow', 'microphone; autoplay');
      this.frame.title = this.getAttribute('title') || 'Ovoz';
      root.append(style, this.frame);
    }

    get server() {
      try { return new URL(this.getAttribute('server') || scriptOrigin).origin; } catch { return scriptOrigin; }
    }

    connectedCallback() {
      window.addEventListener('message', this.onMessage);
      const q = new URLSearchParams();
      for (const a of ['lang', 'domain']) if (this.getAttribute(a)) q.set(a, this.getAttribute(a));
      this.origin = this.server;
      this.ready = false;
      this.frame.src = `${this.origin}/phone/${q.size ? `?${q}` : ''}`;
    }

    disconnectedCallback() {
      window.removeEventListener('message', this.onMessage);
    }

    onMessage(e) {
      if (e.source !== this.frame.contentWindow || e.origin !== this.origin) return;
      const m = e.data;
      if (!m || m.ovoz !== 1) return;
      if (m.type === 'ready') {
        this.post({ type: 'hello' }, true);
      } else if (m.type === 'hello') {
        this.ready = true;
        for (const q of this.queue.splice(0)) this.post(q);
      } else if (m.type === 'event' && typeof m.name === 'string') {
        this.dispatchEvent(new CustomEvent(m.name, { detail: m.detail ?? {} }));
      }
    }

    post(msg, now = false) {
      if (!this.ready && !now) { this.queue.push(msg); return; }
      this.frame.contentWindow?.postMessage({ ovoz: 1, ...msg }, this.origin);
    }

    /** Sign in with { username, password } (e.g. ephemeral ones from your server). */
    setCredentials({ username, password } = {}) { this.post({ type: 'setCredentials', username, password }); }

    /** Dial @number. */
    call(number) { this.post({ type: 'call', number: String(number) }); }

    /** End the call in progress, or stop ringing. */
    hangup() { this.post({ type: 'hangup' }); }
  }

  if (!customElements.get('ovoz-phone')) customElements.define('ovoz-phone', OvozPhone);
})();
