/**
 * SPI allocation for SADB_GETSPI (RFC 2367 §3.1.1): a random SPI that no SA toward the
 * destination uses, drawn from a range the Sad (sad.ts) has already clamped past the reserved
 * values (RFC 4303 §2.1).
 */

import { PfkeyError } from '../util/errors.js';
import { bytesEqual } from '../util/hex.js';
import type { IpAddr } from '../util/ip-addr.js';
import type { Rng } from '../util/rng.js';
import { Errno } from './errno.js';
import type { SaEntry } from './sa-entry.js';

const RANDOM_TRIES = 16;

function sameAddr(a: IpAddr, b: IpAddr): boolean {
  return bytesEqual(a.bytes, b.bytes);
}

/**
 * A random SPI in [lo, hi] that no SA toward `dst` uses: a few random tries, then a walk from a
 * random start. `bySpi` and `all` are the SAD's live entries by SPI and by id. Throws ENOENT
 * when every SPI in the range is taken (linux xfrm_alloc_spi).
 */
export function pickSpi(
  dst: IpAddr,
  lo: number,
  hi: number,
  rng: Rng,
  bySpi: ReadonlyMap<number, readonly SaEntry[]>,
  all: ReadonlyMap<number, SaEntry>,
): number {
  const span = hi - lo + 1;
  const buf = new Uint8Array(4);
  const rand = () => {
    rng.fill(buf);
    return (
      (((buf[0] as number) << 24) | ((buf[1] as number) << 16) | ((buf[2] as number) << 8) | (buf[3] as number)) >>> 0
    );
  };
  for (let i = 0; i < Math.min(RANDOM_TRIES, span); i++) {
    const spi = lo + (rand() % span);
    if (!spiTaken(bySpi, dst, spi)) return spi;
  }
  // Dense range: walk forward from a random start. At most (SAs toward dst) + 1 steps.
  let used = 0;
  for (const e of all.values()) if (e.spi >= lo && e.spi <= hi && sameAddr(e.dst, dst)) used++;
  if (used >= span) throw new PfkeyError(Errno.ENOENT, `GETSPI: every SPI in ${lo}-${hi} is in use`);
  let spi = lo + (rand() % span);
  while (spiTaken(bySpi, dst, spi)) spi = spi === hi ? lo : spi + 1;
  return spi;
}

function spiTaken(bySpi: ReadonlyMap<number, readonly SaEntry[]>, dst: IpAddr, spi: number): boolean {
  const list = bySpi.get(spi);
  return list !== undefined && list.some((e) => sameAddr(e.dst, dst));
}
