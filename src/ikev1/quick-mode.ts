/**
 * Quick Mode (RFC 2409 §5.5): one phase 2 SA pair (ESP, one traffic-selector pair) per
 * exchange, with or without PFS, in both roles, under an established ISAKMP SA:
 *
 *   Initiator                                   Responder
 *   HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, NAT-OAi, NAT-OAr]  -->
 *         <--  HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, NAT-OAi, NAT-OAr]
 *   HDR*, HASH(3)                               -->
 *
 *   HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [| KE] [| IDci | IDcr])
 *   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [| KE] [| IDci | IDcr])
 *   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 *   KEYMAT  = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b) ... per direction
 *
 * The SPI of each direction is chosen by its receiver (GETSPI through PF_KEY before QM1 or
 * QM2 goes out), so the KEYMAT of our inbound SA uses our SPI. The initiator installs both
 * SAs once it has sent HASH(3); the responder when HASH(3) arrives (strongSwan does the same;
 * the commit bit of §5.5 is not set by esprit and a received one is not waited on). NAT-T:
 * the Encapsulation Mode is the UDP one of the phase 1 variant when a NAT was detected or
 * faked (RFC 3947 §5.1, protocol-facts §1.6); NAT-OA goes with transport mode only (§5.2).
 */
import type { ChildConfig } from '../config/swanctl/swanctl-model.js';
import { intersectTs, parseTsList, type TrafficSelector, tsIsSubset, tsToString } from '../config/traffic-selector.js';
import { createKeyExchange, type KeyExchange, keyExchangeLength } from '../crypto/ike/key-exchange.js';
import { hash1, quickModeHash2, quickModeHash3, quickModeKeymat } from '../crypto/ikev1/ikev1-keymat.js';
import type { ChildSaPlan } from '../ike/child-sa-plan.js';
import { bytesEqual } from '../util/hex.js';
import { ipFromBytes } from '../util/ip-addr.js';
import type { IsakmpPayload, IsakmpTransform } from '../wire/isakmp/isakmp-types.js';
import { IsakmpExchange, IsakmpProtocol } from '../wire/registry/isakmp.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { findPayload } from './phase1-message.js';
import { readResponderLifetime, responderLifetimeNotify } from './phase1-rekey.js';
import { phase2Lifetime, responderLowers } from './phase2-lifetime.js';
import {
  type EncapChoice,
  encapsulationMode,
  espKeyLengths,
  isTransportMode,
  type Phase2Suite,
  parsePhase2Transform,
  phase2Allowed,
  phase2SaPayload,
  phase2Transforms,
  selectPhase2,
} from './phase2-proposal.js';
import { idFromTs, tsFromId } from './traffic-id.js';

/** RFC 2409 §5: nonces of 8 to 256 octets; esprit sends 32. */
const NONCE_LENGTH = 32;

export type QmState = 'spi-wait' | 'qm1-sent' | 'qm2-sent' | 'done';

/** One Quick Mode exchange, by its message ID. */
export interface QuickModeExchange {
  readonly mid: number;
  readonly initiator: boolean;
  child: ChildConfig;
  state: QmState;
  /** the CBC IV of the next message of this exchange */
  iv: Uint8Array;
  /** local / remote selectors (initiator: IDci / IDcr; responder: IDcr / IDci) */
  localTs: TrafficSelector;
  remoteTs: TrafficSelector;
  /** IDci/IDcr went (initiator) or came (responder) in QM1: QM2 echoes them */
  withIds: boolean;
  spiIn?: number;
  spiOut?: number;
  nonceI?: Uint8Array;
  nonceR?: Uint8Array;
  ke?: KeyExchange;
  peerKe?: Uint8Array;
  suite?: Phase2Suite;
  /** responder: the transform and proposal number it chose, for QM2 */
  chosen?: { transform: IsakmpTransform; proposalNumber: number };
  requestId?: number;
  /** the CHILD SA this exchange rekeys (its SPI goes in a Delete once the new one is in) */
  replaces?: number;
  /** initiator: the responder's RESPONDER-LIFETIME from QM2, seconds (RFC 2407 §4.6.3.1) */
  responderLifetime?: number;
  /** the peer's NAT-OAi and NAT-OAr (RFC 3947 §5.2), from QM1 or QM2 */
  peerOa?: { i: Uint8Array; r: Uint8Array };
}

