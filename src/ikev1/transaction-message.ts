/**
 * One protected Transaction message (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.3), shared by the
 * gateway (transaction.ts) and the client (transaction-client.ts):
 *
 *   HDR*, HASH, ATTR    with HASH = prf(SKEYID_a, M-ID | ATTR)
 *
 * Both directions are logged in strongSwan's summary form.
 */
import { hash1 } from '../crypto/ikev1/ikev1-keymat.js';
import { bytesEqual } from '../util/hex.js';
import type { Logger } from '../util/logger.js';
import { decodeIsakmpHeader } from '../wire/isakmp/isakmp-decode.js';
import { summarizeIsakmp } from '../wire/isakmp/isakmp-summary.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IsakmpExchange } from '../wire/registry/isakmp.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { openProtected, type Sealed, sealProtected } from './phase2-message.js';

export type AttrPayload = Extract<IsakmpPayload, { kind: 'ATTR' }>;

/** Seal `attr` in message `mid` from `iv` and log it; the caller sends the bytes. */
export function sealTransaction(
  sa: Ikev1Sa,
  mid: number,
  iv: Uint8Array,
  attr: IsakmpPayload,
  response: boolean,
  logger: Logger,
): Sealed {
  const { keys, suite } = sa;
  if (!keys || !suite) throw new Error('assertion failed: Transaction without ISAKMP keys');
  const s = sealProtected(sa, IsakmpExchange.TRANSACTION, mid, iv, [attr], (rest) =>
    hash1(suite.prf, keys.skeyidA, mid, rest),
  );
  const shown: IsakmpPayload[] = [{ kind: 'HASH', data: new Uint8Array(0) }, attr];
  logger.log(
    'info',
    'enc',
    `[ike1#${sa.id}] generating ${summarizeIsakmp(decodeIsakmpHeader(s.bytes), shown, response)}`,
  );
  return s;
}

/** An opened, authenticated Transaction: its ATTR payload (if any) and the IV for our answer. */
export interface OpenedTransaction {
  attr: AttrPayload | undefined;
  nextIv: Uint8Array;
}

/**
 * Decrypt `msg` from `iv` and check its HASH (mode-cfg-05 §3.3); logged once it verifies.
 * @returns the opened message, or why it was not (the caller counts an `undecryptable` drop)
 */
export function openTransaction(
  sa: Ikev1Sa,
  msg: IsakmpMessage,
  iv: Uint8Array,
  response: boolean,
  logger: Logger,
): OpenedTransaction | string {
  const mid = msg.header.messageId;
  const o = openProtected(sa, msg, iv);
  const { keys, suite } = sa;
  if (typeof o === 'string' || !keys || !suite) return `Transaction ${mid}: ${typeof o === 'string' ? o : 'no keys'}`;
  if (!bytesEqual(o.hash, hash1(suite.prf, keys.skeyidA, mid, o.rest)))
    return `Transaction ${mid}: HASH does not verify`;
  logger.log(
    'info',
    'enc',
    `[ike1#${sa.id}] parsed ${summarizeIsakmp(msg.header, [{ kind: 'HASH', data: o.hash }, ...o.payloads], response)}`,
  );
  const attr = o.payloads.find((x): x is AttrPayload => x.kind === 'ATTR');
  return { attr, nextIv: o.nextIv };
}
