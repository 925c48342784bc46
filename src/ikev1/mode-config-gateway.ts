/**
 * What an esprit gateway hands a client in Mode Config (draft-ietf-ipsec-isakmp-mode-cfg-05
 * §3.2, §4; Cisco Unity, protocol-facts §3): the attributes of a CFG_REPLY (pull) or of a
 * CFG_SET (push), built from the connection's pools and children. transaction.ts runs the
 * exchanges; this file only decides the attributes, in this order:
 *
 *   INTERNAL_IP4_ADDRESS   leased from the first IPv4 pool (pull: when requested)
 *   INTERNAL_IP4_DNS/NBNS  the pools' `dns`, `nbns` (IPv4 ones)
 *   pool attributes        in config order (pool-attributes.ts): netmask, dhcp, subnet, Unity
 *                          banner, save-password, default domain, split DNS, split include
 *                          and exclude, PFS, numbered ones
 *   UNITY_SPLIT_INCLUDE    from the children's `local_ts` when no pool sets split_include
 *   UNITY_NATT_PORT        Cisco UDP, only when requested and no NAT-T was negotiated
 *
 * Pull: §3.2 lets the responder return what it has; requested attributes esprit does not
 * know or has no value for are left out (the reply is never refused for them). Configured
 * pool attributes go out whether requested or not, as strongSwan's attribute providers do.
 */

import type { PoolAttribute } from '../config/swanctl/pool-attributes.js';
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import { parseTsList, rangeToCidrs } from '../config/traffic-selector.js';
import type { AddressPool } from '../ike/address-pool.js';
import { ipFromBigInt, parseIp, parsePrefix } from '../util/ip-addr.js';
import { tvAttribute } from '../wire/isakmp/data-attribute.js';
import type { DataAttribute } from '../wire/isakmp/isakmp-types.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { CfgAttr } from './mode-config-attributes.js';

const text = new TextDecoder();
const utf8 = new TextEncoder();

function tlv(type: number, value: Uint8Array): DataAttribute {
  return { type, form: 'tlv', value };
}

function v4Mask(len: number): Uint8Array {
  return ipFromBigInt(((1n << 32n) - 1n) ^ ((1n << BigInt(32 - len)) - 1n), 4);
}

/** address | mask of each IPv4 prefix exactly covering [start, end]. */
function prefixes(start: Uint8Array, end: Uint8Array): [Uint8Array, Uint8Array][] {
  return rangeToCidrs(start, end).map((c) => {
    const p = parsePrefix(c);
    return [p.addr.bytes, v4Mask(p.len)];
  });
}

/** Unity ACL entries (28676/28678): 14 octets each, address | mask | protocol 0 | sport 0 | dport 0. */
export function unityAcl(list: readonly [Uint8Array, Uint8Array][]): Uint8Array {
  const v = new Uint8Array(list.length * 14);
  for (const [i, [addr, mask]] of list.entries()) {
    v.set(addr, i * 14);
    v.set(mask, i * 14 + 4);
  }
  return v;
}

