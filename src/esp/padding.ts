/**
 * ESP trailer padding (RFC 4303 §2.4, §2.5, §2.7).
 *
 *   | payload | TFC pad (zeros) | Padding 1,2,3,... | Pad Length | Next Header |
 *   \______________ multiple of max(cipher block, 4) bytes _______________________/
 *
 * The sender pads so that payload + TFC + padding + 2 is a multiple of the
 * cipher's block size and of 4 (so the ICV is 4-byte aligned, §2.4). Padding
 * bytes are the monotonic sequence 1, 2, 3, ... (§2.4 default), which the
 * receiver checks.
 */

/** Length of the encrypted part (payload, TFC, padding, pad length, next header) for a payload. */
export function paddedLength(payloadLen: number, align: number): number {
  const n = payloadLen + 2;
  return Math.ceil(n / align) * align;
}

/**
 * Write the padding 1, 2, 3, ..., the pad length and the next header into
 * `buf` at [start, end); `end - start - 2` is the pad length.
 */
export function writeTrailer(buf: Uint8Array, start: number, end: number, nextHeader: number): void {
  const padLen = end - start - 2;
  for (let i = 0; i < padLen; i++) buf[start + i] = i + 1;
  buf[end - 2] = padLen;
  buf[end - 1] = nextHeader;
}

/**
 * Check the trailer of a decrypted ESP plaintext in buf[start, end).
 * @returns the payload length (without padding, pad length and next header),
 *   or -1 when the pad length does not fit or a padding byte is not 1, 2, 3, ...
 */
export function checkTrailer(buf: Uint8Array, start: number, end: number): number {
  const padLen = buf[end - 2] as number;
  const payloadLen = end - start - 2 - padLen;
  if (payloadLen < 0) return -1;
  const padStart = start + payloadLen;
  let bad = 0;
  for (let i = 0; i < padLen; i++) bad |= (buf[padStart + i] as number) ^ (i + 1);
  return bad === 0 ? payloadLen : -1;
}
