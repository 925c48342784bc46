/**
 * Gateway mode of the tunnel benchmark (issue 10): N clients (default 4) behind the NAT,
 * each with its own `esprit ipsecd` and tunnel to ONE gateway ipsecd, and N iperf3 TCP
 * flows (one per client, to N iperf3 servers in `gw`) at once. Reports the aggregate
 * receiver throughput, the CPU seconds per GB of the gateway's ipsecd, of the client
 * ipsecd and of iperf3, and how busy the machine was:
 *
 *   client  10.99.1.2 lo 10.99.4.1 ══╗
 *   client2 10.99.1.3 lo 10.99.4.2 ══╬══ nat (masquerade, ports kept) ══ gw 10.99.2.2, lo 10.99.3.1
 *   client3 10.99.1.4 lo 10.99.4.3 ══╣      4 SA pairs, AES-GCM-128 in UDP (RFC 3948)
 *   client4 10.99.1.5 lo 10.99.4.4 ══╝
 *
 *   node dist/bench/tunnel/gateway.js [--clients N] [--reps N] [--time S] [--json] [--out FILE]
 *        [--gw-args '...']   (extra ipsecd arguments for the gateway only)
 *        [--gw-procs 1|2]    (two gateway ipsecd, the SAs split between them: a bound for two threads)
 *        [--gw-threads 1|2]  (the gateway's data-plane threads: --dataplane-threads, docs/dataplane.md §10.9)
 *        [--perf]            (perf record of the gateway's and the first client's ipsecd during rep 1, by thread and DSO)
 *
 * Static keys (as esprit.ts): the gateway's SAs name each client's NAT port, since the NAT
 * keeps the clients' distinct source ports (4511..4514); with `masquerade random` and
 * floating SAs, all four outbound SAs of the gateway start at the same address and port
 * and the first NAT mapping change would move all of them (sad.ts updateMapping follows
 * every outbound SA on the old endpoint). Policies are `unique` with one reqid per SA, so
 * each policy picks its own SA although the four share the tunnel endpoints.
 * Measures and reports; asserts nothing about speed.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { LAB, Lab, type LabProcess, type Role, run as runCmd } from '../../test/netns/harness.js';
import { EspritNode, stopAll } from '../../test/netns/scenarios/esprit-node.js';
import { tunnelPair } from '../../test/netns/scenarios/setkey-config.js';
import { waitForPing } from '../../test/netns/scenarios/traffic.js';
import { cpuSeconds, machineTicks, median, parseIperf, parseTimes } from './run.js';

const CLIENT_ROLES: readonly Role[] = ['client', 'client2', 'client3', 'client4'];
const CLIENT_ADDR = [LAB.client.v4, LAB.client2.v4, LAB.client3.v4, LAB.client4.v4];

export interface GatewayOptions {
  readonly clients: number;
  readonly reps: number;
  readonly seconds: number;
  readonly gwArgs: readonly string[];
  /**
   * gateway ipsecd processes (1 or 2): with 2, the SAs are split between them (client k to
   * process k % 2: its own TUN, esp0 or esp1, and NAT-T port, 4500 or 4501). Two processes
   * stand in for two data-plane threads split by SA, without any cost of sharing state:
   * an upper bound of what such threads could add (docs/dataplane.md §10.7).
   */
  readonly gwProcs: number;
  /** data-plane threads of each gateway ipsecd (`--dataplane-threads`; default 1) */
  readonly gwThreads?: number;
  /** record the gateway's and the first client's ipsecd with `perf record` during rep 1, summarised by thread and DSO */
  readonly perf?: boolean;
  readonly log?: (line: string) => void;
}

export interface GatewaySample {
  readonly rep: number;
  /** sum of the receivers' Gbit/s */
  readonly gbps: number;
  /** per flow Gbit/s */
  readonly flows: readonly number[];
  readonly bytes: number;
  readonly cpuGw: number;
  readonly cpuClients: number;
  readonly cpuIperf: number;
  readonly machineBusy: number;
  readonly retransmits: number;
  /** seconds of the run (the longest receiver) */
  readonly seconds: number;
}

