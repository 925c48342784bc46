/**
 * TEST ONLY: esprit's IKEv1 engine on real UDP sockets, for the netns interop tests (the
 * daemon does not run IKEv1 yet). Run inside a lab namespace:
 *
 *   node dist/test/netns/ikev1-peer.js CONFFILE CONN LOCAL REMOTE
 *
 * binds LOCAL:500 and LOCAL:4500, initiates CONN towards REMOTE (or, with CONN `-`, only
 * responds), frames IKE on 4500 with the non-ESP marker (RFC 3948 §2.2), and prints one JSON
 * line when an SA is established or has failed (exit 0 / 1), or after 30 s (exit 2).
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Ikev1Engine } from '../../src/ikev1/ikev1-engine.js';
import { parseIp } from '../../src/util/ip-addr.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { configFromText } from '../exchange/test-config.js';

const [confFile, conn, localText, remoteText] = process.argv.slice(2);
if (!confFile || !conn || !localText || !remoteText) {
  console.error('usage: ikev1-peer CONFFILE CONN|- LOCAL REMOTE');
  process.exit(64);
}
const config = configFromText(readFileSync(confFile, 'utf8'));
const local = parseIp(localText).bytes;
const logger = new MemoryLogger();
const start = performance.now();
const clock = { now: () => Math.floor(performance.now() - start) };
const rng = {
  fill(b: Uint8Array): void {
    crypto.getRandomValues(b);
  },
};
const engine = new Ikev1Engine(config, clock, rng, logger);
const sockets = new Map<number, Socket>();

let finished = false;
function finish(code: number, result: Record<string, unknown>): void {
  if (finished) return;
  finished = true;
  console.log(JSON.stringify({ ...result, log: logger.lines }));
  // dgram sends are asynchronous: let the last one (MM6) leave before exiting
  setTimeout(() => {
    for (const s of sockets.values()) s.close();
    process.exit(code);
  }, 500);
}

function pump(): void {
  for (const a of engine.takeActions()) {
    if (a.kind === 'send') {
      const s = sockets.get(a.local.port);
      if (!s) continue;
      const marker = a.local.port !== 500 && a.remote.port !== 500;
      const out = marker ? Buffer.concat([Buffer.alloc(4), a.bytes]) : Buffer.from(a.bytes);
      s.send(out, a.remote.port, Buffer.from(a.remote.address).join('.'));
    } else if (a.kind === 'event' && a.event.kind === 'ike-up') {
      const sa = engine.list().find((x) => x.state === 'established');
      finish(0, {
        ok: true,
        event: a.event,
        natt: sa?.natt?.variant ?? null,
        localBehindNat: sa?.localBehindNat,
        remoteBehindNat: sa?.remoteBehindNat,
        localPort: sa?.local.port,
        remotePort: sa?.remote.port,
      });
    } else if (a.kind === 'event' && a.event.kind === 'auth-failed') {
      finish(1, { ok: false, event: a.event });
    } else if (a.kind === 'initiate-result' && !a.ok) {
      finish(1, { ok: false, reason: a.reason });
    }
  }
}

for (const port of [500, 4500]) {
  const s = createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    let b = new Uint8Array(msg);
    if (port !== 500) {
      // RFC 3948 §2.2: IKE behind 4 zero octets; 1-octet 0xFF is a keepalive; else ESP (ignored here).
      if (b.length < 5 || b[0] !== 0 || b[1] !== 0 || b[2] !== 0 || b[3] !== 0) return;
      b = b.subarray(4);
    }
    engine.receive({ address: local, port }, { address: parseIp(rinfo.address).bytes, port: rinfo.port }, b);
    pump();
  });
  sockets.set(port, s);
}
await Promise.all([...sockets].map(([port, s]) => new Promise<void>((ok) => s.bind(port, localText, ok))));
console.log(JSON.stringify({ listening: true }));
setInterval(() => {
  engine.tick();
  pump();
}, 100);
setTimeout(() => finish(2, { ok: false, reason: 'timeout' }), 30_000);
if (conn !== '-') {
  engine.initiate(conn, local, parseIp(remoteText).bytes, 1);
  pump();
}
