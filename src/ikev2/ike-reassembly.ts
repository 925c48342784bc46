/**
 * IKE fragmentation, receiving side (RFC 7383 §2.6): each Encrypted Fragment payload is
 * authenticated and decrypted on its own before anything is stored; the plaintext pieces of
 * one message ID are kept until all Total Fragments are there, then joined in Fragment
 * Number order and decoded as the inner chain of one SK payload whose first payload type is
 * the Next Payload of fragment 1.
 *
 * One reassembly per IKE SA and direction (window size 1: one request and one response in
 * flight at most), bounded by `maxFragments` pieces and `maxBytes` of plaintext; it is
 * replaced by a fragment of another message ID, dropped when its message completes, and goes
 * with its IKE SA. A fragment that fails its ICV changes nothing (RFC 7296 §2.21.2).
 */
import { skOpen } from '../crypto/ike/sk-protect.js';
import { decodeIkePayloadChain } from '../wire/ike/ike-decode.js';
import type { IkeMessage, IkePayload } from '../wire/ike/ike-types.js';
import type { IkeSa } from './ike-sa.js';
import { openMessage } from './sk-message.js';

/** strongSwan message.c MAX_FRAGMENTS: a message of more fragments is refused. */
export const MAX_FRAGMENTS = 255;

/**
 * A partial message older than this is dropped (RFC 7383 is silent on a timeout). Every
 * retransmission resends all fragments within milliseconds, so a reassembly only has to span
 * one burst; 30 s is strongSwan's half-open timeout.
 */
export const REASSEMBLY_TIMEOUT_MS = 30_000;

export interface ReassemblyLimits {
  /** Total Fragments above this is refused (default MAX_FRAGMENTS) */
  maxFragments: number;
  /** plaintext octets of one message (strongSwan's max_packet, 10000) */
  maxBytes: number;
}

export type FragmentVerdict =
  /** the last missing fragment arrived: the message's inner payloads */
  | { kind: 'complete'; payloads: IkePayload[] }
  /** stored (or a duplicate ignored): wait for the rest */
  | { kind: 'need-more'; duplicate: boolean }
  | {
      kind: 'drop';
      reason: 'icv' | 'inner-syntax' | 'fragment-stale' | 'fragment-limit';
      detail: string;
    };

export type FragmentDirection = 'request' | 'response';

/**
 * Take one received SKF message `msg` (decoded from `bytes`) for `sa`, whose message ID the
 * caller's window has already accepted as the one expected in `dir`.
 */