export interface GatewayReport {
  readonly date: string;
  readonly clients: number;
  readonly gwArgs: readonly string[];
  readonly samples: readonly GatewaySample[];
  readonly markdown: string;
  /** `perf report --sort comm,dso` of the gateway and the first client during rep 1 (with --perf) */
  readonly perf?: string;
}

const perfFile = (lab: Lab, who: string): string => `${lab.tmp}/${who}-perf.data`;

/** A profile by thread, by DSO, then the hottest symbols (perf report), the top lines. */
async function perfSummary(lab: Lab, who: string): Promise<string> {
  const report = async (sort: string, limit: string, lines: number) => {
    const r = await runCmd(
      ['perf', 'report', '-i', perfFile(lab, who), '--stdio', '--sort', sort, '--percent-limit', limit],
      { allowFail: true },
    );
    return r.stdout
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .slice(0, lines)
      .join('\n');
  };
  // by thread first: with --gw-threads 2 the sealing worker is a thread of its own
  return `  by thread:\n${await report('pid', '1.5', 4)}\n${await report('comm,dso', '1.5', 12)}\n  hottest symbols:\n${await report('dso,sym', '1.5', 14)}`;
}

const lanAddr = (k: number): string => `10.99.4.${k + 1}`;
const port = (k: number): number => 4511 + k;
/** RFC 4106 keys: 16 bytes + 4-byte salt, hand-made per client (bench only). */
const key = (k: number, dir: number): string => `${`${(0x5e + k * 16 + dir).toString(16)}c0ffee`.repeat(4)}0badf00d`;

async function setup(lab: Lab, o: GatewayOptions): Promise<EspritNode[]> {
  const n = o.clients;
  for (let k = 1; k < n; k++) {
    const role = CLIENT_ROLES[k] as Role;
    await lab.exec(role, ['ip', 'addr', 'add', `${lanAddr(k)}/32`, 'dev', 'lo']);
  }
  const clients = await Promise.all(
    CLIENT_ROLES.slice(0, n).map((role, k) =>
      EspritNode.start(lab, role, { routes: ['10.99.3.0/24'], listen: [`0.0.0.0:${port(k)}/natt`] }),
    ),
  );
  const gws: EspritNode[] = [];
  for (let g = 0; g < o.gwProcs; g++) {
    const mine = CLIENT_ROLES.slice(0, n).flatMap((_, k) => (k % o.gwProcs === g ? [`${lanAddr(k)}/32`] : []));
    const only = g === 0 ? {} : { tun: `esp${g}`, listen: [`0.0.0.0:${4500 + g}/natt`] };
    const extraArgs = [...o.gwArgs, ...((o.gwThreads ?? 1) > 1 ? ['--dataplane-threads', String(o.gwThreads)] : [])];
    gws.push(await EspritNode.start(lab, 'gw', { routes: mine, extraArgs, ...only }));
  }
  const nodes = [...clients, ...gws];
  const gwConf: string[][] = gws.map(() => []);
  for (let k = 0; k < n; k++) {
    const g = k % o.gwProcs;
    const cfg = tunnelPair({
      keys: {
        clientToGw: { spi: 0xbe000101 + k * 16, reqid: 201 + k * 2, key: key(k, 1) },
        gwToClient: { spi: 0xbe000102 + k * 16, reqid: 202 + k * 2, key: key(k, 2) },
      },
      client: CLIENT_ADDR[k] as string,
      gw: LAB.gw.v4,
      clientSeenByGw: LAB.natWan.v4,
      clientPort: port(k),
      gwPort: 4500 + g,
      clientPortSeenByGw: port(k),
      framing: 'rfc3948',
      behindNat: true,
      level: 'unique',
      flush: k < o.gwProcs,
      selectors: [[`${lanAddr(k)}/32`, '10.99.3.0/24']],
    });
    // flush only on each gateway's first block: a gateway's blocks go into one file
    await (clients[k] as EspritNode).setkey(cfg.client, 'bench.conf');
    gwConf[g]?.push(cfg.gw);
  }
  for (const [g, gw] of gws.entries()) await gw.setkey((gwConf[g] ?? []).join(''), 'bench.conf');
  for (let k = 0; k < n; k++) {
    await waitForPing(lab, CLIENT_ROLES[k] as Role, lanAddr(k), LAB.gw.protected4, 20);
  }
  return nodes;
}

