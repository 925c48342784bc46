/**
 * PF_KEY algorithm numbers <-> esprit suites (src/crypto/suites.ts), per dialect, and the
 * key-length rules of RFC 2367 §2.3.4 (sadb_key_bits) as esprit applies them:
 *
 *   suite kind   sadb_sa_encrypt        sadb_sa_auth   KEY_ENCRYPT bits            KEY_AUTH bits
 *   aead, gmac   ENCR[..].pfkey[d]      0 (none)       (key + 4-byte salt) * 8     absent or 0
 *   cbc          ENCR[..].pfkey[d]      INTEG[..]      key * 8                     keyLen * 8
 *   null         11 (SADB_EALG_NULL)    INTEG[..]      absent or 0                 keyLen * 8
 *
 * The salt is part of the keying material (RFC 4106 §8.1, RFC 7634 §2, RFC 4543 §3.2), as
 * Linux rfc4106(gcm(aes)) expects it in sadb_key. Failures are PfkeyError with Linux errno
 * numbers (the engine maps them to the dialect).
 */
import {
  ENCR,
  type EncrAlgorithm,
  type EncrSpec,
  INTEG,
  type IntegAlgorithm,
  type IntegSpec,
} from '../crypto/suites.js';
import { PfkeyError } from '../util/errors.js';
import { ERRNO, type PfkeyDialect, type SadbAlg, type SadbComb } from '../wire/pfkey/index.js';

const EINVAL = ERRNO.linux.EINVAL;

/** The encryption suite with PF_KEY number `n` in `dialect`, or undefined (0 = none is undefined too). */
export function encrByPfkey(dialect: PfkeyDialect, n: number): EncrSpec | undefined {
  if (n === 0) return undefined;
  return Object.values(ENCR).find((e) => e.pfkey[dialect] === n);
}

/** The integrity suite with PF_KEY number `n` (0 = 'none'), or undefined. */
export function integByPfkey(dialect: PfkeyDialect, n: number): IntegSpec | undefined {
  return Object.values(INTEG).find((i) => i.pfkey[dialect] === n);
}

function bitsRange(e: EncrSpec): { min: number; max: number } {
  return { min: (Math.min(...e.keyLens) + e.saltLen) * 8, max: (Math.max(...e.keyLens) + e.saltLen) * 8 };
}

/**
 * SUPPORTED_AUTH / SUPPORTED_ENCRYPT contents (RFC 2367 §2.3.8). ivlen is in bytes (KAME
 * key_register); min/maxbits are what KEY_* must carry, salt included for AEAD/GMAC
 * (Linux reports GCM as 128-256 without the salt but requires it in the key).
 */
export function supportedAlgs(dialect: PfkeyDialect): { auth: SadbAlg[]; encrypt: SadbAlg[] } {
  const auth = Object.values(INTEG)
    .filter((i) => i.name !== 'none')
    .map((i) => ({ id: i.pfkey[dialect], ivlen: 0, minbits: i.keyLen * 8, maxbits: i.keyLen * 8 }));
  const encrypt = Object.values(ENCR).map((e) => {
    const r = bitsRange(e);
    return { id: e.pfkey[dialect], ivlen: e.ivLen, minbits: r.min, maxbits: r.max };
  });
  return { auth, encrypt };
}

/** Linux dump_esp_combs lifetimes (seconds): hard/soft addtime 24 h / 20 h, usetime 8 h / 7 h. */
const COMB_TIMES = { hardAddtime: 86400n, softAddtime: 72000n, hardUsetime: 28800n, softUsetime: 25200n };

/**
 * The sadb_comb list of an ACQUIRE's PROPOSAL (RFC 2367 §2.3.7): each AEAD/GMAC suite alone
 * (auth 0), each CBC/NULL suite with each HMAC. Strongest first, as a key manager reads it.
 */
