// One client of the fan-out benchmark (bench/fanout.js): a process that
// reads one console's output and throws it away, counting it, as lean as a
// client can be in Node, so the server is what is measured.
//
//   node fanout-client.js ptyplex SOCKET CONSOLE EXPECTED
//     speaks ptyplex's protocol itself: a `tee --follow` request, then
//     counts the payload of data frames and the bytes `skipped` events
//     report.
//   node fanout-client.js tmux SOCKET-NAME SESSION EXPECTED ENDLINE [count]
//     runs `tmux -L SOCKET-NAME -C attach -t SESSION` (stdin a pipe kept
//     open: control mode needs no terminal) and reads its stdout, where the
//     tmux server writes directly. Raw bytes are counted; the payload is
//     decoded and counted (octal escapes, one per control byte) only with
//     `count`, as it costs this reader more than it costs the server. It
//     ends once the console's last line, ENDLINE\r\n, has come (perhaps
//     split over two %output lines). Not at a notification the console
//     triggers after it (a rename): tmux sends that at once to a client it
//     has nothing queued for, even when more output is still unread in the
//     PTY because it had stopped reading the pane for its slow clients.
//
// Prints "ready" once subscribed, then one JSON line: payload bytes,
// skipped bytes, raw bytes read, when (ms since the epoch, sub-ms) the
// first and the last byte arrived, and the CPU seconds it (and its tmux
// client) used after subscribing. Ends when EXPECTED payload bytes have
// arrived (or were skipped), or when the server says the console ended
// (then `early` tells why).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const [mode, where, name, expectedArg, endLine] = process.argv.slice(2);
const expected = Number(expectedArg);
const now = () => performance.timeOrigin + performance.now();
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
let cpuAtReady = 0; // CPU is counted from subscribing on: not Node's start-up
let helperCpu = () => 0; // and that of the `tmux -C attach` process, if any
function ready() {
  cpuAtReady = cpuNow();
  process.stdout.write('ready\n');
}

let payload = 0;
let skipped = 0;
let raw = 0;
let first = 0;
let last = 0;
let reported = false;
const skips = []; // when (ms after the first byte) and how much a ptyplex client skipped

function report(extra = {}) {
  if (reported) return;
  reported = true;
  const helper = helperCpu();
  const cpu = cpuNow() - cpuAtReady + helper;
  process.stdout.write(`${JSON.stringify({ payload, skipped, raw, first, last, cpu, ...(helper > 0 && { helper }), ...(skips.length > 0 && { skips }), ...extra })}\n`);
}

function ptyplex() {
  const sock = net.connect(where);
  const body = Buffer.from(JSON.stringify({ op: 'tee', console: name, follow: true }));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length + 1, 0);
  head[4] = 0x01;
  sock.write(Buffer.concat([head, body]));

  // A frame is a 5-byte header (length of type + payload, type) and its
  // payload; a data frame's payload is only counted, never copied.
  const header = Buffer.alloc(5);
  let headerHave = 0;
  let left = 0; // payload bytes of the current frame still to come
  let type = 0;
  let json = [];
  const done = () => {
    if (payload + skipped >= expected) {
      report();
      sock.destroy();
      process.exit(0);
    }
  };
  const message = (m) => {
    if (m.ok === true) ready();
    else if (m.ok === false) {
      report({ early: `refused: ${m.error}` });
      process.exit(1);
    } else if (m.event === 'skipped') {
      skipped += m.bytes;
      skips.push({ at: now() - first, bytes: m.bytes, payload });
      done();
    } else if (m.event === 'end') {
      report({ early: `console ended: ${m.description}` });
      process.exit(1);
    }
  };
  sock.on('data', (chunk) => {
    raw += chunk.length;
    let i = 0;
    while (i < chunk.length) {
      if (left === 0 && headerHave < 5) {
        const n = Math.min(5 - headerHave, chunk.length - i);
        chunk.copy(header, headerHave, i, i + n);
        headerHave += n;
        i += n;
        if (headerHave < 5) break;
        left = header.readUInt32BE(0) - 1;
        type = header[4];
        json = [];
      }
      const n = Math.min(left, chunk.length - i);
      if (type === 0x02) {
        if (n > 0 && first === 0) first = now();
        payload += n;
      } else {
        json.push(chunk.subarray(i, i + n));
      }
      i += n;
      left -= n;
      if (left === 0) {
        headerHave = 0;
        if (type === 0x02) last = now();
        else message(JSON.parse(Buffer.concat(json).toString('utf8')));
      }
    }
    done();
  });
  sock.on('close', () => {
    report({ early: 'connection closed' });
    process.exit(1);
  });
}

