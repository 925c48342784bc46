/**
 * Quick Mode proposals in the IKEv1 attribute form (RFC 2407 §4.4.4 ESP transform IDs, §4.5
 * SA attributes; RFC 2409 §5.5 PFS by the Group Description attribute): esprit's configured
 * `esp_proposals` (IKEv2 transform numbers, config/proposal.ts) become one ESP proposal with
 * one transform per cipher × integrity algorithm. The ESP transform IDs of 3DES (3), AES (12)
 * and AES-GCM (18-20) equal the IKEv2 ENCR numbers (RFC 2407 §4.4.4, RFC 3602 §5.1, RFC 4106
 * §8.4); the Authentication Algorithm attribute has its own numbers (RFC 2407 §4.5, RFC 4868
 * §4.1). The encapsulation mode follows the NAT-T variant negotiated in phase 1 (RFC 3947
 * §5.1: 3/4; nat-t-ike-00..03: 61443/61444; protocol-facts §1.6).
 */
import type { Proposal } from '../config/proposal.js';
import { attributeNumber, numberAttribute, tvAttribute } from '../wire/isakmp/data-attribute.js';
import type { DataAttribute, IsakmpPayload, IsakmpTransform } from '../wire/isakmp/isakmp-types.js';
import {
  EncapsulationMode,
  IPSEC_DOI,
  IpsecAttr,
  IpsecAuthAlgorithm,
  IsakmpProtocol,
  LifeType,
  SIT_IDENTITY_ONLY,
} from '../wire/registry/isakmp.js';

/** What a Quick Mode transform fixes, in IKEv2 numbers where PF_KEY and the plan take them. */
export interface Phase2Suite {
  /** ESP transform ID = IKEv2 ENCR number: 3 (3DES), 12 (AES-CBC), 18-20 (AES-GCM) */
  encr: number;
  keyBits?: number;
  /** IKEv2 INTEG number, absent for AEAD */
  integ?: number;
  /** PFS group (RFC 2409 §5.5), 0 without PFS */
  group: number;
  /** the Encapsulation Mode attribute as sent or received */
  encapMode: number;
  lifetimeSeconds: number;
}

/** IKEv2 INTEG number <-> RFC 2407 §4.5 Authentication Algorithm. */
const AUTH_OF_INTEG = new Map<number, number>([
  [1, IpsecAuthAlgorithm.HMAC_MD5],
  [2, IpsecAuthAlgorithm.HMAC_SHA],
  [12, IpsecAuthAlgorithm.HMAC_SHA2_256],
  [13, IpsecAuthAlgorithm.HMAC_SHA2_384],
  [14, IpsecAuthAlgorithm.HMAC_SHA2_512],
]);
const ESP_IDS = new Set([3, 12, 18, 19, 20]);
const AEAD_IDS = new Set([18, 19, 20]);
const GROUPS = new Set([2, 5, 14, 15, 16, 19, 20, 21]);

/** The phase 1 outcome that decides the Encapsulation Mode (RFC 3947 §5.1). */
export interface EncapChoice {
  transport: boolean;
  /** UDP-encapsulated: a NAT was detected or faked */
  udp: boolean;
  /** the drafts' 61443/61444 (nat-t-ike-00..03) rather than RFC 3947's 3/4 */
  draft: boolean;
}

export function encapsulationMode(c: EncapChoice): number {
  if (!c.udp) return c.transport ? EncapsulationMode.TRANSPORT : EncapsulationMode.TUNNEL;
  if (c.draft) return c.transport ? EncapsulationMode.UDP_TRANSPORT_DRAFT : EncapsulationMode.UDP_TUNNEL_DRAFT;
  return c.transport ? EncapsulationMode.UDP_ENCAPSULATED_TRANSPORT : EncapsulationMode.UDP_ENCAPSULATED_TUNNEL;
}