export function proposalCombs(dialect: PfkeyDialect): SadbComb[] {
  const out: SadbComb[] = [];
  const combined: EncrAlgorithm[] = ['aes-gcm-16', 'chacha20-poly1305', 'aes-gcm-12', 'aes-gcm-8'];
  const cbc: EncrAlgorithm[] = ['aes-cbc', '3des-cbc'];
  const macs: IntegAlgorithm[] = [
    'hmac-sha256-128',
    'hmac-sha384-192',
    'hmac-sha512-256',
    'hmac-sha1-96',
    'hmac-md5-96',
  ];
  const comb = (e: EncrSpec, i: IntegSpec | undefined): SadbComb => {
    const r = bitsRange(e);
    return {
      auth: i ? i.pfkey[dialect] : 0,
      encrypt: e.pfkey[dialect],
      flags: 0,
      authMinbits: i ? i.keyLen * 8 : 0,
      authMaxbits: i ? i.keyLen * 8 : 0,
      encryptMinbits: r.min,
      encryptMaxbits: r.max,
      softAllocations: 0,
      hardAllocations: 0,
      softBytes: 0n,
      hardBytes: 0n,
      ...COMB_TIMES,
    };
  };
  for (const n of combined) out.push(comb(ENCR[n], undefined));
  for (const n of cbc) for (const m of macs) out.push(comb(ENCR[n], INTEG[m]));
  return out;
}

export interface KeyMaterial {
  readonly bits: number;
  readonly key: Uint8Array;
}

export interface SuiteChoice {
  readonly encr: EncrSpec;
  readonly integ: IntegSpec;
  /** keying material as SaConfig wants it (cipher key || salt) */
  readonly encKey: Uint8Array;
  readonly authKey: Uint8Array;
}

function keyBytes(k: KeyMaterial | undefined, field: string): Uint8Array {
  if (!k || k.bits === 0) return new Uint8Array(0);
  if (k.bits % 8 !== 0) throw new PfkeyError(EINVAL, `${field}.bits ${k.bits} is not a whole number of bytes`);
  return k.key.subarray(0, k.bits / 8);
}

/**
 * Resolve sadb_sa_encrypt/auth and the KEY_* extensions to a suite, applying the rules of
 * esp/esp-sa.ts checkEspConfig (which pfkey/ may not import): known numbers, combined modes
 * without a separate integrity algorithm, CBC/NULL with one, key lengths, replay needing
 * integrity. Throws PfkeyError EINVAL naming the extension and field.
 */
export function chooseSuite(
  dialect: PfkeyDialect,
  encrypt: number,
  auth: number,
  keyEncrypt: KeyMaterial | undefined,
  keyAuth: KeyMaterial | undefined,
  replayWindow: number,
): SuiteChoice {
  const encr = encrByPfkey(dialect, encrypt);
  if (!encr)
    throw new PfkeyError(EINVAL, `SA.encrypt ${encrypt} is not a ${dialect} encryption algorithm esprit supports`);
  const integ = integByPfkey(dialect, auth);
  if (!integ)
    throw new PfkeyError(EINVAL, `SA.auth ${auth} is not a ${dialect} authentication algorithm esprit supports`);
  const combined = encr.kind === 'aead' || encr.kind === 'gmac';
  if (combined && integ.name !== 'none') {
    throw new PfkeyError(EINVAL, `SA.auth ${auth}: ${encr.name} carries its own ICV, auth must be 0`);
  }
  if (!combined && integ.name === 'none') {
    throw new PfkeyError(EINVAL, `SA.auth 0: ${encr.name} needs an authentication algorithm`);
  }
  const encKey = keyBytes(keyEncrypt, 'KEY_ENCRYPT');
  const authKey = keyBytes(keyAuth, 'KEY_AUTH');
  if (encr.kind !== 'null' && !keyEncrypt) throw new PfkeyError(EINVAL, `KEY_ENCRYPT missing for ${encr.name}`);
  if (!encr.keyLens.some((k) => k + encr.saltLen === encKey.length)) {
    const want = encr.keyLens.map((k) => (k + encr.saltLen) * 8).join('/');
    throw new PfkeyError(EINVAL, `KEY_ENCRYPT.bits ${encKey.length * 8}: ${encr.name} needs ${want}`);
  }
  if (authKey.length !== integ.keyLen) {
    throw new PfkeyError(EINVAL, `KEY_AUTH.bits ${authKey.length * 8}: ${integ.name} needs ${integ.keyLen * 8}`);
  }
  if (replayWindow > 0 && !combined && integ.name === 'none') {
    throw new PfkeyError(EINVAL, 'SA.replay: anti-replay requires integrity (RFC 4303 §3.4.3)');
  }
  return { encr, integ, encKey: encKey.slice(), authKey: authKey.slice() };
}