async function once(lab: Lab, nodes: readonly EspritNode[], o: GatewayOptions, rep: number): Promise<GatewaySample> {
  const n = o.clients;
  const gw = nodes[n] as EspritNode;
  const gwPids = nodes.slice(n).map((x) => x.pid);
  const clientPids = nodes.slice(0, n).map((x) => x.pid);
  const servers: LabProcess[] = [];
  for (let k = 0; k < n; k++) {
    const s = lab.spawn('gw', ['iperf3', '-s', '-p', String(5201 + k), '--forceflush']);
    await s.waitForLine(/Server listening/, 10_000);
    servers.push(s);
  }
  const gw0 = gwPids.map(cpuSeconds);
  const cl0 = clientPids.map(cpuSeconds);
  const sv0 = servers.map((s) => cpuSeconds(s.pid));
  const m0 = machineTicks();
  let perf: Promise<unknown> | undefined;
  if (o.perf && rep === 1) {
    // the gateway's and the first client's ipsecd threads, sampled at 499 Hz over the flows' time
    const rec = (pid: number, who: string) =>
      runCmd([
        'perf',
        'record',
        '-q',
        '-F',
        '499',
        '-p',
        String(pid),
        '-o',
        perfFile(lab, who),
        '--',
        'sleep',
        String(o.seconds),
      ]);
    perf = Promise.all([rec(gw.pid, 'gw'), rec(clientPids[0] ?? gw.pid, 'client')]);
  }
  const runs = await Promise.all(
    CLIENT_ROLES.slice(0, n).map((role, k) =>
      lab.exec(
        role,
        [
          'sh',
          '-c',
          'iperf3 "$@"; rc=$?; times >&2; exit $rc',
          'sh',
          '-c',
          LAB.gw.protected4,
          '-p',
          String(5201 + k),
          '-B',
          lanAddr(k),
          '-t',
          String(o.seconds),
          '-J',
        ],
        { allowFail: true, timeoutMs: (o.seconds + 90) * 1000 },
      ),
    ),
  );
  const m1 = machineTicks();
  await perf;
  const cpuGw = gwPids.reduce((a, pid, i) => a + cpuSeconds(pid) - (gw0[i] ?? 0), 0);
  const cpuClients = clientPids.reduce((a, pid, i) => a + cpuSeconds(pid) - (cl0[i] ?? 0), 0);
  let cpuIperf = servers.reduce((a, s, i) => a + cpuSeconds(s.pid) - (sv0[i] ?? 0), 0);
  const flows: number[] = [];
  let bytes = 0;
  let retransmits = 0;
  let seconds = 0;
  for (const [k, r] of runs.entries()) {
    cpuIperf += parseTimes(r.stderr);
    const e = parseIperf(r.stdout, undefined);
    flows.push(e.bitsPerSecond / 1e9);
    bytes += e.bytes;
    retransmits += e.retransmits ?? 0;
    seconds = Math.max(seconds, e.seconds);
    if (r.code !== 0) throw new Error(`flow ${k + 1}: iperf3 exit ${r.code}`);
  }
  for (const s of servers) {
    s.kill();
    await s.exited;
  }
  const dt = m1.total - m0.total;
  return {
    rep,
    gbps: flows.reduce((a, b) => a + b, 0),
    flows,
    bytes,
    cpuGw,
    cpuClients,
    cpuIperf,
    machineBusy: dt > 0 ? 1 - (m1.idle - m0.idle) / dt : 0,
    retransmits,
    seconds,
  };
}

