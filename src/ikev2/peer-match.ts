/**
 * Which configured connection a peer belongs to, which identity we use, and which shared
 * secret authenticates a pair of identities (strongSwan's ike_cfg/peer_cfg lookup and
 * shared-key matching, simplified: documented in docs/ikev2.md).
 */
import type { AuthRoundConfig, ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { formatIdentity, type IkeId, idMatches, parseIdentity } from '../ike/identity.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp, ipToBigInt, parsePrefix, tryParseIp } from '../util/ip-addr.js';

/**
 * One `local_addrs`/`remote_addrs` entry, parsed: %any (of a family), an address range
 * `a-b`, a CIDR prefix, or one address. Anything else (a host name: the daemon resolves names
 * first, the core does no DNS; or a malformed entry) matches nothing.
 */
export type AddrSpec =
  | { readonly kind: 'any'; readonly length?: 4 | 16 }
  | { readonly kind: 'range'; readonly length: number; readonly from: bigint; readonly to: bigint }
  | { readonly kind: 'prefix'; readonly length: number; readonly hostBits: bigint; readonly network: bigint }
  | { readonly kind: 'address'; readonly bytes: Uint8Array }
  | { readonly kind: 'nothing' };

export function parseAddrSpec(spec: string): AddrSpec {
  const s = spec.trim();
  if (s === '%any') return { kind: 'any' };
  if (s === '%any4') return { kind: 'any', length: 4 };
  if (s === '%any6') return { kind: 'any', length: 16 };
  const dash = s.indexOf('-');
  if (dash > 0) {
    const a = tryParseIp(s.slice(0, dash));
    const b = tryParseIp(s.slice(dash + 1));
    if (!a || !b) return { kind: 'nothing' };
    return { kind: 'range', length: a.bytes.length, from: ipToBigInt(a.bytes), to: ipToBigInt(b.bytes) };
  }
  if (s.includes('/')) {
    try {
      const p = parsePrefix(s);
      const hostBits = BigInt(p.addr.bytes.length * 8 - p.len);
      return { kind: 'prefix', length: p.addr.bytes.length, hostBits, network: ipToBigInt(p.addr.bytes) >> hostBits };
    } catch {
      return { kind: 'nothing' };
    }
  }
  const ip = tryParseIp(s);
  return ip ? { kind: 'address', bytes: ip.bytes } : { kind: 'nothing' };
}

export function specMatches(spec: AddrSpec, addr: Uint8Array): boolean {
  switch (spec.kind) {
    case 'any':
      return spec.length === undefined || addr.length === spec.length;
    case 'range': {
      if (addr.length !== spec.length) return false;
      const v = ipToBigInt(addr);
      return v >= spec.from && v <= spec.to;
    }
    case 'prefix':
      return addr.length === spec.length && ipToBigInt(addr) >> spec.hostBits === spec.network;
    case 'address':
      return bytesEqual(spec.bytes, addr);
    case 'nothing':
      return false;
  }
}

/** One `local_addrs`/`remote_addrs` entry against an address: %any, IP, CIDR, or `a-b` range. */
export function addrSpecMatches(spec: string, addr: Uint8Array): boolean {
  return specMatches(parseAddrSpec(spec), addr);
}

export function addrsMatch(specs: readonly string[], addr: Uint8Array): boolean {
  return specs.length === 0 || specs.some((s) => addrSpecMatches(s, addr));
}

/**
 * Which configured connections (IKEv2 or either version) may serve a peer at `remote`
 * reaching us at `local`; `local_addrs`/`remote_addrs` are parsed once, when the engine loads
 * the configuration, not per message.
 */
export class ConnectionMatcher {
  private readonly conns: readonly {
    readonly conn: ConnectionConfig;
    readonly local: readonly AddrSpec[];
    readonly remote: readonly AddrSpec[];
  }[];

  constructor(conns: readonly ConnectionConfig[]) {
    this.conns = conns
      .filter((c) => c.version === 0 || c.version === 2)
      .map((conn) => ({
        conn,
        local: conn.localAddrs.map(parseAddrSpec),
        remote: conn.remoteAddrs.map(parseAddrSpec),
      }));
  }

  candidates(local: Uint8Array, remote: Uint8Array): ConnectionConfig[] {
    const out: ConnectionConfig[] = [];
    // a wildcard listener reports 0.0.0.0/:: as our address; then only remote_addrs decide
    const anyLocal = local.every((x) => x === 0);
    for (const c of this.conns) {
      if (!specsMatch(c.remote, remote)) continue;
      if (anyLocal || specsMatch(c.local, local)) out.push(c.conn);
    }
    return out;
  }
}

const specsMatch = (specs: readonly AddrSpec[], addr: Uint8Array): boolean =>
  specs.length === 0 || specs.some((s) => specMatches(s, addr));

/** Connections that may serve a peer at `remote` reaching us at `local` (parses each time: ConnectionMatcher does not). */
export function candidateConns(
  conns: readonly ConnectionConfig[],
  local: Uint8Array,
  remote: Uint8Array,
): ConnectionConfig[] {
  return new ConnectionMatcher(conns).candidates(local, remote);
}

export function firstRound(rounds: readonly AuthRoundConfig[]): AuthRoundConfig | undefined {
  return rounds.find((r) => r.round === 1) ?? rounds[0];
}

/**
 * Configured identities parsed once per connection object (a reload makes new ones): every
 * IKE SA of the connection shares it, read-only, as its `localId` (compact-state.ts).
 */
const configuredIds = new WeakMap<ConnectionConfig, IkeId>();

/** Our identity: the configured `id`, else our IP address (strongSwan's default). */
export function ownIdentity(conn: ConnectionConfig, localAddr: Uint8Array): IkeId {
  const id = firstRound(conn.local)?.id;
  if (id !== undefined && id !== '%any') {
    let parsed = configuredIds.get(conn);
    if (!parsed) {
      parsed = parseIdentity(id);
      configuredIds.set(conn, parsed);
    }
    return parsed;
  }
  return parseIdentity(formatIp(localAddr));
}

/** The peer's identity must match the configured remote `id` (default %any). */
export function remoteIdAcceptable(conn: ConnectionConfig, received: IkeId): boolean {
  const id = firstRound(conn.remote)?.id;
  return id === undefined || idMatches(id, received);
}

/** The shared secret for a pair of identities (moved to ike/, shared with IKEv1). */
export { findSharedSecret } from '../ike/shared-secret.js';

export function idText(id: IkeId | undefined): string {
  return id ? formatIdentity(id) : '%any';
}
