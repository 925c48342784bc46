import { execFile } from 'node:child_process';
import type { Lab, Role } from '../harness.js';

/**
 * Traffic through a tunnel and what a capture saw, read by independent tools: ping(8),
 * iperf3 --json and tshark (Wireshark's dissectors: `udpencap` for RFC 3948 framing,
 * `esp` for RFC 4303).
 */

export interface PingResult {
  readonly transmitted: number;
  readonly received: number;
  readonly output: string;
}

/** `ping -c COUNT -i INTERVAL -W WAIT -I SRC DST` in `role`; never rejects on loss. */
export async function ping(
  lab: Lab,
  role: Role,
  src: string,
  dst: string,
  o: { count?: number; interval?: number; waitS?: number } = {},
): Promise<PingResult> {
  const count = o.count ?? 3;
  const argv = ['ping', '-n', '-c', String(count), '-i', String(o.interval ?? 0.2), '-W', String(o.waitS ?? 2)];
  argv.push('-I', src, dst);
  const r = await lab.exec(role, argv, { allowFail: true, timeoutMs: 10_000 + count * 3000 });
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout);
  return { transmitted: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0), output: r.stdout + r.stderr };
}

/** Ping once a second (up to `tries`) until one echo is answered; returns the attempts used. */
export async function waitForPing(lab: Lab, role: Role, src: string, dst: string, tries = 10): Promise<number> {
  let last = '';
  for (let i = 1; i <= tries; i++) {
    const r = await ping(lab, role, src, dst, { count: 1, waitS: 1 });
    if (r.received === 1) return i;
    last = r.output;
  }
  throw new Error(`no echo reply from ${dst} (source ${src}, ${role}) after ${tries} tries:\n${last}`);
}

export interface IperfResult {
  readonly bytesReceived: number;
  readonly json: unknown;
}

/**
 * iperf3 server in `serverRole` (one test, bound to `serverAddress`) and a client in
 * `clientRole` bound to `bindAddress`; TCP unless `udpRate` (e.g. '2M') is given.
 */
export async function iperf3(
  lab: Lab,
  o: {
    clientRole: Role;
    serverRole: Role;
    serverAddress: string;
    bindAddress: string;
    seconds: number;
    udpRate?: string;
    port?: number;
  },
): Promise<IperfResult> {
  const port = String(o.port ?? 5201);
  const server = lab.spawn(o.serverRole, ['iperf3', '-s', '-1', '--forceflush', '-B', o.serverAddress, '-p', port]);
  try {
    // iperf3 -s prints "Server listening on PORT" once the socket is bound (--forceflush: stdout is a pipe).
    await server.waitForLine(/Server listening/, 10_000);
    const argv = ['iperf3', '-c', o.serverAddress, '-B', o.bindAddress, '-p', port, '-t', String(o.seconds), '-J'];
    if (o.udpRate) argv.push('-u', '-b', o.udpRate, '-l', '1000');
    const r = await lab.exec(o.clientRole, argv, { timeoutMs: (o.seconds + 20) * 1000 });
    const json = JSON.parse(r.stdout) as { end?: { sum_received?: { bytes?: number }; sum?: { bytes?: number } } };
    const bytes = json.end?.sum_received?.bytes ?? json.end?.sum?.bytes ?? 0;
    return { bytesReceived: bytes, json };
  } finally {
    server.kill('SIGKILL');
    await server.exited;
  }
}

/** One packet of a capture, as tshark dissected it. */
export interface CapturedPacket {
  readonly n: number;
  /** frame.protocols, e.g. eth:ethertype:ip:udp:udpencap:esp */
  readonly protocols: string;
  readonly src: string;
  readonly dst: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
  /** esp.spi as tshark prints it (0x0000abcd) */
  readonly espSpi?: string;
  readonly keepalive: boolean;
  readonly icmpv6Type?: number;
  /** udp.payload hex */
  readonly udpPayload: string;
}

const BASE_FIELDS = [
  'frame.number',
  'frame.protocols',
  'ip.src',
  'ipv6.src',
  'ip.dst',
  'ipv6.dst',
  'udp.srcport',
  'udp.dstport',
  'esp.spi',
  'udpencap.nat_keepalive',
  'icmpv6.type',
];

/**
 * Dissect a pcap with tshark, decoding `udpencapPorts` as RFC 3948 UDP encapsulation. UDP
 * payloads are included only when asked (`payload`): a capture of an iperf3 run holds
 * 100k+ packets.
 */