function markdown(o: GatewayOptions, samples: readonly GatewaySample[]): string {
  const med = (f: (s: GatewaySample) => number) => median(samples.map(f));
  const perGb = (f: (s: GatewaySample) => number) => med((s) => f(s) / (s.bytes / 1e9));
  const lines = [
    `### Gateway mode: ${o.clients} clients, ${o.clients} TCP flows (${new Date().toISOString().slice(0, 16)}Z)`,
    '',
    `gateway ipsecd processes: ${o.gwProcs}; data-plane threads each: ${o.gwThreads ?? 1}; arguments: ${o.gwArgs.length ? `\`${o.gwArgs.join(' ')}\`` : '(defaults)'}; ${o.reps} x ${o.seconds} s, medians`,
    '',
    '| aggregate Gbit/s | per flow Gbit/s (each run) | gw ipsecd CPU s | gw CPU s/GB | client ipsecd CPU s/GB | iperf3 CPU s/GB | gw share of a core | machine busy | retr |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    `| ${med((s) => s.gbps).toFixed(3)} | ${samples.map((s) => s.flows.map((f) => f.toFixed(2)).join('/')).join('; ')} | ${med((s) => s.cpuGw).toFixed(2)} | ${perGb((s) => s.cpuGw).toFixed(2)} | ${perGb((s) => s.cpuClients).toFixed(2)} | ${perGb((s) => s.cpuIperf).toFixed(2)} | ${Math.round(med((s) => s.cpuGw / s.seconds) * 100)} % | ${Math.round(med((s) => s.machineBusy) * 100)} % | ${med((s) => s.retransmits)} |`,
    '',
  ];
  return lines.join('\n');
}

export async function runGatewayBench(o: GatewayOptions): Promise<GatewayReport> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const lab = await Lab.create({ natPorts: 'preserve', clients: o.clients });
  const samples: GatewaySample[] = [];
  let nodes: EspritNode[] = [];
  let perf: string | undefined;
  try {
    nodes = await setup(lab, o);
    for (let rep = 1; rep <= o.reps; rep++) {
      const s = await once(lab, nodes, o, rep);
      if (rep === 1 && o.perf)
        perf = `gateway ipsecd:\n${await perfSummary(lab, 'gw')}\n\nclient ipsecd (client):\n${await perfSummary(lab, 'client')}`;
      samples.push(s);
      log(
        `[gateway] rep ${rep}: ${s.gbps.toFixed(3)} Gbit/s (${s.flows.map((f) => f.toFixed(2)).join(' + ')}), ` +
          `gw ipsecd ${s.cpuGw.toFixed(2)} s, clients ${s.cpuClients.toFixed(2)} s, iperf3 ${s.cpuIperf.toFixed(2)} s, busy ${Math.round(s.machineBusy * 100)} %`,
      );
    }
  } finally {
    await stopAll(nodes);
    await lab.destroy();
  }
  return {
    date: new Date().toISOString(),
    clients: o.clients,
    gwArgs: o.gwArgs,
    samples,
    markdown:
      markdown(o, samples) +
      (perf ? `\nperf record during rep 1 (comm, dso; self %), sampled at 499 Hz:\n\n\`\`\`\n${perf}\n\`\`\`\n` : ''),
    ...(perf !== undefined && { perf }),
  };
}

export function parseGatewayArgs(argv: readonly string[]): GatewayOptions & { json: boolean; out?: string } {
  let o: GatewayOptions & { json: boolean; out?: string } = {
    clients: 4,
    gwProcs: 1,
    reps: 3,
    seconds: 10,
    gwArgs: [],
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (lo: number, hi: number): number => {
      const v = Number(val());
      if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${a} wants an integer ${lo}..${hi}`);
      return v;
    };
    if (a === '--clients') o = { ...o, clients: int(1, 4) };
    else if (a === '--reps') o = { ...o, reps: int(1, 100) };
    else if (a === '--time') o = { ...o, seconds: int(1, 600) };
    else if (a === '--gw-procs') o = { ...o, gwProcs: int(1, 2) };
    else if (a === '--gw-threads') o = { ...o, gwThreads: int(1, 2) };
    else if (a === '--gw-args') o = { ...o, gwArgs: val().split(/\s+/).filter(Boolean) };
    else if (a === '--json') o = { ...o, json: true };
    else if (a === '--perf') o = { ...o, perf: true };
    else if (a === '--out') o = { ...o, out: val() };
    else throw new Error(`unknown argument '${a}'`);
  }
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const o = parseGatewayArgs(process.argv.slice(2));
  const r = await runGatewayBench(o);
  const text = o.json ? `${JSON.stringify(r, null, 2)}\n` : r.markdown;
  process.stdout.write(text);
  if (o.out) writeFileSync(o.out, text);
}
