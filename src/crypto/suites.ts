/**
 * ESP algorithm registry: one table gives each suite's parameters and its number
 * in IKEv2 (RFC 7296 §3.3.2 / IANA "Transform Type 1/3"), IKEv1 (RFC 2407 §4.4.4
 * ESP transform IDs, §4.5 Authentication Algorithm attribute) and PF_KEY
 * (protocol-facts.md §4.5: Linux and KAME/FreeBSD sadb_sa_encrypt/auth values).
 * Later layers (PF_KEY, IKE, setkey, the SA file) take numbers only from here.
 */

export type EncrAlgorithm =
  | 'aes-gcm-8'
  | 'aes-gcm-12'
  | 'aes-gcm-16'
  | 'chacha20-poly1305'
  | 'aes-cbc'
  | '3des-cbc'
  | 'aes-gmac'
  | 'null';

export type IntegAlgorithm =
  | 'hmac-md5-96'
  | 'hmac-sha1-96'
  | 'hmac-sha256-128'
  | 'hmac-sha384-192'
  | 'hmac-sha512-256'
  | 'none';

export type HashName = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface EncrSpec {
  readonly name: EncrAlgorithm;
  /** aead: combined mode (GCM, ChaCha20-Poly1305); gmac: integrity-only AEAD (RFC 4543); cbc; null (RFC 2410) */
  readonly kind: 'aead' | 'gmac' | 'cbc' | 'null';
  /** cipher key lengths in bytes, without the salt */
  readonly keyLens: readonly number[];
  /** salt appended to the key in the keying material (RFC 4106 §8.1, RFC 7634 §2, RFC 4543 §3.2) */
  readonly saltLen: number;
  /** explicit IV carried in each packet */
  readonly ivLen: number;
  /** ESP padding block (RFC 4303 §2.4): cipher block size, at least 4 */
  readonly padBlock: number;
  /** ICV for combined modes; 0 when a separate integrity algorithm supplies it */
  readonly icvLen: number;
  readonly ikev2: number;
  /** IKEv1 ESP transform ID; undefined where none was ever assigned */
  readonly ikev1: number | undefined;
  readonly pfkey: { readonly linux: number; readonly kame: number };
}

export interface IntegSpec {
  readonly name: IntegAlgorithm;
  readonly hash: HashName | undefined;
  readonly keyLen: number;
  readonly icvLen: number;
  readonly ikev2: number;
  /** IKEv1 "Authentication Algorithm" phase 2 attribute value */
  readonly ikev1: number;
  readonly pfkey: { readonly linux: number; readonly kame: number };
}

/**
 * ChaCha20-Poly1305 never got a PF_KEY number (protocol-facts.md §4.5). esprit uses
 * this private value, equal to its IKEv2 transform ID, in both dialects; docs/pfkey.md says so.
 */
export const SADB_X_EALG_ESPRIT_CHACHA20POLY1305 = 28;

