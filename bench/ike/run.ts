/**
 * IKE benchmark (bench/README.md "IKE"):
 *
 *   node --expose-gc dist/bench/ike/run.js [--short] [--rounds N]
 *
 * 1. Setups per second: IKE_SA_INIT + IKE_AUTH (PSK) + one CHILD SA, with esprit as the
 *    responder (`esprit start` in the lab's gw namespace: the CHILD SAs really go into
 *    ipsecd over PF_KEY) and with strongSwan 5.9.8's charon (kernel-libipsec) as the
 *    responder, both driven by the same load generator (bench/ike/loadgen.ts: esprit's
 *    initiator in load mode, in the nat namespace, no NAT in between) in the same run.
 * 2. Memory per established IKE SA + CHILD SA on the esprit responder at N SAs (10 000; 300
 *    with --short): two engines in this process, the initiator dropped before measuring, so
 *    the heap delta is the responder's state; strongSwan's figure is charon's RSS growth
 *    over the setups of part 1 divided by the SAs it established.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NodeRng } from '../../src/crypto/random.js';
import { Ikev2Engine } from '../../src/ikev2/ikev2-engine.js';
import { parseIp } from '../../src/util/ip-addr.js';
import { nullLogger } from '../../src/util/logger.js';
import { configFromText } from '../../test/exchange/test-config.js';
import { LAB, Lab } from '../../test/netns/harness.js';
import { IkeHost } from '../../test/netns/scenarios/ike-host.js';
import { StrongSwanHost } from '../../test/netns/scenarios/strongswan-host.js';
import { BENCH_PROPOSALS, BENCH_PSK, benchClientConf } from './bench-conf.js';

const GW = `
connections {
  bench {
    local_addrs = ${LAB.gw.v4}
    proposals = ${BENCH_PROPOSALS}
    # every SA comes from the one load-generator identity: keep them all (no INITIAL_CONTACT
    # replacement, RFC 7296 §3.16), in both responders
    unique = never
    local {
      auth = psk
      id = gw.esprit.test
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = 10.99.3.0/24
        remote_ts = 10.99.5.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike {
    id = gw.esprit.test
    secret = "${BENCH_PSK}"
  }
}
`;

export interface IkeBenchResult {
  peer: string;
  setupsPerSecond: number;
  established: number;
  failed: number;
  bytesPerSa?: number;
  /**
   * esprit: ArrayBuffer contents outside the V8 heap per SA (`arrayBuffers` of
   * process.memoryUsage(): typed arrays over 64 bytes, Buffers), which heapUsed leaves out
   */
  externalPerSa?: number;
  /** setups/s of each round */
  runs?: number[];
  /** established setups per CPU second of the responder's process over all rounds */
  perCpuSecond?: number;
}

/**
 * A real collector: `--expose-gc` when the process has it, otherwise V8's flag set at run time
 * and `gc` taken from a fresh context (the test runner starts node without the flag; without
 * a collection the heap delta of 200 SAs is GC noise and was once negative in CI).
 */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
const gc = collector();

/**
 * Heap of the esprit responder per established IKE SA + CHILD SA, measured in process, after
 * a throwaway warm-up round (the first SAs also pay for lazily compiled code and V8's inline
 * caches, which put ~5 KB/SA of noise on a 200-SA measurement).
 */
export async function responderHeapPerSa(n: number): Promise<{ heap: number; external: number }> {
  await heapPerSa(Math.min(n, 50));
  return heapPerSa(n);
}

