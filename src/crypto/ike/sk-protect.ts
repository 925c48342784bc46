/**
 * The Encrypted payload body, IV | ciphertext | ICV (RFC 7296 §3.14; AES-GCM RFC 5282 §3-§5;
 * ChaCha20-Poly1305 RFC 7634 §2-§3). `prefix` is the IKE header followed by the SK (or SKF)
 * generic payload header, both with their final lengths:
 * - AES-CBC + HMAC: the plaintext is padded to the 16-octet block with a Pad Length octet;
 *   the ICV is the truncated HMAC over prefix | IV | ciphertext.
 * - AEAD: nonce = salt (last 4 octets of the key) | IV (8 octets); AAD = prefix (RFC 5282
 *   §5.1); no padding beyond the Pad Length octet (block size 1, as strongSwan).
 * skOpen never throws on attacker data: any length, padding or ICV failure is `undefined`.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';
import {
  aeadIcvLength,
  ENCR_AES_CBC,
  ENCR_CHACHA20_POLY1305,
  encrKeyLength,
  integSpec,
  isAeadEncr,
} from './ike-algorithms.js';
import type { IkeSuite } from './ike-keymat.js';

type Suite = Pick<IkeSuite, 'encr' | 'encrKeyBits' | 'integ'>;

export function skIvLength(suite: Suite): number {
  if (suite.encr === ENCR_AES_CBC) return 16;
  if (isAeadEncr(suite.encr)) return 8;
  throw new CryptoError(`encryption algorithm ${suite.encr} is not supported for IKE`);
}

function blockSize(suite: Suite): number {
  return suite.encr === ENCR_AES_CBC ? 16 : 1;
}

function icvLength(suite: Suite): number {
  return isAeadEncr(suite.encr) ? aeadIcvLength(suite.encr) : integSpec(suite.integ ?? 0).icv;
}

/** Ciphertext length (padding and Pad Length octet included) for `innerLength` octets. */
function paddedLength(suite: Suite, innerLength: number): number {
  const bs = blockSize(suite);
  return Math.ceil((innerLength + 1) / bs) * bs;
}

export function skBodyLength(suite: Suite, innerLength: number): number {
  return skIvLength(suite) + paddedLength(suite, innerLength) + icvLength(suite);
}

function aeadCipher(suite: Suite, key: Uint8Array): { algo: string; key: Uint8Array; salt: Uint8Array } {
  const klen = encrKeyLength(suite.encr, suite.encrKeyBits);
  if (key.length !== klen) throw new CryptoError(`encryption key of ${key.length} octets, expected ${klen}`);
  const algo = suite.encr === ENCR_CHACHA20_POLY1305 ? 'chacha20-poly1305' : `aes-${(klen - 4) * 8}-gcm`;
  return { algo, key: key.subarray(0, klen - 4), salt: key.subarray(klen - 4) };
}

export function skSeal(
  suite: Suite,
  encrKey: Uint8Array,
  integKey: Uint8Array | undefined,
  iv: Uint8Array,
  prefix: Uint8Array,
  inner: Uint8Array,
): Uint8Array {
  const ivLen = skIvLength(suite);
  if (iv.length !== ivLen) throw new CryptoError(`IV of ${iv.length} octets, expected ${ivLen}`);
  const ctLen = paddedLength(suite, inner.length);
  const plain = new Uint8Array(ctLen);
  plain.set(inner);
  // §3.14: padding octets (any value, zeros here) and the Pad Length octet last.
  plain[ctLen - 1] = ctLen - 1 - inner.length;
  const icvLen = icvLength(suite);
  const out = new Uint8Array(ivLen + ctLen + icvLen);
  out.set(iv);
  if (isAeadEncr(suite.encr)) {
    const a = aeadCipher(suite, encrKey);
    const c = createCipheriv(a.algo as 'aes-128-gcm', a.key, Buffer.concat([a.salt, iv]), { authTagLength: icvLen });
    c.setAAD(prefix);
    out.set(c.update(plain), ivLen);
    c.final();
    out.set(c.getAuthTag(), ivLen + ctLen);
    return out;
  }
  const klen = encrKeyLength(suite.encr, suite.encrKeyBits);
  if (encrKey.length !== klen) throw new CryptoError(`encryption key of ${encrKey.length} octets, expected ${klen}`);
  const c = createCipheriv(`aes-${klen * 8}-cbc`, encrKey, iv);
  c.setAutoPadding(false);
  out.set(Buffer.concat([c.update(plain), c.final()]), ivLen);
  const spec = integSpec(suite.integ ?? 0);
  if (!integKey || integKey.length !== spec.key) throw new CryptoError('integrity key missing or of the wrong length');
  const h = createHmac(spec.hash, integKey);
  h.update(prefix);
  h.update(out.subarray(0, ivLen + ctLen));
  out.set(h.digest().subarray(0, icvLen), ivLen + ctLen);
  return out;
}

export function skOpen(
  suite: Suite,
  encrKey: Uint8Array,
  integKey: Uint8Array | undefined,
  prefix: Uint8Array,
  body: Uint8Array,
): Uint8Array | undefined {
  let ivLen: number;
  let icvLen: number;
  try {
    ivLen = skIvLength(suite);
    icvLen = icvLength(suite);
  } catch {
    return undefined;
  }
  const ctLen = body.length - ivLen - icvLen;
  const bs = blockSize(suite);
  if (ctLen < 1 || ctLen % bs !== 0) return undefined;
  const iv = body.subarray(0, ivLen);
  const ct = body.subarray(ivLen, ivLen + ctLen);
  const icv = body.subarray(ivLen + ctLen);
  let plain: Uint8Array;
  try {
    if (isAeadEncr(suite.encr)) {
      const a = aeadCipher(suite, encrKey);
      const d = createDecipheriv(a.algo as 'aes-128-gcm', a.key, Buffer.concat([a.salt, iv]), {
        authTagLength: icvLen,
      });
      d.setAAD(prefix);
      d.setAuthTag(icv);
      plain = Buffer.concat([d.update(ct), d.final()]);
    } else {
      const spec = integSpec(suite.integ ?? 0);
      if (!integKey || integKey.length !== spec.key) return undefined;
      const h = createHmac(spec.hash, integKey);
      h.update(prefix);
      h.update(body.subarray(0, ivLen + ctLen));
      const want = h.digest().subarray(0, icvLen);
      // §3.14: the ICV is checked before anything is decrypted.
      if (!timingSafeEqual(want, icv)) return undefined;
      const klen = encrKeyLength(suite.encr, suite.encrKeyBits);
      if (encrKey.length !== klen) return undefined;
      const d = createDecipheriv(`aes-${klen * 8}-cbc`, encrKey, iv);
      d.setAutoPadding(false);
      plain = Buffer.concat([d.update(ct), d.final()]);
    }
  } catch {
    return undefined;
  }
  const padLen = plain[plain.length - 1] ?? 255;
  if (padLen + 1 > plain.length) return undefined;
  return new Uint8Array(plain.subarray(0, plain.length - 1 - padLen));
}
