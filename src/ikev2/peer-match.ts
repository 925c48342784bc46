/**
 * Which configured connection a peer belongs to, which identity we use, and which shared
 * secret authenticates a pair of identities (strongSwan's ike_cfg/peer_cfg lookup and
 * shared-key matching, simplified: documented in docs/ikev2.md).
 */
import type { AuthRoundConfig, ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { formatIdentity, type IkeId, idMatches, parseIdentity } from '../ike/identity.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp, ipToBigInt, parsePrefix, tryParseIp } from '../util/ip-addr.js';

/** One `local_addrs`/`remote_addrs` entry against an address: %any, IP, CIDR, or `a-b` range. */
export function addrSpecMatches(spec: string, addr: Uint8Array): boolean {
  const s = spec.trim();
  if (s === '%any') return true;
  if (s === '%any4') return addr.length === 4;
  if (s === '%any6') return addr.length === 16;
  const dash = s.indexOf('-');
  if (dash > 0) {
    const a = tryParseIp(s.slice(0, dash));
    const b = tryParseIp(s.slice(dash + 1));
    if (!a || !b || a.bytes.length !== addr.length) return false;
    const v = ipToBigInt(addr);
    return v >= ipToBigInt(a.bytes) && v <= ipToBigInt(b.bytes);
  }
  if (s.includes('/')) {
    try {
      const p = parsePrefix(s);
      if (p.addr.bytes.length !== addr.length) return false;
      const host = BigInt(addr.length * 8 - p.len);
      return ipToBigInt(addr) >> host === ipToBigInt(p.addr.bytes) >> host;
    } catch {
      return false;
    }
  }
  const ip = tryParseIp(s);
  // A host name would need DNS, which the core does not do: the daemon resolves names first.
  return ip !== undefined && bytesEqual(ip.bytes, addr);
}

export function addrsMatch(specs: readonly string[], addr: Uint8Array): boolean {
  return specs.length === 0 || specs.some((s) => addrSpecMatches(s, addr));
}

/** Connections (IKEv2 or either version) that may serve a peer at `remote` reaching us at `local`. */
export function candidateConns(
  conns: readonly ConnectionConfig[],
  local: Uint8Array,
  remote: Uint8Array,
): ConnectionConfig[] {
  return conns.filter(
    (c) =>
      (c.version === 0 || c.version === 2) &&
      addrsMatch(c.remoteAddrs, remote) &&
      // a wildcard listener reports 0.0.0.0/:: as our address; then only remote_addrs decide
      (local.every((x) => x === 0) || addrsMatch(c.localAddrs, local)),
  );
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
