/**
 * IKE fragmentation, sending side (RFC 7383): negotiation with the
 * IKEV2_FRAGMENTATION_SUPPORTED notify in IKE_SA_INIT (§2.3), and splitting an encrypted
 * message that would not fit `fragment_size` into Encrypted Fragment payloads (§2.5), each
 * one its own IKE message, separately encrypted and authenticated with SK_e/SK_a.
 *
 *   HDR(same SPIs, exchange, flags, message ID), SKF{Fragment Number, Total Fragments, IV,
 *   encrypted part of the inner payload chain, padding, ICV}
 *
 * Receiving is ike-reassembly.ts. The `fragmentation` value of a connection means what it
 * means to strongSwan (ike_cfg.h, ike_init.c, ike_sa.c generate_message_fragmented):
 * - `no`: no notify, nothing fragmented, received fragments dropped;
 * - `accept`: notify sent (as initiator; as responder when the initiator sent it), fragments
 *   received but never sent;
 * - `yes` (default): as accept, and messages too big are fragmented when the peer sent the notify;
 * - `force`: as yes, but fragments are sent even when the peer did not announce support.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { skBodyLength, skIvLength, skSeal } from '../crypto/ike/sk-protect.js';
import { concatBytes } from '../util/hex.js';
import type { Rng } from '../util/rng.js';
import { IKE_HEADER_LENGTH } from '../wire/ike/ike-decode.js';
import { encodeIkePayloadChain, encodeSkfPrefix } from '../wire/ike/ike-encode.js';
import { HeaderFlag, type IkePayload } from '../wire/ike/ike-types.js';
import type { IkeSa } from './ike-sa.js';
import { Notify } from './ikev2-numbers.js';
import { notify } from './payload-find.js';
import { sealMessage } from './sk-message.js';

/** IKE_SA_INIT: announce fragmentation support (§2.3; empty notify, protocol 0, no SPI). */
export function fragmentationNotify(conn: ConnectionConfig, initiator: boolean, peerAnnounced: boolean): IkePayload[] {
  if (conn.fragmentation === 'no') return [];
  // strongSwan ike_init.c: the responder announces only when the initiator did.
  if (!initiator && !peerAnnounced) return [];
  return [notify(Notify.IKEV2_FRAGMENTATION_SUPPORTED)];
}

/** Did `payloads` (an IKE_SA_INIT) carry IKEV2_FRAGMENTATION_SUPPORTED? */
export function announcesFragmentation(payloads: readonly IkePayload[]): boolean {
  return payloads.some((p) => p.kind === 'N' && p.notifyType === Notify.IKEV2_FRAGMENTATION_SUPPORTED);
}

/** May we send fragments on this SA (§2.3: only when both announced support; `force` always)? */
export function sendsFragments(sa: IkeSa): boolean {
  const f = sa.conn?.fragmentation ?? 'yes';
  return f === 'force' || (f === 'yes' && sa.peerFragmentation);
}

/** Do we take fragments on this SA? Everything but `no` (we announced support). */
export function acceptsFragments(sa: IkeSa): boolean {
  return (sa.conn?.fragmentation ?? 'yes') !== 'no';
}

/** §2.5.1: shared with IKEv1 (src/ike/ike-message-size.ts). */
export { maxIkeMessageLength } from '../ike/ike-message-size.js';

/** SKF generic header (4) + Fragment Number (2) + Total Fragments (2). */
const SKF_HEADER = 8;

/**
 * The most inner-chain octets one fragment carries so that HDR + SKF header + IV + padded
 * content + ICV stays within `maxMessage` (at least 1, as strongSwan's REDUCE_FRAG_LEN).
 */
export function fragmentContentLength(sa: IkeSa, maxMessage: number): number {
  const suite = sa.suite;
  if (!suite) throw new Error('assertion failed: fragmentContentLength before keys');
  let c = maxMessage - IKE_HEADER_LENGTH - SKF_HEADER;
  while (c > 1 && IKE_HEADER_LENGTH + SKF_HEADER + skBodyLength(suite, c) > maxMessage) c--;
  return Math.max(c, 1);
}

/**
 * Encrypt `payloads` as one SK message, or, when fragmentation is on and that message would
 * exceed `maxMessage`, as fragments (§2.5): the inner chain is cut into pieces of
 * fragmentContentLength octets; fragment 1 carries the chain's first payload type in its
 * Next Payload, the others 0; Total Fragments is the same in all.
 */
export function sealOutgoing(
  sa: IkeSa,
  exchangeType: number,
  response: boolean,
  messageId: number,
  payloads: IkePayload[],
  rng: Rng,
  maxMessage: number,
): Uint8Array[] {
  const suite = sa.suite;
  if (!suite) throw new Error('assertion failed: sealOutgoing before keys');
  const inner = encodeIkePayloadChain(payloads);
  const whole = IKE_HEADER_LENGTH + 4 + skBodyLength(suite, inner.bytes.length);
  if (!sendsFragments(sa) || whole <= maxMessage) {
    return [sealMessage(sa, exchangeType, response, messageId, payloads, rng)];
  }
  const chunk = fragmentContentLength(sa, maxMessage);
  const total = Math.ceil(inner.bytes.length / chunk);
  // §2.5: Total Fragments is 16 bits; strongSwan's receiver takes at most 255.
  if (total > 0xffff) throw new Error(`assertion failed: ${total} fragments`);
  const flags = (sa.initiator ? HeaderFlag.INITIATOR : 0) | (response ? HeaderFlag.RESPONSE : 0);
  const keys = sa.outKeys();
  const out: Uint8Array[] = [];
  for (let n = 1; n <= total; n++) {
    const part = inner.bytes.subarray((n - 1) * chunk, n * chunk);
    const prefix = encodeSkfPrefix(
      { spiI: sa.spiI, spiR: sa.spiR, exchangeType, flags, messageId },
      inner.firstType,
      n,
      total,
      skBodyLength(suite, part.length),
    );
    const iv = new Uint8Array(skIvLength(suite));
    rng.fill(iv);
    out.push(concatBytes(prefix, skSeal(suite, keys.encr, keys.integ, iv, prefix, part)));
  }
  return out;
}
