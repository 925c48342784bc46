/**
 * Tunnel benchmark: iperf3 TCP and UDP from lab namespace `client` to an iperf3 server in `gw`,
 * over three paths in the same lab, alternating per repetition (plain, strongswan, esprit, plain, ...):
 *
 *   plain       client 10.99.1.2 ──NAT──▶ gw 10.99.2.2           (no tunnel: veth + nftables NAT)
 *   strongswan  client 10.99.4.1 ══ESP-in-UDP 4500, AES-GCM-128══▶ gw 10.99.3.1  (kernel-libipsec)
 *   esprit      same topology, esprit's tunnel (esprit.ts; reported "unavailable" until it exists)
 *
 *   node dist/bench/tunnel/run.js [--short] [--reps N] [--time S] [--udp RATE:LEN,...|none]
 *        [--paths plain,strongswan,esprit] [--require esprit] [--json] [--out FILE]
 *        [--esprit-threads 1|2]   (both ipsecd with --dataplane-threads N, docs/dataplane.md §10.9)
 *
 * Per run: receiver Gbit/s; packets/s (UDP: datagrams received; TCP: received bytes / MSS);
 * CPU seconds per GB received (1 GB = 1e9 bytes), from utime+stime of the tunnel processes at
 * both ends (/proc/PID/stat) plus the iperf3 server (/proc/PID/stat) and client (`times` of the
 * shell that waited for it). Rows are medians over the repetitions; ratios are taken between the
 * medians. Needs root and iperf3, ping, nft, conntrack, swanctl and charon (for strongswan).
 * Measures and reports; asserts nothing about speed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { LAB, Lab, type LabProcess } from '../../test/netns/harness.js';
import { espritTunnel } from './esprit.js';
import { CHARON, StrongSwanTunnel } from './strongswan.js';
import { type TunnelEndpoints, TunnelUnavailableError, type TunnelUnderTest } from './tunnel-under-test.js';

export const PATHS = ['plain', 'strongswan', 'esprit'] as const;
export type PathName = (typeof PATHS)[number];

export interface UdpSpec {
  /** iperf3 -b, e.g. '1G' */
  readonly rate: string;
  /** iperf3 -l (UDP payload bytes) */
  readonly len: number;
}

export interface BenchOptions {
  readonly short: boolean;
  readonly paths: readonly PathName[];
  /** paths whose unavailability is an error (by default only a missing esprit is tolerated) */
  readonly require: readonly PathName[];
  readonly reps: number;
  /** seconds per iperf3 run (TCP and UDP) */
  readonly seconds: number;
  readonly udp: readonly UdpSpec[];
  /** data-plane threads of both esprit ipsecd (--dataplane-threads; default 1) */
  readonly espritThreads?: number;
  /** progress lines (default: stderr) */
  readonly log?: (line: string) => void;
  /** tunnel implementations by path (default: strongswan.ts, esprit.ts) */
  readonly tunnels?: Partial<Record<PathName, TunnelUnderTest>>;
}

export interface RunSample {
  readonly rep: number;
  readonly gbps: number;
  readonly pps: number;
  readonly bytes: number;
  readonly seconds: number;
  /** CPU seconds of the tunnel processes (both ends) over the run */
  readonly cpuTunnel: number;
  /** CPU seconds of iperf3 client + server over the run */
  readonly cpuIperf: number;
  /** share of the whole machine busy during the run (all processes, 0..1) */
  readonly machineBusy: number;
  readonly retransmits?: number;
  readonly lossPercent?: number;
}

export type RowStatus = 'ok' | 'unavailable' | 'failed';

export interface ResultRow {
  readonly path: PathName;
  /** 'tcp' or 'udp-<rate>-<len>' */
  readonly test: string;
  readonly status: RowStatus;
  /** repetitions that produced a sample */
  readonly reps: number;
  /** runs (or setups) of this row that failed; their messages are in `note` */
  readonly failures: number;
  readonly gbps: number;
  readonly pps: number;
  readonly cpuSecPerGbTunnel: number;
  readonly cpuSecPerGbTotal: number;
  readonly machineBusy: number;
  /** UDP: median receiver loss %; TCP: median sender retransmits (NaN when not reported) */
  readonly lossOrRetransmits: number;
  /** median Gbit/s of this row over strongSwan's / plain's for the same test (undefined if absent) */
  readonly vsStrongswan: number | undefined;
  readonly vsPlain: number | undefined;
  readonly samples: readonly RunSample[];
  readonly note?: string;
}