export function acceptFragment(
  sa: IkeSa,
  dir: FragmentDirection,
  bytes: Uint8Array,
  msg: IkeMessage,
  limits: ReassemblyLimits,
  now = 0,
): FragmentVerdict {
  const f = msg.payloads.at(-1);
  const suite = sa.suite;
  if (!f || f.kind !== 'SKF' || !suite) return { kind: 'drop', reason: 'inner-syntax', detail: 'no SKF payload' };
  const mid = msg.header.messageId;
  const num = f.fragmentNumber;
  const total = f.totalFragments;
  if (total > limits.maxFragments) {
    return { kind: 'drop', reason: 'fragment-limit', detail: `${total} fragments > ${limits.maxFragments}` };
  }
  let r = sa.defrag?.[dir];
  if (r && r.messageId === mid) {
    // §2.6: fewer Total Fragments than before: a stale fragment of an earlier try, dropped.
    if (total < r.total) {
      return { kind: 'drop', reason: 'fragment-stale', detail: `fragment ${num}/${total} after ${r.total}` };
    }
    // §2.6: duplicates are ignored (no crypto spent on them).
    if (total === r.total && r.pieces.has(num)) return { kind: 'need-more', duplicate: true };
  }
  // §2.6: authenticate and decrypt before storing. The ICV (or AEAD AAD) covers the IKE
  // header and the SKF header with Fragment Number and Total Fragments (§2.5).
  const keys = sa.inKeys();
  const plain = skOpen(suite, keys.encr, keys.integ, bytes.subarray(0, f.offset + 8), f.body);
  if (!plain) return { kind: 'drop', reason: 'icv', detail: `fragment ${num}/${total} of message ${mid}` };
  // §2.6: more Total Fragments than before (the sender re-fragmented smaller): start over.
  if (!r || r.messageId !== mid || total > r.total) {
    r = { messageId: mid, total, firstInner: undefined, pieces: new Map(), bytes: 0, startedAt: now };
    sa.defrag ??= {};
    sa.defrag[dir] = r;
  }
  if (r.bytes + plain.length > limits.maxBytes) {
    if (sa.defrag) sa.defrag[dir] = undefined;
    return {
      kind: 'drop',
      reason: 'fragment-limit',
      detail: `message ${mid} exceeds ${limits.maxBytes} octets, reassembly abandoned`,
    };
  }
  // §2.5: only fragment 1 names the first inner payload; the others carry 0 there.
  if (num === 1) r.firstInner = f.firstInner;
  r.pieces.set(num, plain);
  r.bytes += plain.length;
  if (r.pieces.size < r.total) return { kind: 'need-more', duplicate: false };
  if (sa.defrag) sa.defrag[dir] = undefined;
  const whole = new Uint8Array(r.bytes);
  let at = 0;
  for (let n = 1; n <= r.total; n++) {
    const p = r.pieces.get(n) as Uint8Array;
    whole.set(p, at);
    at += p.length;
  }
  try {
    return { kind: 'complete', payloads: decodeIkePayloadChain(r.firstInner ?? 0, whole) };
  } catch (e) {
    return { kind: 'drop', reason: 'inner-syntax', detail: e instanceof Error ? e.message : String(e) };
  }
}

export type IncomingResult =
  | { ok: true; payloads: IkePayload[] }
  | {
      ok: false;
      reason:
        | 'need-more'
        | 'no-sk'
        | 'icv'
        | 'inner-syntax'
        | 'fragment-stale'
        | 'fragment-limit'
        | 'fragment-unsupported';
      duplicate?: boolean;
      detail?: string;
    };

/**
 * Open a received encrypted message: an SK message at once (sk-message.ts), an SKF one
 * through the reassembly of its direction. `accepts` is false when we did not announce
 * fragmentation (`fragmentation = no`): fragments are then dropped unopened.
 */
export function openIncoming(
  sa: IkeSa,
  dir: FragmentDirection,
  bytes: Uint8Array,
  msg: IkeMessage,
  limits: ReassemblyLimits,
  accepts: boolean,
  now = 0,
): IncomingResult {
  const last = msg.payloads.at(-1);
  if (last?.kind !== 'SKF') {
    const o = openMessage(sa, bytes, msg);
    return o;
  }
  if (!accepts) return { ok: false, reason: 'fragment-unsupported', detail: 'fragmentation = no' };
  const v = acceptFragment(sa, dir, bytes, msg, limits, now);
  if (v.kind === 'complete') return { ok: true, payloads: v.payloads };
  if (v.kind === 'need-more') return { ok: false, reason: 'need-more', duplicate: v.duplicate };
  return { ok: false, reason: v.reason, detail: v.detail };
}

/** When the oldest partial message of `sa` expires, or undefined when none is pending. */
export function reassemblyDeadline(sa: IkeSa): number | undefined {
  const t = [sa.defrag?.request, sa.defrag?.response].map((r) => (r ? r.startedAt + REASSEMBLY_TIMEOUT_MS : Infinity));
  const d = Math.min(...t);
  return d === Infinity ? undefined : d;
}

/** Drop partial messages older than REASSEMBLY_TIMEOUT_MS; true when one was dropped. */
export function expireReassembly(sa: IkeSa, now: number): boolean {
  let dropped = false;
  for (const dir of ['request', 'response'] as const) {
    const r = sa.defrag?.[dir];
    if (sa.defrag && r && now >= r.startedAt + REASSEMBLY_TIMEOUT_MS) {
      sa.defrag[dir] = undefined;
      dropped = true;
    }
  }
  return dropped;
}