async function heapPerSa(n: number): Promise<{ heap: number; external: number }> {
  const client = configFromText(benchClientConf(LAB.gw.v4));
  const server = configFromText(GW);
  const clock = { now: () => 1_000_000 };
  const a = { address: parseIp(LAB.natWan.v4).bytes, port: 500 };
  const b = { address: parseIp(LAB.gw.v4).bytes, port: 500 };
  gc();
  await new Promise((r) => setTimeout(r, 10));
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const ext0 = process.memoryUsage().arrayBuffers;
  const resp = new Ikev2Engine(server, clock, new NodeRng(), nullLogger, {
    cookieThreshold: 1e9,
    halfOpenPerSource: 1e9,
  });
  let init: Ikev2Engine | undefined = new Ikev2Engine(client, clock, new NodeRng(), nullLogger);
  let spi = 1;
  const wire: { toResp: boolean; bytes: Uint8Array; from: typeof a; to: typeof a }[] = [];
  const drain = (e: Ikev2Engine, toResp: boolean): void => {
    // GETSPI answers produce more actions (the message waiting for the SPI): loop until quiet.
    for (let acts = e.takeActions(); acts.length > 0; acts = e.takeActions()) {
      for (const x of acts) {
        if (x.kind === 'send') wire.push({ toResp, bytes: x.bytes, from: x.local, to: x.remote });
        else if (x.kind === 'get-spi') e.spiAllocated(x.token, spi++);
      }
    }
  };
  for (let i = 0; i < n; i++) {
    // One IKE SA per initiation: a fresh initiator engine would cost too much; the same one
    // makes a new IKE SA each time because none of its SAs is used for CREATE_CHILD_SA here.
    init.initiate('bench', a.address, b.address, undefined, i + 1);
    drain(init, true);
    for (let d = wire.shift(); d; d = wire.shift()) {
      if (d.toResp) {
        resp.receive(d.to, d.from, d.bytes);
        drain(resp, false);
      } else {
        init.receive(d.to, d.from, d.bytes);
        drain(init, true);
      }
    }
    // Forget the initiator's SA so the next initiate() builds a new IKE SA.
    for (const s of init.list()) init.destroy(s, 'bench');
    init.takeActions();
  }
  const up = resp.list().filter((s) => s.lifecycle.state === 'established' && s.children.length === 1).length;
  if (up !== n) throw new Error(`only ${up} of ${n} responder SAs established`);
  init = undefined;
  resp.takeActions();
  gc();
  await new Promise((r) => setTimeout(r, 10));
  gc();
  const bytes = (process.memoryUsage().heapUsed - heap0) / n;
  const external = (process.memoryUsage().arrayBuffers - ext0) / n;
  if (resp.list().length !== n) throw new Error('responder lost SAs');
  if (process.env.ESPRIT_HEAP_EXPERIMENT) {
    const measure = (label: string, strip: (sa: ReturnType<Ikev2Engine['list']>[number]) => void): void => {
      const h0 = process.memoryUsage().heapUsed;
      for (const sa of resp.list()) strip(sa);
      gc();
      gc();
      console.error(`${label}: ${((h0 - process.memoryUsage().heapUsed) / n).toFixed(0)} B/SA`);
    };
    measure('cached response', (sa) => {
      (sa.window as unknown as { cachedResponse: unknown }).cachedResponse = undefined;
    });
    measure('children', (sa) => {
      sa.children = [];
    });
    measure('keys/nonces/proposal', (sa) => {
      sa.keys = undefined;
      sa.nonceI = new Uint8Array(0);
      sa.nonceR = new Uint8Array(0);
      sa.proposal = undefined;
      sa.suite = undefined;
    });
    measure('ids', (sa) => {
      sa.localId = undefined;
      sa.remoteId = undefined;
    });
  }
  return { heap: bytes, external };
}

/** Async: a blocked event loop here would stall the responders' log pipes to this process. */
async function loadgen(
  lab: Lab,
  seconds: number,
): Promise<{ established: number; failed: number; setupsPerSecond: number }> {
  const main = new URL('./loadgen.js', import.meta.url).pathname;
  const { stdout: out } = await promisify(execFile)(
    'ip',
    [
      'netns',
      'exec',
      lab.netns('nat').name,
      process.execPath,
      main,
      '--local',
      LAB.natWan.v4,
      '--remote',
      LAB.gw.v4,
      '--seconds',
      String(seconds),
      '--concurrency',
      '4',
      '--proposals',
      BENCH_PROPOSALS,
    ],
    { encoding: 'utf8', timeout: (seconds + 30) * 1000 },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    established: number;
    failed: number;
    setupsPerSecond: number;
    firstFailure?: string;
  };
  if (r.firstFailure) console.error(`load generator: first failure: ${r.firstFailure}`);
  return r;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** utime + stime of a process (all its threads) in seconds, from /proc/PID/stat (USER_HZ 100). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11] ?? 0) + Number(f[12] ?? 0)) / 100;
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? (v[m] ?? 0) : ((v[m - 1] ?? 0) + (v[m] ?? 0)) / 2;
};

/**
 * `rounds` rounds of esprit then strongSwan, each responder started afresh per round (both
 * own UDP 500/4500 in gw): on a machine shared with other jobs the load changes within a
 * minute, so alternating and taking medians compares the two under the same conditions more
 * fairly than one run each. Beside setups per wall second, setups per CPU second of the
 * responder's process (esprit start with its data plane; charon with libipsec), which other
 * processes competing for the cores do not change.
 */
