/**
 * Single DES in ECB mode on one 8-octet block (FIPS 46-3), for MS-CHAPv2's
 * ChallengeResponse (RFC 2759 §8.5, §8.6) and nothing else.
 *
 * OpenSSL 3 keeps single DES in its legacy provider, which node:crypto does not load; its
 * default provider has TDEA (des-ede3-ecb), and TDEA with K1 = K2 = K3 is single DES
 * (NIST SP 800-67 rev. 2 §3.2, keying option 3: E_K(D_K(E_K(x))) = E_K(x)). So no DES of our
 * own: the vectors in des-ecb.test.ts (FIPS 46-3 worked example, NBS SP 500-20) prove the
 * equivalence on this Node.
 */
import { createCipheriv } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';

/** E_key(block): `key` 8 octets (parity bits ignored, FIPS 46-3), `block` 8 octets. */
export function desEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  if (key.length !== 8) throw new CryptoError(`DES key must be 8 octets, got ${key.length}`);
  if (block.length !== 8) throw new CryptoError(`DES block must be 8 octets, got ${block.length}`);
  const k3 = new Uint8Array(24);
  k3.set(key, 0);
  k3.set(key, 8);
  k3.set(key, 16);
  const c = createCipheriv('des-ede3-ecb', k3, null);
  c.setAutoPadding(false);
  const out = c.update(block);
  c.final();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
}

/**
 * RFC 2759 §8.6: a 7-octet (56-bit) key spread over 8 octets, 7 key bits per octet in the
 * high bits; the low (parity) bit is left 0, DES ignores it.
 */
export function expandDesKey(key7: Uint8Array): Uint8Array {
  if (key7.length !== 7) throw new CryptoError(`56-bit DES key must be 7 octets, got ${key7.length}`);
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    // bits 7i .. 7i+6 of the 56-bit string, big-endian
    let v = 0;
    for (let j = 0; j < 7; j++) {
      const bit = 7 * i + j;
      v = (v << 1) | (((key7[bit >> 3] as number) >> (7 - (bit & 7))) & 1);
    }
    out[i] = v << 1;
  }
  return out;
}
