/**
 * strongSwan proposal strings (`proposals`, `esp_proposals`) -> IKEv2 transform sets.
 * Transform type/ID numbers: RFC 7296 §3.3.2 and the IANA "IKEv2 Transform Type N"
 * registries. Keyword semantics follow strongSwan's proposal_keywords_static.txt and
 * proposal.c (create_from_string), checked against its unit test test_proposal.c.
 *
 * IKEv1 connections (`version = 1`) use the same transform sets, as strongSwan does; the
 * IKEv1 layer maps them to RFC 2409 Appendix A / RFC 2407 §4.5 attributes. They may use a
 * few algorithms esprit's IKEv2 does not negotiate (`IKEV1_ONLY` below): 3DES, MD5 and
 * the MODP groups 2 and 5 that vpnc and Cisco-style peers offer.
 */
import { ConfigError } from '../util/errors.js';

/** RFC 7296 §3.3.2 transform types. */
export const TransformType = { ENCR: 1, PRF: 2, INTEG: 3, DH: 4, ESN: 5 } as const;

/** IANA Transform Type 1 (encryption) IDs used here. */
export const Encr = {
  DES3: 3,
  NULL: 11,
  AES_CBC: 12,
  AES_GCM_8: 18,
  AES_GCM_12: 19,
  AES_GCM_16: 20,
  CHACHA20_POLY1305: 28,
} as const;
/** IANA Transform Type 2 (PRF) IDs. */
export const Prf = { HMAC_MD5: 1, HMAC_SHA1: 2, HMAC_SHA2_256: 5, HMAC_SHA2_384: 6, HMAC_SHA2_512: 7 } as const;
/** IANA Transform Type 3 (integrity) IDs. */
export const Integ = {
  HMAC_MD5_96: 1,
  HMAC_SHA1_96: 2,
  AES_XCBC_96: 5,
  HMAC_SHA2_256_128: 12,
  HMAC_SHA2_384_192: 13,
  HMAC_SHA2_512_256: 14,
} as const;
/** IANA Transform Type 4 (Diffie-Hellman group) IDs; NONE = 0 is strongSwan's `modpnone`. */
export const Dh = {
  NONE: 0,
  MODP_1024: 2,
  MODP_1536: 5,
  MODP_2048: 14,
  MODP_3072: 15,
  MODP_4096: 16,
  ECP_256: 19,
  ECP_384: 20,
  ECP_521: 21,
  CURVE_25519: 31,
  CURVE_448: 32,
} as const;
/** IANA Transform Type 5 (ESN) IDs. */
export const Esn = { NO_EXT_SEQ: 0, EXT_SEQ: 1 } as const;

const AEAD_IDS: ReadonlySet<number> = new Set([
  Encr.AES_GCM_8,
  Encr.AES_GCM_12,
  Encr.AES_GCM_16,
  Encr.CHACHA20_POLY1305,
]);

export function isAead(encrId: number): boolean {
  return AEAD_IDS.has(encrId);
}

export interface EncrTransform {
  id: number;
  keyLength?: number;
}

export interface Proposal {
  protocol: 'ike' | 'esp';
  transforms: { encr: EncrTransform[]; prf: number[]; integ: number[]; dh: number[]; esn: number[] };
}

type Keyword = { kind: 'encr'; id: number; keyLength?: number } | { kind: 'prf' | 'integ' | 'dh' | 'esn'; id: number };

