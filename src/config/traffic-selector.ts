/**
 * Traffic selectors (RFC 7296 §3.13.1) and responder narrowing (§2.9).
 *
 * A TS is an address range, an IP protocol (0 = any) and a port range. Narrowing
 * intersects every received selector with every configured one; results keep the
 * received order, so when the initiator put the triggering packet's selector first
 * (§2.9) and policy covers it, the narrowed set still starts with (a superset of) it.
 * ICMP type/code and OPAQUE port ranges are treated as plain port ranges.
 */
import { ConfigError } from '../util/errors.js';
import {
  formatIp,
  type IpAddr,
  type IpFamily,
  ipFromBigInt,
  ipToBigInt,
  parseIp,
  parsePrefix,
} from '../util/ip-addr.js';

export interface TrafficSelector {
  family: IpFamily;
  /** IP protocol number, 0 = any (§3.13.1). */
  protocol: number;
  startPort: number;
  endPort: number;
  startAddr: Uint8Array;
  endAddr: Uint8Array;
}

const bitsOf = (f: IpFamily): number => (f === 4 ? 32 : 128);

/** TS for a CIDR (`10.0.0.0/24`, bare address = host), any protocol/port unless given. */
export function tsFromCidr(cidr: string, protocol = 0, startPort = 0, endPort = 65535): TrafficSelector {
  const p = parsePrefix(cidr, 'traffic selector');
  const host = BigInt(bitsOf(p.addr.family) - p.len);
  const net = (ipToBigInt(p.addr.bytes) >> host) << host;
  return {
    family: p.addr.family,
    protocol,
    startPort,
    endPort,
    startAddr: ipFromBigInt(net, p.addr.family),
    endAddr: ipFromBigInt(net + (1n << host) - 1n, p.addr.family),
  };
}

/** Host TS for one address. */
export function tsFromAddr(a: IpAddr): TrafficSelector {
  return tsFromCidr(a.text);
}

const PROTOCOLS = new Map<string, number>([
  ['icmp', 1],
  ['tcp', 6],
  ['udp', 17],
  ['ipv6-icmp', 58],
  ['icmpv6', 58],
  ['sctp', 132],
]);

function parsePort(s: string, path: string): number {
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new ConfigError(path, `bad port ${JSON.stringify(s)}`);
  return Number(s);
}

/**
 * Parses one `local_ts`/`remote_ts` entry: `10.0.0.0/24`, `10.0.0.1[tcp/80]`,
 * `0.0.0.0/0[udp/1000-2000]`, `dynamic[tcp]`. `dynamic` becomes one host TS per address
 * in `dynamicAddrs` (own/peer address or the assigned virtual IP).
 */
export function parseTs(spec: string, dynamicAddrs: IpAddr[] = [], path = 'ts'): TrafficSelector[] {
  const m = /^([^[\]]+?)\s*(?:\[([^\]]*)\])?$/.exec(spec.trim());
  if (!m) throw new ConfigError(path, `bad traffic selector ${JSON.stringify(spec)}`);
  const addrPart = m[1] ?? '';
  let protocol = 0;
  let startPort = 0;
  let endPort = 65535;
  if (m[2] !== undefined) {
    const [proto = '', port] = m[2].split('/');
    if (proto !== '' && proto !== '%any') {
      const n = PROTOCOLS.get(proto.toLowerCase()) ?? (/^\d{1,3}$/.test(proto) ? Number(proto) : undefined);
      if (n === undefined || n > 255) throw new ConfigError(path, `unknown protocol ${JSON.stringify(proto)}`);
      protocol = n;
    }
    if (port !== undefined && port !== '' && port !== '%any') {
      const [a = '', b] = port.split('-');
      startPort = parsePort(a, path);
      endPort = b === undefined ? startPort : parsePort(b, path);
      if (startPort > endPort) throw new ConfigError(path, `port range reversed: ${port}`);
    }
  }
  const addrs =
    addrPart === 'dynamic'
      ? dynamicAddrs.map(tsFromAddr)
      : addrPart.includes('-')
        ? [tsFromRange(addrPart, path)]
        : [tsFromCidr(addrPart)];
  return addrs.map((t) => ({ ...t, protocol, startPort, endPort }));
}

/** Every entry of a `local_ts`/`remote_ts` list (swanctl's comma-separated values). */
export function parseTsList(specs: readonly string[], dynamicAddrs: IpAddr[] = [], path = 'ts'): TrafficSelector[] {
  return specs.flatMap((s) => parseTs(s, dynamicAddrs, path));
}

function tsFromRange(s: string, path: string): TrafficSelector {
  const [a = '', b = ''] = s.split('-');
  const from = parseIp(a.trim(), path);
  const to = parseIp(b.trim(), path);
  if (from.family !== to.family || ipToBigInt(from.bytes) > ipToBigInt(to.bytes))
    throw new ConfigError(path, `bad address range ${JSON.stringify(s)}`);
  return { family: from.family, protocol: 0, startPort: 0, endPort: 65535, startAddr: from.bytes, endAddr: to.bytes };
}

