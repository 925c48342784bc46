/**
 * The IKEv1 SIG payload of RSA signature authentication (RFC 2409 §5.1: SIG_I / SIG_R are
 * HASH_I / HASH_R "negotiated digital signature"): RFC 2409 does not say how the hash is
 * padded. What the deployed implementations do, and esprit does: PKCS#1 v1.5 signature
 * padding (EMSA-PKCS1-v1_5 block type 1, RFC 8017 §9.2 steps 3-5) of the bare HASH_I / HASH_R,
 * without the DigestInfo wrapping of §9.2 step 2:
 *
 *   EM = 0x00 | 0x01 | 0xFF ... 0xFF (at least 8) | 0x00 | HASH
 *
 * strongSwan calls that scheme SIGN_RSA_EMSA_PKCS1_NULL (src/libcharon/sa/ikev1/
 * authenticators/pubkey_v1_authenticator.c signs and verifies with it over keymat_v1's
 * get_hash, i.e. HASH_I / HASH_R).
 * Verification never throws: anything malformed is a failed signature.
 */
import { constants, type KeyObject, privateEncrypt, publicDecrypt } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';

/** SIG payload data: RSA over PKCS#1 v1.5 type 1 padding of `hash`, no DigestInfo. */
export function signHashRsa(key: KeyObject, hash: Uint8Array): Uint8Array {
  if (key.asymmetricKeyType !== 'rsa')
    throw new CryptoError(`IKEv1 RSA signatures need an RSA key, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, hash));
}

/** Does `sig` (SIG payload data) carry exactly `hash` under the RSA public key? */
export function verifyHashRsa(pub: KeyObject, hash: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (pub.asymmetricKeyType !== 'rsa') return false;
    const bits = pub.asymmetricKeyDetails?.modulusLength ?? 0;
    // RFC 8017 §8.2.2 step 1: the signature is exactly as long as the modulus.
    if (sig.length !== Math.ceil(bits / 8)) return false;
    const got = publicDecrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, sig);
    return got.length === hash.length && Buffer.compare(got, Buffer.from(hash)) === 0;
  } catch {
    return false;
  }
}
