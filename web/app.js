// The ptyplex web page: the session's consoles (live list), one console
// as a full terminal, or several at once in a grid. Everything it shows
// comes over WebSockets from the gateway that served it; it holds no data.
import { Terminal } from '/vendor/xterm.mjs';
import { FitAddon } from '/vendor/addon-fit.mjs';

/** Drawn output is acknowledged every ACK_EVERY bytes (and when the terminal catches up). */
const ACK_EVERY = 64 * 1024;
const $ = (id) => document.getElementById(id);
const state = { write: false, session: undefined, ended: false, views: new Set() };

// ---- notices ------------------------------------------------------------

function notice(text, kind = 'error') {
  const el = $('notice');
  el.hidden = text === '';
  el.textContent = text;
  el.className = kind;
}

// ---- logging in ---------------------------------------------------------

// The token rides in the URL's fragment (never sent to a server); it is
// traded once for an HttpOnly cookie and a page key, and wiped from the
// address bar. The key is kept in localStorage, which only pages of this
// origin (this port) can read: a server on another port of this host gets
// the cookie from the browser, never the key. Every request and WebSocket
// sends both, so a reload, or a second tab, is still logged in.
const KEY = 'ptyplex-page-key';
// The login's proof, kept and never sent: the gateway says it first on
// every WebSocket and in /api/session's answer. Once the gateway has gone,
// another user may listen on this port; a server that cannot say the
// proof is shown nothing and sent nothing, and the page says why.
const PROOF = 'ptyplex-gateway-proof';
const IMPOSTOR = 'The server now on this port is not the ptyplex web this page logged in to (it cannot prove it): nothing it sends is shown, and nothing typed is sent to it. Open the URL ptyplex web printed.';

function impostor() {
  state.impostor = true;
  notice(IMPOSTOR);
  for (const view of state.views) view.status('not the ptyplex web this page logged in to: disconnected');
}

/** Whether an answer of the gateway (/api/session's JSON, a WebSocket's hello) carries this login's proof. */
function proves(answer) {
  const proof = localStorage.getItem(PROOF);
  return proof !== null && typeof answer?.proof === 'string' && answer.proof === proof;
}

async function logIn() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token !== null) {
    history.replaceState(null, '', '/');
    const res = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
    if (res.ok) {
      const login = await res.json();
      localStorage.setItem(KEY, login.key);
      localStorage.setItem(PROOF, login.proof);
    }
  }
  const res = await api('/api/session');
  if (res.status === 401) throw new Error('Not logged in: open the URL that ptyplex web printed (each URL works once; run ptyplex web again for a new one).');
  if (!res.ok) throw new Error(`The gateway said ${res.status}.`);
  const session = await res.json();
  if (!proves(session)) {
    state.impostor = true;
    throw new Error(IMPOSTOR);
  }
  state.write = session.write === true;
  $('mode').textContent = state.write ? 'read-write' : 'read-only';
}

function api(path) {
  return fetch(path, { headers: { 'X-Ptyplex-Key': localStorage.getItem(KEY) ?? '' } });
}