export interface BenchReport {
  readonly date: string;
  readonly mode: 'short' | 'full';
  readonly machine: string;
  /** data-plane threads of each esprit ipsecd */
  readonly espritThreads?: number;
  readonly reps: number;
  readonly seconds: number;
  readonly rows: readonly ResultRow[];
}

const PORT = '5201';
const HZ = 100; // USER_HZ: /proc/PID/stat utime/stime are in clock ticks of 1/100 s on Linux

export function defaultOptions(short: boolean): BenchOptions {
  return short
    ? { short, paths: PATHS, require: [], reps: 1, seconds: 3, udp: [{ rate: '1G', len: 1400 }] }
    : {
        short,
        paths: PATHS,
        require: [],
        reps: 3,
        seconds: 10,
        udp: [
          { rate: '1G', len: 1400 },
          { rate: '1G', len: 1372 },
        ],
      };
}

export interface CliOptions extends BenchOptions {
  readonly json: boolean;
  readonly out: string | undefined;
}

function parsePaths(s: string): PathName[] {
  const out: PathName[] = [];
  for (const p of s.split(',').filter(Boolean)) {
    const found = PATHS.find((x) => x === p);
    if (!found) throw new Error(`unknown path '${p}' (known: ${PATHS.join(', ')})`);
    out.push(found);
  }
  return out;
}

function parseUdp(s: string): UdpSpec[] {
  if (s === 'none') return [];
  return s.split(',').map((x) => {
    const m = /^(\d+[KMG]?):(\d+)$/.exec(x);
    if (!m?.[1] || !m[2]) throw new Error(`--udp wants RATE:LEN[,...] (e.g. 1G:1400), got '${x}'`);
    return { rate: m[1], len: Number(m[2]) };
  });
}

export function parseArgs(argv: readonly string[]): CliOptions {
  let opts: BenchOptions = defaultOptions(argv.includes('--short'));
  let json = false;
  let out: string | undefined;
  const require: PathName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--short':
        break;
      case '--json':
        json = true;
        break;
      case '--out':
        out = val();
        break;
      case '--reps':
        opts = { ...opts, reps: positiveInt(a, val()) };
        break;
      case '--time':
        opts = { ...opts, seconds: positiveInt(a, val()) };
        break;
      case '--udp':
        opts = { ...opts, udp: parseUdp(val()) };
        break;
      case '--paths':
        opts = { ...opts, paths: parsePaths(val()) };
        break;
      case '--esprit-threads': {
        const n = positiveInt(a, val());
        if (n > 2) throw new Error(`--esprit-threads wants 1 or 2, got ${n}`);
        opts = { ...opts, espritThreads: n };
        break;
      }
      case '--require':
        require.push(...parsePaths(val()));
        break;
      default:
        throw new Error(`unknown argument '${a}'`);
    }
  }
  return { ...opts, require, json, out };
}

