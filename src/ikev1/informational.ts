/**
 * Informational exchanges under an ISAKMP SA (RFC 2409 §5.7): one protected message, no
 * answer, each with a fresh random message ID and its own IV (Appendix B):
 *
 *   HDR*, HASH(1), N/D        HASH(1) = prf(SKEYID_a, M-ID | N/D)
 *
 * What they carry here:
 * - Delete (RFC 2408 §3.15): ESP with the SPIs of the sender's inbound SAs (so the receiver
 *   finds them among its outbound SPIs), ISAKMP with the cookie pair (16 octets).
 * - INITIAL-CONTACT (RFC 2407 §4.6.3.3, 24578): the sender has no other SA with us; older SAs
 *   with the same peer identity are stale (RFC 3947 §6: by identity, not by address).
 * - DPD (RFC 3706 §5): R-U-THERE 36136 / R-U-THERE-ACK 36137, SPI = CKY-I | CKY-R, data = a
 *   32-bit sequence number; only with a peer that sent the DPD vendor ID (§5.1).
 * A message that is not encrypted, does not decrypt or whose HASH(1) does not verify is
 * dropped: unauthenticated input never deletes anything.
 */
import { cookieBytes, hash1 } from '../crypto/ikev1/ikev1-keymat.js';
import { bytesEqual } from '../util/hex.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IPSEC_DOI, IsakmpExchange, IsakmpProtocol } from '../wire/registry/isakmp.js';
import type { DpdState, Ikev1Sa } from './ikev1-sa.js';
import { readResponderLifetime } from './phase1-rekey.js';
import { exchangeIv, openProtected, sealProtected } from './phase2-message.js';

/** RFC 2407 §4.6.3.3, RFC 3706 §5.2 notify types. */
export const Ikev1Notify = {
  INITIAL_CONTACT: 24578,
  R_U_THERE: 36136,
  R_U_THERE_ACK: 36137,
} as const;

/** What an authenticated Informational asks of us. */
export type InfoItem =
  /** the peer deleted its inbound ESP SA with this SPI: our outbound SPI */
  | { kind: 'delete-child'; spi: number }
  | { kind: 'delete-isakmp' }
  | { kind: 'initial-contact' }
  | { kind: 'r-u-there'; seq: number }
  | { kind: 'r-u-there-ack'; seq: number }
  /** RFC 2407 §4.6.3.1 for the ISAKMP SA: its lifetime in seconds */
  | { kind: 'responder-lifetime'; seconds: number }
  /** any other notify (errors fail a pending Quick Mode, error-notify.ts; the rest is logged) */
  | { kind: 'notify'; type: number; protocolId: number; spi: Uint8Array };

function isakmpSpi(sa: Ikev1Sa): Uint8Array {
  const b = new Uint8Array(16);
  b.set(cookieBytes(sa.spiI));
  b.set(cookieBytes(sa.spiR), 8);
  return b;
}

export function deleteEsp(spis: readonly number[]): IsakmpPayload {
  return {
    kind: 'D',
    doi: IPSEC_DOI,
    protocolId: IsakmpProtocol.IPSEC_ESP,
    spiSize: 4,
    spis: spis.map((s) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, s >>> 0);
      return b;
    }),
  };
}

export function deleteIsakmp(sa: Ikev1Sa): IsakmpPayload {
  return { kind: 'D', doi: IPSEC_DOI, protocolId: IsakmpProtocol.ISAKMP, spiSize: 16, spis: [isakmpSpi(sa)] };
}

/** A notify about the ISAKMP SA (SPI = the cookies), with an optional 32-bit sequence number. */
export function isakmpNotify(sa: Ikev1Sa, type: number, seq?: number): IsakmpPayload {
  const data = new Uint8Array(seq === undefined ? 0 : 4);
  if (seq !== undefined) new DataView(data.buffer).setUint32(0, seq >>> 0);
  return { kind: 'N', doi: IPSEC_DOI, protocolId: IsakmpProtocol.ISAKMP, spi: isakmpSpi(sa), notifyType: type, data };
}