/** NAT-OAi, NAT-OAr in that order (RFC 3947 §5.2), when the message has both. */
function peerNatOa(p: IsakmpPayload[]): { i: Uint8Array; r: Uint8Array } | undefined {
  const oa = p.flatMap((x) => (x.kind === 'NAT-OA' ? [x.address] : []));
  const [i, r] = oa;
  return oa.length === 2 && i && r ? { i, r } : undefined;
}

/**
 * The original addresses of the peer's packets for the transport-mode checksum fix-up
 * (RFC 3948 §3.1.2, ipsecd's NAT-OA): the peer computed its TCP/UDP checksums over its own
 * address and ours as it sees them, which is what its NAT-OA payloads say. The responder got
 * (OAi = the initiator, OAr = us) in QM1; the initiator got them in QM2 (OAi = us as the
 * responder sees us, OAr = the responder).
 */
function inboundOa(ex: QuickModeExchange): { src: Uint8Array; dst: Uint8Array } | undefined {
  const o = ex.peerOa;
  if (!o) return undefined;
  return ex.initiator ? { src: o.r, dst: o.i } : { src: o.i, dst: o.r };
}

export type QmResult =
  | { kind: 'send'; bytes: Uint8Array; payloads: IsakmpPayload[] }
  /** the exchange is complete: install `plan` */
  | { kind: 'install'; plan: ChildSaPlan; send?: { bytes: Uint8Array; payloads: IsakmpPayload[] } }
  | { kind: 'fail'; notify: string; reason: string }
  | { kind: 'drop'; reason: string };

export interface QuickModeDeps {
  random(buf: Uint8Array): void;
  reqidFor(sa: Ikev1Sa, child: string, remoteTs: TrafficSelector[]): number;
}

/** The phase 1 outcome that decides UDP encapsulation (RFC 3947 §5.1). */
export function encapChoice(sa: Ikev1Sa, transport: boolean): EncapChoice {
  const udp = sa.natt !== undefined && (sa.localBehindNat || sa.remoteBehindNat || sa.conn.encap);
  return { transport, udp, draft: sa.natt !== undefined && sa.natt.natd !== 20 };
}

/** `dynamic` on our side is the virtual IP Mode Config gave us (client), else our address. */
function localTsOf(child: ChildConfig, sa: Ikev1Sa): TrafficSelector[] {
  const dyn = sa.vipsLocal && sa.vipsLocal.length > 0 ? sa.vipsLocal : [sa.local.address];
  return parseTsList(child.localTs, dyn.map(ipFromBytes));
}
/** `dynamic` on the peer's side is the virtual IP Mode Config gave it, else its address. */
function remoteTsOf(child: ChildConfig, sa: Ikev1Sa): TrafficSelector[] {
  const dyn = sa.vipsRemote.length > 0 ? sa.vipsRemote : [sa.remote.address];
  return parseTsList(child.remoteTs, dyn.map(ipFromBytes));
}

/** RFC 3947 §5.2 NAT-OAi / NAT-OAr: the initiator's and responder's addresses as each side knows them. */
function natOa(sa: Ikev1Sa, ex: QuickModeExchange): IsakmpPayload[] {
  if (!sa.natt || !isTransportMode(ex.suite?.encapMode ?? 0) || !encapChoice(sa, true).udp) return [];
  const draft = sa.natt.natd !== 20;
  const oa = (a: Uint8Array): IsakmpPayload => ({
    kind: 'NAT-OA',
    draft,
    idType: a.length === 4 ? 1 : 5,
    address: a,
  });
  // Initiator: its own address, then the peer's as it sees it; the responder: the reverse view.
  return ex.initiator ? [oa(sa.local.address), oa(sa.remote.address)] : [oa(sa.remote.address), oa(sa.local.address)];
}

/** Initiator: the exchange for `child`, waiting for its inbound SPI. */
export function newInitiatorExchange(
  sa: Ikev1Sa,
  child: ChildConfig,
  mid: number,
  iv: Uint8Array,
): QuickModeExchange | string {
  const l = localTsOf(child, sa)[0];
  const r = remoteTsOf(child, sa)[0];
  if (!l || !r) return `${child.name}: no traffic selectors`;
  return { mid, initiator: true, child, state: 'spi-wait', iv, localTs: l, remoteTs: r, withIds: true };
}

