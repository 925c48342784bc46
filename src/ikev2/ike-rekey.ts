/**
 * Rekeying the IKE SA as responder (RFC 7296 §1.3.2, §2.18):
 *
 *   HDR(old SA), SK {SA, Ni, KEi}  -->
 *                      <--  HDR(old SA), SK {SA, Nr, KEr}
 *
 * The SA payload carries the initiator's new SPI (8 octets); ours goes in the answer. The new
 * SA's keys: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), then the usual prf+ with the
 * new SPIs. Its CHILD SAs, identities, NAT state and virtual IPs move over; the initiator of
 * the rekey is the original initiator of the new SA (§2.18), and it deletes the old one.
 * As initiator (`rekey_time` of the connection, less a random share of `rand_time`) the same
 * exchange the other way round; the old IKE SA is deleted once the new one is up.
 * Simultaneous rekeys (§2.8.2): a rekey request that arrives while ours is in flight is
 * answered as usual and its IKE SA kept aside without CHILD SAs (`rekeyCollision`); when our
 * exchange ends, the four nonces decide which new IKE SA is redundant (rekey-collision.ts),
 * and the CHILD SAs move to the other one. A rekey request during a CHILD SA exchange of ours,
 * or on an IKE SA we are closing, is answered TEMPORARY_FAILURE (§2.25.2).
 */
import { deriveIkeSaKeys, deriveRekeySkeyseed } from '../crypto/ike/ike-keymat.js';
import { createKeyExchange } from '../crypto/ike/key-exchange.js';
import { MessageWindow } from '../ike/message-window.js';
import { type SelectedProposal, selectProposal } from '../ike/proposal-select.js';
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import { keptProposal } from './compact-state.js';
import { deleteIke } from './exchange-info.js';
import { NONCE_LENGTH, suiteOf } from './exchange-init.js';
import { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify, notifyText } from './ikev2-numbers.js';
import { first, firstError, notify } from './payload-find.js';
import { payloadToReceived, proposalsToPayload, selectedToPayload } from './proposal-payload.js';
import { ourExchangeIsRedundant } from './rekey-collision.js';

/** What the engine does with the IKE SAs a rekey makes. */
export interface RekeyHooks {
  /** the new IKE SA takes over from the old (it has the CHILD SAs now) */
  adopt: (old: IkeSa, fresh: IkeSa) => void;
  /** a new IKE SA without CHILD SAs that the peer may still address (a collision's) */
  register: (fresh: IkeSa) => void;
}

export function processIkeRekeyRequest(
  ctx: Ikev2Context,
  sa: IkeSa,
  p: IkePayload[],
  respond: (payloads: IkePayload[]) => void,
  hooks: RekeyHooks,
): void {
  const conn = sa.conn;
  const saP = first(p, 'SA');
  // §2.25.2: not while a CHILD SA exchange of ours is in flight or the IKE SA is going away.
  const st = sa.lifecycle.state;
  // (While we rekey the IKE SA ourselves, the CREATE_CHILD_SA in flight is that rekey.)
  const childBusy =
    (st === 'established' && sa.pending?.exchange === ExchangeType.CREATE_CHILD_SA) ||
    sa.children.some((c) => c.deleting || c.rekeying === 'local');
  if ((st !== 'established' && st !== 'rekeying') || childBusy) {
    respond([notify(Notify.TEMPORARY_FAILURE)]);
    return;
  }
  const ni = first(p, 'No');
  const kei = first(p, 'KE');
  const oldKeys = sa.keys;
  const oldPrf = sa.suite?.prf;
  if (!conn || !saP || !ni || !kei || !oldKeys || oldPrf === undefined) {
    respond([notify(Notify.INVALID_SYNTAX)]);
    return;
  }
  const sel = selectProposal(conn.proposals, payloadToReceived(saP.proposals), kei.dhGroup);
  if (!sel.ok) {
    respond([notify(Notify.NO_PROPOSAL_CHOSEN)]);
    return;
  }
  const group = sel.selected.dh ?? 0;
  if (group !== kei.dhGroup) {
    respond([notify(Notify.INVALID_KE_PAYLOAD, new Uint8Array([group >> 8, group & 0xff]))]);
    return;
  }
  if (sel.selected.spi.length !== 8) {
    respond([notify(Notify.INVALID_SYNTAX)]);
    return;
  }
  const ke = createKeyExchange(group, ctx.rng);
  let gir: Uint8Array;
  try {
    gir = ke.sharedSecret(kei.keyData);
  } catch {
    respond([notify(Notify.INVALID_SYNTAX)]);
    return;
  }
  const spiIBytes = sel.selected.spi;
  const spiI = new DataView(spiIBytes.buffer, spiIBytes.byteOffset, 8).getBigUint64(0);
  const ours = new Uint8Array(8);
  ctx.rng.fill(ours);
  const nr = new Uint8Array(NONCE_LENGTH);
  ctx.rng.fill(nr);
  const fresh = successorSa(
    ctx,
    sa,
    false,
    spiI,
    new DataView(ours.buffer).getBigUint64(0) || 1n,
    ni.nonce.slice(),
    nr,
    {
      selected: sel.selected,
      oldPrf,
      oldSkD: oldKeys.skD,
      gir,
    },
  );
  fresh.conn = conn;
  const now = ctx.clock.now();
  const answer: IkePayload[] = [
    { kind: 'SA', proposals: [selectedToPayload(sel.selected, ours)] },
    { kind: 'No', nonce: fresh.nonceR },
    { kind: 'KE', dhGroup: group, keyData: ke.publicValue },
  ];
  if (st === 'rekeying') {
    // §2.8.2 (as §2.8.1): note the collision, answer as usual, decide when ours has ended.
    copyIdentity(sa, fresh);
    sa.rekeyCollision = { fresh, nonceI: fresh.nonceI, nonceR: fresh.nonceR };
    respond(answer);
    hooks.register(fresh);
    return;
  }
  // Everything the SA stands for moves to the new one.
  takeOver(ctx, sa, fresh);
  sa.lifecycle.transition('rekeying', 'IKE SA rekey requested by the peer', now);
  sa.lifecycle.transition('rekeyed', 'replaced by a new IKE SA', now);
  respond(answer);
  hooks.adopt(sa, fresh);
}

