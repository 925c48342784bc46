/**
 * Attributes of a swanctl `pools.<name>` section beyond `addrs`, `dns` and `nbns`, in
 * strongSwan's syntax (vici_attribute.c `pool_li`): a named attribute whose values are
 * addresses or prefixes, or an attribute given by its number, e.g. `28672 = "banner text"`.
 * The IKEv1 gateway sends them in Mode Config (docs/ikev1.md "Mode Config attributes from
 * pools"); the IKEv2 engine does not use them.
 *
 * Names: strongSwan's `dhcp`, `netmask`, `subnet`, `split_include`, `split_exclude`, and as an
 * esprit extension the Unity names of draft/Cisco (`UNITY_BANNER`, ... as in
 * src/ikev1/mode-config-attributes.ts; numbers stay the portable spelling).
 */
import { parseIp, parsePrefix, tryParseIp } from '../../util/ip-addr.js';
import { parseList } from './swanctl-values.js';

/** One configured attribute: its Mode Config number (IPv4 form) and what it carries. */
export type PoolAttribute =
  /** addresses (`dhcp`, `netmask`, or a number whose value parses as addresses) */
  | { readonly type: number; readonly kind: 'address'; readonly values: readonly string[] }
  /** prefixes sent as address | mask (`subnet`, INTERNAL_IP4_SUBNET) */
  | { readonly type: number; readonly kind: 'subnet'; readonly values: readonly string[] }
  /** Cisco Unity ACL entries (`split_include` 28676, `split_exclude` 28678), IPv4 prefixes */
  | { readonly type: number; readonly kind: 'acl'; readonly values: readonly string[] }
  /** a basic (TV) attribute: Unity save-password 28673, PFS 28679 */
  | { readonly type: number; readonly kind: 'basic'; readonly value: number }
  /** octets (text as UTF-8): banner, default domain, split DNS, any other number */
  | { readonly type: number; readonly kind: 'text'; readonly value: string };

/** Named attributes: [IPv4 number, kind] (strongSwan vici_attribute.c keys, IKEv1 types). */
const NAMED: Record<string, readonly [number, 'address' | 'subnet' | 'acl']> = {
  dhcp: [6, 'address'],
  netmask: [2, 'address'],
  subnet: [13, 'subnet'],
  split_include: [28676, 'acl'],
  split_exclude: [28678, 'acl'],
};

/** The Unity names esprit accepts as well as their numbers (protocol-facts §3). */
const UNITY: Record<string, number> = {
  UNITY_BANNER: 28672,
  UNITY_SAVE_PASSWD: 28673,
  UNITY_DEF_DOMAIN: 28674,
  UNITY_SPLIT_DOMAIN: 28675,
  UNITY_SPLIT_INCLUDE: 28676,
  UNITY_SPLIT_EXCLUDE: 28678,
  UNITY_PFS: 28679,
};

/**
 * Unity attributes whose receivers demand the basic form (vpnc vpnc.c rejects a DO_PFS that
 * is not 16-bit TV); strongSwan would send its raw text, esprit sends the number.
 */
const BASIC = new Set([28673, 28679]);

/** Attributes only esprit itself may produce (XAUTH, the address, the Cisco UDP port). */
const RESERVED = new Set([1, 3, 4, 8, 10, 11, 28677]);

/** true for a pool key this module reads. */
export function isPoolAttributeKey(key: string): boolean {
  return key in NAMED || key in UNITY || /^\d+$/.test(key);
}

/** Parse `key = value` of a pool section; throws an Error naming what is wrong. */
export function parsePoolAttribute(key: string, value: string): PoolAttribute {
  const named = NAMED[key];
  if (named) {
    const [type, kind] = named;
    const values = parseList(value);
    if (values.length === 0) throw new Error('expected at least one value');
    for (const v of values) {
      if (kind === 'address') parseIp(v, key);
      else {
        const p = parsePrefix(v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`);
        if (kind === 'acl' && p.addr.bytes.length !== 4) throw new Error(`'${v}': Unity split lists are IPv4 only`);
      }
    }
    return { type, kind, values };
  }
  const type = UNITY[key] ?? Number(key);
  if (!Number.isInteger(type) || type < 1 || type > 0x7fff)
    throw new Error(`'${key}' is not an attribute number 1-32767`);
  if (RESERVED.has(type) || (type >= 16520 && type <= 16529))
    throw new Error(`attribute ${type} is set by esprit itself (pools addrs/dns/nbns, XAUTH, cisco_udp_port)`);
  const text = value.trim();
  if (type === 28676 || type === 28678)
    return parsePoolAttribute(type === 28676 ? 'split_include' : 'split_exclude', text);
  if (BASIC.has(type)) {
    if (!/^\d+$/.test(text) || Number(text) > 0xffff) throw new Error(`attribute ${type} takes a number 0-65535`);
    return { type, kind: 'basic', value: Number(text) };
  }
  // strongSwan: a value that parses as addresses is sent as addresses, else as raw octets
  const list = parseList(text);
  if (list.length > 0 && list.every((v) => tryParseIp(v))) return { type, kind: 'address', values: list };
  return { type, kind: 'text', value: text };
}