/** Initiator, SPI allocated: QM1. */
export function buildQm1(deps: QuickModeDeps, sa: Ikev1Sa, ex: QuickModeExchange, seal: Sealer): QmResult {
  const transport = ex.child.mode === 'transport';
  const encap = encapsulationMode(encapChoice(sa, transport));
  const transforms = phase2Transforms(ex.child.espProposals, encap, ex.child.lifeTime);
  if (transforms.length === 0)
    return { kind: 'fail', notify: 'NO-PROPOSAL-CHOSEN', reason: 'no ESP proposal expressible in IKEv1' };
  const first = parsePhase2Transform(transforms[0] as NonNullable<(typeof transforms)[0]>);
  ex.nonceI = nonce(deps);
  const out: IsakmpPayload[] = [phase2SaPayload(ex.spiIn ?? 0, transforms), { kind: 'No', nonce: ex.nonceI }];
  if (typeof first !== 'string' && first.group !== 0) {
    ex.ke = createKeyExchange(first.group, { fill: deps.random });
    out.push({ kind: 'KE', keyData: ex.ke.publicValue });
  }
  out.push(idFromTs(ex.localTs), idFromTs(ex.remoteTs));
  if (typeof first !== 'string') ex.suite = { ...first };
  out.push(...natOa(sa, ex));
  const keys = sa.keys;
  if (!keys || !sa.suite) throw new Error('assertion failed: Quick Mode before keys');
  const prfId = sa.suite.prf;
  ex.state = 'qm1-sent';
  return seal(ex, out, (rest) => hash1(prfId, keys.skeyidA, ex.mid, rest));
}

/** Seals a protected message of exchange `ex` and advances its IV. */
export type Sealer = (
  ex: QuickModeExchange,
  after: IsakmpPayload[],
  hashOf: (rest: Uint8Array) => Uint8Array,
) => { kind: 'send'; bytes: Uint8Array; payloads: IsakmpPayload[] };

function nonce(deps: QuickModeDeps): Uint8Array {
  const n = new Uint8Array(NONCE_LENGTH);
  deps.random(n);
  return n;
}

function checkNonce(p: IsakmpPayload[]): Uint8Array | string {
  const no = findPayload(p, 'No');
  if (!no) return 'no nonce';
  if (no.nonce.length < 8 || no.nonce.length > 256) return `nonce of ${no.nonce.length} octets (RFC 2409 §5: 8-256)`;
  return no.nonce;
}

/** IDci and IDcr (both or neither, RFC 2409 §5.5) as selectors; undefined without IDs. */
function clientIds(p: IsakmpPayload[]): [TrafficSelector, TrafficSelector] | undefined | string {
  const ids = p.filter((x): x is Extract<IsakmpPayload, { kind: 'ID' }> => x.kind === 'ID');
  if (ids.length === 0) return undefined;
  if (ids.length !== 2) return `${ids.length} ID payloads (IDci and IDcr come in pairs)`;
  const i = tsFromId(ids[0] as NonNullable<(typeof ids)[0]>);
  const r = tsFromId(ids[1] as NonNullable<(typeof ids)[1]>);
  if (typeof i === 'string') return i;
  if (typeof r === 'string') return r;
  return [i, r];
}

/**
 * Responder, QM1 (HASH(1) verified by the caller): choose the child whose selectors contain
 * the proposed ones (IKEv1 cannot narrow: QM2 echoes the IDs), and the transform. Without IDs
 * the selectors are the phase 1 addresses (§5.5).
 */
