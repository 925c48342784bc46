/**
 * Encrypted IKEv2 messages (RFC 7296 §3.14): build one from inner payloads, and open a
 * received one. The ICV covers the header and the SK generic header; an AEAD takes exactly
 * those bytes as its AAD (RFC 5282 §5.1). Opening never throws on a bad ICV: it returns
 * undefined, and the message is dropped without changing any state (§2.21.2).
 */
import { skBodyLength, skIvLength, skOpen, skSeal } from '../crypto/ike/sk-protect.js';
import { concatBytes } from '../util/hex.js';
import type { Rng } from '../util/rng.js';
import { decodeIkePayloadChain } from '../wire/ike/ike-decode.js';
import { encodeIkePayloadChain, encodeSkPrefix } from '../wire/ike/ike-encode.js';
import { HeaderFlag, type IkeMessage, type IkePayload } from '../wire/ike/ike-types.js';
import type { IkeSa } from './ike-sa.js';

export function sealMessage(
  sa: IkeSa,
  exchangeType: number,
  response: boolean,
  messageId: number,
  payloads: IkePayload[],
  rng: Rng,
): Uint8Array {
  const suite = sa.suite;
  if (!suite) throw new Error('assertion failed: sealMessage before keys');
  const inner = encodeIkePayloadChain(payloads);
  const bodyLength = skBodyLength(suite, inner.bytes.length);
  // §3.1: the I flag marks messages sent by the original initiator; R marks responses.
  const flags = (sa.initiator ? HeaderFlag.INITIATOR : 0) | (response ? HeaderFlag.RESPONSE : 0);
  const prefix = encodeSkPrefix(
    { spiI: sa.spiI, spiR: sa.spiR, exchangeType, flags, messageId },
    inner.firstType,
    bodyLength,
  );
  const iv = new Uint8Array(skIvLength(suite));
  rng.fill(iv);
  const out = sa.outKeys();
  return concatBytes(prefix, skSeal(suite, out.encr, out.integ, iv, prefix, inner.bytes));
}

export type OpenResult =
  | { ok: true; payloads: IkePayload[] }
  | { ok: false; reason: 'no-sk' | 'icv' | 'inner-syntax'; detail?: string };

/** Check the ICV, decrypt and decode the inner payloads of `msg` (decoded from `bytes`). */
export function openMessage(sa: IkeSa, bytes: Uint8Array, msg: IkeMessage): OpenResult {
  const suite = sa.suite;
  const last = msg.payloads.at(-1);
  if (!suite || !last || last.kind !== 'SK') return { ok: false, reason: 'no-sk' };
  const prefix = bytes.subarray(0, last.offset + 4);
  const keys = sa.inKeys();
  const inner = skOpen(suite, keys.encr, keys.integ, prefix, last.body);
  if (!inner) return { ok: false, reason: 'icv' };
  try {
    return { ok: true, payloads: decodeIkePayloadChain(last.firstInner, inner, last.offset + 4) };
  } catch (e) {
    return { ok: false, reason: 'inner-syntax', detail: e instanceof Error ? e.message : String(e) };
  }
}