function tmux() {
  const child = spawn('tmux', ['-L', where, '-C', 'attach', '-t', name], { stdio: ['pipe', 'pipe', 'inherit'] });
  const count = process.argv[7] === 'count';
  const decoder = count ? new OutputCounter() : undefined;
  const subscribedLine = Buffer.from('%session-changed');
  const end = `${endLine}\\015\\012`; // as control mode writes it
  const SPLIT = /\n%output %\d+ /g;
  let subscribed = false;
  let tail = Buffer.alloc(0); // the last bytes read, for a line split across reads
  child.stdout.on('data', (chunk) => {
    raw += chunk.length;
    last = now();
    if (decoder !== undefined) payload += decoder.push(chunk);
    const hay = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    if (subscribed && first === 0 && hay.indexOf('%output') >= 0) first = last;
    tail = Buffer.from(hay.subarray(-256));
    if (!subscribed && hay.indexOf(subscribedLine) >= 0) {
      subscribed = true;
      const stat = () => {
        const f = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in 1/100 s
      };
      const at = stat();
      helperCpu = () => stat() - at;
      ready();
    }
    if (subscribed && (hay.indexOf(end) >= 0 || hay.toString('latin1').replace(SPLIT, '').includes(end))) {
      // Unless counted, the payload is taken as delivered whole: tmux drops
      // nothing for a client without pause-after (`fanout.js --verify`
      // counts it).
      if (decoder === undefined) payload = expected;
      report();
      // An empty line detaches. Keep reading until tmux is done with this
      // client: a tmux server whose control client stops reading with
      // output pending never lets it go, and would not exit on kill-server.
      child.stdin.end('\n');
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      child.once('exit', () => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
      return;
    }
    if (hay.indexOf('\n%exit') >= 0) {
      report({ early: `tmux: ${hay.subarray(hay.lastIndexOf('\n%exit') + 1).toString().trim()}` });
      process.exit(1);
    }
  });
  child.stdout.on('end', () => {
    if (reported) return;
    report({ early: 'tmux client closed' });
    process.exit(1);
  });
}

// Payload bytes in control-mode output: each `%output %PANE DATA` line's
// DATA, where a byte below 32 or a backslash is written as \ooo.
class OutputCounter {
  carry = Buffer.alloc(0);

  push(chunk) {
    let n = 0;
    let from = 0;
    if (this.carry.length > 0) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return 0;
      }
      n += line(Buffer.concat([this.carry, chunk.subarray(0, nl)]));
      from = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) break;
      n += line(chunk.subarray(from, nl));
      from = nl + 1;
    }
    this.carry = Buffer.from(chunk.subarray(from));
    return n;
  }
}

const OUTPUT = Buffer.from('%output %');
function line(l) {
  if (l.length < OUTPUT.length || l.compare(OUTPUT, 0, OUTPUT.length, 0, OUTPUT.length) !== 0) return 0;
  const start = l.indexOf(0x20, OUTPUT.length) + 1;
  let escapes = 0;
  for (let i = start; i < l.length; i++) if (l[i] === 0x5c) escapes++;
  return l.length - start - 3 * escapes;
}

if (mode === 'ptyplex') ptyplex();
else if (mode === 'tmux') tmux();
else throw new Error(`unknown mode ${mode}`);
