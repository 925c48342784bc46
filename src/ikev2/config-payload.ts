/**
 * Configuration payloads (RFC 7296 §2.19, §3.15): the client's CFG_REQUEST for virtual IPs
 * and DNS, the gateway's leases from its pools and CFG_REPLY.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { formatIdentity } from '../ike/identity.js';
import { formatIp, parseIp } from '../util/ip-addr.js';
import type { CpAttribute, IkePayload } from '../wire/ike/ike-types.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { CfgAttr, CfgType } from './ikev2-numbers.js';

const empty = new Uint8Array(0);

/**
 * The client's request for `vips = 0.0.0.0, ::` (or specific addresses to ask for). `held`
 * are the addresses we have now (a reauthentication asks for them again, as strongSwan does,
 * so the new IKE SA keeps them).
 */
export function cpRequest(conn: ConnectionConfig, held: Uint8Array[] = []): IkePayload | undefined {
  if (conn.vips.length === 0) return undefined;
  const attrs: CpAttribute[] = [];
  for (const v of conn.vips) {
    let ip = parseIp(v, `connections.${conn.name}.vips`);
    const keep = held.find((h) => h.length === ip.bytes.length);
    if (keep && ip.bytes.every((b) => b === 0)) ip = { ...ip, bytes: keep };
    const any = ip.bytes.every((b) => b === 0);
    if (ip.family === 4) {
      attrs.push({ type: CfgAttr.INTERNAL_IP4_ADDRESS, value: any ? empty : ip.bytes });
      attrs.push({ type: CfgAttr.INTERNAL_IP4_DNS, value: empty });
    } else {
      // §3.15.1: INTERNAL_IP6_ADDRESS is the address and a one-octet prefix length.
      const v6 = new Uint8Array(17);
      v6.set(ip.bytes);
      v6[16] = 128;
      attrs.push({ type: CfgAttr.INTERNAL_IP6_ADDRESS, value: any ? empty : v6 });
      attrs.push({ type: CfgAttr.INTERNAL_IP6_DNS, value: empty });
    }
  }
  return { kind: 'CP', cfgType: CfgType.CFG_REQUEST, attributes: attrs };
}

/** The client reads the addresses and DNS servers of a CFG_REPLY. */
export function cpReplyValues(cp: IkePayload & { kind: 'CP' }): { vips: Uint8Array[]; dns: Uint8Array[] } {
  const vips: Uint8Array[] = [];
  const dns: Uint8Array[] = [];
  if (cp.cfgType !== CfgType.CFG_REPLY) return { vips, dns };
  for (const a of cp.attributes) {
    if (a.type === CfgAttr.INTERNAL_IP4_ADDRESS && a.value.length === 4) vips.push(a.value);
    else if (a.type === CfgAttr.INTERNAL_IP6_ADDRESS && a.value.length === 17) vips.push(a.value.subarray(0, 16));
    else if (a.type === CfgAttr.INTERNAL_IP4_DNS && a.value.length === 4) dns.push(a.value);
    else if (a.type === CfgAttr.INTERNAL_IP6_DNS && a.value.length === 16) dns.push(a.value);
  }
  return { vips, dns };
}

export type CpAnswer =
  | { kind: 'none' }
  | { kind: 'reply'; payload: IkePayload; vips: Uint8Array[] }
  /** §3.10.1 INTERNAL_ADDRESS_FAILURE: an address was requested and none could be leased */
  | { kind: 'failure' };

/**
 * Gateway: lease one address per requested family from the connection's pools (in order),
 * keyed by the peer's identity so a reconnect of the same identity gets the same address.
 */
export function cpAnswer(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  cp: IkePayload & { kind: 'CP' },
  identity: string,
): CpAnswer {
  if (cp.cfgType !== CfgType.CFG_REQUEST) return { kind: 'none' };
  const attrs: CpAttribute[] = [];
  const vips: Uint8Array[] = [];
  const wanted: { family: 4 | 6; requested?: string }[] = [];
  for (const a of cp.attributes) {
    if (a.type === CfgAttr.INTERNAL_IP4_ADDRESS)
      wanted.push({
        family: 4,
        ...(a.value.length === 4 && a.value.some((b) => b !== 0) ? { requested: formatIp(a.value) } : {}),
      });
    if (a.type === CfgAttr.INTERNAL_IP6_ADDRESS)
      wanted.push({
        family: 6,
        ...(a.value.length === 17 && a.value.subarray(0, 16).some((b) => b !== 0)
          ? { requested: formatIp(a.value.subarray(0, 16)) }
          : {}),
      });
  }
  if (wanted.length === 0) return { kind: 'none' };
  const dnsSent = new Set<string>();
  for (const w of wanted) {
    for (const name of conn.pools) {
      const pool = ctx.pools.get(name);
      if (!pool || pool.family !== w.family) continue;
      const got = pool.acquire(identity, w.requested);
      if (got === undefined) continue;
      const ip = parseIp(got);
      sa.vipsRemote = [...sa.vipsRemote, { pool: name, address: got }];
      vips.push(ip.bytes);
      if (w.family === 4) attrs.push({ type: CfgAttr.INTERNAL_IP4_ADDRESS, value: ip.bytes });
      else {
        const v6 = new Uint8Array(17);
        v6.set(ip.bytes);
        v6[16] = 128;
        attrs.push({ type: CfgAttr.INTERNAL_IP6_ADDRESS, value: v6 });
      }
      // DNS servers of the pool that leased the address (swanctl pools.<name>.dns).
      const cfg = ctx.config.pools.find((p) => p.name === name);
      for (const d of cfg?.dns ?? []) {
        if (dnsSent.has(d)) continue;
        dnsSent.add(d);
        const dip = parseIp(d);
        attrs.push({ type: dip.family === 4 ? CfgAttr.INTERNAL_IP4_DNS : CfgAttr.INTERNAL_IP6_DNS, value: dip.bytes });
      }
      break;
    }
  }
  if (vips.length === 0) return { kind: 'failure' };
  return { kind: 'reply', payload: { kind: 'CP', cfgType: CfgType.CFG_REPLY, attributes: attrs }, vips };
}

/**
 * The identity a peer's leases are kept under: its EAP identity when it authenticated with
 * EAP (a phone's IDi is often just its address; strongSwan does the same), else its IKE identity.
 */
export function leaseIdentity(sa: IkeSa): string {
  return sa.remoteEapId ?? (sa.remoteId ? formatIdentity(sa.remoteId) : '%any');
}

/** Give the leases of an IKE SA back to their pools (they stay reserved for the identity). */
export function releaseLeases(ctx: Ikev2Context, sa: IkeSa, identity: string): void {
  for (const v of sa.vipsRemote) ctx.pools.get(v.pool)?.release(identity, v.address);
  sa.vipsRemote = [];
}