/** HDR*, HASH(1), payloads under a fresh message ID `mid` (non-zero, chosen by the caller). */
export function sealInformational(sa: Ikev1Sa, mid: number, payloads: IsakmpPayload[]): Uint8Array {
  const { keys, suite } = sa;
  if (!keys || !suite) throw new Error('assertion failed: Informational without ISAKMP keys');
  return sealProtected(sa, IsakmpExchange.INFORMATIONAL, mid, exchangeIv(sa)(mid), payloads, (rest) =>
    hash1(suite.prf, keys.skeyidA, mid, rest),
  ).bytes;
}

function u32(b: Uint8Array): number | undefined {
  return b.length === 4 ? new DataView(b.buffer, b.byteOffset, 4).getUint32(0) : undefined;
}

/** Items of one received Informational, or why it is dropped. */
export function openInformational(
  sa: Ikev1Sa,
  msg: IsakmpMessage,
): { items: InfoItem[]; payloads: IsakmpPayload[] } | string {
  const { keys, suite } = sa;
  if (!keys || !suite || !sa.phase1LastBlock) return 'Informational before phase 1 completed';
  if (!msg.encrypted) return 'unencrypted Informational';
  const mid = msg.header.messageId;
  const o = openProtected(sa, msg, exchangeIv(sa)(mid));
  if (typeof o === 'string') return o;
  if (!bytesEqual(o.hash, hash1(suite.prf, keys.skeyidA, mid, o.rest))) return 'HASH(1) does not verify';
  const items: InfoItem[] = [];
  const ours = isakmpSpi(sa);
  for (const p of o.payloads) {
    if (p.kind === 'D' && p.protocolId === IsakmpProtocol.IPSEC_ESP && p.spiSize === 4) {
      for (const s of p.spis) {
        const spi = u32(s);
        if (spi !== undefined) items.push({ kind: 'delete-child', spi });
      }
    } else if (p.kind === 'D' && p.protocolId === IsakmpProtocol.ISAKMP) {
      // §3.15: the cookie pair names the SA; another pair is not ours to delete
      if (p.spis.some((s) => bytesEqual(s, ours))) items.push({ kind: 'delete-isakmp' });
    } else if (p.kind === 'N') {
      const seq = u32(p.data);
      // RFC 3706 §5.3: the SPI is the cookie pair of this SA
      const mine = bytesEqual(p.spi, ours);
      if (p.notifyType === Ikev1Notify.R_U_THERE && seq !== undefined && mine) items.push({ kind: 'r-u-there', seq });
      else if (p.notifyType === Ikev1Notify.R_U_THERE_ACK && seq !== undefined && mine)
        items.push({ kind: 'r-u-there-ack', seq });
      else if (p.notifyType === Ikev1Notify.INITIAL_CONTACT) items.push({ kind: 'initial-contact' });
      else if (readResponderLifetime(p, IsakmpProtocol.ISAKMP) !== undefined)
        items.push({ kind: 'responder-lifetime', seconds: readResponderLifetime(p, IsakmpProtocol.ISAKMP) ?? 0 });
      else items.push({ kind: 'notify', type: p.notifyType, protocolId: p.protocolId, spi: p.spi });
    }
  }
  return { items, payloads: [{ kind: 'HASH', data: o.hash }, ...o.payloads] };
}

/** strongSwan's IKEv1 default for `dpd_timeout` when it is not set (150 s). */
export const DEFAULT_DPD_TIMEOUT_S = 150;

/**
 * The next DPD action: `dpd_delay` seconds of silence start a check; while unanswered a new
 * R-U-THERE (the next sequence number, §5.5) goes out every `dpd_delay`; `dpd_timeout`
 * seconds after the first unanswered one the peer is declared dead.
 */
export function dpdNext(d: DpdState, delayS: number, timeoutS: number): { at: number; what: 'send' | 'dead' } {
  const delay = delayS * 1000;
  if (!d.pending) return { at: d.lastHeard + delay, what: 'send' };
  const deadAt = d.pending.firstAt + (timeoutS || DEFAULT_DPD_TIMEOUT_S) * 1000;
  const resendAt = d.pending.lastAt + delay;
  return resendAt < deadAt ? { at: resendAt, what: 'send' } : { at: deadAt, what: 'dead' };
}

/** Does an R-U-THERE-ACK answer one of the pending R-U-THEREs (§6.1: reject other numbers)? */
export function dpdAckMatches(d: DpdState, seq: number): boolean {
  if (!d.pending) return false;
  return (seq - d.pending.firstSeq) >>> 0 < (d.seq - d.pending.firstSeq) >>> 0;
}