function positiveInt(name: string | undefined, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} wants a positive integer, got '${v}'`);
  return n;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const hi = s[mid] ?? Number.NaN;
  return s.length % 2 === 1 ? hi : ((s[mid - 1] ?? hi) + hi) / 2;
}

/** utime + stime of PID in seconds (0 when the process is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the comm field may contain spaces: fields after ')' start at field 3 (state)
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / HZ; // fields 14 (utime) and 15 (stime)
  } catch {
    return 0;
  }
}

export function machineTicks(): { total: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  return { total: v.reduce((a, b) => a + b, 0), idle: (v[3] ?? 0) + (v[4] ?? 0) };
}

/** Children user+system seconds from the second line of POSIX `times` output ("0m1.23s 0m4.56s"). */
export function parseTimes(stderr: string): number {
  const lines = stderr.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(last);
  if (!m) return 0;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

interface IperfEnd {
  bytes: number;
  seconds: number;
  bitsPerSecond: number;
  packets: number;
  retransmits?: number;
  lossPercent?: number;
}

type Json = Record<string, unknown>;
const obj = (x: unknown): Json => (typeof x === 'object' && x !== null ? (x as Json) : {});
const num = (x: unknown): number => (typeof x === 'number' ? x : Number.NaN);

/** Receiver-side totals from iperf3 -J output (3.12: end.sum_received for TCP and UDP). */
export function parseIperf(stdout: string, udpLen: number | undefined): IperfEnd {
  const j = obj(JSON.parse(stdout));
  if (typeof j.error === 'string') throw new Error(`iperf3: ${j.error}`);
  const end = obj(j.end);
  const rcv = obj(end.sum_received);
  const bytes = num(rcv.bytes);
  const seconds = num(rcv.seconds);
  if (!(bytes > 0) || !(seconds > 0)) throw new Error('iperf3: no bytes received');
  if (udpLen !== undefined) {
    return {
      bytes,
      seconds,
      bitsPerSecond: num(rcv.bits_per_second),
      packets: bytes / udpLen,
      lossPercent: num(rcv.lost_percent),
    };
  }
  const mss = num(obj(j.start).tcp_mss_default);
  return {
    bytes,
    seconds,
    bitsPerSecond: num(rcv.bits_per_second),
    packets: bytes / (mss > 0 ? mss : 1448),
    retransmits: num(obj(end.sum_sent).retransmits),
  };
}

interface TestSpec {
  readonly name: string;
  readonly udp?: UdpSpec;
}

function testsOf(o: BenchOptions): TestSpec[] {
  return [{ name: 'tcp' }, ...o.udp.map((u) => ({ name: `udp-${u.rate}-${u.len}`, udp: u }))];
}

const plainPath: TunnelUnderTest = {
  name: 'plain',
  async setup(): Promise<TunnelEndpoints> {
    return { serverAddress: LAB.gw.v4, pids: [] };
  },
  async teardown(): Promise<void> {},
};

async function measure(
  lab: Lab,
  server: LabProcess,
  ep: TunnelEndpoints,
  t: TestSpec,
  seconds: number,
  rep: number,
): Promise<RunSample> {
  const args = ['-c', ep.serverAddress, '-p', PORT, '-t', String(seconds), '-J'];
  if (ep.bindAddress) args.push('-B', ep.bindAddress);
  if (t.udp) args.push('-u', '-b', t.udp.rate, '-l', String(t.udp.len));
  const tun0 = ep.pids.map(cpuSeconds);
  const srv0 = cpuSeconds(server.pid);
  const m0 = machineTicks();
  // sh waits for iperf3, so `times` (children user/system) is exactly iperf3's CPU.
  const r = await lab.exec('client', ['sh', '-c', 'iperf3 "$@"; rc=$?; times >&2; exit $rc', 'sh', ...args], {
    allowFail: true,
    timeoutMs: (seconds + 90) * 1000,
  });
  const m1 = machineTicks();
  const cpuTunnel = ep.pids.reduce((acc, pid, i) => acc + cpuSeconds(pid) - (tun0[i] ?? 0), 0);
  const cpuIperf = cpuSeconds(server.pid) - srv0 + parseTimes(r.stderr);
  let e: IperfEnd;
  try {
    e = parseIperf(r.stdout, t.udp?.len);
  } catch (err) {
    throw new Error(`${(err as Error).message} (exit ${r.code}; ${r.stderr.trim().split('\n')[0] ?? ''})`);
  }
  const dt = m1.total - m0.total;
  return {
    rep,
    gbps: e.bitsPerSecond / 1e9,
    pps: e.packets / e.seconds,
    bytes: e.bytes,
    seconds: e.seconds,
    cpuTunnel,
    cpuIperf,
    machineBusy: dt > 0 ? 1 - (m1.idle - m0.idle) / dt : 0,
    ...(e.retransmits !== undefined && { retransmits: e.retransmits }),
    ...(e.lossPercent !== undefined && { lossPercent: e.lossPercent }),
  };
}

async function startServer(lab: Lab): Promise<LabProcess> {
  const s = lab.spawn('gw', ['iperf3', '-s', '-p', PORT, '--forceflush']);
  await s.waitForLine(/Server listening/, 10_000);
  return s;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function runTunnelBench(o: BenchOptions): Promise<BenchReport> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const tunnels: Record<PathName, TunnelUnderTest> = {
    plain: o.tunnels?.plain ?? plainPath,
    strongswan: o.tunnels?.strongswan ?? new StrongSwanTunnel(),
    esprit:
      o.tunnels?.esprit ??
      espritTunnel((o.espritThreads ?? 1) > 1 ? { extraArgs: ['--dataplane-threads', String(o.espritThreads)] } : {}),
  };
  const tests = testsOf(o);
  const samples = new Map<string, RunSample[]>();
  const problems = new Map<string, string[]>();
  const unavailable = new Map<PathName, string>();
  const key = (p: PathName, t: string) => `${p}/${t}`;
  const problem = (p: PathName, t: string, msg: string) => {
    const firstLine = msg.split('\n')[0] ?? msg;
    problems.set(key(p, t), [...(problems.get(key(p, t)) ?? []), firstLine]);
  };
  const lab = await Lab.create({ natPorts: 'random' });
  try {
    let server = await startServer(lab);
    for (let rep = 1; rep <= o.reps; rep++) {
      for (const path of o.paths) {
        if (unavailable.has(path)) continue;
        const tun = tunnels[path];
        let ep: TunnelEndpoints;
        try {
          ep = await tun.setup(lab);
        } catch (e) {
          const msg = (e as Error).message;
          if (e instanceof TunnelUnavailableError) {
            unavailable.set(path, msg);
            log(`[${path}] unavailable: ${msg}`);
          } else {
            for (const t of tests) problem(path, t.name, `rep ${rep}: ${msg}`);
            log(`[${path}] rep ${rep} setup FAILED: ${msg}`);
          }
          continue;
        }
        try {
          for (const t of tests) {
            try {
              const s = await measure(lab, server, ep, t, o.seconds, rep);
              samples.set(key(path, t.name), [...(samples.get(key(path, t.name)) ?? []), s]);
              log(
                `[${path}] rep ${rep} ${t.name}: ${s.gbps.toFixed(3)} Gbit/s, ${Math.round(s.pps)} pkt/s, ` +
                  `cpu tunnel ${s.cpuTunnel.toFixed(2)} s, iperf3 ${s.cpuIperf.toFixed(2)} s`,
              );
            } catch (e) {
              const msg = (e as Error).message;
              log(`[${path}] rep ${rep} ${t.name}: FAILED ${msg}`);
              problem(path, t.name, `rep ${rep}: ${msg}`);
              // a wedged server (e.g. half-finished test) would fail every later run: restart it
              server.kill('SIGKILL');
              await server.exited;
              server = await startServer(lab);
            }
            await sleep(500); // let tunnel queues drain before the next run
          }
        } finally {
          await tun.teardown();
        }
      }
    }
    server.kill();
  } finally {
    await lab.destroy();
  }
  return {
    date: new Date().toISOString(),
    mode: o.short ? 'short' : 'full',
    machine: machineLine(),
    ...(o.espritThreads !== undefined ? { espritThreads: o.espritThreads } : {}),
    reps: o.reps,
    seconds: o.seconds,
    rows: buildRows(o.paths, tests, samples, problems, unavailable),
  };
}

function buildRows(
  paths: readonly PathName[],
  tests: readonly TestSpec[],
  samples: ReadonlyMap<string, RunSample[]>,
  problems: ReadonlyMap<string, string[]>,
  unavailable: ReadonlyMap<PathName, string>,
): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const path of paths) {
    for (const t of tests) {
      const ss = samples.get(`${path}/${t.name}`) ?? [];
      const pr = problems.get(`${path}/${t.name}`) ?? [];
      const na = unavailable.get(path);
      const gb = (s: RunSample) => s.bytes / 1e9;
      const note = na ?? pr.join('; ');
      rows.push({
        path,
        test: t.name,
        status: na !== undefined ? 'unavailable' : ss.length > 0 ? 'ok' : 'failed',
        reps: ss.length,
        failures: pr.length,
        gbps: median(ss.map((s) => s.gbps)),
        pps: median(ss.map((s) => s.pps)),
        cpuSecPerGbTunnel: median(ss.map((s) => s.cpuTunnel / gb(s))),
        cpuSecPerGbTotal: median(ss.map((s) => (s.cpuTunnel + s.cpuIperf) / gb(s))),
        machineBusy: median(ss.map((s) => s.machineBusy)),
        lossOrRetransmits: median(ss.map((s) => s.lossPercent ?? s.retransmits ?? Number.NaN)),
        vsStrongswan: undefined,
        vsPlain: undefined,
        samples: ss,
        ...(note !== '' && { note }),
      });
    }
  }
  const gbpsOf = (p: PathName, test: string) => {
    const r = rows.find((x) => x.path === p && x.test === test && x.status === 'ok');
    return r?.gbps;
  };
  return rows.map((r) => {
    const ss = gbpsOf('strongswan', r.test);
    const pl = gbpsOf('plain', r.test);
    const ok = r.status === 'ok';
    return {
      ...r,
      vsStrongswan: ok && ss ? r.gbps / ss : undefined,
      vsPlain: ok && pl ? r.gbps / pl : undefined,
    };
  });
}

function machineLine(): string {
  const c = cpus();
  let kernel = '';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  let swan = 'strongSwan ?';
  try {
    swan = execFileSync(CHARON, ['--version'], { encoding: 'utf8', timeout: 5000 }).trim().split('\n')[0] ?? swan;
  } catch {
    // not installed: the strongswan path reports its own failure
  }
  return `${c.length} vCPU ${c[0]?.model ?? '?'}, Linux ${kernel}, ${swan} (kernel-libipsec)`;
}

const f = (x: number | undefined, digits: number): string =>
  x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits);

const lossCell = (x: ResultRow): string =>
  Number.isNaN(x.lossOrRetransmits)
    ? '–'
    : x.test.startsWith('udp')
      ? `${x.lossOrRetransmits.toFixed(1)} %`
      : x.lossOrRetransmits.toFixed(0);

/** The report as a markdown table (plus a heading line). */
export function formatMarkdown(r: BenchReport): string {
  const lines = [
    `Tunnel benchmark, ${r.mode} mode, ${r.date}: ${r.reps} repetition(s) of ${r.seconds} s per run, medians. ${r.machine}.` +
      ((r.espritThreads ?? 1) > 1 ? ` esprit ipsecd with ${r.espritThreads} data-plane threads.` : ''),
    '',
    '| path | test | Gbit/s | kpkt/s | CPU s/GB tunnel | CPU s/GB total | × strongSwan | × plain | UDP loss / TCP retr | machine busy | runs (Gbit/s) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const x of r.rows) {
    if (x.status !== 'ok') {
      lines.push(`| ${x.path} | ${x.test} | ${x.status} | | | | | | | | ${x.note ?? ''} |`);
      continue;
    }
    lines.push(
      `| ${x.path} | ${x.test} | ${f(x.gbps, 3)} | ${f(x.pps / 1000, 1)} | ${f(x.cpuSecPerGbTunnel, 2)} | ` +
        `${f(x.cpuSecPerGbTotal, 2)} | ${f(x.vsStrongswan, 2)} | ${f(x.vsPlain, 3)} | ${lossCell(x)} | ` +
        `${f(x.machineBusy * 100, 0)} % | ` +
        `${x.samples.map((s) => s.gbps.toFixed(3)).join(' / ')}${x.note ? ` (${x.failures} failed: ${x.note})` : ''} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Exit status: 1 when any run or setup failed, or a path was unavailable (esprit may be
 * unavailable unless named with --require).
 */
export function exitCode(r: BenchReport, required: readonly PathName[]): number {
  const bad = r.rows.some(
    (x) =>
      x.status === 'failed' ||
      x.failures > 0 ||
      (x.status === 'unavailable' && (required.includes(x.path) || x.path !== 'esprit')),
  );
  return bad ? 1 : 0;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const report = await runTunnelBench(o);
  const text = o.json ? `${JSON.stringify(report, null, 2)}\n` : formatMarkdown(report);
  process.stdout.write(text);
  if (o.out) writeFileSync(o.out, text);
  process.exitCode = exitCode(report, o.require);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
