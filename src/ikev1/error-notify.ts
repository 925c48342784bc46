/**
 * Error notifies of a refusing IKEv1 peer (RFC 2408 §3.14, §4.8): what esprit sends when it
 * refuses a message, and how it reads one it receives.
 *
 *   before phase 1 completes:  HDR(INFORMATIONAL, no E flag, M-ID random), N(DOI 1, ISAKMP, type)
 *   after phase 1:             HDR*, HASH(1), N(DOI 1, protocol, SPI, type)   (RFC 2409 §5.7)
 *
 * Numbers: RFC 2408 §3.14.1 (the same in strongSwan's notify_payload.h). The SPI of a phase 1
 * notify is left empty: §3.14 says the ISAKMP SPI is the cookie pair in the header, SPI Size
 * "MAY be from 0 to 16" and a receiver ignores its content (strongSwan sends 0 too). A Quick
 * Mode refusal names the initiator's proposed ESP SPI, as strongSwan's quick_mode.c does, so
 * the initiator can tell which exchange failed.
 *
 * RFC 2408 §5.15: unprotected notifies can be forged by anyone who sees the cookies. esprit
 * therefore acts on an unencrypted one only for an ISAKMP SA it is still negotiating as the
 * initiator (the negotiation fails at once instead of after the retransmissions); an
 * established SA ignores them.
 */
import type { IkeEvent } from '../ike/ike-events.js';
import { formatIp } from '../util/ip-addr.js';
import { encodeIsakmpMessage } from '../wire/isakmp/isakmp-encode.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IPSEC_DOI, IsakmpExchange, IsakmpProtocol } from '../wire/registry/isakmp.js';
import type { Ikev1Sa } from './ikev1-sa.js';

/** RFC 2408 §3.14.1 error types by the names esprit's failures carry. */
export const ERROR_NOTIFY: Readonly<Record<string, number>> = {
  'INVALID-PAYLOAD-TYPE': 1,
  'NO-PROPOSAL-CHOSEN': 14,
  'BAD-PROPOSAL-SYNTAX': 15,
  'PAYLOAD-MALFORMED': 16,
  'INVALID-KEY-INFORMATION': 17,
  'INVALID-ID-INFORMATION': 18,
  'INVALID-HASH-INFORMATION': 23,
  'AUTHENTICATION-FAILED': 24,
};

/** §3.14.1: types below 16384 are errors, the rest status. */
export function isErrorNotify(type: number): boolean {
  return type > 0 && type < 16384;
}

/** The name of an error type (the number when esprit has no name for it). */
export function errorNotifyName(type: number): string {
  return Object.entries(ERROR_NOTIFY).find(([, n]) => n === type)?.[0] ?? `notify ${type}`;
}

/** A notify payload for an error (`spi` empty for the ISAKMP SA). */
export function errorNotifyPayload(
  type: number,
  protocolId: number = IsakmpProtocol.ISAKMP,
  spi: Uint8Array = new Uint8Array(0),
): IsakmpPayload {
  return { kind: 'N', doi: IPSEC_DOI, protocolId, spi, notifyType: type, data: new Uint8Array(0) };
}

/**
 * The notify refusing a Quick Mode request: protocol and SPI of the first proposal of its SA
 * payload (strongSwan's quick_mode.c), or about the ISAKMP SA when it has none.
 */
export function quickModeRefusal(name: string, qm1: readonly IsakmpPayload[]): IsakmpPayload | undefined {
  const type = ERROR_NOTIFY[name];
  if (type === undefined) return undefined;
  const sa = qm1.find((p) => p.kind === 'SA');
  const prop = sa?.kind === 'SA' ? sa.proposals[0] : undefined;
  return prop ? errorNotifyPayload(type, prop.protocolId, prop.spi) : errorNotifyPayload(type);
}

/** The unprotected Informational of §4.8 for a phase 1 refusal under `sa`'s cookies. */
export function clearErrorInformational(
  sa: Ikev1Sa,
  type: number,
  random: (b: Uint8Array) => void,
): { bytes: Uint8Array; payloads: IsakmpPayload[] } {
  const b = new Uint8Array(4);
  let mid = 0;
  while (mid === 0) {
    random(b);
    mid = new DataView(b.buffer).getUint32(0);
  }
  const payloads: IsakmpPayload[] = [errorNotifyPayload(type)];
  const bytes = encodeIsakmpMessage(
    { spiI: sa.spiI, spiR: sa.spiR, exchangeType: IsakmpExchange.INFORMATIONAL, flags: 0, messageId: mid },
    payloads,
  );
  return { bytes, payloads };
}

/** The first error notify of an unencrypted Informational, if any. */
export function clearErrorNotify(msg: IsakmpMessage): number | undefined {
  if (msg.encrypted || msg.header.exchangeType !== IsakmpExchange.INFORMATIONAL) return undefined;
  for (const p of msg.payloads) if (p.kind === 'N' && isErrorNotify(p.notifyType)) return p.notifyType;
  return undefined;
}

/**
 * The monitor event for a responder SA that expired half-open after the peer had our keyed
 * answer (AM2, MM4) but never finished: a peer whose pre-shared key differs stops there
 * (vpnc checks HASH_R and exits without a word; a Main Mode initiator's MM5 does not decrypt).
 */
export function halfOpenFailure(sa: Ikev1Sa): IkeEvent | undefined {
  if (sa.state !== 'am2-sent' && sa.state !== 'mm4-sent') return undefined;
  return {
    kind: 'auth-failed',
    conn: sa.conn.name,
    ikeId: sa.id,
    notify: 'TIMEOUT',
    peer: `${formatIp(sa.remote.address)}:${sa.remote.port}`,
    detail: `phase 1 not completed by the peer after ${sa.aggressive ? 'AM2' : 'MM4'} (a wrong pre-shared key at the peer?)`,
  };
}

/** The monitor event for a Quick Mode of `child` the peer refused with error `type`. */
export function refusalEvent(sa: Ikev1Sa, type: number, child: string): IkeEvent {
  return {
    kind: 'auth-failed',
    conn: sa.conn.name,
    ikeId: sa.id,
    notify: errorNotifyName(type),
    peer: `${formatIp(sa.remote.address)}:${sa.remote.port}`,
    detail: `Quick Mode for ${child} refused by the peer`,
  };
}
