/**
 * Cisco IKE fragmentation for IKEv1 (proprietary; ../shared/docs/protocol-facts.md §1.4):
 * a message too big for one datagram is split, header and all, into fragment messages
 *
 *   HDR (same cookies, exchange ID_PROT or AGGRESSIVE, flags 0, message ID 0),
 *   FRAG {Fragment ID(2) | Fragment Number(1, from 1) | Flags(1, 0x01 = last) | data}
 *
 * and the receiver joins the data of fragments 1..last back into the original message.
 * Negotiated by the FRAGMENTATION vendor ID (MD5("FRAGMENTATION"), optionally followed by a
 * 32-bit capability word whose 0x80000000 bit means Main and Aggressive Mode messages).
 * What esprit does follows charon 5.9.8 (message.c create_fragment / fragment /
 * add_fragment_v1, isakmp_vendor.c, ike_sa.c generate_message_fragmented):
 * - the fragment header carries ID_PROT (AGGRESSIVE for an Aggressive Mode SA) and message
 *   ID 0 whatever the exchange of the message inside;
 * - a message is split when it is longer than `maxIkeMessageLength` (fragment_size less IP,
 *   UDP, marker); each fragment then carries that less 28 (ISAKMP header) and 8 (FRAG header);
 * - `fragmentation`: `no` sends no VID and drops fragments; `accept` sends the VID (the
 *   responder only when the initiator sent it) and takes fragments but never sends them;
 *   `yes` (default) also fragments when the peer sent the VID; `force` fragments always.
 * Reassembly is bounded (choices: one message at a time per ISAKMP SA as charon, at most
 * MAX_FRAGMENTS fragments and `max_packet` octets, 30 s from the first fragment): an unknown
 * cookie pair, a duplicate, a number past the last one, a second, different last number or
 * one octet over `max_packet` is dropped without touching anything else (a fragment with a new
 * Fragment ID starts over, as charon's); the joined message goes through the same checks
 * as any datagram (it must decode, and may not itself be a fragment).
 */
import type { ConnectionConfig, HostSettings } from '../config/swanctl/swanctl-model.js';
import { maxIkeMessageLength } from '../ike/ike-message-size.js';
import { WireError } from '../util/errors.js';
import { concatBytes } from '../util/hex.js';
import { decodeIsakmpHeader, decodeIsakmpPayloadChain } from '../wire/isakmp/isakmp-decode.js';
import { encodeIsakmpMessage } from '../wire/isakmp/isakmp-encode.js';
import type { IsakmpHeader, IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IsakmpExchange } from '../wire/registry/isakmp.js';
import type { Ikev1Action } from './ikev1-actions.js';
import type { Ikev1Sa, Reassembly } from './ikev1-sa.js';
import { VID } from './vendor-ids.js';

/** ISAKMP header (RFC 2408 §3.1) and FRAG payload header (protocol-facts §1.4). */
const ISAKMP_HEADER = 28;
const FRAG_HEADER = 8;
/** charon's FRAGMENTATION capability bit: Main and Aggressive Mode messages (isakmp_vendor.c). */
const FRAG_CAPABILITY_IKE = 0x80000000;
/** at most this many fragments per message (the number is one octet; 64 covers max_packet) */
export const MAX_FRAGMENTS = 64;
/** a message whose fragments have not all come this long after the first is dropped, ms */
export const REASSEMBLY_TIMEOUT_MS = 30_000;

/** Does a received vendor ID announce fragmentation (16 octets, or 20 with the IKE bit)? */
export function isFragmentationVid(v: Uint8Array): boolean {
  if (v.length !== 16 && v.length !== 20) return false;
  for (let i = 0; i < 16; i++) if (v[i] !== VID.FRAGMENTATION[i]) return false;
  if (v.length === 16) return true;
  const cap = new DataView(v.buffer, v.byteOffset + 16, 4).getUint32(0);
  return (cap & FRAG_CAPABILITY_IKE) !== 0;
}

/** Our FRAGMENTATION VID in MM1 / MM2 (as charon: the responder only answers the initiator's). */
export function fragmentationVid(conn: ConnectionConfig, initiator: boolean, peerSent: boolean): IsakmpPayload[] {
  if (conn.fragmentation === 'no' || (!initiator && !peerSent)) return [];
  return [{ kind: 'V', data: VID.FRAGMENTATION }];
}

/** May we fragment on this SA? `yes` when the peer announced it, `force` always. */
export function maySendFragments(conn: ConnectionConfig, peerSent: boolean): boolean {
  return conn.fragmentation === 'force' || (conn.fragmentation === 'yes' && peerSent);
}

/**
 * Split the encoded message `bytes` into fragment messages when it is longer than `maxLength`
 * (the largest IKE message one datagram carries); the message itself otherwise.
 */
export function fragmentMessage(
  bytes: Uint8Array,
  header: Pick<IsakmpHeader, 'spiI' | 'spiR'>,
  aggressive: boolean,
  fragmentId: number,
  maxLength: number,
): Uint8Array[] {
  if (bytes.length <= maxLength) return [bytes];
  const per = Math.max(1, maxLength - ISAKMP_HEADER - FRAG_HEADER);
  const count = Math.ceil(bytes.length / per);
  if (count > MAX_FRAGMENTS) return [bytes];
  const out: Uint8Array[] = [];
  for (let n = 1; n <= count; n++) {
    const data = bytes.subarray((n - 1) * per, Math.min(bytes.length, n * per));
    out.push(
      encodeIsakmpMessage(
        {
          spiI: header.spiI,
          spiR: header.spiR,
          exchangeType: aggressive ? IsakmpExchange.AGGRESSIVE : IsakmpExchange.ID_PROT,
          flags: 0,
          messageId: 0,
        },
        [{ kind: 'FRAG', fragmentId: fragmentId & 0xffff, fragmentNumber: n, last: n === count, data }],
      ),
    );
  }
  return out;
}

