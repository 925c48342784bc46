import type { CryptoBackend } from '../../src/crypto/backend.js';
import { nodeBackend } from '../../src/crypto/node-backend.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { FakeKeys, saConfig } from '../../src/dataplane/test-harness.js';
import { FakeClock } from '../../src/util/clock.js';
import { parseIp, parsePrefix } from '../../src/util/ip-addr.js';
import { nullLogger } from '../../src/util/logger.js';
import { SeededRng } from '../../src/util/rng.js';

/**
 * Packets per second through the sans-IO data plane core in one process, no I/O (measure, do
 * not assert): client fromTun (SPD, SA lookup, AES-GCM-128 seal, RFC 3948 framing) and
 * gateway fromUdp (demux, SA lookup, open, inbound policy), 1400-byte inner IPv4 packets.
 *   node dist/bench/tunnel/dataplane-core.js [packets]
 * Modes: seal = fromTun only; open = fromUdp of pre-sealed datagrams, each copied first into
 * one of 64 receive slots of one buffer (as recvmmsg fills the daemon's native slots; the
 * copy stands in for the kernel's); both = fromTun then fromUdp per packet, through a slot.
 * Rates are per CPU second of this process (user + system), so other load on the machine
 * changes them less than wall time would.
 * Backends: node:crypto, and EVP through koffi when src/crypto/select.ts is present.
 * Compare with ../shared/docs/dataplane-notes.md (seal alone ~156 k pps node, ~687 k EVP).
 */

const N = Number(process.argv[2] ?? 20_000);
const ROUNDS = 3;
const SIZE = 1400;

/** CPU microseconds (user + system) of this process since `t0`. */
function cpuSince(t0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(t0);
  return d.user + d.system;
}

