/**
 * setkey algorithm names <-> esprit suites (src/crypto/suites.ts).
 *
 * Names accepted by ipsec-tools `-E` / `-A` (token.l S_ENCALG / S_AUTHALG, NetBSD
 * tests/net/ipsec/algorithms.sh for aes-gcm-16 and aes-gmac) map to the esprit
 * suite; esprit's own SA-file names are accepted as aliases. Names ipsec-tools
 * knows but esprit does not implement are rejected with a reason.
 */
import { type EncrAlgorithm, type IntegAlgorithm, isEncrAlgorithm, isIntegAlgorithm } from '../../crypto/suites.js';

export const SETKEY_ENCR: Readonly<Record<string, EncrAlgorithm>> = {
  '3des-cbc': '3des-cbc',
  'aes-cbc': 'aes-cbc',
  'rijndael-cbc': 'aes-cbc',
  'aes-gcm-16': 'aes-gcm-16',
  'aes-gcm-12': 'aes-gcm-12',
  'aes-gcm-8': 'aes-gcm-8',
  'chacha20-poly1305': 'chacha20-poly1305',
  'aes-gmac': 'aes-gmac',
  null_aes_gmac: 'aes-gmac',
  null: 'null',
};

/** ipsec-tools `-E` names esprit refuses, with the reason shown to the user. */
export const REJECTED_ENCR: Readonly<Record<string, string>> = {
  'des-cbc': 'single DES is not supported (RFC 8221 §5: MUST NOT)',
  'des-deriv': 'single DES is not supported (RFC 8221 §5: MUST NOT)',
  'des-32iv': 'single DES is not supported (RFC 8221 §5: MUST NOT)',
  '3des-deriv': 'derived-IV 3DES is not supported',
  simple: 'the obsolete "simple" (null) cipher is not supported; use null',
  'blowfish-cbc': 'blowfish-cbc is not supported by esprit',
  'cast128-cbc': 'cast128-cbc is not supported by esprit',
  'twofish-cbc': 'twofish-cbc is not supported by esprit',
  'rc5-cbc': 'rc5-cbc is not supported by esprit',
  'aes-ctr': 'aes-ctr is not supported by esprit',
  'camellia-cbc': 'camellia-cbc is not supported by esprit',
};

export const SETKEY_INTEG: Readonly<Record<string, IntegAlgorithm>> = {
  'hmac-md5': 'hmac-md5-96',
  'hmac-sha1': 'hmac-sha1-96',
  'hmac-sha256': 'hmac-sha256-128',
  'hmac-sha2-256': 'hmac-sha256-128',
  'hmac-sha384': 'hmac-sha384-192',
  'hmac-sha2-384': 'hmac-sha384-192',
  'hmac-sha512': 'hmac-sha512-256',
  'hmac-sha2-512': 'hmac-sha512-256',
  null: 'none',
};

export const REJECTED_INTEG: Readonly<Record<string, string>> = {
  'keyed-md5': 'keyed-md5 (RFC 1828) is not supported; use hmac-sha256',
  'keyed-sha1': 'keyed-sha1 is not supported; use hmac-sha256',
  'hmac-ripemd160': 'hmac-ripemd160 is not supported by esprit',
  'aes-xcbc-mac': 'aes-xcbc-mac is not supported by esprit',
  'tcp-md5': 'tcp-md5 (RFC 2385) is not an IPsec algorithm',
};

/** Look up a `-E` name: the esprit algorithm, or a reason string for a refused/unknown one. */
export function lookupEncr(name: string): { algorithm: EncrAlgorithm } | { reject: string } {
  const lower = name.toLowerCase();
  const a = SETKEY_ENCR[lower];
  if (a && Object.hasOwn(SETKEY_ENCR, lower)) return { algorithm: a };
  if (isEncrAlgorithm(lower)) return { algorithm: lower };
  const r = Object.hasOwn(REJECTED_ENCR, lower) ? REJECTED_ENCR[lower] : undefined;
  return { reject: r ?? `unknown encryption algorithm "${name}"` };
}

export function lookupInteg(name: string): { algorithm: IntegAlgorithm } | { reject: string } {
  const lower = name.toLowerCase();
  const a = SETKEY_INTEG[lower];
  if (a && Object.hasOwn(SETKEY_INTEG, lower)) return { algorithm: a };
  if (isIntegAlgorithm(lower) && lower !== 'none') return { algorithm: lower };
  const r = Object.hasOwn(REJECTED_INTEG, lower) ? REJECTED_INTEG[lower] : undefined;
  return { reject: r ?? `unknown authentication algorithm "${name}"` };
}

/**
 * The name setkey prints for an esprit algorithm (pfkey_dump.c str_alg_enc /
 * str_alg_auth, Linux build): the ipsec-tools name where it has one, else esprit's.
 */
export const DUMP_ENCR_NAME: Readonly<Record<EncrAlgorithm, string>> = {
  '3des-cbc': '3des-cbc',
  'aes-cbc': 'aes-cbc',
  'aes-gcm-16': 'aes-gcm-16',
  'aes-gcm-12': 'aes-gcm-12',
  'aes-gcm-8': 'aes-gcm-8',
  'chacha20-poly1305': 'chacha20-poly1305',
  'aes-gmac': 'aes-gmac',
  null: 'null',
};

export const DUMP_INTEG_NAME: Readonly<Record<IntegAlgorithm, string>> = {
  'hmac-md5-96': 'hmac-md5',
  'hmac-sha1-96': 'hmac-sha1',
  'hmac-sha256-128': 'hmac-sha256',
  'hmac-sha384-192': 'hmac-sha384',
  'hmac-sha512-256': 'hmac-sha512',
  none: 'null',
};