/** Is the mode a transport mode (2, 4, 61444)? */
export function isTransportMode(mode: number): boolean {
  return (
    mode === EncapsulationMode.TRANSPORT ||
    mode === EncapsulationMode.UDP_ENCAPSULATED_TRANSPORT ||
    mode === EncapsulationMode.UDP_TRANSPORT_DRAFT
  );
}

/** The PFS group of the configured ESP proposals: the first non-zero one of the first proposal. */
export function pfsGroup(proposals: readonly Proposal[]): number {
  return proposals[0]?.transforms.dh.find((g) => g !== 0 && GROUPS.has(g)) ?? 0;
}

/** The transforms of the one ESP proposal we offer. */
export function phase2Transforms(
  proposals: readonly Proposal[],
  encapMode: number,
  lifetimeSeconds: number,
): IsakmpTransform[] {
  const group = pfsGroup(proposals);
  const out: IsakmpTransform[] = [];
  for (const p of proposals) {
    for (const e of p.transforms.encr) {
      if (!ESP_IDS.has(e.id)) continue;
      const integs: (number | undefined)[] = AEAD_IDS.has(e.id) ? [undefined] : p.transforms.integ;
      for (const i of integs) {
        const auth = i === undefined ? undefined : AUTH_OF_INTEG.get(i);
        if (i !== undefined && auth === undefined) continue;
        // RFC 2407 §4.5: Life Type precedes its Life Duration.
        const attributes: DataAttribute[] = [
          tvAttribute(IpsecAttr.SA_LIFE_TYPE, LifeType.SECONDS),
          numberAttribute(IpsecAttr.SA_LIFE_DURATION, lifetimeSeconds),
        ];
        if (group !== 0) attributes.push(tvAttribute(IpsecAttr.GROUP_DESCRIPTION, group));
        attributes.push(tvAttribute(IpsecAttr.ENCAPSULATION_MODE, encapMode));
        if (auth !== undefined) attributes.push(tvAttribute(IpsecAttr.AUTHENTICATION_ALGORITHM, auth));
        if (e.keyLength !== undefined && e.id !== 3) attributes.push(tvAttribute(IpsecAttr.KEY_LENGTH, e.keyLength));
        out.push({ number: out.length + 1, id: e.id, attributes });
      }
    }
  }
  return out;
}

/** RFC 2407 §4.2 SA payload with one ESP proposal carrying our inbound SPI. */
export function phase2SaPayload(spi: number, transforms: IsakmpTransform[], proposalNumber = 1): IsakmpPayload {
  const s = new Uint8Array(4);
  new DataView(s.buffer).setUint32(0, spi >>> 0);
  return {
    kind: 'SA',
    doi: IPSEC_DOI,
    situation: SIT_IDENTITY_ONLY,
    proposals: [{ number: proposalNumber, protocolId: IsakmpProtocol.IPSEC_ESP, spi: s, transforms }],
  };
}

