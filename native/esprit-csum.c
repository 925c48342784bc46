/*
 * The Internet checksum's one's complement sum (RFC 1071) for the TUN offload code
 * (src/dataplane/tcp-segmenter.ts completes and computes TCP checksums, tcp-coalescer.ts
 * verifies them): the same result as src/dataplane/ones-sum.ts sum32, ~5x faster per
 * 1400-byte segment than the JavaScript loop (docs/dataplane.md §10.8).
 *
 * Safety: C trusts the range; the caller (ones-sum.ts OnesSum) checks it first.
 */
#include "esprit-native.h"

static unsigned fold(unsigned long long s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (unsigned)s;
}

/*
 * The sum of p[0, len) as big-endian 16-bit words, added to `sum` (a 16-bit value) and
 * folded to 16 bits. RFC 1071 §2(A)/(B): the sum may be taken over native-order words of
 * any multiple of 16 bits and byte-swapped at the end; 32-bit halves of 64-bit loads are
 * added into a 64-bit accumulator (no carry is lost below 2^32 words). An odd last byte
 * is the high byte of a word padded with zero.
 */
unsigned esprit_ones_sum(const u8 *p, int len, unsigned sum) {
  unsigned long long s = 0, a, b, c, d;
  for (; len >= 32; p += 32, len -= 32) {
    __builtin_memcpy(&a, p, 8);
    __builtin_memcpy(&b, p + 8, 8);
    __builtin_memcpy(&c, p + 16, 8);
    __builtin_memcpy(&d, p + 24, 8);
    s += (a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32);
    s += (c & 0xffffffffu) + (c >> 32) + (d & 0xffffffffu) + (d >> 32);
  }
  for (; len >= 8; p += 8, len -= 8) {
    __builtin_memcpy(&a, p, 8);
    s += (a & 0xffffffffu) + (a >> 32);
  }
  if (len >= 4) {
    unsigned v;
    __builtin_memcpy(&v, p, 4);
    s += v;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    unsigned short v;
    __builtin_memcpy(&v, p, 2);
    s += v;
    p += 2;
    len -= 2;
  }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /* a lone byte is the low byte of a native word, the high byte once swapped */
  if (len > 0) s += p[0];
  unsigned r = fold(s);
  r = ((r & 0xff) << 8) | (r >> 8);
#else
  if (len > 0) s += (unsigned)p[0] << 8;
  unsigned r = fold(s);
#endif
  return fold((unsigned long long)r + sum);
}
