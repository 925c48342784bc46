/**
 * Which configured connection a new ISAKMP SA belongs to, as responder: Main Mode by the
 * addresses and the offered authentication method (RFC 2409 §5.4: the PSK is chosen before the
 * peer's ID is seen), Aggressive
 * Mode by the addresses and the identity in AM1 (aggressive-mode.ts). Also the parsed address
 * pools Mode Config leases from.
 */
import type { ConnectionConfig, EspritConfig } from '../config/swanctl/swanctl-model.js';
import { AddressPool } from '../ike/address-pool.js';
import { bytesEqual } from '../util/hex.js';
import { parsePrefix, prefixContains, tryParseIp } from '../util/ip-addr.js';
import type { IsakmpMessage } from '../wire/isakmp/isakmp-types.js';
import { aggressiveConnection } from './aggressive-mode.js';
import { phase1AuthMethod } from './main-mode-pubkey.js';
import { parsePhase1Transform } from './phase1-proposal.js';

/** The authentication methods of the transforms in MM1's SA payload (RFC 2409 Appendix A class 3). */
function offeredAuthMethods(msg: IsakmpMessage): Set<number> {
  const out = new Set<number>();
  for (const p of msg.payloads)
    if (p.kind === 'SA')
      for (const pr of p.proposals)
        for (const t of pr.transforms) {
          const s = parsePhase1Transform(t);
          if (typeof s !== 'string') out.add(s.authMethod);
        }
  return out;
}

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
  if (!aggressive) {
    // Main Mode: by address; among several, the first whose method (PSK or signatures) is offered
    const cands = config.connections.filter((c) => c.version === 1 && !c.aggressive && addrs(c));
    const methods = offeredAuthMethods(msg);
    return cands.find((c) => methods.has(phase1AuthMethod(c))) ?? cands[0];
  }
  const id = msg.payloads.find((p) => p.kind === 'ID');
  return id?.kind === 'ID' ? aggressiveConnection(config, { type: id.idType, data: id.data }, addrs) : undefined;
}

/** The configured pools, parsed (a pool that does not parse was refused by the loader). */
export function poolsOf(config: EspritConfig): Map<string, AddressPool> {
  return new Map(config.pools.map((p) => [p.name, AddressPool.parse(p.addrs)]));
}
