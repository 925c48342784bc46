/**
 * Quick Mode client identities IDci/IDcr (RFC 2409 §5.5) as traffic selectors. RFC 2407
 * §4.6.2.1 address types: ID_IPV4_ADDR (1, 4 octets), ID_IPV4_ADDR_SUBNET (4, address and
 * mask), ID_IPV4_ADDR_RANGE (7, start and end), and the IPv6 forms 5, 6, 8; the payload's
 * Protocol ID and Port (§4.6.2) narrow the selector to one protocol and one port (0 = any).
 *
 * One selector becomes one ID: a single address as ADDR, a prefix as ADDR_SUBNET, anything
 * else as ADDR_RANGE (strongSwan chooses the same way). A port range other than one port or
 * all ports cannot be expressed and becomes "any port".
 */
import type { TrafficSelector } from '../config/traffic-selector.js';
import { bytesEqual } from '../util/hex.js';
import { ipFromBigInt, ipToBigInt } from '../util/ip-addr.js';
import type { IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IsakmpIdType } from '../wire/registry/isakmp.js';

type IdPayload = Extract<IsakmpPayload, { kind: 'ID' }>;

/** The prefix length when [start, end] is exactly one prefix, else undefined. */
function prefixOf(start: Uint8Array, end: Uint8Array): number | undefined {
  const bits = start.length * 8;
  const s = ipToBigInt(start);
  const e = ipToBigInt(end);
  for (let len = 0; len <= bits; len++) {
    const host = (1n << BigInt(bits - len)) - 1n;
    if ((s & host) === 0n && (s | host) === e) return len;
  }
  return undefined;
}

function maskOf(len: number, octets: number): Uint8Array {
  const bits = octets * 8;
  const m = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - len)) - 1n);
  return ipFromBigInt(m, octets === 4 ? 4 : 6);
}

export function idFromTs(ts: TrafficSelector): IdPayload {
  const v4 = ts.family === 4;
  const port = ts.startPort === ts.endPort ? ts.startPort : 0;
  const base = { kind: 'ID' as const, protocolId: ts.protocol, port };
  if (bytesEqual(ts.startAddr, ts.endAddr))
    return { ...base, idType: v4 ? IsakmpIdType.IPV4_ADDR : IsakmpIdType.IPV6_ADDR, data: ts.startAddr.slice() };
  const len = prefixOf(ts.startAddr, ts.endAddr);
  if (len !== undefined) {
    const data = new Uint8Array(ts.startAddr.length * 2);
    data.set(ts.startAddr);
    data.set(maskOf(len, ts.startAddr.length), ts.startAddr.length);
    return { ...base, idType: v4 ? IsakmpIdType.IPV4_ADDR_SUBNET : IsakmpIdType.IPV6_ADDR_SUBNET, data };
  }
  const data = new Uint8Array(ts.startAddr.length * 2);
  data.set(ts.startAddr);
  data.set(ts.endAddr, ts.startAddr.length);
  return { ...base, idType: v4 ? IsakmpIdType.IPV4_ADDR_RANGE : IsakmpIdType.IPV6_ADDR_RANGE, data };
}

/**
 * The selector an ID payload stands for; a reason string when the type is not an address
 * type or its data has the wrong length (INVALID-ID-INFORMATION, RFC 2408 §3.14.1).
 */
export function tsFromId(id: IdPayload): TrafficSelector | string {
  const t = id.idType;
  const v4 = t === IsakmpIdType.IPV4_ADDR || t === IsakmpIdType.IPV4_ADDR_SUBNET || t === IsakmpIdType.IPV4_ADDR_RANGE;
  const v6 = t === IsakmpIdType.IPV6_ADDR || t === IsakmpIdType.IPV6_ADDR_SUBNET || t === IsakmpIdType.IPV6_ADDR_RANGE;
  if (!v4 && !v6) return `ID type ${t} is not an address type`;
  const n = v4 ? 4 : 16;
  const single = t === IsakmpIdType.IPV4_ADDR || t === IsakmpIdType.IPV6_ADDR;
  if (id.data.length !== (single ? n : 2 * n)) return `ID type ${t} with ${id.data.length} octets of data`;
  let start: Uint8Array = id.data.slice(0, n);
  let end: Uint8Array = start.slice();
  if (t === IsakmpIdType.IPV4_ADDR_SUBNET || t === IsakmpIdType.IPV6_ADDR_SUBNET) {
    const mask = ipToBigInt(id.data.subarray(n));
    const all = (1n << BigInt(n * 8)) - 1n;
    const a = ipToBigInt(start) & mask;
    start = ipFromBigInt(a, v4 ? 4 : 6);
    end = ipFromBigInt(a | (all ^ mask), v4 ? 4 : 6);
  } else if (!single) {
    end = id.data.slice(n);
    if (ipToBigInt(end) < ipToBigInt(start)) return 'ID range ends before it starts';
  }
  return {
    family: v4 ? 4 : 6,
    protocol: id.protocolId,
    startPort: id.port,
    endPort: id.port === 0 ? 65535 : id.port,
    startAddr: start,
    endAddr: end,
  };
}
