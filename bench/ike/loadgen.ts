/**
 * IKEv2 load generator: esprit's own initiator (Ikev2Engine) in a load mode, over real UDP
 * sockets on ports 500 and 4500 (with the non-ESP marker on 4500, RFC 3948 §2.2), driving
 * any responder identically. Each attempt is IKE_SA_INIT + IKE_AUTH (PSK) + one CHILD SA;
 * GETSPI is answered locally and nothing is installed. Prints one JSON line:
 *   {"established": N, "failed": F, "seconds": S, "setupsPerSecond": N/S}
 *
 *   node dist/bench/ike/loadgen.js --local A --remote B --seconds S --concurrency C
 */
import dgram from 'node:dgram';
import { NodeRng } from '../../src/crypto/random.js';
import type { Endpoint } from '../../src/ike/natd.js';
import { Ikev2Engine } from '../../src/ikev2/ikev2-engine.js';
import { formatIp, parseIp } from '../../src/util/ip-addr.js';
import { nullLogger } from '../../src/util/logger.js';
import { configFromText } from '../../test/exchange/test-config.js';
import { BENCH_PROPOSALS, benchClientConf } from './bench-conf.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

const local = arg('--local', '10.99.2.1');
const remote = arg('--remote', '10.99.2.2');
const seconds = Number(arg('--seconds', '10'));
// Below both responders' default half-open limit per source address (esprit 5, charon's
// block_threshold 5), so neither throttles the generator.
const concurrency = Number(arg('--concurrency', '4'));
const proposals = arg('--proposals', BENCH_PROPOSALS);

const conf = configFromText(benchClientConf(remote, proposals));

const clock = { now: () => performance.timeOrigin + performance.now() };
const logger = process.env.ESPRIT_LOADGEN_DEBUG
  ? { log: (l: string, s: string, m: string) => process.stderr.write(`${l} [${s}] ${m}\n`) }
  : nullLogger;
const engine = new Ikev2Engine(conf, clock, new NodeRng(), logger, {
  retransmit: { timeoutMs: 2000, base: 1.8, tries: 2, limitMs: 0, jitterPercent: 0 },
});
const socks = new Map<number, dgram.Socket>();
let nextSpi = 0xd0000000;
let nextId = 1;
let established = 0;
let failed = 0;
let running = true;
let firstFailure: string | undefined;
let inFlight = 0;
const localIp = parseIp(local).bytes;
const remoteIp = parseIp(remote).bytes;

function send(l: Endpoint, r: Endpoint, bytes: Uint8Array): void {
  const s = socks.get(l.port);
  if (!s) return;
  const data = l.port === 4500 ? Buffer.concat([Buffer.alloc(4), bytes]) : Buffer.from(bytes);
  s.send(data, r.port, formatIp(r.address));
}

function act(): void {
  // GETSPI answers produce more actions: loop until quiet.
  for (let acts = engine.takeActions(); acts.length > 0; acts = engine.takeActions()) {
    for (const a of acts) {
      if (a.kind === 'send') send(a.local, a.remote, a.bytes);
      else if (a.kind === 'get-spi') engine.spiAllocated(a.token, nextSpi++);
      else if (a.kind === 'initiate-result') {
        inFlight--;
        if (a.ok) established++;
        else {
          failed++;
          firstFailure ??= a.reason;
        }
        // Forget the established SA (a load test keeps no state; the responder keeps its own).
        for (const s of engine.list()) if (s.lifecycle.state === 'established') engine.destroy(s, 'load test');
      }
    }
  }
}

function pump(): void {
  act();
  while (running && inFlight < concurrency) {
    inFlight++;
    engine.initiate('bench', localIp, remoteIp, undefined, nextId++);
    act();
  }
}

for (const port of [500, 4500]) {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  s.on('message', (msg, rinfo) => {
    let ike: Uint8Array = msg;
    if (port === 4500) {
      if (msg.length < 4 || msg.readUInt32BE(0) !== 0) return;
      ike = msg.subarray(4);
    }
    engine.receive({ address: localIp, port }, { address: parseIp(rinfo.address).bytes, port: rinfo.port }, ike);
    pump();
  });
  await new Promise<void>((r) => s.bind(port, local, () => r()));
  socks.set(port, s);
}

const timer = setInterval(() => {
  engine.tick();
  pump();
}, 200);
const t0 = performance.now();
pump();
await new Promise((r) => setTimeout(r, seconds * 1000));
running = false;
const elapsed = (performance.now() - t0) / 1000;
clearInterval(timer);
for (const s of socks.values()) s.close();
process.stdout.write(
  `${JSON.stringify({ established, failed, seconds: elapsed, setupsPerSecond: established / elapsed, ...(firstFailure ? { firstFailure } : {}) })}\n`,
);
process.exit(0);