/** The suite a transform describes, or why esprit cannot use it. */
export function parsePhase2Transform(t: IsakmpTransform): Phase2Suite | string {
  if (!ESP_IDS.has(t.id)) return `ESP transform ID ${t.id}`;
  const v = new Map<number, number | undefined>();
  for (const a of t.attributes) v.set(a.type, attributeNumber(a));
  const keyBits = v.get(IpsecAttr.KEY_LENGTH);
  if (t.id !== 3 && keyBits !== 128 && keyBits !== 192 && keyBits !== 256) return `AES key length ${keyBits}`;
  const auth = v.get(IpsecAttr.AUTHENTICATION_ALGORITHM);
  const integ = auth === undefined ? undefined : [...AUTH_OF_INTEG].find(([, a]) => a === auth)?.[0];
  if (AEAD_IDS.has(t.id) ? auth !== undefined : integ === undefined) return `authentication algorithm ${auth}`;
  const group = v.get(IpsecAttr.GROUP_DESCRIPTION) ?? 0;
  if (group !== 0 && !GROUPS.has(group)) return `group ${group}`;
  // RFC 2407 §4.5: without the attribute the mode is unspecified; tunnel is what everyone means.
  const encapMode = v.get(IpsecAttr.ENCAPSULATION_MODE) ?? EncapsulationMode.TUNNEL;
  if (!(Object.values(EncapsulationMode) as number[]).includes(encapMode)) return `encapsulation mode ${encapMode}`;
  // §4.5: default lifetime 28800 s; a kilobyte lifetime is ignored (esprit counts seconds).
  let lifetimeSeconds = 28800;
  const lt = t.attributes.filter((a) => a.type === IpsecAttr.SA_LIFE_TYPE || a.type === IpsecAttr.SA_LIFE_DURATION);
  for (let i = 0; i + 1 < lt.length; i += 2) {
    const a = lt[i];
    const d = lt[i + 1];
    if (a?.type === IpsecAttr.SA_LIFE_TYPE && d?.type === IpsecAttr.SA_LIFE_DURATION)
      if (attributeNumber(a) === LifeType.SECONDS) lifetimeSeconds = attributeNumber(d) ?? lifetimeSeconds;
  }
  return {
    encr: t.id,
    ...(t.id !== 3 ? { keyBits } : {}),
    ...(integ !== undefined ? { integ } : {}),
    group,
    encapMode,
    lifetimeSeconds,
  };
}

/** Does one of our ESP proposals contain this suite (cipher, key length, integrity, PFS group)? */
export function phase2Allowed(proposals: readonly Proposal[], s: Phase2Suite): boolean {
  return proposals.some(
    (p) =>
      p.transforms.encr.some((e) => e.id === s.encr && (s.encr === 3 || e.keyLength === s.keyBits)) &&
      (s.integ === undefined ? AEAD_IDS.has(s.encr) : p.transforms.integ.includes(s.integ)) &&
      (s.group === 0 ? p.transforms.dh.length === 0 || p.transforms.dh.includes(0) : p.transforms.dh.includes(s.group)),
  );
}

export interface Phase2Selection {
  transform: IsakmpTransform;
  suite: Phase2Suite;
  proposalNumber: number;
  /** the peer's inbound SPI: our outbound SPI */
  spi: number;
}

/**
 * Responder: the first ESP transform we accept whose mode is one of `modes`; undefined when
 * none (NO-PROPOSAL-CHOSEN). A proposal AND-ed with another protocol (same number, RFC 2408
 * §3.5: ESP with AH or IPComp) is skipped: esprit negotiates ESP alone.
 */
export function selectPhase2(
  sa: Extract<IsakmpPayload, { kind: 'SA' }>,
  ours: readonly Proposal[],
  modes: readonly number[],
): Phase2Selection | undefined {
  for (const p of sa.proposals) {
    if (p.protocolId !== IsakmpProtocol.IPSEC_ESP || p.spi.length !== 4) continue;
    if (sa.proposals.some((q) => q !== p && q.number === p.number)) continue;
    for (const t of p.transforms) {
      const s = parsePhase2Transform(t);
      if (typeof s === 'string' || !modes.includes(s.encapMode) || !phase2Allowed(ours, s)) continue;
      const spi = new DataView(p.spi.buffer, p.spi.byteOffset, 4).getUint32(0);
      return { transform: t, suite: s, proposalNumber: p.number, spi };
    }
  }
  return undefined;
}

/** ESP key lengths in octets for a suite: encryption (with the GCM salt, RFC 4106 §8.1) and integrity. */
export function espKeyLengths(s: Phase2Suite): { encr: number; integ: number } {
  const encr = s.encr === 3 ? 24 : (s.keyBits ?? 0) / 8 + (AEAD_IDS.has(s.encr) ? 4 : 0);
  const integ = s.integ === undefined ? 0 : ({ 1: 16, 2: 20, 12: 32, 13: 48, 14: 64 }[s.integ] ?? 0);
  return { encr, integ };
}
