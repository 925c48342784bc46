/**
 * Protected messages after phase 1 (Quick Mode RFC 2409 §5.5, Informational §5.7,
 * Transaction mode-cfg-05 §3.3): HDR*, HASH, payloads... encrypted under the ISAKMP SA with
 * an IV of its own per message ID (Appendix B):
 *
 *   first IV of an exchange = hash(last phase 1 CBC block | M-ID), cut to the block size
 *   later messages of the same exchange chain from the last ciphertext block before them
 *
 * The HASH payload comes first and covers the payloads after it as they are on the wire (its
 * caller decides the HASH's form: HASH(1), HASH(2), HASH(3)). Opening never changes the SA.
 */
import { ikev1BlockSize, ikev1Decrypt, ikev1Encrypt } from '../crypto/ikev1/ikev1-cipher.js';
import { phase2Iv } from '../crypto/ikev1/ikev1-keymat.js';
import { WireError } from '../util/errors.js';
import { decodeIsakmpPayloadChain } from '../wire/isakmp/isakmp-decode.js';
import { encodeIsakmpEncrypted, encodeIsakmpPayloadChain } from '../wire/isakmp/isakmp-encode.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IsakmpFlag, IsakmpPayloadType } from '../wire/registry/isakmp.js';
import type { Ikev1Sa } from './ikev1-sa.js';

/** The first IV of the exchange with message ID `mid`. */
export function exchangeIv(sa: Ikev1Sa): (mid: number) => Uint8Array {
  const { suite, phase1LastBlock } = sa;
  if (!suite || !phase1LastBlock) throw new Error('assertion failed: phase 2 before phase 1 completed');
  return (mid) => phase2Iv(suite.prf, phase1LastBlock, mid, ikev1BlockSize(suite.encr));
}

export interface Sealed {
  bytes: Uint8Array;
  nextIv: Uint8Array;
}

/**
 * HDR*, HASH(hashOf(rest)), ...after: `rest` is the encoded chain after the HASH payload
 * (empty for HASH(3)).
 */
export function sealProtected(
  sa: Ikev1Sa,
  exchangeType: number,
  mid: number,
  iv: Uint8Array,
  after: readonly IsakmpPayload[],
  hashOf: (rest: Uint8Array) => Uint8Array,
): Sealed {
  const { suite, encKey } = sa;
  if (!suite || !encKey) throw new Error('assertion failed: phase 2 without ISAKMP keys');
  const rest = after.length > 0 ? encodeIsakmpPayloadChain(after) : new Uint8Array(0);
  const all: IsakmpPayload[] = [{ kind: 'HASH', data: hashOf(rest) }, ...after];
  const { data, nextIv } = ikev1Encrypt(suite.encr, encKey, iv, encodeIsakmpPayloadChain(all));
  const bytes = encodeIsakmpEncrypted(
    { spiI: sa.spiI, spiR: sa.spiR, exchangeType, flags: IsakmpFlag.ENCRYPTION, messageId: mid },
    IsakmpPayloadType.HASH,
    data,
  );
  return { bytes, nextIv };
}

export interface Opened {
  /** the payloads after HASH */
  payloads: IsakmpPayload[];
  hash: Uint8Array;
  /** the payloads after HASH as received (what HASH covers), padding excluded */
  rest: Uint8Array;
  nextIv: Uint8Array;
}

/** The length of a decoded payload chain in `plain` (the generic headers were checked by the decoder). */
function chainLength(plain: Uint8Array): number {
  let o = 0;
  for (;;) {
    const next = plain[o] ?? 0;
    o += ((plain[o + 2] ?? 0) << 8) | (plain[o + 3] ?? 0);
    if (next === 0) return o;
  }
}

/** Decrypt with `iv` and split HASH from the rest; a string says why the message is unusable. */
export function openProtected(sa: Ikev1Sa, msg: IsakmpMessage, iv: Uint8Array): Opened | string {
  const { suite, encKey } = sa;
  if (!suite || !encKey || !msg.encrypted) return 'not an encrypted message for this SA';
  if (msg.header.nextPayload !== IsakmpPayloadType.HASH) return 'the first payload is not HASH';
  const d = ikev1Decrypt(suite.encr, encKey, iv, msg.encrypted);
  if (!d) return 'ciphertext is not a whole number of blocks';
  let payloads: IsakmpPayload[];
  try {
    payloads = decodeIsakmpPayloadChain(msg.header.nextPayload, d.data, { padded: true });
  } catch (e) {
    if (e instanceof WireError) return `decrypted payloads: ${e.message}`;
    throw e;
  }
  const [hash, ...after] = payloads;
  if (hash?.kind !== 'HASH') return 'the first payload is not HASH';
  const hashLen = ((d.data[2] ?? 0) << 8) | (d.data[3] ?? 0);
  const rest = d.data.slice(hashLen, chainLength(d.data));
  return { payloads: after, hash: hash.data, rest, nextIv: d.nextIv };
}