const KEYWORDS = new Map<string, Keyword>();
/** keywords accepted only in IKEv1 connections: esprit's IKEv2 does not negotiate them */
const IKEV1_ONLY = new Set<string>();
function kw(names: string[], k: Keyword, ikev1Only = false): void {
  for (const n of names) {
    KEYWORDS.set(n, k);
    if (ikev1Only) IKEV1_ONLY.add(n);
  }
}
kw(['null'], { kind: 'encr', id: Encr.NULL });
for (const bits of [128, 192, 256]) {
  kw([`aes${bits}`, ...(bits === 128 ? ['aes'] : [])], { kind: 'encr', id: Encr.AES_CBC, keyLength: bits });
  // ICV length aliases: gcm16 = gcm128, gcm12 = gcm96, gcm8 = gcm64 (octets vs. bits).
  kw([`aes${bits}gcm16`, `aes${bits}gcm128`], { kind: 'encr', id: Encr.AES_GCM_16, keyLength: bits });
  kw([`aes${bits}gcm12`, `aes${bits}gcm96`], { kind: 'encr', id: Encr.AES_GCM_12, keyLength: bits });
  kw([`aes${bits}gcm8`, `aes${bits}gcm64`], { kind: 'encr', id: Encr.AES_GCM_8, keyLength: bits });
}
kw(['chacha20poly1305'], { kind: 'encr', id: Encr.CHACHA20_POLY1305 });
kw(['sha1', 'sha'], { kind: 'integ', id: Integ.HMAC_SHA1_96 });
kw(['sha256', 'sha2_256'], { kind: 'integ', id: Integ.HMAC_SHA2_256_128 });
kw(['sha384', 'sha2_384'], { kind: 'integ', id: Integ.HMAC_SHA2_384_192 });
kw(['sha512', 'sha2_512'], { kind: 'integ', id: Integ.HMAC_SHA2_512_256 });
kw(['aesxcbc'], { kind: 'integ', id: Integ.AES_XCBC_96 });
kw(['prfsha1'], { kind: 'prf', id: Prf.HMAC_SHA1 });
kw(['prfsha256'], { kind: 'prf', id: Prf.HMAC_SHA2_256 });
kw(['prfsha384'], { kind: 'prf', id: Prf.HMAC_SHA2_384 });
kw(['prfsha512'], { kind: 'prf', id: Prf.HMAC_SHA2_512 });
kw(['modpnone'], { kind: 'dh', id: Dh.NONE });
kw(['modp2048'], { kind: 'dh', id: Dh.MODP_2048 });
kw(['modp3072'], { kind: 'dh', id: Dh.MODP_3072 });
kw(['modp4096'], { kind: 'dh', id: Dh.MODP_4096 });
kw(['ecp256'], { kind: 'dh', id: Dh.ECP_256 });
kw(['ecp384'], { kind: 'dh', id: Dh.ECP_384 });
kw(['ecp521'], { kind: 'dh', id: Dh.ECP_521 });
kw(['x25519', 'curve25519'], { kind: 'dh', id: Dh.CURVE_25519 });
kw(['x448', 'curve448'], { kind: 'dh', id: Dh.CURVE_448 });
// IKEv1 only: RFC 2409 Appendix A 3DES-CBC (5) and MD5 (1), RFC 2407 §4.4.4 ESP_3DES and §4.5
// HMAC-MD5; MODP groups 2 (RFC 2409 §6.2) and 5 (RFC 3526 §2). Single DES is not offered:
// 56-bit keys, and OpenSSL 3 keeps it in its legacy provider.
kw(['3des'], { kind: 'encr', id: Encr.DES3 }, true);
kw(['md5'], { kind: 'integ', id: Integ.HMAC_MD5_96 }, true);
kw(['prfmd5'], { kind: 'prf', id: Prf.HMAC_MD5 }, true);
kw(['modp1024'], { kind: 'dh', id: Dh.MODP_1024 }, true);
kw(['modp1536'], { kind: 'dh', id: Dh.MODP_1536 }, true);
kw(['esn'], { kind: 'esn', id: Esn.EXT_SEQ });
kw(['noesn'], { kind: 'esn', id: Esn.NO_EXT_SEQ });