type Frag = Extract<IsakmpPayload, { kind: 'FRAG' }>;

export type FragmentResult =
  /** all fragments are in: the original message */
  | { kind: 'complete'; bytes: Uint8Array }
  /** stored; more to come */
  | { kind: 'more' }
  /** not taken: why (nothing changed, apart from a stale or superseded reassembly) */
  | { kind: 'drop'; reason: string };

/**
 * Add `f` to the SA's reassembly (`state`, replaced or cleared through `set`). A fragment of
 * another Fragment ID starts a new message (the peer gave up on the old one, as charon does).
 */
export function addFragment(
  state: Reassembly | undefined,
  set: (r: Reassembly | undefined) => void,
  f: Frag,
  now: number,
  maxPacket: number,
): FragmentResult {
  if (f.data.length === 0) return { kind: 'drop', reason: `fragment ${f.fragmentNumber} without data` };
  if (f.fragmentNumber > MAX_FRAGMENTS)
    return { kind: 'drop', reason: `fragment number ${f.fragmentNumber} > ${MAX_FRAGMENTS}` };
  if (f.last && state?.fragmentId === f.fragmentId && state.last !== undefined && state.last !== f.fragmentNumber)
    return { kind: 'drop', reason: `second last fragment ${f.fragmentNumber} (was ${state.last})` };
  let r = state;
  if (!r || r.fragmentId !== f.fragmentId || now - r.startedAt > REASSEMBLY_TIMEOUT_MS) {
    r = { fragmentId: f.fragmentId, startedAt: now, parts: new Map(), octets: 0 };
  }
  if (r.parts.has(f.fragmentNumber)) return { kind: 'drop', reason: `duplicate fragment ${f.fragmentNumber}` };
  const last = f.last ? f.fragmentNumber : r.last;
  if (last !== undefined && [...r.parts.keys(), f.fragmentNumber].some((n) => n > last))
    return { kind: 'drop', reason: `fragment ${f.fragmentNumber} beyond the last (${last})` };
  if (r.octets + f.data.length > maxPacket)
    return { kind: 'drop', reason: `fragmented message over max_packet (${maxPacket} octets)` };
  r.parts.set(f.fragmentNumber, f.data);
  r.octets += f.data.length;
  if (last !== undefined) r.last = last;
  if (r.last === undefined || r.parts.size !== r.last) {
    set(r);
    return { kind: 'more' };
  }
  set(undefined);
  const ordered: Uint8Array[] = [];
  for (let n = 1; n <= r.last; n++) ordered.push(r.parts.get(n) as Uint8Array);
  return { kind: 'complete', bytes: concatBytes(...ordered) };
}

/** ISAKMP payload type 132, the Cisco fragment (protocol-facts §1.4). */
export const ISAKMP_FRAGMENT = 132;

/**
 * A send action of the engine: as it is, or as fragments when the SA may fragment and the
 * message is longer than one datagram on that path carries.
 */
export function splitSend(
  sas: ReadonlyMap<bigint, Ikev1Sa>,
  host: HostSettings,
  a: Extract<Ikev1Action, { kind: 'send' }>,
): Ikev1Action[] {
  if (a.bytes.length < ISAKMP_HEADER || a.bytes[16] === ISAKMP_FRAGMENT) return [a];
  const h = decodeIsakmpHeader(a.bytes);
  const sa = sas.get(h.spiI);
  if (!sa || !maySendFragments(sa.conn, sa.peerFragmentation === true)) return [a];
  const max = maxIkeMessageLength(host, a.local, a.remote);
  if (a.bytes.length <= max) return [a];
  sa.nextFragmentId = ((sa.nextFragmentId ?? 0) % 0xffff) + 1;
  return fragmentMessage(a.bytes, h, sa.aggressive === true, sa.nextFragmentId, max).map((bytes) => ({ ...a, bytes }));
}

/**
 * A received fragment message (its header says payload 132): the FRAG payload checked against
 * the SA of its cookies, then added to that SA's reassembly. racoon sets the E flag on its
 * fragments although they are not encrypted (charon's message.c says so); the body is then
 * decoded as the cleartext FRAG payload it is.
 */
export function takeFragment(
  sas: ReadonlyMap<bigint, Ikev1Sa>,
  msg: IsakmpMessage,
  now: number,
  maxPacket: number,
): FragmentResult {
  const h = msg.header;
  let ps = msg.payloads;
  if (msg.encrypted) {
    try {
      ps = decodeIsakmpPayloadChain(ISAKMP_FRAGMENT, msg.encrypted);
    } catch (e) {
      if (e instanceof WireError) return { kind: 'drop', reason: `fragment: ${e.message}` };
      throw e;
    }
  }
  const f = ps[0];
  if (f?.kind !== 'FRAG' || ps.length !== 1) return { kind: 'drop', reason: 'not a lone FRAG payload' };
  const sa = sas.get(h.spiI);
  // only for an ISAKMP SA under way or up, whose cookies both match (the initiator learns
  // CKY-R from MM2, which is never fragmented: it is small)
  if (!sa || sa.spiR !== h.spiR || sa.state === 'failed')
    return { kind: 'drop', reason: `fragment for no SA (${h.spiI.toString(16)}/${h.spiR.toString(16)})` };
  if (sa.conn.fragmentation === 'no') return { kind: 'drop', reason: `fragmentation = no on ${sa.conn.name}` };
  return addFragment(
    sa.reassembly,
    (r) => {
      sa.reassembly = r;
    },
    f,
    now,
    maxPacket,
  );
}
