/**
 * Creating a CHILD SA, shared by IKE_AUTH (§1.2) and CREATE_CHILD_SA (§1.3.1): the payloads
 * an initiator offers, the responder's choice (proposal §2.7, traffic selector narrowing
 * §2.9), key material (§2.17) and the installation plan handed to PF_KEY.
 */

import type { Proposal } from '../config/proposal.js';
import type { ChildConfig, ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import {
  narrowChildTs,
  parseTsList,
  type TrafficSelector,
  tsIsSubset,
  tsToString,
} from '../config/traffic-selector.js';
import { deriveChildKeys } from '../crypto/ike/ike-keymat.js';
import { type SelectedProposal, selectProposal } from '../ike/proposal-select.js';
import { ipFromBytes } from '../util/ip-addr.js';
import type { IkePayload, IkeTs } from '../wire/ike/ike-types.js';
import { appended, keptProposal, packSelectors } from './compact-state.js';
import type { ChildSa, IkeSa } from './ike-sa.js';
import type { ChildSaPlan } from './ikev2-actions.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify, TsType } from './ikev2-numbers.js';
import { first, notifies, notify } from './payload-find.js';
import { payloadToReceived, proposalsToPayload, selectedToPayload, withoutDh } from './proposal-payload.js';

export function tsToPayload(ts: TrafficSelector): IkeTs {
  return {
    tsType: ts.family === 4 ? TsType.TS_IPV4_ADDR_RANGE : TsType.TS_IPV6_ADDR_RANGE,
    ipProtocol: ts.protocol,
    startPort: ts.startPort,
    endPort: ts.endPort,
    startAddr: ts.startAddr,
    endAddr: ts.endAddr,
  };
}

/**
 * Selectors of a type we do not know (§3.13.1) are skipped, as strongSwan does. Addresses are
 * copied: views would keep the whole decrypted message alive as long as the CHILD SA.
 */
export function tsFromPayload(list: IkeTs[]): TrafficSelector[] {
  const out: TrafficSelector[] = [];
  for (const t of list) {
    if (t.tsType === TsType.TS_IPV4_ADDR_RANGE && t.startAddr.length === 4)
      out.push({
        family: 4,
        protocol: t.ipProtocol,
        startPort: t.startPort,
        endPort: t.endPort,
        startAddr: t.startAddr.slice(),
        endAddr: t.endAddr.slice(),
      });
    else if (t.tsType === TsType.TS_IPV6_ADDR_RANGE && t.startAddr.length === 16)
      out.push({
        family: 6,
        protocol: t.ipProtocol,
        startPort: t.startPort,
        endPort: t.endPort,
        startAddr: t.startAddr.slice(),
        endAddr: t.endAddr.slice(),
      });
  }
  return out;
}

const FULL4: TrafficSelector = {
  family: 4,
  protocol: 0,
  startPort: 0,
  endPort: 65535,
  startAddr: new Uint8Array(4),
  endAddr: new Uint8Array(4).fill(255),
};
const FULL6: TrafficSelector = {
  family: 6,
  protocol: 0,
  startPort: 0,
  endPort: 65535,
  startAddr: new Uint8Array(16),
  endAddr: new Uint8Array(16).fill(255),
};

/**
 * Our local selectors as an initiator. With virtual IPs requested, `dynamic` stands for the
 * address we will get, so the whole family is proposed and the responder narrows it to the
 * lease (strongSwan does the same).
 */
export function initiatorLocalTs(child: ChildConfig, conn: ConnectionConfig, sa: IkeSa): TrafficSelector[] {
  if (sa.vipsLocal.length > 0) return parseTsList(child.localTs, sa.vipsLocal.map(ipFromBytes));
  if (conn.vips.length > 0 && child.localTs.every((t) => t.trim() === 'dynamic')) {
    const fams = new Set(conn.vips.map((v) => (v.includes(':') ? 6 : 4)));
    return [...(fams.has(4) ? [FULL4] : []), ...(fams.has(6) ? [FULL6] : [])];
  }
  return parseTsList(child.localTs, [ipFromBytes(sa.local.address)]);
}

export function remoteTsOf(child: ChildConfig, sa: IkeSa, dynamic: Uint8Array[]): TrafficSelector[] {
  return parseTsList(child.remoteTs, dynamic.length > 0 ? dynamic.map(ipFromBytes) : [ipFromBytes(sa.remote.address)]);
}

/** The SA, TSi, TSr (and transport-mode notify) an initiator sends for `child`. */
export function offerChild(
  child: ChildConfig,
  spiIn: number,
  tsi: TrafficSelector[],
  tsr: TrafficSelector[],
  inAuth: boolean,
): IkePayload[] {
  const spi = new Uint8Array(4);
  new DataView(spi.buffer).setUint32(0, spiIn);
  const props: Proposal[] = inAuth ? withoutDh(child.espProposals) : child.espProposals;
  const out: IkePayload[] = [];
  if (child.mode === 'transport') out.push(notify(Notify.USE_TRANSPORT_MODE));
  out.push(
    { kind: 'SA', proposals: proposalsToPayload(props, spi, !inAuth) },
    { kind: 'TSi', selectors: tsi.map(tsToPayload) },
    { kind: 'TSr', selectors: tsr.map(tsToPayload) },
  );
  return out;
}

export type ChildChoice =
  | {
      ok: true;
      child: ChildConfig;
      sel: SelectedProposal;
      tsi: TrafficSelector[];
      tsr: TrafficSelector[];
      spiOut: number;
    }
  | { ok: false; notify: number; reason: string };

function stripDh(p: IkePayload & { kind: 'SA' }): IkePayload & { kind: 'SA' } {
  return {
    kind: 'SA',
    proposals: p.proposals.map((x) => ({ ...x, transforms: x.transforms.filter((t) => t.type !== 4) })),
  };
}

/**
 * Responder: choose the CHILD config whose selectors narrow the peer's (§2.9), then the ESP
 * proposal (§2.7). `remoteDynamic` are the peer's virtual IPs (else its address).
 */
export function chooseChild(
  sa: IkeSa,
  conn: ConnectionConfig,
  payloads: IkePayload[],
  inAuth: boolean,
  remoteDynamic: Uint8Array[],
): ChildChoice {
  const saRaw = first(payloads, 'SA');
  const tsiP = first(payloads, 'TSi');
  const tsrP = first(payloads, 'TSr');
  if (!saRaw || !tsiP || !tsrP) return { ok: false, notify: Notify.INVALID_SYNTAX, reason: 'SA, TSi or TSr missing' };
  // §1.2: the first CHILD SA takes its keys from the IKE SA; a DH transform offered here is ignored.
  const saP = inAuth ? stripDh(saRaw) : saRaw;
  const transport = notifies(payloads, Notify.USE_TRANSPORT_MODE).length > 0;
  const tsi = tsFromPayload(tsiP.selectors);
  const tsr = tsFromPayload(tsrP.selectors);
  let reason = 'no CHILD config matches';
  let tsFailed = false;
  const localDynamic =
    sa.vipsLocal.length > 0 ? sa.vipsLocal.map((v) => ipFromBytes(v)) : [ipFromBytes(sa.local.address)];
  for (const child of conn.children) {
    if ((child.mode === 'transport') !== transport) continue;
    const n = narrowChildTs(
      tsi,
      tsr,
      // `dynamic` on our side is the virtual IP we got, when we got one (a gateway that
      // rekeys or adds a CHILD SA towards a road warrior names that address).
      parseTsList(child.localTs, localDynamic),
      remoteTsOf(child, sa, remoteDynamic),
    );
    if (!n.ok) {
      tsFailed = true;
      continue;
    }
    const own = inAuth ? withoutDh(child.espProposals) : child.espProposals;
    const sel = selectProposal(own, payloadToReceived(saP.proposals));
    if (!sel.ok) {
      reason = sel.reason;
      continue;
    }
    const spi = sel.selected.spi;
    if (spi.length !== 4) return { ok: false, notify: Notify.INVALID_SYNTAX, reason: 'ESP SPI is not 4 octets' };
    const spiOut = new DataView(spi.buffer, spi.byteOffset, 4).getUint32(0);
    return { ok: true, child, sel: sel.selected, tsi: n.tsi, tsr: n.tsr, spiOut };
  }
  if (tsFailed && reason === 'no CHILD config matches')
    return { ok: false, notify: Notify.TS_UNACCEPTABLE, reason: 'traffic selectors unacceptable' };
  return { ok: false, notify: Notify.NO_PROPOSAL_CHOSEN, reason };
}

/** The responder's SA, TSi, TSr answer for a chosen child. */
export function answerChild(choice: ChildChoice & { ok: true }, spiIn: number): IkePayload[] {
  const spi = new Uint8Array(4);
  new DataView(spi.buffer).setUint32(0, spiIn);
  const out: IkePayload[] = [];
  if (choice.child.mode === 'transport') out.push(notify(Notify.USE_TRANSPORT_MODE));
  out.push(
    { kind: 'SA', proposals: [selectedToPayload(choice.sel, spi)] },
    { kind: 'TSi', selectors: choice.tsi.map(tsToPayload) },
    { kind: 'TSr', selectors: choice.tsr.map(tsToPayload) },
  );
  return out;
}

/** Initiator: check the responder's answer against what we offered. */
export function acceptAnswer(
  child: ChildConfig,
  payloads: IkePayload[],
  offeredTsi: TrafficSelector[],
  offeredTsr: TrafficSelector[],
  inAuth: boolean,
):
  | { ok: true; sel: SelectedProposal; tsi: TrafficSelector[]; tsr: TrafficSelector[]; spiOut: number }
  | { ok: false; reason: string } {
  const saP = first(payloads, 'SA');
  const tsiP = first(payloads, 'TSi');
  const tsrP = first(payloads, 'TSr');
  if (!saP || !tsiP || !tsrP) return { ok: false, reason: 'response lacks SA, TSi or TSr' };
  if (saP.proposals.length !== 1) return { ok: false, reason: 'responder returned more than one proposal' };
  const own = inAuth ? withoutDh(child.espProposals) : child.espProposals;
  const sel = selectProposal(own, payloadToReceived(inAuth ? stripDh(saP).proposals : saP.proposals));
  if (!sel.ok) return { ok: false, reason: 'responder chose a proposal we did not offer' };
  const tsi = tsFromPayload(tsiP.selectors);
  const tsr = tsFromPayload(tsrP.selectors);
  // §2.9: the responder may only narrow.
  const within = (got: TrafficSelector[], offered: TrafficSelector[]): boolean =>
    got.length > 0 && got.every((g) => offered.some((o) => tsIsSubset(g, o)));
  if (!within(tsi, offeredTsi) || !within(tsr, offeredTsr))
    return { ok: false, reason: 'responder widened the traffic selectors' };
  const spi = sel.selected.spi;
  if (spi.length !== 4) return { ok: false, reason: 'ESP SPI is not 4 octets' };
  return { ok: true, sel: sel.selected, tsi, tsr, spiOut: new DataView(spi.buffer, spi.byteOffset, 4).getUint32(0) };
}

/**
 * Derive the keys (§2.17) and build the CHILD SA and its PF_KEY plan. `exchangeInitiator`
 * is our role in the exchange that created it; `tsi`/`tsr` are the final selectors.
 */
export function makeChild(
  ctx: Ikev2Context,
  sa: IkeSa,
  child: ChildConfig,
  sel: SelectedProposal,
  exchangeInitiator: boolean,
  spiIn: number,
  spiOut: number,
  tsi: TrafficSelector[],
  tsr: TrafficSelector[],
  nonceI: Uint8Array,
  nonceR: Uint8Array,
  gir?: Uint8Array,
  replaces?: ChildSa,
): ChildSa {
  const suite: { encr: number; encrKeyBits?: number; integ?: number } = { encr: sel.encr.id };
  if (sel.encr.keyLength !== undefined) suite.encrKeyBits = sel.encr.keyLength;
  if (sel.integ !== undefined) suite.integ = sel.integ;
  const k = deriveChildKeys(sa.suite?.prf ?? 0, sa.keysOrThrow().skD, suite, gir, nonceI, nonceR);
  // §2.17: the first keys protect initiator -> responder traffic.
  const inK = exchangeInitiator ? { encr: k.encrR, integ: k.integR } : { encr: k.encrI, integ: k.integI };
  const outK = exchangeInitiator ? { encr: k.encrI, integ: k.integI } : { encr: k.encrR, integ: k.integR };
  // Kept for the CHILD SA's life: addresses in one buffer each (compact-state.ts).
  const [localTs, remoteTs] = exchangeInitiator ? packSelectors(tsi, tsr) : packSelectors(tsr, tsi);
  const encap = sa.natDetected || sa.natFaked;
  const plan: ChildSaPlan = {
    ikeId: sa.id,
    conn: sa.name,
    child: child.name,
    reqid: childReqid(ctx, sa, child.name, remoteTs),
    mode: child.mode === 'transport' ? 'transport' : 'tunnel',
    encr: sel.encr.keyLength === undefined ? { id: sel.encr.id } : { id: sel.encr.id, keyBits: sel.encr.keyLength },
    esn: sel.esn === 1,
    replayWindow: child.replayWindow,
    inbound: {
      spi: spiIn,
      src: sa.remote.address,
      dst: sa.local.address,
      encrKey: inK.encr,
      ...(inK.integ && inK.integ.length > 0 ? { integKey: inK.integ } : {}),
    },
    outbound: {
      spi: spiOut,
      src: sa.local.address,
      dst: sa.remote.address,
      encrKey: outK.encr,
      ...(outK.integ && outK.integ.length > 0 ? { integKey: outK.integ } : {}),
    },
    // RFC 3948 / §2.23: ESP in UDP on the ports IKE floated to.
    ...(encap ? { encap: { localPort: sa.local.port, remotePort: sa.remote.port } } : {}),
    keepalive: sa.localBehindNat || sa.natFaked,
    float: encap && sa.remoteBehindNat,
    localTs,
    remoteTs,
    lifetime: {
      // §2.8: the soft limits are the rekey points (rekey_* less a random share of rand_*,
      // strongSwan's jitter, so two peers rarely rekey the same CHILD SA at once); the hard
      // ones end the CHILD SA if no rekey made it.
      softSeconds: 0,
      hardSeconds: child.lifeTime,
      softBytes: rekeyPoint(ctx, child.rekeyBytes, child.randBytes),
      hardBytes: child.lifeBytes,
      softPackets: rekeyPoint(ctx, child.rekeyPackets, child.randPackets),
      hardPackets: child.lifePackets,
    },
  };
  if (sel.integ !== undefined) plan.integ = sel.integ;
  if (replaces) plan.deferOutbound = true;
  // §2.8: rekey before the hard lifetime, at rekey_time less a random share of rand_time.
  const jitter = child.randTime > 0 ? (ctx.random32() / 0x1_0000_0000) * child.randTime : 0;
  const rekeyAt = child.rekeyTime > 0 ? ctx.clock.now() + (child.rekeyTime - jitter) * 1000 : undefined;
  if (rekeyAt !== undefined) plan.lifetime.softSeconds = Math.max(1, Math.floor(child.rekeyTime - jitter));
  const c: ChildSa = {
    name: child.name,
    plan,
    spiIn,
    spiOut,
    localTs,
    remoteTs,
    proposal: keptProposal(sel),
    installedAt: ctx.clock.now(),
    ...(rekeyAt !== undefined ? { rekeyAt } : {}),
  };
  sa.children = appended(sa.children, c);
  if (replaces) replaces.replacedBy = c;
  ctx.childAdded(sa, c);
  ctx.emit({ kind: 'install-child', plan });
  ctx.event({
    kind: 'child-up',
    conn: sa.name,
    ikeId: sa.id,
    child: child.name,
    spiIn,
    spiOut,
    localTs: localTs.map(tsToString),
    remoteTs: remoteTs.map(tsToString),
  });
  return c;
}

/**
 * The reqid of a CHILD SA. On the IKE initiator one per connection/child (its trap policy and
 * ACQUIRE use the same). On the IKE responder one per connection/child *and remote selectors*:
 * a gateway's road warriors all use one connection, and several of them behind one NAT share
 * the outer address their SAs are looked up by, so each needs its own reqid to keep its
 * policies pointing at its own SAs (strongSwan allocates a reqid per distinct selector set).
 */
export function childReqid(ctx: Ikev2Context, sa: IkeSa, child: string, remoteTs: TrafficSelector[]): number {
  if (sa.initiator) return ctx.reqidFor(sa.name, child);
  return ctx.reqidFor(sa.name, `${child}/${remoteTs.map(tsToString).join(',')}`);
}

/** rekey_bytes/rekey_packets less a random share of rand_bytes/rand_packets; 0 when unset. */
function rekeyPoint(ctx: Ikev2Context, rekey: number, rand: number): number {
  if (rekey <= 0) return 0;
  const share = rand > 0 ? Math.floor((ctx.random32() / 0x1_0000_0000) * Math.min(rand, rekey - 1)) : 0;
  return rekey - share;
}

export function removeChild(ctx: Ikev2Context, sa: IkeSa, c: ChildSa, reason: string): void {
  sa.children = sa.children.filter((x) => x !== c);
  // The old CHILD SA goes: its replacement's outbound SA takes over (make-before-break).
  const next = c.replacedBy;
  if (next?.plan.deferOutbound && sa.children.includes(next)) {
    next.plan.deferOutbound = false;
    ctx.emit({ kind: 'activate-child', plan: next.plan });
  }
  ctx.emit({ kind: 'remove-child', plan: c.plan });
  ctx.event({
    kind: 'child-down',
    conn: sa.name,
    ikeId: sa.id,
    child: c.name,
    spiIn: c.spiIn,
    spiOut: c.spiOut,
    reason,
  });
}
