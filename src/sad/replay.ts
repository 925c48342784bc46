/**
 * ESP anti-replay window (RFC 4303 §3.4.3, Appendix A) with extended sequence
 * numbers (RFC 4303 §2.2.1, Appendix A2.2), kept as a ring of 32-bit words that
 * is cleared a block at a time as the right edge advances (RFC 6479 §2), so
 * neither check nor update costs O(window).
 *
 *   ring (nWords * 32 bits, nWords a power of two >= ceil(W/32) + 1)
 *   +--------+--------+--------+--------+
 *   | word 0 | word 1 | word 2 | word 3 |   bit of seq s: word (s >>> 5) & (nWords-1), bit s & 31
 *   +--------+--------+--------+--------+
 *                 ^ T (right edge, highest authenticated seq); the window is [T-W+1, T]
 *
 * The check and the update are split (RFC 4303 App. A): the receiver calls
 * check() before the ICV and update() only after the ICV verified, so a forged
 * packet never moves the window. 64-bit values are kept as hi/lo uint32 numbers
 * on this path (no BigInt per packet).
 */

/** Returned by ReplayWindow.check() for a duplicate or a packet left of the window. */
export const REPLAY = -1;

/** The largest window accepted: 2^20 packets (a 128 KiB ring). */
export const MAX_REPLAY_WINDOW = 1 << 20;

const TWO32 = 0x1_0000_0000;

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class ReplayWindow {
  /** window size W in packets; 0 means anti-replay is off (only ESN inference runs) */
  readonly size: number;
  readonly esn: boolean;
  private readonly ring: Uint32Array;
  private readonly mask: number;
  /** ESN inference window: W, or half the sequence space when anti-replay is off */
  private readonly inferW: number;
  private th: number;
  private tl: number;

  /**
   * @param size window W in packets, 0..MAX_REPLAY_WINDOW (0 = off)
   * @param esn 64-bit sequence numbers (RFC 4303 §2.2.1)
   * @param initialSeq the first sequence number expected: the right edge starts at
   *   initialSeq - 1 with nothing marked, so any seq in [initialSeq - W, ...) is
   *   accepted once. This is how the ESN high bits of an SA (e.g. of a capture) become known.
   * @throws RangeError for a size or initialSeq out of range (a programmer error: SaConfig is validated first)
   */
  constructor(size: number, esn: boolean, initialSeq: bigint) {
    if (!Number.isInteger(size) || size < 0 || size > MAX_REPLAY_WINDOW) {
      throw new RangeError(`replay window ${size} not in 0..${MAX_REPLAY_WINDOW}`);
    }
    const max = esn ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
    if (initialSeq < 0n || initialSeq > max) throw new RangeError(`initial sequence number ${initialSeq} out of range`);
    this.size = size;
    this.esn = esn;
    const nWords = size === 0 ? 1 : nextPow2(Math.ceil(size / 32) + 1);
    this.ring = new Uint32Array(nWords);
    this.mask = nWords - 1;
    this.inferW = size === 0 ? 0x8000_0000 : size;
    const t = initialSeq > 0n ? initialSeq - 1n : 0n;
    this.th = Number(t >> 32n);
    this.tl = Number(t & 0xffff_ffffn);
  }

  /** The right edge T: the highest sequence number accepted so far (or the initial seq - 1). */
  get rightEdge(): bigint {
    return (BigInt(this.th) << 32n) | BigInt(this.tl);
  }

  /**
   * RFC 4303 App. A2.2: infer the high-order 32 bits of the sequence number whose
   * low-order 32 bits arrived (always 0 without ESN). Returns -1 when the inferred
   * value would leave the 64-bit space (before 0 or after 2^64-1).
   */
  inferHigh(seqLow: number): number {
    if (!this.esn) return 0;
    const w = this.inferW;
    const tl = this.tl;
    let hi: number;
    if (tl >= w - 1) {
      // Case A: window within one subspace
      hi = seqLow >= tl - w + 1 ? this.th : this.th + 1;
    } else {
      // Case B: window spans two subspaces
      hi = seqLow >= (tl - w + 1 + TWO32) % TWO32 ? this.th - 1 : this.th;
    }
    return hi < 0 || hi >= TWO32 ? -1 : hi;
  }

  /**
   * Check a received sequence number before the ICV is verified (RFC 4303 §3.4.3).
   * Does not change the window.
   * @param seqLow the 32-bit sequence number field of the packet
   * @returns the inferred high-order 32 bits (0 without ESN) when the packet is
   *   new or inside the window and unseen; REPLAY (-1) when it is a duplicate,
   *   left of the window, sequence number 0 (never sent, RFC 4303 §3.3.3), or
   *   outside the 64-bit space. With a window of 0 only the last applies.
   */
  check(seqLow: number): number {
    const hi = this.inferHigh(seqLow);
    if (hi < 0) return REPLAY;
    if (this.size === 0) return hi;
    if (hi === 0 && seqLow === 0) return REPLAY;
    // T - S, exact: |hi - th| <= 1
    const diff = (this.th - hi) * TWO32 + (this.tl - seqLow);
    if (diff < 0) return hi;
    if (diff >= this.size) return REPLAY;
    const word = this.ring[(seqLow >>> 5) & this.mask] as number;
    return (word >>> (seqLow & 31)) & 1 ? REPLAY : hi;
  }

  /**
   * Record an authenticated sequence number (call only after the ICV verified,
   * RFC 4303 App. A). Moves the right edge when seq > T, clearing whole ring words
   * (RFC 6479). Re-checks the window, since another packet may have moved it
   * between check() and update().
   * @returns false when the packet is (now) a duplicate or left of the window: drop it as a replay
   */
  update(seqHigh: number, seqLow: number): boolean {
    const diff = (this.th - seqHigh) * TWO32 + (this.tl - seqLow);
    if (diff < 0) {
      if (this.size > 0) {
        // words strictly after T's word up to S's word are stale: clear them (at most the whole ring)
        const blocks = (seqHigh - this.th) * 0x800_0000 + ((seqLow >>> 5) - (this.tl >>> 5));
        const ring = this.ring;
        const mask = this.mask;
        if (blocks > mask) ring.fill(0);
        else {
          let idx = this.tl >>> 5;
          for (let i = 0; i < blocks; i++) {
            idx = (idx + 1) & mask;
            ring[idx] = 0;
          }
        }
      }
      this.th = seqHigh;
      this.tl = seqLow;
    } else if (this.size === 0) {
      return true;
    } else if (diff >= this.size) {
      return false;
    }
    if (this.size > 0) {
      const i = (seqLow >>> 5) & this.mask;
      const bit = 1 << (seqLow & 31);
      const word = this.ring[i] as number;
      if (diff >= 0 && word & bit) return false;
      this.ring[i] = word | bit;
    }
    return true;
  }
}