export function processQm1(
  sa: Ikev1Sa,
  mid: number,
  iv: Uint8Array,
  payloads: IsakmpPayload[],
): QuickModeExchange | { notify: string; reason: string } {
  const saP = findPayload(payloads, 'SA');
  if (!saP) return { notify: 'PAYLOAD-MALFORMED', reason: 'QM1 without SA' };
  const ni = checkNonce(payloads);
  if (typeof ni === 'string') return { notify: 'PAYLOAD-MALFORMED', reason: ni };
  const ids = clientIds(payloads);
  if (typeof ids === 'string') return { notify: 'INVALID-ID-INFORMATION', reason: ids };
  const host = (a: Uint8Array): TrafficSelector => ({
    family: a.length === 4 ? 4 : 6,
    protocol: 0,
    startPort: 0,
    endPort: 65535,
    startAddr: a,
    endAddr: a,
  });
  const [tsi, tsr] = ids ?? [host(sa.remote.address), host(sa.local.address)];
  let reason = `no child for ${tsToString(tsi)} === ${tsToString(tsr)}`;
  for (const child of sa.conn.children) {
    // Narrowed to our selectors, as strongSwan and Cisco do: vpnc proposes 0.0.0.0/0 as IDcr
    // and takes the responder's IDs (QM2 carries the narrowed ones).
    const narrowI = remoteTsOf(child, sa)
      .map((t) => intersectTs(tsi, t))
      .find((t) => t !== undefined);
    const narrowR = localTsOf(child, sa)
      .map((t) => intersectTs(tsr, t))
      .find((t) => t !== undefined);
    if (!narrowI || !narrowR) continue;
    const transport = child.mode === 'transport';
    const c = encapChoice(sa, transport);
    // Accept the plain and the UDP form of the child's mode: the peer's NAT verdict may differ
    // from ours (a faked NAT), and the SA is encapsulated by what phase 1 found.
    const modes = [encapsulationMode({ ...c, udp: false }), encapsulationMode({ ...c, udp: true })];
    const sel = selectPhase2(saP, child.espProposals, modes);
    if (!sel) {
      reason = `${child.name}: no acceptable ESP transform`;
      continue;
    }
    const ke = findPayload(payloads, 'KE');
    if (sel.suite.group !== 0 && (!ke || ke.keyData.length !== keyExchangeLength(sel.suite.group)))
      return { notify: 'INVALID-KEY-INFORMATION', reason: 'PFS group chosen without a matching KE' };
    const oa = peerNatOa(payloads);
    return {
      ...(oa ? { peerOa: oa } : {}),
      mid,
      initiator: false,
      child,
      state: 'spi-wait',
      iv,
      localTs: narrowR,
      remoteTs: narrowI,
      withIds: ids !== undefined,
      spiOut: sel.spi,
      nonceI: ni,
      ...(ke && sel.suite.group !== 0 ? { peerKe: ke.keyData } : {}),
      suite: sel.suite,
      chosen: { transform: sel.transform, proposalNumber: sel.proposalNumber },
    };
  }
  return { notify: 'NO-PROPOSAL-CHOSEN', reason };
}

/** Responder, SPI allocated: QM2. */
export function buildQm2(deps: QuickModeDeps, sa: Ikev1Sa, ex: QuickModeExchange, seal: Sealer): QmResult {
  const { suite, chosen, nonceI } = ex;
  const keys = sa.keys;
  if (!suite || !chosen || !nonceI || !keys || !sa.suite) throw new Error('assertion failed: QM2 before QM1');
  ex.nonceR = nonce(deps);
  const out: IsakmpPayload[] = [
    phase2SaPayload(ex.spiIn ?? 0, [chosen.transform], chosen.proposalNumber),
    { kind: 'No', nonce: ex.nonceR },
  ];
  if (suite.group !== 0) {
    ex.ke = createKeyExchange(suite.group, { fill: deps.random });
    out.push({ kind: 'KE', keyData: ex.ke.publicValue });
  }
  if (ex.withIds) out.push(idFromTs(ex.remoteTs), idFromTs(ex.localTs));
  out.push(...natOa(sa, ex));
  // RFC 2407 §4.6.3.1: a lower lifetime of ours goes to the initiator with our inbound SPI
  const lower = responderLowers(ex.child, suite.lifetimeSeconds);
  if (lower !== undefined) out.push(responderLifetimeNotify(IsakmpProtocol.IPSEC_ESP, spiBytes(ex.spiIn ?? 0), lower));
  const prfId = sa.suite.prf;
  ex.state = 'qm2-sent';
  return seal(ex, out, (rest) => quickModeHash2(prfId, keys.skeyidA, ex.mid, nonceI, rest));
}