/**
 * The IKE SA a rekey makes (§2.18): `initiator` is the rekey's initiator, the SPIs and nonces
 * are the exchange's, SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), message IDs from zero in
 * both directions; established at once, on `old`'s endpoints.
 */
function successorSa(
  ctx: Ikev2Context,
  old: IkeSa,
  initiator: boolean,
  spiI: bigint,
  spiR: bigint,
  nonceI: Uint8Array,
  nonceR: Uint8Array,
  k: { selected: SelectedProposal; oldPrf: number; oldSkD: Uint8Array; gir: Uint8Array },
): IkeSa {
  const fresh = new IkeSa(initiator, spiI, old.local, old.remote);
  fresh.spiR = spiR;
  fresh.window = new MessageWindow(0, 0);
  fresh.nonceI = nonceI;
  fresh.nonceR = nonceR;
  fresh.proposal = keptProposal(k.selected);
  fresh.suite = suiteOf(k.selected);
  const skeyseed = deriveRekeySkeyseed(k.oldPrf, k.oldSkD, k.gir, nonceI, nonceR);
  fresh.keys = deriveIkeSaKeys(fresh.suite, skeyseed, nonceI, nonceR, fresh.spiI, fresh.spiR);
  const now = ctx.clock.now();
  fresh.lifecycle.transition('connecting', 'IKE SA rekey', now);
  fresh.lifecycle.transition('established', 'IKE SA rekeyed', now);
  fresh.establishedAt = now;
  return fresh;
}

/** The new IKE SA of a collision moves over: the old one's CHILD SAs go to it (§2.8.2). */
export function resolveToCollision(ctx: Ikev2Context, sa: IkeSa, hooks: RekeyHooks, why: string): IkeSa | undefined {
  const col = sa.rekeyCollision;
  sa.rekeyCollision = undefined;
  if (!col || col.fresh.lifecycle.state !== 'established') return undefined;
  takeOver(ctx, sa, col.fresh);
  if (sa.lifecycle.canMoveTo('rekeyed')) sa.lifecycle.transition('rekeyed', why, ctx.clock.now());
  hooks.adopt(sa, col.fresh);
  return col.fresh;
}

function copyIdentity(sa: IkeSa, fresh: IkeSa): void {
  fresh.conn = sa.conn;
  fresh.natSupported = sa.natSupported;
  fresh.localBehindNat = sa.localBehindNat;
  fresh.remoteBehindNat = sa.remoteBehindNat;
  fresh.natFaked = sa.natFaked;
  // RFC 4555: MOBIKE support is a property of the IKE SA and passes to its successor.
  fresh.mobike = sa.mobike;
  fresh.peerAdditional = sa.peerAdditional;
  fresh.localId = sa.localId;
  fresh.remoteId = sa.remoteId;
  fresh.localEapId = sa.localEapId;
  fresh.remoteEapId = sa.remoteEapId;
  fresh.peerSigHashes = sa.peerSigHashes;
  fresh.peerFragmentation = sa.peerFragmentation;
}

/** Everything an IKE SA stands for moves to its successor. */
function takeOver(ctx: Ikev2Context, sa: IkeSa, fresh: IkeSa): void {
  copyIdentity(sa, fresh);
  fresh.local = sa.local;
  fresh.remote = sa.remote;
  fresh.children = sa.children;
  fresh.vipsLocal = sa.vipsLocal;
  fresh.vipsRemote = sa.vipsRemote;
  fresh.lastInbound = ctx.clock.now();
  sa.children = [];
  sa.vipsLocal = [];
  sa.vipsRemote = [];
}

