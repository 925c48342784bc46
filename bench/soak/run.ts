/**
 * Soak (bench/README.md "Soak"; issue 8): N esprit IKEv2 clients behind the lab NAT against
 * one esprit gateway, each rekeying its CHILD SA and its IKE SA every few seconds (rand_time
 * on), each pinging through its own tunnel for the whole run:
 *
 *   node dist/bench/soak/run.js [--clients N] [--minutes M | --seconds S] [--short] [--interval S]
 *
 *   --short   2 clients, 30 s (what test/netns/soak.test.ts runs)
 *   default   8 clients, 10 minutes
 *
 * Reported: CHILD and IKE SA rekeys (counted from the gateway's `esprit monitor --json`),
 * echoes sent and lost per client (ping(8)'s own summary), tunnels still up at the end (each
 * client's `list-sas --json`), and the gateway's memory (RSS and V8 heap from `esprit status
 * --json`, no GC forced) at the start, at the end and its highest sample (every 10 s).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Lab } from '../../test/netns/harness.js';
import { IkeHost } from '../../test/netns/scenarios/ike-host.js';
import { ping, waitForPing } from '../../test/netns/scenarios/traffic.js';
import { tallyEvents } from './event-tally.js';
import { eventsNear, lostEchoes } from './lost-echoes.js';
import {
  SOAK_MAX_CLIENTS,
  SOAK_TIMING,
  type SoakClient,
  type SoakTiming,
  soakClient,
  soakClientConf,
  soakGwConf,
} from './soak-conf.js';

export interface SoakOptions {
  readonly clients: number;
  readonly seconds: number;
  /** ping interval, s (default 0.2) */
  readonly interval?: number;
  readonly timing?: SoakTiming;
  /** progress lines (default: stderr) */
  readonly progress?: (line: string) => void;
  /**
   * Write gateway heap snapshots here (node --heapsnapshot-signal, at the start, every minute
   * and at the end); a snapshot collects all garbage first, so the memory read right after it
   * is the live heap (`SoakResult.memory.afterGc`).
   */
  readonly heapSnapshotDir?: string;
}

export interface GatewayMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** memory of C++ objects bound to JS objects (ArrayBuffers included) */
  readonly external: number;
  /** SAs and policies in the gateway's SAD and SPD */
  readonly sas: number;
  readonly policies: number;
  /** the gateway data plane's drop counters by reason */
  readonly drops: Readonly<Record<string, number>>;
  /** RSS by kind of mapping (/proc/PID/smaps): malloc's brk heap, other anonymous memory (V8's heap, mmap'd allocations, thread arenas), files */
  readonly rssByMapping?: { readonly brk: number; readonly anon: number; readonly file: number };
}

/** The gateway's memory right after a heap snapshot (a full GC), `atS` seconds into the pings. */
export interface GcSample extends GatewayMemory {
  readonly atS: number;
}

export interface SoakClientResult {
  readonly name: string;
  readonly role: string;
  readonly vip: string;
  readonly sent: number;
  readonly received: number;
  readonly childRekeys: number;
  /** at the end: one established IKE SA with a CHILD SA, and an echo through it */
  readonly upAtEnd: boolean;
  readonly endState: string;
  /** a client that ended down or lost echoes: its log lines about CHILD SAs going, expiring or failing */
  readonly downLog?: string;
  /** the lost echoes: icmp_seq and when it was sent, s after the pings began */
  readonly lostEchoes: readonly { readonly seq: number; readonly atS: number }[];
  /** the client data plane's drop counters at the end */
  readonly drops: Readonly<Record<string, number>>;
}

