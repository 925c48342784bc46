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
 * Reauthentication (`reauth_time`) and the §2.8.2 collision rule are issue 8's work.
 */
import { deriveIkeSaKeys, deriveRekeySkeyseed } from '../crypto/ike/ike-keymat.js';
import { createKeyExchange } from '../crypto/ike/key-exchange.js';
import { MessageWindow } from '../ike/message-window.js';
import { selectProposal } from '../ike/proposal-select.js';
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import { NONCE_LENGTH, suiteOf } from './exchange-init.js';
import { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify } from './ikev2-numbers.js';
import { first, notify } from './payload-find.js';
import { payloadToReceived, proposalsToPayload, selectedToPayload } from './proposal-payload.js';

export function processIkeRekeyRequest(
  ctx: Ikev2Context,
  sa: IkeSa,
  p: IkePayload[],
  respond: (payloads: IkePayload[]) => void,
  adopt: (fresh: IkeSa) => void,
): void {
  const conn = sa.conn;
  const saP = first(p, 'SA');
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
  const fresh = new IkeSa(false, spiI, sa.local, sa.remote);
  fresh.spiR = new DataView(ours.buffer).getBigUint64(0) || 1n;
  // §2.18: the new IKE SA numbers its messages from zero in both directions.
  fresh.window = new MessageWindow(0, 0);
  fresh.conn = conn;
  fresh.nonceI = ni.nonce.slice();
  fresh.nonceR = new Uint8Array(NONCE_LENGTH);
  ctx.rng.fill(fresh.nonceR);
  fresh.proposal = sel.selected;
  fresh.suite = suiteOf(sel.selected);
  const skeyseed = deriveRekeySkeyseed(oldPrf, oldKeys.skD, gir, fresh.nonceI, fresh.nonceR);
  fresh.keys = deriveIkeSaKeys(fresh.suite, skeyseed, fresh.nonceI, fresh.nonceR, fresh.spiI, fresh.spiR);
  // Everything the SA stands for moves to the new one.
  takeOver(ctx, sa, fresh);
  const now = ctx.clock.now();
  sa.lifecycle.transition('rekeying', 'IKE SA rekey requested by the peer', now);
  sa.lifecycle.transition('rekeyed', 'replaced by a new IKE SA', now);
  fresh.lifecycle.transition('connecting', 'IKE SA rekey', now);
  fresh.lifecycle.transition('established', 'IKE SA rekeyed', now);
  fresh.establishedAt = now;
  respond([
    { kind: 'SA', proposals: [selectedToPayload(sel.selected, ours)] },
    { kind: 'No', nonce: fresh.nonceR },
    { kind: 'KE', dhGroup: group, keyData: ke.publicValue },
  ]);
  adopt(fresh);
}

/** Everything an IKE SA stands for moves to its successor. */
function takeOver(ctx: Ikev2Context, sa: IkeSa, fresh: IkeSa): void {
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
  fresh.peerSigHashes = sa.peerSigHashes;
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
 * answer the new IKE SA takes over (`adopt`) and `done(true)` lets the caller delete the old.
 */
export function startIkeRekey(
  ctx: Ikev2Context,
  sa: IkeSa,
  adopt: (fresh: IkeSa) => void,
  done: (ok: boolean, reason: string) => void,
): void {
  const conn = sa.conn;
  const oldKeys = sa.keys;
  const oldPrf = sa.suite?.prf;
  // The group the current IKE SA negotiated: the responder chose it once already (strongSwan
  // does the same), so no INVALID_KE_PAYLOAD round.
  const group = sa.proposal?.dh ?? conn?.proposals[0]?.transforms.dh.find((d) => d !== 0);
  if (!conn || !oldKeys || oldPrf === undefined || group === undefined) {
    done(false, 'no IKE proposal with a DH group to rekey with');
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
        done(false, 'IKE SA rekey refused or malformed answer');
        return;
      }
      const sel = selectProposal(conn.proposals, payloadToReceived(saP.proposals), ker.dhGroup);
      if (!sel.ok || sel.selected.spi.length !== 8 || ker.dhGroup !== group) {
        done(false, 'the responder chose an IKE proposal we did not offer');
        return;
      }
      let gir: Uint8Array;
      try {
        gir = ke.sharedSecret(ker.keyData);
      } catch (e) {
        done(false, e instanceof Error ? e.message : 'bad KE');
        return;
      }
      const fresh = new IkeSa(true, new DataView(spi.buffer).getBigUint64(0) || 1n, s.local, s.remote);
      fresh.spiR = new DataView(sel.selected.spi.buffer, sel.selected.spi.byteOffset, 8).getBigUint64(0);
      fresh.window = new MessageWindow(0, 0);
      fresh.nonceI = ni;
      fresh.nonceR = nr.nonce.slice();
      fresh.proposal = sel.selected;
      fresh.suite = suiteOf(sel.selected);
      const skeyseed = deriveRekeySkeyseed(oldPrf, oldKeys.skD, gir, fresh.nonceI, fresh.nonceR);
      fresh.keys = deriveIkeSaKeys(fresh.suite, skeyseed, fresh.nonceI, fresh.nonceR, fresh.spiI, fresh.spiR);
      takeOver(ctx, s, fresh);
      const now = ctx.clock.now();
      s.lifecycle.transition('rekeyed', 'replaced by a new IKE SA', now);
      fresh.lifecycle.transition('connecting', 'IKE SA rekey', now);
      fresh.lifecycle.transition('established', 'IKE SA rekeyed', now);
      fresh.establishedAt = now;
      adopt(fresh);
      done(true, 'rekeyed');
    },
    () => done(false, 'peer did not answer the IKE SA rekey'),
  );
}
