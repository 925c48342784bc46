/**
 * Phase 1 proposals in the IKEv1 attribute form (RFC 2409 Appendix A; RFC 2407 §4.2 SA
 * payload): esprit's configured proposals (IKEv2 transform numbers, config/proposal.ts) become
 * one ISAKMP proposal with one KEY_IKE transform per combination of cipher, hash and group,
 * in the configured order; the responder takes the first offered transform that one of its
 * own proposals contains, and answers with that transform alone (RFC 2408 §4.2).
 */
import type { Proposal } from '../config/proposal.js';
import { attributeNumber, numberAttribute, tvAttribute } from '../wire/isakmp/data-attribute.js';
import type { DataAttribute, IsakmpPayload, IsakmpTransform } from '../wire/isakmp/isakmp-types.js';
import {
  IkeAttr,
  IkeEncryption,
  IkeHash,
  IPSEC_DOI,
  IsakmpProtocol,
  KEY_IKE,
  LifeType,
  SIT_IDENTITY_ONLY,
} from '../wire/registry/isakmp.js';

/** What a phase 1 transform fixes, in IKEv2 numbers where esprit's crypto takes them. */
export interface Phase1Suite {
  /** ENCR_3DES (3) or ENCR_AES_CBC (12) */
  encr: number;
  keyBits?: number;
  /** the HMAC PRF of the hash: 1 MD5, 2 SHA1, 5/6/7 SHA2-256/384/512 */
  prf: number;
  /** the IKEv2 integrity number the hash was configured as */
  integ: number;
  group: number;
  authMethod: number;
  lifetimeSeconds: number;
}

/** IKEv2 integrity number -> [IKEv1 hash, HMAC PRF] (RFC 2409 App. A, RFC 4868 §4.1). */
const HASH_OF_INTEG = new Map<number, [number, number]>([
  [1, [IkeHash.MD5, 1]],
  [2, [IkeHash.SHA, 2]],
  [12, [IkeHash.SHA2_256, 5]],
  [13, [IkeHash.SHA2_384, 6]],
  [14, [IkeHash.SHA2_512, 7]],
]);
/** IKEv2 ENCR number -> IKEv1 Encryption Algorithm. */
const ENCR_V1 = new Map<number, number>([
  [3, IkeEncryption.DES3_CBC],
  [12, IkeEncryption.AES_CBC],
]);
/** Groups with the same number in IKEv1's Group Description (RFC 2409 §6, RFC 3526, RFC 5903 §8). */
const GROUPS_V1 = new Set([2, 5, 14, 15, 16, 19, 20, 21]);

/** The transforms of one ISAKMP proposal for `proposals` with `authMethod` and a lifetime. */
export function phase1Transforms(
  proposals: readonly Proposal[],
  authMethod: number,
  lifetimeSeconds: number,
): IsakmpTransform[] {
  const out: IsakmpTransform[] = [];
  for (const p of proposals) {
    for (const e of p.transforms.encr) {
      const ev1 = ENCR_V1.get(e.id);
      if (ev1 === undefined) continue;
      for (const i of p.transforms.integ) {
        const h = HASH_OF_INTEG.get(i);
        if (!h) continue;
        for (const g of p.transforms.dh) {
          if (!GROUPS_V1.has(g)) continue;
          const attributes: DataAttribute[] = [tvAttribute(IkeAttr.ENCRYPTION_ALGORITHM, ev1)];
          if (e.keyLength !== undefined && ev1 === IkeEncryption.AES_CBC)
            attributes.push(tvAttribute(IkeAttr.KEY_LENGTH, e.keyLength));
          attributes.push(
            tvAttribute(IkeAttr.HASH_ALGORITHM, h[0]),
            tvAttribute(IkeAttr.GROUP_DESCRIPTION, g),
            tvAttribute(IkeAttr.AUTHENTICATION_METHOD, authMethod),
            tvAttribute(IkeAttr.LIFE_TYPE, LifeType.SECONDS),
            numberAttribute(IkeAttr.LIFE_DURATION, lifetimeSeconds),
          );
          out.push({ number: out.length + 1, id: KEY_IKE, attributes });
        }
      }
    }
  }
  return out;
}