export interface SoakResult {
  readonly clients: number;
  readonly seconds: number;
  readonly interval: number;
  readonly timing: SoakTiming;
  readonly childRekeys: number;
  readonly ikeRekeys: number;
  /** IKE SAs set up again during the run (0 when nothing broke) */
  readonly reconnects: number;
  /** IKE SAs lost during the run for a reason other than a rekey */
  readonly ikeLost: number;
  readonly sent: number;
  readonly lost: number;
  readonly perClient: readonly SoakClientResult[];
  readonly memory: {
    readonly start: GatewayMemory;
    readonly end: GatewayMemory;
    readonly peakRss: number;
    /** with heapSnapshotDir: after a full GC, at the start, every minute and at the end */
    readonly afterGc: readonly GcSample[];
  };
  /** the gateway's log lines about failures (PF_KEY, retransmits), the last 20 */
  readonly gwWarnings: readonly string[];
  /** gateway CHILD SA events (monitor lines) near each lost echo: `client seq: events` */
  readonly lossContext: readonly string[];
  /** gateway IKE SAs established at the end */
  readonly gwEstablished: number;
  readonly loadStart: readonly number[];
  readonly loadEnd: readonly number[];
  readonly startedAt: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface StatusJson {
  memory?: { rss: number; heapUsed: number; heapTotal: number; external: number };
  sas?: unknown[];
  policies?: unknown[];
  dataplane?: { drops?: Record<string, number> };
}

/** RSS of a process by kind of mapping, from /proc/PID/smaps (Linux; undefined elsewhere). */
function rssByMapping(pid: number | undefined): GatewayMemory['rssByMapping'] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'latin1');
  } catch {
    return undefined;
  }
  const sum = { brk: 0, anon: 0, file: 0 };
  let kind: keyof typeof sum = 'anon';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) kind = head[1] === '[heap]' ? 'brk' : head[1]?.startsWith('/') ? 'file' : 'anon';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) sum[kind] += Number(rss[1]) * 1024;
  }
  return sum;
}

async function gwMemory(gw: IkeHost): Promise<GatewayMemory> {
  const r = await gw.cli(['status', '--json']);
  const s = JSON.parse(r.stdout) as StatusJson;
  if (!s.memory) throw new Error(`esprit status --json has no memory: ${r.stdout.slice(0, 200)}`);
  const { rss, heapUsed, heapTotal, external } = s.memory;
  const drops = s.dataplane?.drops ?? {};
  const byMapping = rssByMapping(gw.proc.child.pid);
  return {
    rss,
    heapUsed,
    heapTotal,
    external,
    sas: s.sas?.length ?? 0,
    policies: s.policies?.length ?? 0,
    drops,
    ...(byMapping ? { rssByMapping: byMapping } : {}),
  };
}

/** Take a heap snapshot of the gateway (a full GC first) and read its memory after it. */
async function gcSample(gw: IkeHost, dir: string, atS: number): Promise<GcSample> {
  const before = readdirSync(dir).length;
  const pid = gw.proc.child.pid;
  if (pid === undefined) throw new Error('gateway has no pid');
  process.kill(pid, 'SIGUSR2');
  for (let t = 0; t < 60_000 && readdirSync(dir).length === before; t += 100) await sleep(100);
  // The snapshot is written on the gateway's main thread: its status answer comes after it.
  return { atS, ...(await gwMemory(gw)) };
}

async function startClient(lab: Lab, c: SoakClient, timing: SoakTiming): Promise<{ host: IkeHost; vip: string }> {
  await lab.exec(c.role, ['ip', 'addr', 'add', `${c.outer}/24`, 'dev', 'eth0']);
  await lab.exec('gw', ['ip', 'addr', 'add', `${c.target}/32`, 'dev', 'lo']);
  const host = await IkeHost.start(
    lab,
    c.role,
    soakClientConf(c, timing),
    {},
    process.env.ESPRIT_SOAK_LOGS === '1' ? 'debug' : 'warn',
  );
  const up = await host.up(c.name);
  if (up.code !== 0) throw new Error(`${c.name}: up failed: ${up.stderr}\n${host.proc.stderr.slice(-2000)}`);
  const vip = (await host.listSas())[0]?.vipsLocal[0];
  if (!vip) throw new Error(`${c.name}: no virtual IP`);
  await waitForPing(lab, c.role, vip, c.target);
  return { host, vip };
}