/** Initiator, QM2 (HASH(2) verified by the caller): check the choice, send HASH(3), install. */
export function processQm2(
  deps: QuickModeDeps,
  sa: Ikev1Sa,
  ex: QuickModeExchange,
  payloads: IsakmpPayload[],
  seal: Sealer,
  now: number,
): QmResult {
  const saP = findPayload(payloads, 'SA');
  const prop = saP?.proposals.length === 1 ? saP.proposals[0] : undefined;
  const t = prop?.transforms.length === 1 ? prop.transforms[0] : undefined;
  if (!prop || !t || prop.protocolId !== IsakmpProtocol.IPSEC_ESP || prop.spi.length !== 4)
    return { kind: 'fail', notify: 'BAD-PROPOSAL-SYNTAX', reason: 'QM2 must hold one ESP proposal with one transform' };
  const suite = parsePhase2Transform(t);
  if (typeof suite === 'string') return { kind: 'fail', notify: 'NO-PROPOSAL-CHOSEN', reason: `QM2: ${suite}` };
  if (!phase2Allowed(ex.child.espProposals, suite) || suite.group !== (ex.suite?.group ?? 0))
    return { kind: 'fail', notify: 'NO-PROPOSAL-CHOSEN', reason: 'the responder chose a transform we did not offer' };
  const nr = checkNonce(payloads);
  if (typeof nr === 'string') return { kind: 'fail', notify: 'PAYLOAD-MALFORMED', reason: nr };
  const ids = clientIds(payloads);
  if (typeof ids === 'string') return { kind: 'fail', notify: 'INVALID-ID-INFORMATION', reason: ids };
  // §5.5: the responder returns the identities; it may narrow them (strongSwan, Cisco), never widen.
  if (ids && !(tsIsSubset(ids[0], ex.localTs) && tsIsSubset(ids[1], ex.remoteTs)))
    return { kind: 'fail', notify: 'INVALID-ID-INFORMATION', reason: 'QM2 widened the client identities' };
  if (ids) {
    ex.localTs = ids[0];
    ex.remoteTs = ids[1];
  }
  if (suite.group !== 0) {
    const ke = findPayload(payloads, 'KE');
    if (!ke || ke.keyData.length !== keyExchangeLength(suite.group))
      return { kind: 'fail', notify: 'INVALID-KEY-INFORMATION', reason: 'PFS without a matching KE in QM2' };
    ex.peerKe = ke.keyData;
  }
  ex.spiOut = new DataView(prop.spi.buffer, prop.spi.byteOffset, 4).getUint32(0);
  ex.nonceR = nr;
  for (const p of payloads) {
    const s = readResponderLifetime(p, IsakmpProtocol.IPSEC_ESP);
    if (s !== undefined) ex.responderLifetime = s;
  }
  const oa = peerNatOa(payloads);
  if (oa) ex.peerOa = oa;
  // keep the encapsulation mode we offered (the responder's echo may name the other NAT-T form)
  ex.suite = { ...suite, encapMode: ex.suite?.encapMode ?? suite.encapMode };
  const keys = sa.keys;
  const nonceI = ex.nonceI;
  if (!keys || !sa.suite || !nonceI) throw new Error('assertion failed: QM2 before QM1');
  const prfId = sa.suite.prf;
  const sent = seal(ex, [], () => quickModeHash3(prfId, keys.skeyidA, ex.mid, nonceI, nr));
  const plan = childPlan(deps, sa, ex, now);
  if (typeof plan === 'string') return { kind: 'fail', notify: 'INVALID-KEY-INFORMATION', reason: plan };
  ex.state = 'done';
  return { kind: 'install', plan, send: sent };
}

/** Responder, QM3: HASH(3) must verify; then install. */
export function processQm3(
  deps: QuickModeDeps,
  sa: Ikev1Sa,
  ex: QuickModeExchange,
  hash: Uint8Array,
  now: number,
): QmResult {
  const keys = sa.keys;
  const { nonceI, nonceR } = ex;
  if (!keys || !sa.suite || !nonceI || !nonceR) throw new Error('assertion failed: QM3 before QM2');
  if (!bytesEqual(hash, quickModeHash3(sa.suite.prf, keys.skeyidA, ex.mid, nonceI, nonceR)))
    return { kind: 'drop', reason: 'HASH(3) does not verify' };
  const plan = childPlan(deps, sa, ex, now);
  if (typeof plan === 'string') return { kind: 'fail', notify: 'INVALID-KEY-INFORMATION', reason: plan };
  ex.state = 'done';
  return { kind: 'install', plan };
}

function spiBytes(spi: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, spi >>> 0);
  return b;
}

