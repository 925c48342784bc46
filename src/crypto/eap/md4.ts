/**
 * MD4 (RFC 1320), needed only for MS-CHAPv2's NtPasswordHash (RFC 2759 §8.3). OpenSSL 3
 * moved MD4 to its legacy provider, which node:crypto does not load, so it is written out
 * here: 512-bit blocks, three rounds of 16 steps over four 32-bit words, little-endian.
 * Never use it for anything but the password hash it was kept for.
 */

const K2 = 0x5a827999; // RFC 1320 §3.4 round 2 constant (sqrt 2)
const K3 = 0x6ed9eba1; // round 3 constant (sqrt 3)

const rotl = (x: number, s: number): number => (x << s) | (x >>> (32 - s));

/** MD4 of `msg` (16 octets). */
export function md4(msg: Uint8Array): Uint8Array {
  // §3.1, §3.2: pad with 0x80, zeros to 56 mod 64, then the bit length (64-bit LE).
  const total = (((msg.length + 8) >>> 6) + 1) << 6;
  const buf = new Uint8Array(total);
  buf.set(msg);
  buf[msg.length] = 0x80;
  const dv = new DataView(buf.buffer);
  const bits = msg.length * 8;
  dv.setUint32(total - 8, bits >>> 0, true);
  dv.setUint32(total - 4, Math.floor(bits / 0x1_0000_0000), true);
  // §3.3: the initial buffer.
  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = dv.getUint32(off + i * 4, true);
    const [aa, bb, cc, dd] = [a, b, c, d];
    const xi = (i: number): number => x[i] as number;
    // Round 1: F(X,Y,Z) = XY v not(X) Z, shifts 3 7 11 19.
    const f = (p: number, q: number, r: number, s: number, k: number, sh: number): number =>
      rotl((p + ((q & r) | (~q & s)) + xi(k)) | 0, sh);
    for (let i = 0; i < 16; i += 4) {
      a = f(a, b, c, d, i, 3);
      d = f(d, a, b, c, i + 1, 7);
      c = f(c, d, a, b, i + 2, 11);
      b = f(b, c, d, a, i + 3, 19);
    }
    // Round 2: G(X,Y,Z) = XY v XZ v YZ, column order, shifts 3 5 9 13.
    const g = (p: number, q: number, r: number, s: number, k: number, sh: number): number =>
      rotl((p + ((q & r) | (q & s) | (r & s)) + xi(k) + K2) | 0, sh);
    for (let i = 0; i < 4; i++) {
      a = g(a, b, c, d, i, 3);
      d = g(d, a, b, c, i + 4, 5);
      c = g(c, d, a, b, i + 8, 9);
      b = g(b, c, d, a, i + 12, 13);
    }
    // Round 3: H(X,Y,Z) = X xor Y xor Z, bit-reversed order 0 8 4 12 ..., shifts 3 9 11 15.
    const h = (p: number, q: number, r: number, s: number, k: number, sh: number): number =>
      rotl((p + (q ^ r ^ s) + xi(k) + K3) | 0, sh);
    for (const i of [0, 2, 1, 3]) {
      a = h(a, b, c, d, i, 3);
      d = h(d, a, b, c, i + 8, 9);
      c = h(c, d, a, b, i + 4, 11);
      b = h(b, c, d, a, i + 12, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, a >>> 0, true);
  ov.setUint32(4, b >>> 0, true);
  ov.setUint32(8, c >>> 0, true);
  ov.setUint32(12, d >>> 0, true);
  return out;
}
