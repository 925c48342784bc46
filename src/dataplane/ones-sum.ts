/**
 * The Internet checksum's one's complement sum (RFC 1071) over byte ranges, for the TUN
 * offload code (tcp-coalescer.ts, tcp-segmenter.ts), which runs per packet: no subarrays,
 * no allocation. wire/ip/checksum.ts is the general (and test-oracle) version.
 */

/** One's complement sum (RFC 1071) of b[start..end) added to `sum`, folded to 16 bits. */
export function sum16(b: Uint8Array, start: number, end: number, sum: number): number {
  let s = sum;
  let i = start;
  for (; i + 1 < end; i += 2) s += ((b[i] as number) << 8) | (b[i + 1] as number);
  if (i < end) s += (b[i] as number) << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * The same sum over b[start..end), 32 bits at a time (one's complement addition is
 * associative over any multiple of 16 bits, RFC 1071 §2(B)): ~1.6x the 16-bit loop in V8.
 * `dv` views b.buffer from byte 0.
 */
export function sum32(dv: DataView, b: Uint8Array, start: number, end: number, sum: number): number {
  let s = sum;
  let i = start;
  const base = b.byteOffset;
  // at most 16383 words of < 2^32 each: stays far below 2^53
  for (; i + 3 < end; i += 4) s += dv.getUint32(base + i);
  if (i + 1 < end) {
    s += ((b[i] as number) << 8) | (b[i + 1] as number);
    i += 2;
  }
  if (i < end) s += (b[i] as number) << 8;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** The native helper's checksum (crypto/native-addon.ts NativeAddon, a subset). */
export interface NativeOnesSum {
  /** RFC 1071 sum of [address, address + length) added to `sum` (16 bits), folded; -1 on bad arguments */
  readonly onesSum: (address: number, length: number, sum: number) => number;
  /** the address of an ArrayBuffer's bytes; 0 when it has none */
  readonly addressOf: (ab: ArrayBufferLike) => number;
}

/**
 * sum32 for the per-packet TUN offload code, through the native helper when one is given
 * (native/esprit-csum.c: ~5x faster per 1400-byte segment, docs/dataplane.md §10.8), else
 * in JavaScript. Keeps the last buffer's DataView or native address, since a TUN read or
 * a receive batch hands over many packets in one ArrayBuffer.
 */
export class OnesSum {
  private buf: ArrayBufferLike | undefined;
  private addr = 0;
  private dv: DataView = new DataView(new ArrayBuffer(0));
  /** calls that went through the native helper (tests prove the path ran) */
  nativeCalls = 0;

  constructor(private readonly native?: NativeOnesSum) {}

  /** One's complement sum (RFC 1071) of b[start..end) added to `sum` (a 16-bit value), folded to 16 bits. */
  sum(b: Uint8Array, start: number, end: number, sum: number): number {
    const ab = b.buffer;
    if (ab !== this.buf || this.dv.byteLength !== ab.byteLength) {
      this.buf = ab;
      this.dv = new DataView(ab);
      this.addr = this.native ? this.native.addressOf(ab) : 0;
    }
    const n = this.native;
    // C trusts the range: checked here (a caller's slip falls back to the bounds-checked loop)
    if (n !== undefined && this.addr !== 0 && start >= 0 && start <= end && end <= b.length && sum <= 0xffff) {
      const r = n.onesSum(this.addr + b.byteOffset + start, end - start, sum);
      if (r >= 0) {
        this.nativeCalls++;
        return r;
      }
    }
    return sum32(this.dv, b, start, end, sum);
  }
}
