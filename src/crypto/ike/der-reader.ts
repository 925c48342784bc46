/**
 * The DER TLV reader shared by the X.509 certificate and CRL code (X.690 §8.1): tag, length
 * in the short form or the long form with 1 to 4 length octets, contents. Bounds are checked
 * before anything is read: a TLV that does not fit is a CryptoError naming the field and the
 * offset where the TLV starts. (The indefinite form, 0x80, is not DER and is refused.)
 */
import { CryptoError } from '../../util/errors.js';

export interface DerTlv {
  readonly tag: number;
  /** offset of the contents */
  readonly body: number;
  /** offset just after the contents */
  readonly end: number;
}

/** The TLV at `at` of `b`; `what` names it in errors ("CRL issuer", "certificate subject"). */
export function readTlv(b: Uint8Array, at: number, what: string): DerTlv {
  if (at < 0 || at + 2 > b.length) throw new CryptoError(`${what}: truncated at offset ${at}`);
  const tag = b[at] as number;
  let len = b[at + 1] as number;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4 || p + n > b.length) throw new CryptoError(`${what}: bad length at offset ${at}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[p + i] as number);
    p += n;
  }
  if (p + len > b.length) throw new CryptoError(`${what}: overruns at offset ${at}`);
  return { tag, body: p, end: p + len };
}