/** PRF that strongSwan derives from an integrity keyword (same hash). */
const PRF_OF_INTEG = new Map<number, number>([
  [Integ.HMAC_MD5_96, Prf.HMAC_MD5],
  [Integ.HMAC_SHA1_96, Prf.HMAC_SHA1],
  [Integ.HMAC_SHA2_256_128, Prf.HMAC_SHA2_256],
  [Integ.HMAC_SHA2_384_192, Prf.HMAC_SHA2_384],
  [Integ.HMAC_SHA2_512_256, Prf.HMAC_SHA2_512],
]);

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function didYouMean(word: string): string {
  let best = '';
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of KEYWORDS.keys()) {
    const d = editDistance(word, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= 3 ? ` (did you mean '${best}'?)` : '';
}

function pushUnique<T>(list: T[], v: T, eq: (a: T, b: T) => boolean): void {
  if (!list.some((x) => eq(x, v))) list.push(v);
}

/**
 * Parses one proposal (`aes128-sha256-modp3072`). Rules as in strongSwan
 * (test_proposal.c): IKE needs encryption, integrity or AEAD, a PRF and a DH group;
 * IKE without prfX takes the PRF from the integrity keyword; with an AEAD the
 * integrity keywords only select the PRF (no PRF at all is an error); AEAD and non-AEAD
 * ciphers may not be mixed; ESP gets NO_EXT_SEQ when no esn keyword is given and
 * ignores prfX; ESP integrity is optional.
 */
export function parseProposal(
  protocol: 'ike' | 'esp',
  text: string,
  path = 'proposals',
  version: IkeVersion = 2,
): Proposal {
  const t: Proposal['transforms'] = { encr: [], prf: [], integ: [], dh: [], esn: [] };
  const words = text.trim().toLowerCase().split('-');
  for (const w of words) {
    if (w === '') throw new ConfigError(path, `empty algorithm in proposal '${text}'`);
    const k = KEYWORDS.get(w);
    if (!k) throw new ConfigError(path, `unknown algorithm '${w}' in proposal '${text}'${didYouMean(w)}`);
    if (version !== 1 && IKEV1_ONLY.has(w))
      throw new ConfigError(path, `algorithm '${w}' in proposal '${text}': IKEv1 only (needs version = 1)`);
    if (k.kind === 'encr') {
      const e: EncrTransform = k.keyLength === undefined ? { id: k.id } : { id: k.id, keyLength: k.keyLength };
      pushUnique(t.encr, e, (a, b) => a.id === b.id && a.keyLength === b.keyLength);
    } else {
      pushUnique(t[k.kind], k.id, (a, b) => a === b);
    }
  }
  if (t.encr.length === 0) throw new ConfigError(path, `proposal '${text}' has no encryption algorithm`);
  const aead = t.encr.filter((e) => isAead(e.id)).length;
  if (aead !== 0 && aead !== t.encr.length)
    throw new ConfigError(path, `proposal '${text}' mixes AEAD and non-AEAD encryption algorithms`);
  if (protocol === 'ike' && version === 1) return ikev1IkeProposal(t, text, path, aead !== 0);
  if (protocol === 'ike') {
    if (t.prf.length === 0) {
      for (const i of t.integ) {
        const p = PRF_OF_INTEG.get(i);
        if (p !== undefined) pushUnique(t.prf, p, (a, b) => a === b);
      }
    }
    if (aead) t.integ = [];
    else if (t.integ.length === 0) throw new ConfigError(path, `proposal '${text}' has no integrity algorithm`);
    if (t.prf.length === 0) throw new ConfigError(path, `proposal '${text}' has no PRF`);
    t.dh = t.dh.filter((d) => d !== Dh.NONE);
    if (t.dh.length === 0) throw new ConfigError(path, `proposal '${text}' has no key exchange method`);
    t.esn = [];
  } else {
    t.prf = [];
    // RFC 7296 §3.3.3: integrity is optional for ESP (strongSwan accepts ESP "aes128").
    if (aead) t.integ = [];
    if (t.esn.length === 0) t.esn.push(Esn.NO_EXT_SEQ);
  }
  return { protocol, transforms: t };
}

/**
 * IKEv1 phase 1 (RFC 2409 Appendix A): a cipher (no AEAD: IKEv1 has none for ISAKMP), a hash
 * (written as the integrity keyword, as strongSwan does: `aes128-sha1-modp1024`), and a group.
 * IKEv1 negotiates no PRF: the HMAC of the hash is the PRF (RFC 2409 §4), so a prfX keyword
 * must name the same hash.
 */
function ikev1IkeProposal(t: Proposal['transforms'], text: string, path: string, aead: boolean): Proposal {
  if (aead) throw new ConfigError(path, `proposal '${text}': IKEv1 has no AEAD cipher for IKE (RFC 2409)`);
  if (t.integ.length === 0) throw new ConfigError(path, `proposal '${text}' has no hash algorithm`);
  const derived = t.integ.map((i) => PRF_OF_INTEG.get(i));
  if (derived.some((p) => p === undefined))
    throw new ConfigError(path, `proposal '${text}': IKEv1 has no hash for 'aesxcbc'`);
  for (const p of t.prf)
    if (!derived.includes(p))
      throw new ConfigError(
        path,
        `proposal '${text}': IKEv1 derives the PRF from the hash; ${transformName('prf', p)} is none of them`,
      );
  t.prf = derived as number[];
  t.dh = t.dh.filter((d) => d !== Dh.NONE);
  if (t.dh.length === 0) throw new ConfigError(path, `proposal '${text}' has no key exchange method`);
  t.esn = [];
  return { protocol: 'ike', transforms: t };
}

/** 1 = IKEv1, 2 = IKEv2 (and `version = 0`, which esprit initiates as IKEv2). */
export type IkeVersion = 1 | 2;

/** Parses a config value holding several comma-separated proposals. */
export function parseProposals(
  protocol: 'ike' | 'esp',
  value: string,
  path = 'proposals',
  version: IkeVersion = 2,
): Proposal[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new ConfigError(path, `empty proposal in '${value}'`);
  return parts.flatMap((p) =>
    p.toLowerCase() === 'default' ? defaultProposals(protocol, version) : [parseProposal(protocol, p, path, version)],
  );
}

const AES_SIZES = [128, 192, 256];

/**
 * strongSwan 5.9.8 `default` keyword (vici_config.c parse_proposal: proposal_create_default
 * then proposal_create_default_aead; proposal.c). ESP is exact: AES_CBC_128/192/256 with
 * SHA2_256/384/512, SHA1, AES_XCBC and NO_EXT_SEQ, then AES_GCM_16_128/192/256 with
 * NO_EXT_SEQ. IKE in strongSwan depends on the loaded crypto plugins; this is its
 * round order restricted to the algorithms esprit implements (no CAMELLIA, AES-CTR, 3DES,
 * CCM, XCBC/CMAC PRFs, Brainpool, MODP 6144/8192), with IANA-ID order inside a round.
 */
export function defaultProposals(protocol: 'ike' | 'esp', version: IkeVersion = 2): Proposal[] {
  const cbc = AES_SIZES.map((k) => ({ id: Encr.AES_CBC, keyLength: k }));
  const gcm16 = AES_SIZES.map((k) => ({ id: Encr.AES_GCM_16, keyLength: k }));
  if (protocol === 'esp') {
    const integ = [
      Integ.HMAC_SHA2_256_128,
      Integ.HMAC_SHA2_384_192,
      Integ.HMAC_SHA2_512_256,
      Integ.HMAC_SHA1_96,
      Integ.AES_XCBC_96,
    ];
    return [
      { protocol, transforms: { encr: cbc, prf: [], integ, dh: [], esn: [Esn.NO_EXT_SEQ] } },
      { protocol, transforms: { encr: gcm16, prf: [], integ: [], dh: [], esn: [Esn.NO_EXT_SEQ] } },
    ];
  }
  const prf = [Prf.HMAC_SHA2_256, Prf.HMAC_SHA2_384, Prf.HMAC_SHA2_512, Prf.HMAC_SHA1];
  const dh = [
    Dh.ECP_256,
    Dh.ECP_384,
    Dh.ECP_521,
    Dh.CURVE_25519,
    Dh.CURVE_448,
    Dh.MODP_3072,
    Dh.MODP_4096,
    Dh.MODP_2048,
  ];
  const integ = [
    Integ.HMAC_SHA2_256_128,
    Integ.HMAC_SHA2_384_192,
    Integ.HMAC_SHA2_512_256,
    Integ.HMAC_SHA1_96,
    Integ.AES_XCBC_96,
  ];
  const aead = [
    ...gcm16,
    { id: Encr.CHACHA20_POLY1305 },
    ...AES_SIZES.map((k) => ({ id: Encr.AES_GCM_12, keyLength: k })),
    ...AES_SIZES.map((k) => ({ id: Encr.AES_GCM_8, keyLength: k })),
  ];
  // IKEv1 (RFC 2409): no AEAD and no XCBC for ISAKMP, the PRF follows the hash.
  if (version === 1)
    return [
      {
        protocol,
        transforms: {
          encr: cbc,
          prf: [...prf],
          integ: integ.filter((i) => i !== Integ.AES_XCBC_96),
          dh: [...dh],
          esn: [],
        },
      },
    ];
  return [
    { protocol, transforms: { encr: cbc, prf: [...prf], integ, dh: [...dh], esn: [] } },
    { protocol, transforms: { encr: aead, prf: [...prf], integ: [], dh: [...dh], esn: [] } },
  ];
}

const ENCR_NAMES = new Map<number, string>([
  [Encr.DES3, '3DES_CBC'],
  [Encr.NULL, 'NULL'],
  [Encr.AES_CBC, 'AES_CBC'],
  [Encr.AES_GCM_8, 'AES_GCM_8'],
  [Encr.AES_GCM_12, 'AES_GCM_12'],
  [Encr.AES_GCM_16, 'AES_GCM_16'],
  [Encr.CHACHA20_POLY1305, 'CHACHA20_POLY1305'],
]);
const INTEG_NAMES = new Map<number, string>([
  [Integ.HMAC_MD5_96, 'HMAC_MD5_96'],
  [Integ.HMAC_SHA1_96, 'HMAC_SHA1_96'],
  [Integ.AES_XCBC_96, 'AES_XCBC_96'],
  [Integ.HMAC_SHA2_256_128, 'HMAC_SHA2_256_128'],
  [Integ.HMAC_SHA2_384_192, 'HMAC_SHA2_384_192'],
  [Integ.HMAC_SHA2_512_256, 'HMAC_SHA2_512_256'],
]);
const PRF_NAMES = new Map<number, string>([
  [Prf.HMAC_MD5, 'PRF_HMAC_MD5'],
  [Prf.HMAC_SHA1, 'PRF_HMAC_SHA1'],
  [Prf.HMAC_SHA2_256, 'PRF_HMAC_SHA2_256'],
  [Prf.HMAC_SHA2_384, 'PRF_HMAC_SHA2_384'],
  [Prf.HMAC_SHA2_512, 'PRF_HMAC_SHA2_512'],
]);
const DH_NAMES = new Map<number, string>([
  [Dh.NONE, 'MODP_NONE'],
  [Dh.MODP_1024, 'MODP_1024'],
  [Dh.MODP_1536, 'MODP_1536'],
  [Dh.MODP_2048, 'MODP_2048'],
  [Dh.MODP_3072, 'MODP_3072'],
  [Dh.MODP_4096, 'MODP_4096'],
  [Dh.ECP_256, 'ECP_256'],
  [Dh.ECP_384, 'ECP_384'],
  [Dh.ECP_521, 'ECP_521'],
  [Dh.CURVE_25519, 'CURVE_25519'],
  [Dh.CURVE_448, 'CURVE_448'],
]);

const NAMES = { encr: ENCR_NAMES, integ: INTEG_NAMES, prf: PRF_NAMES, dh: DH_NAMES };
const UNKNOWN_PREFIX = { encr: 'ENCR', integ: 'INTEG', prf: 'PRF', dh: 'DH' };

/** IANA name of a transform as strongSwan prints it (RFC 7296 §3.3.2), `ENCR_99` if unknown. */
export function transformName(kind: 'encr' | 'integ' | 'prf' | 'dh', id: number): string {
  return NAMES[kind].get(id) ?? `${UNKNOWN_PREFIX[kind]}_${id}`;
}

/** strongSwan's `%P` log form: `IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072`. */
export function formatProposal(p: Proposal): string {
  const t = p.transforms;
  const parts: string[] = [];
  for (const e of t.encr) {
    const n = transformName('encr', e.id);
    parts.push(e.keyLength === undefined ? n : `${n}_${e.keyLength}`);
  }
  for (const i of t.integ) parts.push(transformName('integ', i));
  for (const i of t.prf) parts.push(transformName('prf', i));
  for (const i of t.dh) parts.push(transformName('dh', i));
  for (const i of t.esn) parts.push(i === Esn.EXT_SEQ ? 'EXT_SEQ' : i === Esn.NO_EXT_SEQ ? 'NO_EXT_SEQ' : `ESN_${i}`);
  return `${p.protocol.toUpperCase()}:${parts.join('/')}`;
}
