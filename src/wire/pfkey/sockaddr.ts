/**
 * sockaddr_in / sockaddr_in6 as carried in sadb_address and sadb_x_ipsecrequest.
 *
 * Linux (linux/in.h, linux/in6.h):            KAME/BSD (netinet/in.h, netinet6/in6.h):
 *   0      2      4          8        16        0     1     2      4          8        16
 *   +------+------+----------+--------+         +-----+-----+------+----------+--------+
 *   |family| port | addr (4) |zero (8)|  in     | len |famly| port | addr (4) |zero (8)|
 *   | u16h | u16n |          |        |         | =16 | =2  | u16n |          |        |
 *   +------+------+----------+--------+         +-----+-----+------+----------+--------+
 *   0      2      4          8              24          28
 *   +------+------+----------+--------------+-----------+
 *   |family| port | flowinfo | addr (16)    | scope_id  |  in6 (KAME: len=28 u8, family=28 u8)
 *   | u16h | u16n |   u32n   |              |   u32h    |
 *   +------+------+----------+--------------+-----------+
 *
 * u16h/u32h = host order (little-endian here, see docs/pfkey.md), u16n/u32n = network order.
 */
import { WireError } from '../../util/errors.js';
import type { Reader } from '../../util/reader.js';
import type { Writer } from '../../util/writer.js';
import { type PfkeyDialect, SOCKADDR, SOCKADDR_IN_SIZE, SOCKADDR_IN6_SIZE } from './constants.js';
import type { SockAddr } from './types.js';

/** Size in bytes of the sockaddr for this family (16 or 28, both dialects). */
export function sockAddrLength(a: SockAddr): number {
  return a.family === 4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE;
}

/**
 * Peek the family of the sockaddr at the reader's position and return its size,
 * without consuming anything. Throws WireError (truncated/unsupported/bad-value).
 */
export function peekSockAddr(r: Reader, dialect: PfkeyDialect, field: string): { family: 4 | 6; size: number } {
  const d = SOCKADDR[dialect];
  const at = r.pos;
  let fam: number;
  if (d.hasSaLen) {
    if (r.remaining < 2) r.bytes(2, field); // throws truncated
    fam = r.buf[at + 1] as number;
  } else {
    if (r.remaining < 2) r.bytes(2, field);
    fam = r.view.getUint16(at, true);
  }
  let family: 4 | 6;
  if (fam === d.AF_INET) family = 4;
  else if (fam === d.AF_INET6) family = 6;
  else throw new WireError('unsupported', r.field(`${field}.family`), at, `unsupported address family ${fam}`);
  const size = family === 4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE;
  if (d.hasSaLen) {
    const saLen = r.buf[at] as number;
    // KAME: "Must set each sa_len exactly" (sys/net/pfkeyv2.h, sadb_x_ipsecrequest comment)
    if (saLen !== size) r.fail(`${field}.len`, `sa_len ${saLen} != ${size} for family ${fam}`);
  }
  return { family, size };
}

/** Decode one sockaddr; consumes exactly 16 or 28 bytes. sin_zero is ignored (as Linux does). */
export function decodeSockAddr(r: Reader, dialect: PfkeyDialect, field: string): SockAddr {
  const { family, size } = peekSockAddr(r, dialect, field);
  const s = r.scope(size, field);
  s.skip(2, 'family');
  const port = s.u16('port');
  if (family === 4) {
    const addr = s.bytes(4, 'addr').slice();
    s.skip(8, 'zero');
    return { family, addr, port };
  }
  const flowinfo = s.u32('flowinfo');
  const addr = s.bytes(16, 'addr').slice();
  const scopeId = s.u32le('scope_id');
  return { family, addr, port, flowinfo, scopeId };
}

/** Encode one sockaddr (16 or 28 bytes). Throws on an address of the wrong length (programmer error). */
export function encodeSockAddr(w: Writer, a: SockAddr, dialect: PfkeyDialect): void {
  const d = SOCKADDR[dialect];
  const size = sockAddrLength(a);
  const want = a.family === 4 ? 4 : 16;
  if (a.addr.length !== want) throw new Error(`assertion failed: IPv${a.family} address of ${a.addr.length} bytes`);
  const fam = a.family === 4 ? d.AF_INET : d.AF_INET6;
  if (d.hasSaLen) w.u8(size).u8(fam);
  else w.u16le(fam);
  w.u16(a.port);
  if (a.family === 4) {
    w.bytes(a.addr).zeros(8);
  } else {
    w.u32(a.flowinfo).bytes(a.addr).u32le(a.scopeId);
  }
}