/**
 * Rekey `sa` as initiator: CREATE_CHILD_SA {SA (our proposals, our new SPI), Ni, KEi}; on the
 * answer the new IKE SA takes over (`hooks.adopt`) and `done('rekeyed')` lets the caller
 * delete the old. After a collision that our exchange lost (§2.8.2), the peer's new IKE SA
 * takes over instead, ours is deleted here, and `done('superseded')`: the peer deletes the old.
 */
export function startIkeRekey(
  ctx: Ikev2Context,
  sa: IkeSa,
  hooks: RekeyHooks,
  done: (outcome: 'rekeyed' | 'superseded' | 'failed', reason: string) => void,
): void {
  const conn = sa.conn;
  const oldKeys = sa.keys;
  const oldPrf = sa.suite?.prf;
  // The group the current IKE SA negotiated: the responder chose it once already (strongSwan
  // does the same), so no INVALID_KE_PAYLOAD round.
  const group = sa.proposal?.dh ?? conn?.proposals[0]?.transforms.dh.find((d) => d !== 0);
  if (!conn || !oldKeys || oldPrf === undefined || group === undefined) {
    done('failed', 'no IKE proposal with a DH group to rekey with');
    return;
  }
  const spi = new Uint8Array(8);
  ctx.rng.fill(spi);
  const ni = new Uint8Array(NONCE_LENGTH);
  ctx.rng.fill(ni);
  const ke = createKeyExchange(group, ctx.rng);
  ctx.request(
    sa,
    ExchangeType.CREATE_CHILD_SA,
    [
      { kind: 'SA', proposals: proposalsToPayload(conn.proposals, spi) },
      { kind: 'No', nonce: ni },
      { kind: 'KE', dhGroup: group, keyData: ke.publicValue },
    ],
    (s, p) => {
      const saP = first(p, 'SA');
      const nr = first(p, 'No');
      const ker = first(p, 'KE');
      if (!saP || !nr || !ker || saP.proposals.length !== 1) {
        const err = firstError(p);
        // The peer's rekey made the new IKE SA meanwhile (§2.8.2), or it declines for now.
        if (resolveToCollision(ctx, s, hooks, "replaced by the peer's rekey")) {
          done('superseded', 'the peer rekeyed it');
          return;
        }
        done(
          'failed',
          err ? `${notifyText(err.notifyType)} from the peer` : 'IKE SA rekey refused or malformed answer',
        );
        return;
      }
      const sel = selectProposal(conn.proposals, payloadToReceived(saP.proposals), ker.dhGroup);
      if (!sel.ok || sel.selected.spi.length !== 8 || ker.dhGroup !== group) {
        done('failed', 'the responder chose an IKE proposal we did not offer');
        return;
      }
      let gir: Uint8Array;
      try {
        gir = ke.sharedSecret(ker.keyData);
      } catch (e) {
        done('failed', e instanceof Error ? e.message : 'bad KE');
        return;
      }
      const fresh = successorSa(
        ctx,
        s,
        true,
        new DataView(spi.buffer).getBigUint64(0) || 1n,
        new DataView(sel.selected.spi.buffer, sel.selected.spi.byteOffset, 8).getBigUint64(0),
        ni,
        nr.nonce.slice(),
        { selected: sel.selected, oldPrf, oldSkD: oldKeys.skD, gir },
      );
      const now = ctx.clock.now();
      const col = s.rekeyCollision;
      if (col && ourExchangeIsRedundant({ nonceI: ni, nonceR: fresh.nonceR }, col)) {
        // §2.8.2: ours holds the lowest nonce: we close it; the peer's takes the CHILD SAs.
        copyIdentity(s, fresh);
        hooks.register(fresh);
        resolveToCollision(ctx, s, hooks, "replaced by the peer's rekey (collision)");
        ctx.logger.log('info', 'ike', `${s.name}[#${s.id}] IKE SA rekey collision: ours is redundant, closing it`);
        deleteIke(ctx, fresh, 'redundant rekey (RFC 7296 §2.8.2)');
        done('superseded', 'collision lost');
        return;
      }
      // Ours survives; a colliding IKE SA of the peer's is closed by the peer.
      if (col) ctx.logger.log('info', 'ike', `${s.name}[#${s.id}] IKE SA rekey collision: ours survives`);
      s.rekeyCollision = undefined;
      takeOver(ctx, s, fresh);
      s.lifecycle.transition('rekeyed', 'replaced by a new IKE SA', now);
      hooks.adopt(s, fresh);
      done('rekeyed', 'rekeyed');
    },
    (s) => {
      if (resolveToCollision(ctx, s, hooks, "replaced by the peer's rekey")) done('superseded', 'the peer rekeyed it');
      else done('failed', 'peer did not answer the IKE SA rekey');
    },
  );
}