export async function readCapture(
  file: string,
  udpencapPorts: readonly number[] = [4500],
  o: { payload?: boolean } = {},
): Promise<CapturedPacket[]> {
  const decode = udpencapPorts.flatMap((p) => ['-d', `udp.port==${p},udpencap`]);
  const fields = o.payload ? [...BASE_FIELDS, 'udp.payload'] : BASE_FIELDS;
  const argv = ['tshark', '-n', '-r', file, ...decode, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  const r = await new Promise<string>((resolve, reject) => {
    execFile(
      argv[0] ?? '',
      argv.slice(1),
      { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 120_000 },
      (err, out, err2) => (err ? reject(new Error(`${argv.join(' ')}: ${err2 || err.message}`)) : resolve(out)),
    );
  });
  const num = (s: string | undefined) => (s ? Number(s.split(',')[0]) : undefined);
  return r
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const f = l.split('\t');
      return {
        n: Number(f[0]),
        protocols: f[1] ?? '',
        // ICMP errors carry the offending header: tshark lists outer and quoted values, outer first
        src: (f[2] || f[3] || '').split(',')[0] ?? '',
        dst: (f[4] || f[5] || '').split(',')[0] ?? '',
        srcPort: num(f[6]),
        dstPort: num(f[7]),
        espSpi: f[8] || undefined,
        keepalive: (f[9] ?? '') !== '',
        icmpv6Type: num(f[10]),
        udpPayload: f[11] ?? '',
      };
    });
}

/** ARP, IPv6 neighbour discovery (RFC 4861 types 133-137) and MLD (RFC 2710/3810: 130-132, 143): link housekeeping. */
export function isLinkHousekeeping(p: CapturedPacket): boolean {
  if (/(^|:)arp(:|$)/.test(p.protocols)) return true;
  const t = p.icmpv6Type;
  return t !== undefined && ((t >= 133 && t <= 137) || (t >= 130 && t <= 132) || t === 143);
}

export interface CaptureSummary {
  readonly total: number;
  /** ESP inside UDP on the NAT-T port (either side of it) */
  readonly espInUdp: number;
  /** NAT-keepalives (RFC 3948 §2.3) on that port */
  readonly keepalives: number;
  /** raw ESP (IP protocol 50) */
  readonly rawEsp: number;
  readonly housekeeping: number;
  /** everything else */
  readonly other: readonly CapturedPacket[];
}

/** Count a capture by kind, with `port` as the NAT-T port (4500 by default). */
export function summarize(pkts: readonly CapturedPacket[], port = 4500): CaptureSummary {
  let espInUdp = 0;
  let keepalives = 0;
  let rawEsp = 0;
  let housekeeping = 0;
  const other: CapturedPacket[] = [];
  for (const p of pkts) {
    // an ICMP error quoting a UDP/ESP packet (tshark dissects the quote too) is not ESP
    if (/:icmp(v6)?:/.test(p.protocols)) {
      other.push(p);
      continue;
    }
    const onPort = p.srcPort === port || p.dstPort === port;
    const udp = /:udp(:|$)/.test(p.protocols);
    if (udp && onPort && p.espSpi !== undefined) espInUdp++;
    else if (udp && onPort && p.keepalive) keepalives++;
    else if (!udp && /:esp$/.test(p.protocols)) rawEsp++;
    else if (isLinkHousekeeping(p)) housekeeping++;
    else other.push(p);
  }
  return { total: pkts.length, espInUdp, keepalives, rawEsp, housekeeping, other };
}

/** One line per packet for assertion messages. */
export function describePackets(pkts: readonly CapturedPacket[], max = 10): string {
  const lines = pkts
    .slice(0, max)
    .map((p) => `#${p.n} ${p.protocols} ${p.src}:${p.srcPort ?? ''} -> ${p.dst}:${p.dstPort ?? ''}`);
  if (pkts.length > max) lines.push(`... ${pkts.length - max} more`);
  return lines.join('\n');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The NAT's public port for a UDP flow from `src`:`sport` (the reply tuple's dport in
 * `conntrack -L`), or undefined when the NAT has no such entry.
 */
export async function natPublicPort(lab: Lab, src: string, sport: number): Promise<number | undefined> {
  const family = src.includes(':') ? 'ipv6' : 'ipv4';
  const r = await lab.exec('nat', ['conntrack', '-L', '-f', family, '-p', 'udp', '-s', src, '--sport', String(sport)], {
    allowFail: true,
  });
  for (const line of r.stdout.split('\n')) {
    // udp 17 29 src=C dst=G sport=4500 dport=4500 src=G dst=NAT sport=4500 dport=PUBLIC ...
    const ports = [...line.matchAll(/dport=(\d+)/g)].map((m) => Number(m[1]));
    if (ports.length >= 2) return ports[1];
  }
  return undefined;
}
