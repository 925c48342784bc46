/**
 * IKE identities (RFC 7296 §3.5) from swanctl `id` strings, following strongSwan's
 * identification.c rules:
 *   - an IPv4/IPv6 literal -> ID_IPV4_ADDR (1) / ID_IPV6_ADDR (5)
 *   - `@#hex` -> ID_KEY_ID (11); `keyid:text` / `keyid:#hex` -> ID_KEY_ID (strongSwan's prefix,
 *     as IKEv1 group names are written); `@fqdn` -> ID_FQDN (2) without the @
 *   - `user@host` -> ID_RFC822_ADDR (3)
 *   - text with `=` (`C=CH, O=strongSwan, CN=moon`) -> ID_DER_ASN1_DN (9), DER encoded
 *   - anything else -> ID_FQDN
 *   - `%any` (and an empty id) is the wildcard, ID_ANY (0)
 * Wildcard matching as strongSwan's matches(): `%any`, a leading `*` in FQDN/RFC822
 * (`*@example.com`, `*.example.com`), and `*` as an RDN value in a DN (`CN=*`).
 */
import { bytesEqual, fromHex } from '../util/hex.js';
import { formatIp, tryParseIp } from '../util/ip-addr.js';
import { decodeDn, encodeDn, formatDn, parseDnText } from './distinguished-name.js';

export const IdType = {
  ID_ANY: 0,
  ID_IPV4_ADDR: 1,
  ID_FQDN: 2,
  ID_RFC822_ADDR: 3,
  ID_IPV6_ADDR: 5,
  ID_DER_ASN1_DN: 9,
  ID_KEY_ID: 11,
} as const;

export interface IkeId {
  type: number;
  data: Uint8Array;
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

export function parseIdentity(s: string): IkeId {
  const t = s.trim();
  if (t === '' || t === '%any' || t === '%any6') return { type: IdType.ID_ANY, data: new Uint8Array(0) };
  const ip = tryParseIp(t);
  if (ip) return { type: ip.family === 4 ? IdType.ID_IPV4_ADDR : IdType.ID_IPV6_ADDR, data: ip.bytes };
  if (t.startsWith('@#')) return { type: IdType.ID_KEY_ID, data: fromHex(t.slice(2).replace(/:/g, ''), 'id') };
  // strongSwan's `keyid:` prefix: `keyid:#hex` or the text itself (vpnc's group name, IKEv1)
  if (t.startsWith('keyid:')) {
    const v = t.slice(6);
    return {
      type: IdType.ID_KEY_ID,
      data: v.startsWith('#') ? fromHex(v.slice(1).replace(/:/g, ''), 'id') : utf8.encode(v),
    };
  }
  if (t.startsWith('@@')) return { type: IdType.ID_RFC822_ADDR, data: utf8.encode(t.slice(2)) };
  if (t.startsWith('@')) return { type: IdType.ID_FQDN, data: utf8.encode(t.slice(1)) };
  if (t.includes('=')) return { type: IdType.ID_DER_ASN1_DN, data: encodeDn(parseDnText(t)) };
  if (t.includes('@')) return { type: IdType.ID_RFC822_ADDR, data: utf8.encode(t) };
  return { type: IdType.ID_FQDN, data: utf8.encode(t) };
}

export function formatIdentity(id: IkeId): string {
  switch (id.type) {
    case IdType.ID_ANY:
      return '%any';
    case IdType.ID_IPV4_ADDR:
    case IdType.ID_IPV6_ADDR:
      return id.data.length === 4 || id.data.length === 16 ? formatIp(id.data) : `(invalid address)`;
    case IdType.ID_FQDN:
    case IdType.ID_RFC822_ADDR:
      return text.decode(id.data);
    case IdType.ID_DER_ASN1_DN: {
      const dn = decodeDn(id.data);
      return dn ? formatDn(dn) : '(invalid DN)';
    }
    case IdType.ID_KEY_ID:
      // a printable key ID is a group name (vpnc's IPSec ID): strongSwan's `keyid:` form
      return id.data.length > 0 && id.data.every((b) => b >= 0x21 && b < 0x7f)
        ? `keyid:${text.decode(id.data)}`
        : `@#${Buffer.from(id.data).toString('hex')}`;
    default:
      return `(ID type ${id.type}) ${Buffer.from(id.data).toString('hex')}`;
  }
}

/** RestOfIDPayload (§2.15): ID type, three reserved octets, the data. */
export function idPayloadBody(id: IkeId): Uint8Array {
  const out = new Uint8Array(4 + id.data.length);
  out[0] = id.type;
  out.set(id.data, 4);
  return out;
}

export function idFromPayloadBody(b: Uint8Array): IkeId | undefined {
  if (b.length < 4) return undefined;
  return { type: b[0] ?? 0, data: b.subarray(4) };
}

export function idEquals(a: IkeId, b: IkeId): boolean {
  return a.type === b.type && bytesEqual(a.data, b.data);
}

/** Does the received identity match the configured one (with swanctl's wildcards)? */
export function idMatches(config: string, received: IkeId): boolean {
  const want = parseIdentity(config);
  if (want.type === IdType.ID_ANY) return true;
  if (want.type !== received.type) return false;
  if (want.type === IdType.ID_FQDN || want.type === IdType.ID_RFC822_ADDR) {
    const w = text.decode(want.data).toLowerCase();
    const r = text.decode(received.data).toLowerCase();
    // strongSwan: a leading '*' matches any prefix (`*@example.com`, `*.example.com`).
    if (w.startsWith('*')) return r.endsWith(w.slice(1));
    return w === r;
  }
  if (want.type === IdType.ID_DER_ASN1_DN) {
    const w = decodeDn(want.data);
    const r = decodeDn(received.data);
    if (!w || !r || w.length !== r.length) return false;
    return w.every((rdn, i) => {
      const o = r[i];
      return o !== undefined && o.oid === rdn.oid && (rdn.value === '*' || o.value === rdn.value);
    });
  }
  return bytesEqual(want.data, received.data);
}