/** A configured pool attribute on the wire (IPv6 values take the IPv6 number, as in strongSwan). */
export function encodePoolAttribute(a: PoolAttribute): DataAttribute[] {
  switch (a.kind) {
    case 'basic':
      return [tvAttribute(a.type, a.value)];
    case 'text':
      return [tlv(a.type, utf8.encode(a.value))];
    case 'acl':
      return [
        tlv(
          a.type,
          unityAcl(
            a.values.map((v) => {
              const p = parsePrefix(v.includes('/') ? v : `${v}/32`);
              return [p.addr.bytes, v4Mask(p.len)];
            }),
          ),
        ),
      ];
    case 'address':
      return a.values.map((v) => {
        const ip = parseIp(v);
        // mode-cfg-05 §4: IP6 numbers are the IP4 ones + 7 (2 -> 9, 6 -> 12)
        return tlv(ip.family === 6 && a.type <= 6 ? a.type + 7 : a.type, ip.bytes);
      });
    case 'subnet':
      return a.values.map((v) => {
        const p = parsePrefix(v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`);
        if (p.addr.family === 4) {
          const b = new Uint8Array(8);
          b.set(p.addr.bytes, 0);
          b.set(v4Mask(p.len), 4);
          return tlv(CfgAttr.INTERNAL_IP4_SUBNET, b);
        }
        const b = new Uint8Array(17);
        b.set(p.addr.bytes, 0);
        b[16] = p.len;
        return tlv(CfgAttr.INTERNAL_IP6_SUBNET, b);
      });
  }
}

export interface GatewayAttributeContext {
  config(): EspritConfig;
  pools(): ReadonlyMap<string, AddressPool>;
  warn(message: string): void;
}

/**
 * The attributes for `sa`'s client: `requested` is the client's CFG_REQUEST (pull), or
 * undefined for a CFG_SET (push: everything the gateway has). Leases the address on `sa`.
 */
export function gatewayAttributes(
  sa: Ikev1Sa,
  requested: readonly DataAttribute[] | undefined,
  ctx: GatewayAttributeContext,
): DataAttribute[] {
  const want = (t: number) => requested === undefined || requested.some((a) => a.type === t);
  const out: DataAttribute[] = [];
  const cfg = ctx.config();
  const pools = sa.conn.pools.map((n) => cfg.pools.find((p) => p.name === n)).filter((p) => p !== undefined);
  const v4 = pools.find((p) => !p.addrs.includes(':'));
  if (want(CfgAttr.INTERNAL_IP4_ADDRESS) && v4) {
    const pool = ctx.pools().get(v4.name);
    const who = sa.xauth?.user ?? `${sa.remoteId ? text.decode(sa.remoteId.data) : ''}`;
    // a retransmitted or repeated request keeps the address it got
    const addr = sa.leases?.[0]?.address ?? pool?.acquire(who);
    if (addr) {
      const b = parseIp(addr).bytes;
      sa.vipsRemote = [b];
      sa.leases = [{ pool: v4.name, who, address: addr }];
      out.push(tlv(CfgAttr.INTERNAL_IP4_ADDRESS, b));
    } else ctx.warn(`pool ${v4.name} has no address left`);
  }
  for (const p of pools) {
    if (want(CfgAttr.INTERNAL_IP4_DNS))
      for (const d of p.dns.filter((x) => !x.includes(':'))) out.push(tlv(CfgAttr.INTERNAL_IP4_DNS, parseIp(d).bytes));
    if (want(CfgAttr.INTERNAL_IP4_NBNS))
      for (const d of p.nbns.filter((x) => !x.includes(':')))
        out.push(tlv(CfgAttr.INTERNAL_IP4_NBNS, parseIp(d).bytes));
  }
  const configured = pools.flatMap((p) => p.attributes);
  for (const a of configured) out.push(...encodePoolAttribute(a));
  // Cisco Unity split include from the children's local_ts (what the tunnel protects)
  if (want(CfgAttr.UNITY_SPLIT_INCLUDE) && !configured.some((a) => a.type === CfgAttr.UNITY_SPLIT_INCLUDE)) {
    const list: [Uint8Array, Uint8Array][] = [];
    for (const ch of sa.conn.children)
      for (const ts of parseTsList(ch.localTs, []))
        if (ts.family === 4) list.push(...prefixes(ts.startAddr, ts.endAddr));
    if (list.length > 0) out.push(tlv(CfgAttr.UNITY_SPLIT_INCLUDE, unityAcl(list)));
  }
  // Cisco "IPsec over UDP": the client asks for the port (28677, a basic attribute), ESP then
  // goes in UDP to it with plain tunnel mode while IKE stays on 500 (protocol-facts §3.1)
  if (requested?.some((a) => a.type === CfgAttr.UNITY_NATT_PORT) && sa.conn.ciscoUdpPort > 0 && !sa.natt) {
    out.push(tvAttribute(CfgAttr.UNITY_NATT_PORT, sa.conn.ciscoUdpPort));
    sa.ciscoUdpPort = sa.conn.ciscoUdpPort;
  }
  return out;
}
