/**
 * Test-only builder: turn an ICMP/ICMPv6 echo request read from a TUN into the echo reply a
 * remote host would send. Independent of esprit's codecs (built from the RFCs directly):
 *
 *   IPv4 (RFC 791 §3.1): ver/IHL, TOS, total length, id, flags/frag, TTL @8, proto @9 (1 = ICMP),
 *        header checksum @10, src @12, dst @16; ICMP (RFC 792): type @0 (8 request, 0 reply),
 *        code, checksum @2 over the ICMP message.
 *   IPv6 (RFC 8200 §3): ver @0, payload length @4, next header @6 (58 = ICMPv6), hop limit @7,
 *        src @8, dst @24; ICMPv6 (RFC 4443 §4.1/4.2): type 128 request / 129 reply, checksum @2
 *        over the pseudo-header (RFC 8200 §8.1: src, dst, upper-layer length, 0, next header 58).
 */

/** RFC 1071 ones'-complement sum, folded, not yet complemented. */
function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  let s = acc;
  for (let i = start; i + 1 < end; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  if ((end - start) % 2 === 1) s += (b[end - 1] ?? 0) << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

function swap(b: Uint8Array, a: number, c: number, len: number): void {
  const t = b.slice(a, a + len);
  b.copyWithin(a, c, c + len);
  b.set(t, c);
}

export interface EchoInfo {
  readonly family: 4 | 6;
  readonly id: number;
  readonly seq: number;
}

/** The reply to an echo request, or undefined for any other packet. */
export function echoReply(req: Uint8Array): { reply: Uint8Array; info: EchoInfo } | undefined {
  const v = (req[0] ?? 0) >> 4;
  if (v === 4) {
    const ihl = ((req[0] ?? 0) & 0x0f) * 4;
    if (req.length < ihl + 8 || req[9] !== 1 || req[ihl] !== 8) return undefined;
    const p = req.slice();
    swap(p, 12, 16, 4);
    p[8] = 64;
    put16(p, 10, 0);
    put16(p, 10, ~sum16(p, 0, ihl) & 0xffff);
    p[ihl] = 0;
    put16(p, ihl + 2, 0);
    put16(p, ihl + 2, ~sum16(p, ihl, p.length) & 0xffff);
    const id = ((p[ihl + 4] ?? 0) << 8) | (p[ihl + 5] ?? 0);
    const seq = ((p[ihl + 6] ?? 0) << 8) | (p[ihl + 7] ?? 0);
    return { reply: p, info: { family: 4, id, seq } };
  }
  if (v === 6) {
    if (req.length < 48 || req[6] !== 58 || req[40] !== 128) return undefined;
    const p = req.slice();
    swap(p, 8, 24, 16);
    p[7] = 64;
    p[40] = 129;
    put16(p, 42, 0);
    const upper = p.length - 40;
    let s = sum16(p, 8, 40); // source + destination
    s = sum16(new Uint8Array([0, 0, (upper >> 8) & 0xff, upper & 0xff, 0, 0, 0, 58]), 0, 8, s);
    s = sum16(p, 40, p.length, s);
    put16(p, 42, ~s & 0xffff);
    const id = ((p[44] ?? 0) << 8) | (p[45] ?? 0);
    const seq = ((p[46] ?? 0) << 8) | (p[47] ?? 0);
    return { reply: p, info: { family: 6, id, seq } };
  }
  return undefined;
}
