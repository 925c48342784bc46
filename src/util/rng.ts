/**
 * Random source, injected. The production implementation lives in crypto/random.ts
 * (the only layer allowed to touch node:crypto); tests use SeededRng.
 */
export interface Rng {
  /** Fill `buf` with random bytes. */
  fill(buf: Uint8Array): void;
}

/** Deterministic xorshift128+ generator for tests and reproducible fixtures. Not cryptographic. */
export class SeededRng implements Rng {
  private s0: bigint;
  private s1: bigint;
  constructor(seed = 1n) {
    this.s0 = (seed ^ 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn || 1n;
    this.s1 = (seed * 0xbf58476d1ce4e5b9n + 1n) & 0xffffffffffffffffn || 2n;
  }
  private next(): bigint {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= (x << 23n) & 0xffffffffffffffffn;
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (this.s1 + y) & 0xffffffffffffffffn;
  }
  fill(buf: Uint8Array): void {
    for (let i = 0; i < buf.length; i += 8) {
      let v = this.next();
      for (let j = 0; j < 8 && i + j < buf.length; j++) {
        buf[i + j] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
  }
}