export const ENCR: Readonly<Record<EncrAlgorithm, EncrSpec>> = {
  // RFC 4106: key + 4-byte salt, 8-byte IV, ICV 8/12/16
  'aes-gcm-8': {
    name: 'aes-gcm-8',
    kind: 'aead',
    keyLens: [16, 24, 32],
    saltLen: 4,
    ivLen: 8,
    padBlock: 4,
    icvLen: 8,
    ikev2: 18,
    ikev1: 18,
    pfkey: { linux: 18, kame: 18 },
  },
  'aes-gcm-12': {
    name: 'aes-gcm-12',
    kind: 'aead',
    keyLens: [16, 24, 32],
    saltLen: 4,
    ivLen: 8,
    padBlock: 4,
    icvLen: 12,
    ikev2: 19,
    ikev1: 19,
    pfkey: { linux: 19, kame: 19 },
  },
  'aes-gcm-16': {
    name: 'aes-gcm-16',
    kind: 'aead',
    keyLens: [16, 24, 32],
    saltLen: 4,
    ivLen: 8,
    padBlock: 4,
    icvLen: 16,
    ikev2: 20,
    ikev1: 20,
    pfkey: { linux: 20, kame: 20 },
  },
  // RFC 7634: 32-byte key + 4-byte salt, 8-byte IV, 16-byte ICV; no IKEv1 number (RFC 7634 §4)
  'chacha20-poly1305': {
    name: 'chacha20-poly1305',
    kind: 'aead',
    keyLens: [32],
    saltLen: 4,
    ivLen: 8,
    padBlock: 4,
    icvLen: 16,
    ikev2: 28,
    ikev1: undefined,
    pfkey: { linux: SADB_X_EALG_ESPRIT_CHACHA20POLY1305, kame: SADB_X_EALG_ESPRIT_CHACHA20POLY1305 },
  },
  // RFC 3602
  'aes-cbc': {
    name: 'aes-cbc',
    kind: 'cbc',
    keyLens: [16, 24, 32],
    saltLen: 0,
    ivLen: 16,
    padBlock: 16,
    icvLen: 0,
    ikev2: 12,
    ikev1: 12,
    pfkey: { linux: 12, kame: 12 },
  },
  // RFC 2451
  '3des-cbc': {
    name: '3des-cbc',
    kind: 'cbc',
    keyLens: [24],
    saltLen: 0,
    ivLen: 8,
    padBlock: 8,
    icvLen: 0,
    ikev2: 3,
    ikev1: 3,
    pfkey: { linux: 3, kame: 3 },
  },
  // RFC 4543: AES-GMAC, key + 4-byte salt, 8-byte IV, 16-byte ICV, payload not encrypted.
  // PF_KEY: Linux SADB_X_EALG_NULL_AES_GMAC = 23 (uapi linux/pfkeyv2.h); FreeBSD and NetBSD
  // SADB_X_EALG_AESGMAC = 23 (sys/net/pfkeyv2.h, "RFC4543 + Errata1821"). 21 is OpenBSD's value.
  'aes-gmac': {
    name: 'aes-gmac',
    kind: 'gmac',
    keyLens: [16, 24, 32],
    saltLen: 4,
    ivLen: 8,
    padBlock: 4,
    icvLen: 16,
    ikev2: 21,
    ikev1: 23,
    pfkey: { linux: 23, kame: 23 },
  },
  // RFC 2410
  null: {
    name: 'null',
    kind: 'null',
    keyLens: [0],
    saltLen: 0,
    ivLen: 0,
    padBlock: 4,
    icvLen: 0,
    ikev2: 11,
    ikev1: 11,
    pfkey: { linux: 11, kame: 11 },
  },
};

export const INTEG: Readonly<Record<IntegAlgorithm, IntegSpec>> = {
  // RFC 2403
  'hmac-md5-96': {
    name: 'hmac-md5-96',
    hash: 'md5',
    keyLen: 16,
    icvLen: 12,
    ikev2: 1,
    ikev1: 1,
    pfkey: { linux: 2, kame: 2 },
  },
  // RFC 2404
  'hmac-sha1-96': {
    name: 'hmac-sha1-96',
    hash: 'sha1',
    keyLen: 20,
    icvLen: 12,
    ikev2: 2,
    ikev1: 2,
    pfkey: { linux: 3, kame: 3 },
  },
  // RFC 4868 §2.1: key length = full hash output, truncated to half
  'hmac-sha256-128': {
    name: 'hmac-sha256-128',
    hash: 'sha256',
    keyLen: 32,
    icvLen: 16,
    ikev2: 12,
    ikev1: 5,
    pfkey: { linux: 5, kame: 5 },
  },
  'hmac-sha384-192': {
    name: 'hmac-sha384-192',
    hash: 'sha384',
    keyLen: 48,
    icvLen: 24,
    ikev2: 13,
    ikev1: 6,
    pfkey: { linux: 6, kame: 6 },
  },
  'hmac-sha512-256': {
    name: 'hmac-sha512-256',
    hash: 'sha512',
    keyLen: 64,
    icvLen: 32,
    ikev2: 14,
    ikev1: 7,
    pfkey: { linux: 7, kame: 7 },
  },
  none: {
    name: 'none',
    hash: undefined,
    keyLen: 0,
    icvLen: 0,
    ikev2: 0,
    ikev1: 0,
    pfkey: { linux: 0, kame: 0 },
  },
};

export function isEncrAlgorithm(s: string): s is EncrAlgorithm {
  return Object.hasOwn(ENCR, s);
}
export function isIntegAlgorithm(s: string): s is IntegAlgorithm {
  return Object.hasOwn(INTEG, s);
}