// The key rides as a second subprotocol; the gateway chooses 'ptyplex'.
// onMessage hears nothing until the gateway's hello proved it (ws.proven);
// a first message that is anything else closes the socket for good.
function openSocket(path, onMessage) {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`, ['ptyplex', `key.${localStorage.getItem(KEY) ?? ''}`]);
  ws.proven = false;
  ws.onmessage = (ev) => {
    if (ws.proven) return onMessage(ev);
    let hello;
    try {
      hello = typeof ev.data === 'string' ? JSON.parse(ev.data) : undefined;
    } catch {
      hello = undefined;
    }
    if (hello?.type === 'hello' && proves(hello)) {
      ws.proven = true;
      return;
    }
    impostor();
    ws.close();
  };
  return ws;
}

// ---- the console list ---------------------------------------------------

function watchList(delay = 500) {
  const ws = openSocket('/ws/list', (ev) => {
    const news = JSON.parse(ev.data);
    if (news.type === 'session') {
      delay = 500;
      if (!state.ended) notice('');
      showSession(news.session);
    } else if (news.type === 'not-responding') {
      notice(`The session server is not responding: ${news.error}`);
    } else if (news.type === 'upgrading') {
      notice('The session server is upgrading (ptyplex upgrade); the consoles run on.');
    } else if (news.type === 'ended') {
      state.ended = true;
      notice(`The session has ended. ${news.reason}`);
    }
  });
  ws.onclose = () => {
    if (state.ended || state.impostor) return;
    notice('Lost the connection to ptyplex web; reconnecting…');
    setTimeout(() => reconnectList(Math.min(delay * 2, 5000)), delay);
  };
}

async function reconnectList(delay) {
  try {
    const res = await api('/api/session');
    if (res.status === 401) {
      notice('ptyplex web was restarted: open the URL it printed.');
      return;
    }
    if (!res.ok || !proves(await res.json())) return impostor();
  } catch {
    setTimeout(() => reconnectList(Math.min(delay * 2, 5000)), delay);
    return;
  }
  watchList(delay);
}

function showSession(session) {
  state.session = session;
  $('session').textContent = `session ${session.name}`;
  const body = $('consoles').tBodies[0];
  body.replaceChildren(
    ...session.consoles.map((c) => {
      const tr = document.createElement('tr');
      tr.dataset.console = c.name;
      for (const text of [c.name, stateText(c), c.cols ? `${c.cols}x${c.rows}` : '-', c.pid ?? '-', c.clients, bytes(c.bytesOut), c.command]) {
        const td = document.createElement('td');
        td.textContent = String(text);
        tr.append(td);
      }
      tr.children[1].className = `state-${c.state.replace(' ', '.')}`;
      tr.onclick = () => openTerminal(c.name);
      return tr;
    }),
  );
  for (const view of state.views) view.follow(session);
  if (!$('grid-view').hidden) syncGrid();
}

function stateText(c) {
  if (c.state !== 'exited') return c.reason ? `${c.state} (${c.reason})` : c.state;
  return c.signal !== null ? `killed by signal ${c.signal}` : `exited ${c.exitCode ?? ''}`;
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

// ---- a terminal on one console ------------------------------------------

// One console in an xterm.js terminal, over its own WebSocket. It says how
// much it has drawn (write callbacks), so the gateway can stop reading a
// console's output for a page that is behind instead of queueing it. When
// the connection drops it reconnects: the session replays the console, no
// process is started.
class ConsoleView {
  constructor(name, container, { interactive, fontSize, onStatus }) {
    this.name = name;
    this.interactive = interactive;
    this.onStatus = onStatus;
    this.term = new Terminal({ fontSize, scrollback: interactive ? 5000 : 0, disableStdin: !(interactive && state.write), convertEol: false });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(container);
    this.delay = 500;
    this.done = false;
    if (interactive && state.write) {
      this.term.onData((data) => this.send({ type: 'input', data }));
      this.onResize = () => this.refit();
      window.addEventListener('resize', this.onResize);
    }
    state.views.add(this);
    this.follow(state.session);
    this.connect();
  }

  // A writer's window sizes the console; a watcher draws at the console's size.
  follow(session) {
    if (this.interactive && state.write) return this.fit.fit();
    const c = session?.consoles.find((x) => x.name === this.name);
    if (c?.cols && (c.cols !== this.term.cols || c.rows !== this.term.rows)) this.term.resize(c.cols, c.rows);
  }

  refit() {
    this.fit.fit();
    this.send({ type: 'resize', cols: this.term.cols, rows: this.term.rows });
  }

  connect() {
    const q = new URLSearchParams({ name: this.name, cols: this.term.cols, rows: this.term.rows });
    let received = 0;
    let drawn = 0;
    let acked = 0;
    let fresh = true;
    const ws = openSocket(`/ws/console?${q}`, (ev) => {
      // The replay redraws the screen: start it clean (once proven).
      if (fresh) this.term.write('\x1bc');
      fresh = false;
      if (typeof ev.data !== 'string') {
        const data = new Uint8Array(ev.data);
        received += data.length;
        this.term.write(data, () => {
          drawn += data.length;
          if (drawn - acked >= ACK_EVERY || drawn === received) {
            acked = drawn;
            this.send({ type: 'ack', bytes: drawn }, ws);
          }
        });
        return;
      }
      this.message(JSON.parse(ev.data));
    });
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onclose = (ev) => {
      if (this.done || ws !== this.ws) return;
      if (state.impostor) {
        this.done = true;
        return;
      }
      if (ev.code === 4000 || state.ended) {
        this.done = true;
        return;
      }
      this.status('connection lost; reconnecting…');
      setTimeout(() => !this.done && this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
  }

  message(msg) {
    if (msg.type === 'attached') {
      this.delay = 500;
      this.status(msg.write ? 'attached' : 'attached (read-only)');
    } else if (msg.type === 'end') {
      this.done = true;
      this.status(`ended: ${msg.description}`);
    } else if (msg.type === 'skipped') {
      // The redraw of the console's recent output follows: start it on a clean screen.
      this.term.write('\x1bc');
      this.status(`fell behind: skipped ${msg.bytes} bytes`);
    } else if (msg.type === 'hung-up') {
      this.status('hung up: nothing has its terminal open; keys are dropped');
    } else if (msg.type === 'input-dropped') {
      this.status('the console is not reading: keys were dropped');
    } else if (msg.type === 'upgrading') {
      this.status('the session server is upgrading…');
    } else if (msg.type === 'resumed') {
      this.status(msg.write ? 'attached' : 'attached (read-only)');
    } else if (msg.type === 'gone') {
      this.status('lost the session server');
    } else if (msg.type === 'error') {
      this.status(msg.error);
    }
  }

  status(text) {
    this.onStatus?.(text);
  }

  // Only to a gateway that proved itself on this socket.
  send(message, ws = this.ws) {
    if (ws?.readyState === WebSocket.OPEN && ws.proven && !state.impostor) ws.send(JSON.stringify(message));
  }

  dispose() {
    this.done = true;
    state.views.delete(this);
    if (this.onResize) window.removeEventListener('resize', this.onResize);
    this.ws?.close();
    this.term.dispose();
  }
}

// ---- views ----------------------------------------------------------------

let full;
let tiles = new Map();

// The view is kept in the fragment (never sent anywhere), so a reload
// comes back to it.
function show(view, fragment = view === 'grid-view' ? '#grid' : '') {
  history.replaceState(null, '', `/${fragment}`);
  for (const id of ['list-view', 'grid-view', 'term-view']) $(id).hidden = id !== view;
  if (view !== 'term-view' && full) {
    full.dispose();
    full = undefined;
  }
  if (view !== 'grid-view') clearGrid();
}

function openTerminal(name) {
  show('term-view', `#console=${encodeURIComponent(name)}`);
  $('term-name').textContent = name;
  $('term').replaceChildren();
  full = new ConsoleView(name, $('term'), { interactive: true, fontSize: 14, onStatus: (t) => ($('term-status').textContent = t) });
  full.term.focus();
}