/** KEYMAT for both directions (§5.5; encryption key first, then the integrity key) and the PF_KEY plan. */
function childPlan(deps: QuickModeDeps, sa: Ikev1Sa, ex: QuickModeExchange, _now: number): ChildSaPlan | string {
  const { suite, nonceI, nonceR, spiIn, spiOut } = ex;
  const keys = sa.keys;
  if (!suite || !nonceI || !nonceR || spiIn === undefined || spiOut === undefined || !keys || !sa.suite)
    throw new Error('assertion failed: KEYMAT before the exchange completed');
  let gxy: Uint8Array | undefined;
  if (suite.group !== 0) {
    if (!ex.ke || !ex.peerKe) return 'PFS without key exchange values';
    try {
      gxy = ex.ke.sharedSecret(ex.peerKe);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }
  const len = espKeyLengths(suite);
  const km = (spi: number): Uint8Array =>
    quickModeKeymat(sa.suite?.prf ?? 0, keys.skeyidD, 3, spiBytes(spi), nonceI, nonceR, len.encr + len.integ, gxy);
  const kin = km(spiIn);
  const kout = km(spiOut);
  const split = (k: Uint8Array) => ({
    encrKey: k.slice(0, len.encr),
    ...(len.integ > 0 ? { integKey: k.slice(len.encr) } : {}),
  });
  const transport = isTransportMode(suite.encapMode);
  const c = encapChoice(sa, transport);
  const framing = sa.natt?.float === false ? ('udp-encaps-00' as const) : ('rfc3948' as const);
  const plan: ChildSaPlan = {
    ikeId: sa.id,
    conn: sa.conn.name,
    child: ex.child.name,
    reqid: deps.reqidFor(sa, ex.child.name, [ex.remoteTs]),
    mode: transport ? 'transport' : 'tunnel',
    encr: suite.keyBits === undefined ? { id: suite.encr } : { id: suite.encr, keyBits: suite.keyBits },
    esn: false,
    replayWindow: ex.child.replayWindow,
    inbound: { spi: spiIn, src: sa.remote.address, dst: sa.local.address, ...split(kin) },
    outbound: { spi: spiOut, src: sa.local.address, dst: sa.remote.address, ...split(kout) },
    ...(sa.ciscoUdpPort !== undefined
      ? // Cisco UDP: ESP in UDP to the port of 28677; the gateway learns the client's NAT
        // mapping from its first packet (ipsecd's float), the client sends from its own port
        // (cisco_udp_port, vpnc's --udp-port) and keeps the mapping alive
        {
          encap: {
            localPort: sa.ciscoUdpLocalPort ?? sa.ciscoUdpPort,
            remotePort: sa.ciscoUdpPort,
            framing: 'cisco-udp' as const,
          },
        }
      : c.udp
        ? { encap: { localPort: sa.local.port, remotePort: sa.remote.port, framing, ...oaOf(transport, ex) } }
        : {}),
    keepalive: (c.udp && (sa.localBehindNat || sa.conn.encap)) || (sa.ciscoUdpPort !== undefined && sa.initiator),
    float: (c.udp && sa.remoteBehindNat) || (sa.ciscoUdpPort !== undefined && !sa.initiator),
    localTs: [ex.localTs],
    remoteTs: [ex.remoteTs],
    lifetime: {
      // ipsecd's soft EXPIRE starts a rekey, on either side (phase2-lifetime.ts)
      ...phase2Lifetime(ex.initiator, ex.child, suite.lifetimeSeconds, ex.responderLifetime),
      softBytes: 0,
      hardBytes: ex.child.lifeBytes,
      softPackets: 0,
      hardPackets: ex.child.lifePackets,
    },
  };
  if (suite.integ !== undefined) plan.integ = suite.integ;
  return plan;
}

/** NAT-OA for the SAs (PF_KEY X_NAT_T_OA*), transport mode only (RFC 3947 §5.2). */
function oaOf(transport: boolean, ex: QuickModeExchange): { oa?: { src: Uint8Array; dst: Uint8Array } } {
  const oa = transport ? inboundOa(ex) : undefined;
  return oa ? { oa } : {};
}

/** The exchange type of Quick Mode messages. */
export const QUICK_MODE = IsakmpExchange.QUICK_MODE;
