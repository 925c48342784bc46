/**
 * One log line per IKE message in and out, in charon's notation
 * (`home[#1] generating IKE_AUTH request 1 [ IDi IDr AUTH CPRQ(ADDR DNS) SA TSi TSr ]`).
 */
import type { Logger } from '../util/logger.js';
import { decodeIkeMessage } from '../wire/ike/ike-decode.js';
import { summarizeIke } from '../wire/ike/ike-summary.js';
import { ExchangeType, HeaderFlag, type IkeMessage, type IkePayload } from '../wire/ike/ike-types.js';
import type { IkeSa } from './ike-sa.js';

export function exchangeName(t: number): string {
  return Object.entries(ExchangeType).find(([, v]) => v === t)?.[0] ?? `EXCHANGE_${t}`;
}

/** A message we built (the payloads before encryption). */
export function logSent(
  log: Logger,
  sa: IkeSa,
  exchange: number,
  response: boolean,
  mid: number,
  payloads: IkePayload[],
): void {
  const flags = (sa.initiator ? HeaderFlag.INITIATOR : 0) | (response ? HeaderFlag.RESPONSE : 0);
  const header = {
    spiI: sa.spiI,
    spiR: sa.spiR,
    nextPayload: 46,
    majorVersion: 2,
    minorVersion: 0,
    exchangeType: exchange,
    flags,
    messageId: mid,
    length: 0,
  };
  log.log('info', 'ike', `${sa.name}[#${sa.id}] generating ${summarizeIke(header, payloads)}`);
}

/** A cleartext message sent, or a message received (decrypted payloads when given). */
export function logMessage(
  log: Logger,
  sa: IkeSa,
  dir: 'sending' | 'received',
  bytes: Uint8Array,
  payloads: IkePayload[] | undefined,
  msg?: IkeMessage,
): void {
  let text: string;
  if (msg && payloads) text = summarizeIke(msg.header, payloads);
  else {
    try {
      const m = decodeIkeMessage(bytes);
      text = summarizeIke(m.header, m.payloads);
    } catch {
      text = `${bytes.length} bytes`;
    }
  }
  log.log('info', 'ike', `${sa.name}[#${sa.id}] ${dir === 'sending' ? 'generating' : 'parsed'} ${text}`);
}