// Every console of the session, each a small read-only terminal: a grid
// never sizes a console.
function syncGrid() {
  const names = new Set((state.session?.consoles ?? []).map((c) => c.name));
  for (const [name, tile] of tiles) {
    if (!names.has(name)) {
      tile.view.dispose();
      tile.el.remove();
      tiles.delete(name);
    }
  }
  for (const name of names) {
    if (tiles.has(name)) continue;
    const el = document.createElement('div');
    el.className = 'tile';
    el.dataset.console = name;
    const head = document.createElement('div');
    head.className = 'tile-head';
    const title = document.createElement('strong');
    title.textContent = name;
    const status = document.createElement('span');
    head.append(title, status);
    const box = document.createElement('div');
    box.className = 'tile-term';
    el.append(head, box);
    el.onclick = () => openTerminal(name);
    $('grid-view').append(el);
    const view = new ConsoleView(name, box, { interactive: false, fontSize: 7, onStatus: (t) => (status.textContent = t) });
    tiles.set(name, { el, view });
  }
}

function clearGrid() {
  for (const tile of tiles.values()) tile.view.dispose();
  tiles = new Map();
  $('grid-view').replaceChildren();
}

$('show-list').onclick = () => show('list-view');
$('back').onclick = () => show('list-view');
$('show-grid').onclick = () => {
  show('grid-view');
  syncGrid();
};

function route() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('console')) openTerminal(hash.get('console'));
  else if (location.hash === '#grid') $('show-grid').onclick();
}

logIn().then(
  () => {
    watchList();
    route();
  },
  (err) => notice(err.message),
);