export async function benchIke(o: { seconds: number; heapSas: number; rounds?: number }): Promise<IkeBenchResult[]> {
  const runs = new Map<string, { rate: number; established: number; failed: number; cpu: number; rss?: number }[]>([
    ['esprit', []],
    ['strongswan', []],
  ]);
  const lab = await Lab.create({ natPorts: 'random' });
  try {
    // masquerade only forwarded traffic: the generator in the nat namespace talks directly
    await lab.exec('nat', [
      'nft',
      'insert',
      'rule',
      'inet',
      'labnat',
      'postrouting',
      'ip',
      'saddr',
      LAB.natWan.v4,
      'accept',
    ]);
    for (let round = 0; round < (o.rounds ?? 1); round++) {
      const esprit = await IkeHost.start(lab, 'gw', GW, {}, 'warn');
      try {
        const pid = esprit.proc.child.pid ?? 0;
        const cpu0 = cpuSecondsOf(pid);
        const r = await loadgen(lab, o.seconds);
        const cpu = cpuSecondsOf(pid) - cpu0;
        runs.get('esprit')?.push({ rate: r.setupsPerSecond, established: r.established, failed: r.failed, cpu });
      } finally {
        await esprit.stop();
      }
      const ss = await StrongSwanHost.start(lab, 'gw', GW);
      try {
        const rss0 = rssOf(ss.charon.pid);
        const cpu0 = cpuSecondsOf(ss.charon.pid);
        const r = await loadgen(lab, o.seconds);
        const cpu = cpuSecondsOf(ss.charon.pid) - cpu0;
        const rss = r.established > 0 ? (rssOf(ss.charon.pid) - rss0) / r.established : 0;
        runs
          .get('strongswan')
          ?.push({ rate: r.setupsPerSecond, established: r.established, failed: r.failed, cpu, rss });
      } finally {
        await ss.stop();
      }
    }
  } finally {
    await lab.destroy();
  }
  const results: IkeBenchResult[] = [...runs].map(([peer, rs]) => {
    const established = rs.reduce((n, r) => n + r.established, 0);
    const cpu = rs.reduce((n, r) => n + r.cpu, 0);
    const row: IkeBenchResult = {
      peer,
      setupsPerSecond: median(rs.map((r) => r.rate)),
      runs: rs.map((r) => r.rate),
      established,
      failed: rs.reduce((n, r) => n + r.failed, 0),
      perCpuSecond: cpu > 0 ? established / cpu : 0,
    };
    if (peer === 'strongswan') row.bytesPerSa = median(rs.map((r) => r.rss ?? 0));
    return row;
  });
  const heap = await responderHeapPerSa(o.heapSas);
  const e = results.find((x) => x.peer === 'esprit');
  if (e) {
    e.bytesPerSa = heap.heap;
    e.externalPerSa = heap.external;
  }
  return results;
}

export function reportIke(rows: IkeBenchResult[], heapSas: number): string {
  const e = rows.find((r) => r.peer === 'esprit');
  const s = rows.find((r) => r.peer === 'strongswan');
  const mem = (r: IkeBenchResult): string => {
    if (r.bytesPerSa === undefined) return '-';
    if (r.peer !== 'esprit') return `${Math.round(r.bytesPerSa)} B (charon RSS growth / SAs)`;
    return `${Math.round(r.bytesPerSa)} B (heap, ${heapSas} SAs; + ${Math.round(r.externalPerSa ?? 0)} B ArrayBuffer data outside it)`;
  };
  const lines = [
    '| responder | setups/s (IKE SA + CHILD SA), median | runs (setups/s) | setups per responder CPU-second | established | failed | memory per IKE SA + CHILD SA |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.peer} | ${r.setupsPerSecond.toFixed(1)} | ${(r.runs ?? []).map((x) => x.toFixed(1)).join(' / ')} | ${(r.perCpuSecond ?? 0).toFixed(1)} | ${r.established} | ${r.failed} | ${mem(r)} |`,
    ),
  ];
  if (e && s && s.setupsPerSecond > 0) {
    lines.push('', `esprit / strongSwan setups/s (medians): ${(e.setupsPerSecond / s.setupsPerSecond).toFixed(2)}`);
    const pairs = (e.runs ?? []).map((x, i) => x / ((s.runs ?? [])[i] ?? Number.NaN));
    lines.push(`per round: ${pairs.map((x) => x.toFixed(2)).join(' / ')}`);
    if ((s.perCpuSecond ?? 0) > 0)
      lines.push(
        `esprit / strongSwan setups per CPU-second: ${((e.perCpuSecond ?? 0) / (s.perCpuSecond ?? 1)).toFixed(2)}`,
      );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}` && !process.env.ESPRIT_BENCH_NOMAIN) {
  const short = process.argv.includes('--short');
  const heapSas = short ? 300 : 10_000;
  const i = process.argv.indexOf('--rounds');
  const rounds = i >= 0 ? Number(process.argv[i + 1]) : short ? 1 : 3;
  const rows = await benchIke({ seconds: short ? 3 : 10, heapSas, rounds });
  console.log(reportIke(rows, heapSas));
}