export async function soak(o: SoakOptions): Promise<SoakResult> {
  if (!Number.isInteger(o.clients) || o.clients < 1 || o.clients > SOAK_MAX_CLIENTS)
    throw new RangeError(`--clients: 1..${SOAK_MAX_CLIENTS}`);
  const interval = o.interval ?? 0.2;
  const timing = o.timing ?? SOAK_TIMING;
  const say = o.progress ?? ((l: string) => process.stderr.write(`${l}\n`));
  const lab = await Lab.create({ natPorts: 'random', secondClient: o.clients > 1 });
  const hosts: IkeHost[] = [];
  try {
    const nodeOptions = process.env.NODE_OPTIONS;
    if (o.heapSnapshotDir)
      process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${o.heapSnapshotDir}`;
    const gw = await IkeHost.start(lab, 'gw', soakGwConf(), {}, 'info').finally(() => {
      if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = nodeOptions;
    });
    hosts.push(gw);
    const mon = gw.monitor();
    await sleep(300);
    const clients: { c: SoakClient; host: IkeHost; vip: string }[] = [];
    // One after the other: all clients share the NAT's address, and the gateway answers at
    // most half_open_per_source (5) IKE_SA_INITs from one source at a time.
    for (let k = 0; k < o.clients; k++) {
      const c = soakClient(k, o.clients);
      const { host, vip } = await startClient(lab, c, timing);
      hosts.push(host);
      clients.push({ c, host, vip });
      say(`soak: ${c.name} up in ${c.role} as ${vip}`);
    }
    const mark = mon.lines.length;
    const loadStart = loadavg();
    const startedAt = new Date().toISOString();
    const start = await gwMemory(gw);
    let peakRss = start.rss;
    const afterGc: GcSample[] = [];
    const snapDir = o.heapSnapshotDir;
    if (snapDir) afterGc.push(await gcSample(gw, snapDir, 0));
    say(`soak: ${o.clients} tunnels up, ${o.seconds} s of pings every ${interval} s`);
    const count = Math.max(1, Math.round(o.seconds / interval));
    let running = true;
    const pingStart = Date.now();
    const sampler = (async () => {
      for (let t = 0; running; t++) {
        await sleep(1000);
        if (snapDir && t % 60 === 59 && running) {
          const g = await gcSample(gw, snapDir, t + 1).catch(() => undefined);
          if (g) afterGc.push(g);
          say(
            `soak: ${t + 1} s, gateway after GC: rss ${(g?.rss ?? 0) >> 20} MiB, heap ${(g?.heapUsed ?? 0) >> 20} MiB`,
          );
        }
        if (t % 10 !== 9 || !running) continue;
        const m = await gwMemory(gw).catch(() => undefined);
        if (m) peakRss = Math.max(peakRss, m.rss);
        const b = m?.rssByMapping;
        const split = b ? ` (brk ${b.brk >> 20}, anon ${b.anon >> 20}, files ${b.file >> 20})` : '';
        say(
          `soak: ${t + 1} s, gateway rss ${(m?.rss ?? 0) >> 20} MiB${split}, heap ${(m?.heapUsed ?? 0) >> 20} of ${(m?.heapTotal ?? 0) >> 20} MiB, ${mon.lines.length - mark} events`,
        );
      }
    })();
    const pings = await Promise.all(
      clients.map(({ c, vip }) => ping(lab, c.role, vip, c.target, { count, interval, waitS: 2 })),
    );
    running = false;
    await sampler;
    const end = await gwMemory(gw);
    peakRss = Math.max(peakRss, end.rss);
    if (snapDir) afterGc.push(await gcSample(gw, snapDir, Math.round((Date.now() - pingStart) / 1000)));
    const loadEnd = loadavg();
    const tally = tallyEvents(mon.lines.slice(mark));
    const perClient: SoakClientResult[] = [];
    for (const [i, { c, host, vip }] of clients.entries()) {
      const sas = await host.listSas();
      const est = sas.filter((s) => s.state === 'established');
      const echo = await ping(lab, c.role, vip, c.target, { count: 1, waitS: 2 });
      const p = pings[i];
      const lost = p ? lostEchoes(p.output, p.transmitted, interval) : [];
      const cs = JSON.parse((await host.cli(['status', '--json'])).stdout) as StatusJson;
      perClient.push({
        name: c.name,
        role: c.role,
        vip,
        sent: p?.transmitted ?? 0,
        received: p?.received ?? 0,
        childRekeys: tally.childRekeysByVip.get(vip) ?? 0,
        upAtEnd: est.length === 1 && (est[0]?.children.length ?? 0) >= 1 && echo.received === 1,
        endState: sas.map((s) => `${s.state}/${s.children.length} child`).join(', ') || 'no IKE SA',
        lostEchoes: lost,
        drops: cs.dataplane?.drops ?? {},
      });
      const last = perClient[perClient.length - 1];
      if (last && (!last.upAtEnd || last.lostEchoes.length > 0)) {
        const why = host.proc.stderr
          .split('\n')
          .filter(
            (l) => /child-down|expire|fail|retransmit|collision|lost|error|warn/i.test(l) && !/ rekeyed$/.test(l),
          );
        perClient[perClient.length - 1] = { ...last, downLog: why.slice(-20).join('\n') };
      }
    }
    const gwEstablished = (await gw.listSas()).filter((s) => s.state === 'established').length;
    const lossContext = perClient.flatMap((c) =>
      c.lostEchoes.map(
        (l) =>
          `${c.name} seq ${l.seq} (${l.atS.toFixed(1)} s): ` +
          eventsNear(mon.lines, c.vip, pingStart + l.atS * 1000, 1500).join(' | '),
      ),
    );
    mon.kill('SIGTERM');
    await mon.exited;
    const sent = perClient.reduce((a, r) => a + r.sent, 0);
    return {
      clients: o.clients,
      seconds: o.seconds,
      interval,
      timing,
      childRekeys: tally.childRekeys,
      ikeRekeys: tally.ikeRekeys,
      reconnects: tally.ikeUps,
      ikeLost: tally.ikeLost,
      sent,
      lost: sent - perClient.reduce((a, r) => a + r.received, 0),
      perClient,
      memory: { start, end, peakRss, afterGc },
      gwWarnings: gw.proc.stderr
        .split('\n')
        .filter((l) => /warn|fail|error|retransmit/i.test(l))
        .slice(-20),
      lossContext,
      gwEstablished,
      loadStart,
      loadEnd,
      startedAt,
    };
  } finally {
    if (process.env.ESPRIT_SOAK_LOGS === '1')
      for (const h of hosts) say(`--- ${h.role} ${h.runDir}\n${h.proc.stderr.slice(-6000)}`);
    for (const h of hosts.reverse()) await h.stop().catch(() => undefined);
    await lab.destroy();
  }
}

const mib = (n: number): string => (n / 1048576).toFixed(1);
const byMapping = (m: GatewayMemory): string => {
  const b = m.rssByMapping;
  return b ? `${mib(b.brk)} / ${mib(b.anon)} / ${mib(b.file)}` : '-';
};

/** The run as markdown: a summary table and one row per client. */
export function reportSoak(r: SoakResult): string {
  const t = r.timing;
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' ');
  return [
    `${r.startedAt.slice(0, 10)}; ${cpus()[0]?.model ?? '?'} (${cpus().length} cores); Node ${process.version}; ` +
      `load average at start ${load(r.loadStart)}, at end ${load(r.loadEnd)}`,
    '',
    `${r.clients} clients, ${r.seconds} s, ping every ${r.interval} s; CHILD SA rekey_time ${t.childRekey} s ` +
      `(rand_time ${t.childRand} s), IKE SA rekey_time ${t.ikeRekey} s (rand_time ${t.ikeRand} s)`,
    '',
    '| CHILD rekeys | IKE rekeys | reconnects | IKE SAs lost | echoes sent | lost | up at end | gw RSS start / end / peak (MiB) | gw heap start / end (MiB) |',
    '|---:|---:|---:|---:|---:|---:|---:|---|---|',
    `| ${r.childRekeys} | ${r.ikeRekeys} | ${r.reconnects} | ${r.ikeLost} | ${r.sent} | ${r.lost} | ` +
      `${r.perClient.filter((c) => c.upAtEnd).length}/${r.clients} | ` +
      `${mib(r.memory.start.rss)} / ${mib(r.memory.end.rss)} / ${mib(r.memory.peakRss)} | ` +
      `${mib(r.memory.start.heapUsed)} / ${mib(r.memory.end.heapUsed)} |`,
    '',
    '| client | namespace | virtual IP | CHILD rekeys | echoes sent | lost | at the end |',
    '|---|---|---|---:|---:|---:|---|',
    ...r.perClient.map(
      (c) =>
        `| ${c.name} | ${c.role} | ${c.vip} | ${c.childRekeys} | ${c.sent} | ${c.sent - c.received} | ${c.upAtEnd ? 'up' : 'DOWN'} (${c.endState}) |`,
    ),
    ...(r.memory.afterGc.length > 0
      ? [
          '',
          'Gateway after a full GC (heap snapshot):',
          '',
          '| at (s) | RSS (MiB) | heap used / total (MiB) | external (MiB) | SAs | policies |',
          '|---:|---:|---:|---:|---:|---:|',
          ...r.memory.afterGc.map(
            (g) =>
              `| ${g.atS} | ${mib(g.rss)} | ${mib(g.heapUsed)} / ${mib(g.heapTotal)} | ${mib(g.external)} | ${g.sas} | ${g.policies} |`,
          ),
        ]
      : []),
    '',
    `Gateway RSS by mapping (MiB, brk heap / other anonymous / files): start ${byMapping(r.memory.start)}, end ${byMapping(r.memory.end)}`,
    '',
    `Data plane drops: gateway ${JSON.stringify(r.memory.end.drops)}; ` +
      r.perClient.map((c) => `${c.name} ${JSON.stringify(c.drops)}`).join('; '),
    ...(r.lossContext.length > 0 ? ['', 'Lost echoes (gateway CHILD SA events within 1.5 s):', ...r.lossContext] : []),
  ].join('\n');
}

function numberArg(argv: readonly string[], name: string): number | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const short = argv.includes('--short');
  const minutes = numberArg(argv, '--minutes');
  const seconds = numberArg(argv, '--seconds') ?? (minutes !== undefined ? minutes * 60 : short ? 30 : 600);
  const snaps = argv.indexOf('--heap-snapshots');
  const heapSnapshotDir = snaps >= 0 ? argv[snaps + 1] : undefined;
  if (snaps >= 0 && !heapSnapshotDir) throw new Error('--heap-snapshots needs a directory');
  const r = await soak({
    clients: numberArg(argv, '--clients') ?? (short ? 2 : 8),
    seconds,
    interval: numberArg(argv, '--interval') ?? 0.2,
    ...(heapSnapshotDir ? { heapSnapshotDir } : {}),
  });
  console.log(reportSoak(r));
  if (r.gwWarnings.length > 0) console.log(`\ngateway warnings:\n${r.gwWarnings.join('\n')}`);
  for (const c of r.perClient)
    if (c.downLog !== undefined)
      console.log(`\n${c.name} (${c.upAtEnd ? 'lost echoes' : 'down at the end'}):\n${c.downLog}`);
  if (argv.includes('--json')) console.log(JSON.stringify(r));
}