/** Intersection of two selectors, undefined when empty (§2.9). */
export function intersectTs(a: TrafficSelector, b: TrafficSelector): TrafficSelector | undefined {
  if (a.family !== b.family) return undefined;
  if (a.protocol !== 0 && b.protocol !== 0 && a.protocol !== b.protocol) return undefined;
  const sp = Math.max(a.startPort, b.startPort);
  const ep = Math.min(a.endPort, b.endPort);
  if (sp > ep) return undefined;
  const as = ipToBigInt(a.startAddr);
  const bs = ipToBigInt(b.startAddr);
  const ae = ipToBigInt(a.endAddr);
  const be = ipToBigInt(b.endAddr);
  const s = as > bs ? as : bs;
  const e = ae < be ? ae : be;
  if (s > e) return undefined;
  return {
    family: a.family,
    protocol: a.protocol !== 0 ? a.protocol : b.protocol,
    startPort: sp,
    endPort: ep,
    startAddr: ipFromBigInt(s, a.family),
    endAddr: ipFromBigInt(e, a.family),
  };
}

function sameTs(a: TrafficSelector, b: TrafficSelector): boolean {
  return (
    a.family === b.family &&
    a.protocol === b.protocol &&
    a.startPort === b.startPort &&
    a.endPort === b.endPort &&
    ipToBigInt(a.startAddr) === ipToBigInt(b.startAddr) &&
    ipToBigInt(a.endAddr) === ipToBigInt(b.endAddr)
  );
}

/** True when `inner` lies completely inside `outer`. */
export function tsIsSubset(inner: TrafficSelector, outer: TrafficSelector): boolean {
  const i = intersectTs(inner, outer);
  return i !== undefined && sameTs(i, inner);
}

/** Narrows received selectors to configured ones; received order is kept, duplicates dropped. */
export function narrowTs(received: TrafficSelector[], configured: TrafficSelector[]): TrafficSelector[] {
  const out: TrafficSelector[] = [];
  for (const r of received) {
    for (const c of configured) {
      const i = intersectTs(r, c);
      if (i && !out.some((o) => tsIsSubset(i, o))) out.push(i);
    }
  }
  return out;
}

export type NarrowResult =
  | { ok: true; tsi: TrafficSelector[]; tsr: TrafficSelector[] }
  | { ok: false; notify: 'TS_UNACCEPTABLE' };

/**
 * Responder narrowing of a CREATE_CHILD_SA / IKE_AUTH request (§2.9): TSi (initiator's
 * side) against our remote_ts, TSr against our local_ts. Either side empty ->
 * TS_UNACCEPTABLE.
 */
export function narrowChildTs(
  tsi: TrafficSelector[],
  tsr: TrafficSelector[],
  localTs: TrafficSelector[],
  remoteTs: TrafficSelector[],
): NarrowResult {
  const ni = narrowTs(tsi, remoteTs);
  const nr = narrowTs(tsr, localTs);
  if (ni.length === 0 || nr.length === 0) return { ok: false, notify: 'TS_UNACCEPTABLE' };
  return { ok: true, tsi: ni, tsr: nr };
}

/** Smallest list of CIDR prefixes exactly covering [start, end] (for routes). */
export function rangeToCidrs(start: Uint8Array, end: Uint8Array): string[] {
  const family: IpFamily = start.length === 4 ? 4 : 6;
  const bits = bitsOf(family);
  let s = ipToBigInt(start);
  const e = ipToBigInt(end);
  const out: string[] = [];
  while (s <= e) {
    let host = 0;
    // Grow the block while s stays aligned and the block stays inside the range.
    while (host < bits && (s & ((1n << BigInt(host + 1)) - 1n)) === 0n && s + (1n << BigInt(host + 1)) - 1n <= e)
      host++;
    out.push(`${formatIp(ipFromBigInt(s, family))}/${bits - host}`);
    s += 1n << BigInt(host);
  }
  return out;
}

const PROTO_NAMES = new Map<number, string>([
  [1, 'icmp'],
  [6, 'tcp'],
  [17, 'udp'],
  [58, 'ipv6-icmp'],
  [132, 'sctp'],
]);

/**
 * strongSwan-like text: `10.99.3.0/24`, `10.0.0.1/32[tcp/80]`, ranges not expressible as
 * one prefix as `a..b`. Ports are printed as numbers (strongSwan uses service names).
 */
export function tsToString(ts: TrafficSelector): string {
  const cidrs = rangeToCidrs(ts.startAddr, ts.endAddr);
  const addr = cidrs.length === 1 ? (cidrs[0] ?? '') : `${formatIp(ts.startAddr)}..${formatIp(ts.endAddr)}`;
  const anyPort = ts.startPort === 0 && ts.endPort === 65535;
  if (ts.protocol === 0 && anyPort) return addr;
  const proto = ts.protocol === 0 ? '0' : (PROTO_NAMES.get(ts.protocol) ?? String(ts.protocol));
  if (anyPort) return `${addr}[${proto}]`;
  const port = ts.startPort === ts.endPort ? `${ts.startPort}` : `${ts.startPort}-${ts.endPort}`;
  return `${addr}[${proto}/${port}]`;
}
