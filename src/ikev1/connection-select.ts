/**
 * Which configured connection a new ISAKMP SA belongs to, as responder: Main Mode by the
 * addresses alone (RFC 2409 §5.4: the PSK is chosen before the peer's ID is seen), Aggressive
 * Mode by the addresses and the identity in AM1 (aggressive-mode.ts). Also the parsed address
 * pools Mode Config leases from.
 */
import type { ConnectionConfig, EspritConfig } from '../config/swanctl/swanctl-model.js';
import { AddressPool } from '../ike/address-pool.js';
import { bytesEqual } from '../util/hex.js';
import { parsePrefix, prefixContains, tryParseIp } from '../util/ip-addr.js';
import type { IsakmpMessage } from '../wire/isakmp/isakmp-types.js';
import { aggressiveConnection } from './aggressive-mode.js';

/** Does `addr` match one of `local_addrs`/`remote_addrs` (%any, a prefix, an address)? */
export function addrMatches(list: readonly string[], addr: Uint8Array): boolean {
  return list.some((s) => {
    if (s === '%any' || s === '%any4' || s === '%any6') return true;
    if (s.includes('/')) {
      try {
        return prefixContains(parsePrefix(s), addr);
      } catch {
        return false;
      }
    }
    const ip = tryParseIp(s);
    return ip !== undefined && bytesEqual(ip.bytes, addr);
  });
}

/** The connection for a first message (MM1 or AM1) received on `local` from `remote`. */
export function responderConnection(
  config: EspritConfig,
  msg: IsakmpMessage,
  aggressive: boolean,
  local: Uint8Array,
  remote: Uint8Array,
): ConnectionConfig | undefined {
  const addrs = (c: ConnectionConfig): boolean =>
    addrMatches(c.localAddrs, local) && addrMatches(c.remoteAddrs, remote);
  if (!aggressive) return config.connections.find((c) => c.version === 1 && !c.aggressive && addrs(c));
  const id = msg.payloads.find((p) => p.kind === 'ID');
  return id?.kind === 'ID' ? aggressiveConnection(config, { type: id.idType, data: id.data }, addrs) : undefined;
}

/** The configured pools, parsed (a pool that does not parse was refused by the loader). */
export function poolsOf(config: EspritConfig): Map<string, AddressPool> {
  return new Map(config.pools.map((p) => [p.name, AddressPool.parse(p.addrs)]));
}
