/**
 * Building and opening phase 1 messages (RFC 2409 §5): cleartext Main Mode messages, and the
 * encrypted ones (MM5, MM6) whose CBC IV chains through the SA (Appendix B). Opening never
 * changes the SA: the caller takes `nextIv` only once the message's HASH has verified.
 */
import { ikev1Decrypt, ikev1Encrypt } from '../crypto/ikev1/ikev1-cipher.js';
import { WireError } from '../util/errors.js';
import { decodeIsakmpPayloadChain } from '../wire/isakmp/isakmp-decode.js';
import {
  encodeIsakmpEncrypted,
  encodeIsakmpMessage,
  encodeIsakmpPayloadChain,
  isakmpPayloadType,
} from '../wire/isakmp/isakmp-encode.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IsakmpExchange, IsakmpFlag } from '../wire/registry/isakmp.js';
import type { Ikev1Sa } from './ikev1-sa.js';

/** The phase 1 exchange of the SA: Aggressive Mode (RFC 2409 §5.4) or Main Mode. */
function exchangeOf(sa: Ikev1Sa): number {
  return sa.aggressive ? IsakmpExchange.AGGRESSIVE : IsakmpExchange.ID_PROT;
}

export function clearMessage(sa: Ikev1Sa, payloads: IsakmpPayload[]): Uint8Array {
  return encodeIsakmpMessage(
    { spiI: sa.spiI, spiR: sa.spiR, exchangeType: exchangeOf(sa), flags: 0, messageId: 0 },
    payloads,
  );
}

/** Encrypt `payloads` with the SA's key and IV and advance the IV to the last block (Appendix B). */
export function encryptedMessage(sa: Ikev1Sa, payloads: IsakmpPayload[]): Uint8Array {
  const { suite, encKey, iv } = sa;
  if (!suite || !encKey || !iv) throw new Error('assertion failed: phase 1 keys before an encrypted message');
  const first = payloads[0];
  if (!first) throw new Error('assertion failed: an encrypted message needs payloads');
  const { data, nextIv } = ikev1Encrypt(suite.encr, encKey, iv, encodeIsakmpPayloadChain(payloads));
  sa.iv = nextIv;
  return encodeIsakmpEncrypted(
    { spiI: sa.spiI, spiR: sa.spiR, exchangeType: exchangeOf(sa), flags: IsakmpFlag.ENCRYPTION, messageId: 0 },
    isakmpPayloadType(first),
    data,
  );
}

/** Decrypt and decode an encrypted phase 1 message; undefined when it does not decrypt or parse. */
export function openMessage(
  sa: Ikev1Sa,
  msg: IsakmpMessage,
): { payloads: IsakmpPayload[]; nextIv: Uint8Array } | { error: string } {
  const { suite, encKey, iv } = sa;
  if (!suite || !encKey || !iv || !msg.encrypted) return { error: 'not an encrypted message for this SA' };
  const d = ikev1Decrypt(suite.encr, encKey, iv, msg.encrypted);
  if (!d) return { error: 'ciphertext is not a whole number of blocks' };
  try {
    return { payloads: decodeIsakmpPayloadChain(msg.header.nextPayload, d.data, { padded: true }), nextIv: d.nextIv };
  } catch (e) {
    if (e instanceof WireError) return { error: `decrypted payloads: ${e.message}` };
    throw e;
  }
}

/** A payload's body as it goes on the wire (SAi_b, IDii_b: without the generic header). */
export function payloadBody(p: IsakmpPayload): Uint8Array {
  return encodeIsakmpPayloadChain([p]).subarray(4);
}

export function findPayload<K extends IsakmpPayload['kind']>(
  ps: readonly IsakmpPayload[],
  kind: K,
): Extract<IsakmpPayload, { kind: K }> | undefined {
  return ps.find((p) => p.kind === kind) as Extract<IsakmpPayload, { kind: K }> | undefined;
}