const SLOTS = 64;
const SLOT_LEN = 2048;
const slotArena = new Uint8Array(SLOTS * SLOT_LEN);
let slotNext = 0;
/** `d` copied into the next receive slot; the view the daemon would get from recvmmsg. */
function inSlot(d: Uint8Array): Uint8Array {
  const at = (slotNext++ % SLOTS) * SLOT_LEN;
  slotArena.set(d, at);
  return slotArena.subarray(at, at + d.length);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function innerPacket(): Uint8Array {
  const p = new Uint8Array(SIZE);
  const dv = new DataView(p.buffer);
  p[0] = 0x45;
  dv.setUint16(2, SIZE);
  p[8] = 64;
  p[9] = 17;
  p.set([10, 1, 0, 2], 12);
  p.set([10, 2, 0, 5], 16);
  dv.setUint16(20, 40000);
  dv.setUint16(22, 9);
  dv.setUint16(24, SIZE - 20);
  return p;
}

interface Pair {
  client: Dataplane;
  gateway: Dataplane;
  /** the last datagram the client sent (a view into its buffer) */
  last: () => Uint8Array;
  delivered: () => number;
}

function pair(backend: CryptoBackend): Pair {
  const clock = new FakeClock(0);
  const ip = parseIp;
  const pfx = parsePrefix;
  const ck = new FakeKeys(clock);
  const gk = new FakeKeys(clock);
  const sel = { proto: 255, sport: 0, dport: 0 };
  const tunnel = (src: string, dst: string) => ({
    proto: 'esp' as const,
    mode: 'tunnel' as const,
    tunnel: { src: ip(src), dst: ip(dst) },
    level: 'require' as const,
    reqid: 0,
  });
  ck.addSa(saConfig({ spi: 0x1001, src: ip('10.0.0.2'), dst: ip('192.0.2.1'), seq: 1n }));
  ck.addPolicy({
    selector: { src: pfx('10.1.0.2/32'), dst: pfx('10.2.0.0/24'), ...sel },
    dir: 'out',
    action: 'ipsec',
    requests: [tunnel('10.0.0.2', '192.0.2.1')],
  });
  gk.addSa(saConfig({ spi: 0x1001, src: ip('10.0.0.2'), dst: ip('192.0.2.1'), replayWindow: 1024 }));
  gk.addPolicy({
    selector: { src: pfx('10.1.0.2/32'), dst: pfx('10.2.0.0/24'), ...sel },
    dir: 'in',
    action: 'ipsec',
    requests: [tunnel('10.0.0.2', '192.0.2.1')],
  });
  let last: Uint8Array = new Uint8Array(0);
  let delivered = 0;
  const base = {
    udpSend: () => undefined,
    rawSend: () => undefined,
    tunWrite: () => {},
    toIke: () => {},
    pfkey: () => {},
  };
  const common = { backend, rng: new SeededRng(3n), clock, logger: nullLogger };
  const client = new Dataplane({
    ...common,
    keys: ck,
    sink: {
      ...base,
      udpSend: (_l, _a, _p, payload) => {
        last = payload;
        return undefined;
      },
    },
    listeners: [{ address: '10.0.0.2', port: 4500, role: 'natt' }],
  });
  const gateway = new Dataplane({
    ...common,
    keys: gk,
    sink: {
      ...base,
      tunWrite: () => {
        delivered++;
      },
    },
    listeners: [{ address: '192.0.2.1', port: 4500, role: 'natt' }],
  });
  return { client, gateway, last: () => last, delivered: () => delivered };
}

function run(backend: CryptoBackend): Record<string, number> {
  const pkt = innerPacket();
  const seal: number[] = [];
  const open: number[] = [];
  const both: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // seal only
    let p = pair(backend);
    let t = process.cpuUsage();
    for (let i = 0; i < N; i++) p.client.fromTun(pkt);
    seal.push(N / (cpuSince(t) / 1e6));
    // open only: collect N datagrams first
    p = pair(backend);
    const sealed: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      p.client.fromTun(pkt);
      sealed.push(p.last().slice());
    }
    t = process.cpuUsage();
    for (const d of sealed) p.gateway.fromUdp(0, '10.0.0.2', 4500, inSlot(d));
    open.push(N / (cpuSince(t) / 1e6));
    if (p.delivered() !== N) throw new Error(`open: delivered ${p.delivered()} of ${N}`);
    // both, per packet
    p = pair(backend);
    t = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      p.client.fromTun(pkt);
      p.gateway.fromUdp(0, '10.0.0.2', 4500, inSlot(p.last()));
    }
    both.push(N / (cpuSince(t) / 1e6));
    if (p.delivered() !== N) throw new Error(`both: delivered ${p.delivered()} of ${N}`);
  }
  return { seal: median(seal), open: median(open), both: median(both) };
}

async function backends(): Promise<[string, CryptoBackend][]> {
  const out: [string, CryptoBackend][] = [['node', nodeBackend]];
  const select = '../../src/crypto/select.js'; // lands with the crypto branch; optional here
  try {
    const m = (await import(select)) as { selectBackend: (p: string) => CryptoBackend };
    out.push(['evp', m.selectBackend('evp')]);
  } catch (e) {
    console.log(`(no EVP backend: ${(e as Error).message.split('\n')[0]})`);
  }
  return out;
}

const rows: string[] = [];
for (const [name, b] of await backends()) {
  const r = run(b);
  const k = (x: number | undefined) => `${((x ?? 0) / 1000).toFixed(1).padStart(7)} k`;
  const gbit = (x: number | undefined) => `${(((x ?? 0) * SIZE * 8) / 1e9).toFixed(2).padStart(5)}`;
  rows.push(
    `${name.padEnd(7)} | ${k(r.seal)} ${gbit(r.seal)} | ${k(r.open)} ${gbit(r.open)} | ${k(r.both)} ${gbit(r.both)}`,
  );
}
console.log(
  `dataplane core, ${SIZE}-byte inner IPv4, AES-GCM-128, rfc3948, ${N} packets, median of ${ROUNDS}, per CPU second`,
);
console.log('backend |  seal pps  Gbit/s |  open pps  Gbit/s |  both pps  Gbit/s');
for (const r of rows) console.log(r);
