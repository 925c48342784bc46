/**
 * Diffie-Hellman key exchange for IKEv2 (RFC 7296 §1.2, §3.4): MODP groups 14/15/16
 * (RFC 3526), ECP groups 19/20/21 (RFC 5903: KE data x | y, shared secret x), Curve25519
 * and Curve448 (RFC 8031: raw u-coordinates). The private key comes from the injected Rng
 * so exchanges are reproducible in tests.
 */
import {
  createDiffieHellman,
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  getDiffieHellman,
  type KeyObject,
} from 'node:crypto';
import { CryptoError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';

export interface KeyExchange {
  readonly group: number;
  readonly publicValue: Uint8Array;
  /** g^ir for the peer's KE data; CryptoError for an invalid value */
  sharedSecret(peer: Uint8Array): Uint8Array;
}

/**
 * RFC 3526 groups as OpenSSL ships them (node's getDiffieHellman('modp14') etc.), generator 2;
 * groups 2 (RFC 2409 §6.2) and 5 (RFC 3526 §2) for IKEv1 peers only (config/proposal.ts
 * refuses them for IKEv2).
 */
const MODP_NAMES: Readonly<Record<number, string>> = {
  2: 'modp2',
  5: 'modp5',
  14: 'modp14',
  15: 'modp15',
  16: 'modp16',
};
const modpCache = new Map<number, Buffer>();
function modpPrime(g: number): Buffer | undefined {
  const name = MODP_NAMES[g];
  if (!name) return undefined;
  let p = modpCache.get(g);
  if (!p) {
    p = getDiffieHellman(name).getPrime();
    modpCache.set(g, p);
  }
  return p;
}

const ECP: Readonly<Record<number, { curve: string; size: number }>> = {
  19: { curve: 'prime256v1', size: 32 },
  20: { curve: 'secp384r1', size: 48 },
  21: { curve: 'secp521r1', size: 66 },
};
const MONT: Readonly<Record<number, { name: 'x25519' | 'x448'; size: number; jwk: 'X25519' | 'X448' }>> = {
  // RFC 8037 §2 / RFC 7748: raw keys of 32 and 56 octets, JWK curve names X25519 and X448.
  31: { name: 'x25519', size: 32, jwk: 'X25519' },
  32: { name: 'x448', size: 56, jwk: 'X448' },
};

export function isSupportedGroup(g: number): boolean {
  return MODP_NAMES[g] !== undefined || ECP[g] !== undefined || MONT[g] !== undefined;
}

/** Length of the KE data of a group in octets. */
export function keyExchangeLength(g: number): number {
  const m = modpPrime(g);
  if (m) return m.length;
  const e = ECP[g];
  if (e) return e.size * 2;
  const x = MONT[g];
  if (x) return x.size;
  throw new CryptoError(`DH group ${g} is not supported`);
}

function leftPad(b: Uint8Array, len: number): Uint8Array {
  if (b.length === len) return b;
  const out = new Uint8Array(len);
  out.set(b, len - b.length);
  return out;
}

export function createKeyExchange(group: number, rng: Rng): KeyExchange {
  const prime = modpPrime(group);
  if (prime) {
    const len = prime.length;
    const dh = createDiffieHellman(prime, Buffer.from([2]));
    // RFC 3526 §8 (and strongSwan): an exponent of at least twice the group strength; we use
    // as many random bits as the prime has, reduced below p by the library.
    const priv = new Uint8Array(len);
    rng.fill(priv);
    priv[0] = (priv[0] ?? 0) & 0x7f;
    dh.setPrivateKey(Buffer.from(priv));
    dh.generateKeys();
    const pub = leftPad(new Uint8Array(dh.getPublicKey()), len);
    const pBig = BigInt(`0x${prime.toString('hex')}`);
    return {
      group,
      publicValue: pub,
      sharedSecret(peer) {
        if (peer.length !== len)
          throw new CryptoError(`MODP group ${group}: KE data of ${peer.length} octets, expected ${len}`);
        const y = BigInt(`0x${Buffer.from(peer).toString('hex')}`);
        // RFC 7296 §3.4 / RFC 6989: reject 0, 1 and p-1 (and values >= p).
        if (y <= 1n || y >= pBig - 1n) throw new CryptoError(`MODP group ${group}: invalid public value`);
        return leftPad(new Uint8Array(dh.computeSecret(Buffer.from(peer))), len);
      },
    };
  }
  const ecp = ECP[group];
  if (ecp) {
    const ecdh = createECDH(ecp.curve);
    // Draw a scalar below the order; a draw of zero or one above the order is vanishingly rare
    // and is retried.
    for (let attempt = 0; ; attempt++) {
      const priv = new Uint8Array(ecp.size);
      rng.fill(priv);
      if (group === 21) priv[0] = (priv[0] ?? 0) & 0x01;
      try {
        ecdh.setPrivateKey(Buffer.from(priv));
        break;
      } catch (e) {
        if (attempt > 8)
          throw new CryptoError(`ECP group ${group}: cannot make a private key: ${(e as Error).message}`);
      }
    }
    // RFC 5903 §7: the KE data is x | y without the SEC1 0x04 prefix.
    const pub = new Uint8Array(ecdh.getPublicKey()).subarray(1);
    return {
      group,
      publicValue: pub,
      sharedSecret(peer) {
        if (peer.length !== ecp.size * 2)
          throw new CryptoError(`ECP group ${group}: KE data of ${peer.length} octets, expected ${ecp.size * 2}`);
        const sec1 = new Uint8Array(peer.length + 1);
        sec1[0] = 4;
        sec1.set(peer, 1);
        try {
          // computeSecret checks that the point is on the curve; RFC 5903 §9: g^ir is x.
          return leftPad(new Uint8Array(ecdh.computeSecret(Buffer.from(sec1))), ecp.size);
        } catch {
          throw new CryptoError(`ECP group ${group}: the peer's point is not on the curve`);
        }
      },
    };
  }
  const mont = MONT[group];
  if (mont) {
    const raw = new Uint8Array(mont.size);
    rng.fill(raw);
    // The raw keys go through JWK (RFC 8037 §2: OKP, `d` and `x` the raw octets in base64url),
    // not PKCS#8/SPKI DER: OpenSSL 3's DER decoder search made the X25519 import ~10x slower
    // (~0.7 ms vs ~0.06 ms here), the largest cost of an IKE_SA_INIT (bench/README.md "IKE").
    // Node derives the private key from `d` alone; `x` must be present as a string but is not
    // read for a private key, so it is left empty rather than computed twice.
    const priv: KeyObject = createPrivateKey({
      key: { kty: 'OKP', crv: mont.jwk, d: Buffer.from(raw).toString('base64url'), x: '' },
      format: 'jwk',
    });
    const x = createPublicKey(priv).export({ format: 'jwk' }).x ?? '';
    const pub = new Uint8Array(Buffer.from(x, 'base64url'));
    if (pub.length !== mont.size) throw new CryptoError(`${mont.name}: public value of ${pub.length} octets`);
    return {
      group,
      publicValue: pub,
      sharedSecret(peer) {
        if (peer.length !== mont.size)
          throw new CryptoError(`${mont.name}: KE data of ${peer.length} octets, expected ${mont.size}`);
        let secret: Uint8Array;
        try {
          const pk = createPublicKey({
            key: { kty: 'OKP', crv: mont.jwk, x: Buffer.from(peer).toString('base64url') },
            format: 'jwk',
          });
          secret = new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pk }));
        } catch {
          throw new CryptoError(`${mont.name}: invalid public value`);
        }
        // RFC 8031 §2: an all-zero result (a small-order peer value) must be rejected.
        if (secret.every((b) => b === 0)) throw new CryptoError(`${mont.name}: all-zero shared secret`);
        return secret;
      },
    };
  }
  throw new CryptoError(`DH group ${group} is not supported`);
}
