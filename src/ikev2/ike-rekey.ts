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
 * Initiating an IKE SA rekey (and reauthentication) is issue 8's work.
 */
import { deriveIkeSaKeys, deriveRekeySkeyseed } from '../crypto/ike/ike-keymat.js';
import { createKeyExchange } from '../crypto/ike/key-exchange.js';
import { MessageWindow } from '../ike/message-window.js';
import { selectProposal } from '../ike/proposal-select.js';
import type { IkePayload } from '../wire/ike/ike-types.js';
import { NONCE_LENGTH, suiteOf } from './exchange-init.js';
import { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify } from './ikev2-numbers.js';
import { first, notify } from './payload-find.js';
import { payloadToReceived, selectedToPayload } from './proposal-payload.js';

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
  fresh.natSupported = sa.natSupported;
  fresh.localBehindNat = sa.localBehindNat;
  fresh.remoteBehindNat = sa.remoteBehindNat;
  fresh.natFaked = sa.natFaked;
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