/** RFC 2407 §4.2 SA payload: IPSEC DOI, SIT_IDENTITY_ONLY, one ISAKMP proposal. */
export function phase1SaPayload(transforms: IsakmpTransform[]): IsakmpPayload {
  return {
    kind: 'SA',
    doi: IPSEC_DOI,
    situation: SIT_IDENTITY_ONLY,
    proposals: [{ number: 1, protocolId: IsakmpProtocol.ISAKMP, spi: new Uint8Array(0), transforms }],
  };
}

/**
 * The suite a transform describes, or a reason it is not one esprit can use: an unknown
 * cipher, hash or group, a missing AES key length, a non-seconds lifetime are refused.
 */
export function parsePhase1Transform(t: IsakmpTransform): Phase1Suite | string {
  if (t.id !== KEY_IKE) return `transform ID ${t.id}, not KEY_IKE`;
  const v = new Map<number, number | undefined>();
  for (const a of t.attributes) v.set(a.type, attributeNumber(a));
  const ev1 = v.get(IkeAttr.ENCRYPTION_ALGORITHM);
  const encr = [...ENCR_V1].find(([, x]) => x === ev1)?.[0];
  if (encr === undefined) return `encryption algorithm ${ev1}`;
  const keyBits = v.get(IkeAttr.KEY_LENGTH);
  if (encr === 12 && keyBits !== 128 && keyBits !== 192 && keyBits !== 256) return `AES key length ${keyBits}`;
  const hv1 = v.get(IkeAttr.HASH_ALGORITHM);
  const hash = [...HASH_OF_INTEG].find(([, [x]]) => x === hv1);
  if (!hash) return `hash algorithm ${hv1}`;
  if (v.has(IkeAttr.PRF)) return 'a negotiated PRF (no PRF values are assigned)';
  const group = v.get(IkeAttr.GROUP_DESCRIPTION);
  if (group === undefined || !GROUPS_V1.has(group)) return `group ${group}`;
  const authMethod = v.get(IkeAttr.AUTHENTICATION_METHOD);
  if (authMethod === undefined) return 'no authentication method';
  // RFC 2409 App. A: Life Type then Life Duration; only seconds are kept (kilobytes ignored).
  let lifetimeSeconds = 28800; // RFC 2407 §4.5 default (8 hours) applies to phase 1 too
  const types = t.attributes.filter((a) => a.type === IkeAttr.LIFE_TYPE || a.type === IkeAttr.LIFE_DURATION);
  for (let i = 0; i + 1 < types.length; i += 2) {
    const lt = types[i];
    const ld = types[i + 1];
    if (
      lt?.type === IkeAttr.LIFE_TYPE &&
      ld?.type === IkeAttr.LIFE_DURATION &&
      attributeNumber(lt) === LifeType.SECONDS
    )
      lifetimeSeconds = attributeNumber(ld) ?? lifetimeSeconds;
  }
  return {
    encr,
    ...(encr === 12 ? { keyBits } : {}),
    prf: hash[1][1],
    integ: hash[0],
    group,
    authMethod,
    lifetimeSeconds,
  };
}

/** Does one of our proposals contain this suite? */
export function suiteAllowed(proposals: readonly Proposal[], s: Phase1Suite): boolean {
  return proposals.some(
    (p) =>
      p.transforms.encr.some((e) => e.id === s.encr && (s.encr !== 12 || e.keyLength === s.keyBits)) &&
      p.transforms.integ.includes(s.integ) &&
      p.transforms.dh.includes(s.group),
  );
}

/**
 * Responder: the first transform of the first ISAKMP proposal that we accept with
 * `authMethod`; undefined when none (NO-PROPOSAL-CHOSEN, RFC 2408 §3.14.1).
 */
export function selectPhase1(
  sa: Extract<IsakmpPayload, { kind: 'SA' }>,
  ours: readonly Proposal[],
  authMethod: number,
): { transform: IsakmpTransform; suite: Phase1Suite; proposalNumber: number } | undefined {
  for (const p of sa.proposals) {
    if (p.protocolId !== IsakmpProtocol.ISAKMP) continue;
    for (const t of p.transforms) {
      const s = parsePhase1Transform(t);
      if (typeof s !== 'string' && s.authMethod === authMethod && suiteAllowed(ours, s))
        return { transform: t, suite: s, proposalNumber: p.number };
    }
  }
  return undefined;
}
