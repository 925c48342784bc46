/**
 * EAP packets (RFC 3748 §4), as carried whole in IKEv2's EAP payload (RFC 7296 §3.16).
 * Structure only; which packet is expected when is the state machines' business (src/eap/).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Code      |  Identifier   |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |  Type-Data ...          (Request/Response only)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { WireError } from '../../util/errors.js';
import { Reader } from '../../util/reader.js';
import { Writer } from '../../util/writer.js';

/** RFC 3748 §4: Code. */
export const EapCode = { Request: 1, Response: 2, Success: 3, Failure: 4 } as const;

/** RFC 3748 §5 and the IANA EAP method types esprit knows. */
export const EapType = { Identity: 1, Notification: 2, Nak: 3, MSCHAPv2: 26 } as const;

const TYPE_NAMES: Record<number, string> = { 1: 'Identity', 2: 'Notification', 3: 'Nak', 26: 'MSCHAPV2' };

export function eapTypeName(t: number): string {
  return TYPE_NAMES[t] ?? `EAP type ${t}`;
}

export type EapPacket =
  | { code: 'request' | 'response'; identifier: number; type: number; data: Uint8Array }
  | { code: 'success' | 'failure'; identifier: number };

const CODE_NAMES = ['', 'request', 'response', 'success', 'failure'] as const;

/**
 * Decode one EAP packet. WireError (path `EAP.*`) when the Code is unknown, Length is
 * shorter than the header or longer than the bytes, or Success/Failure carry data.
 */
export function decodeEapPacket(bytes: Uint8Array, path = 'EAP', base = 0): EapPacket {
  const r = new Reader(bytes, path, 0, bytes.length, base);
  const code = r.u8('code');
  const identifier = r.u8('identifier');
  const lenAt = r.pos;
  const length = r.u16('length');
  if (code < 1 || code > 4) r.fail('code', `unknown EAP code ${code}`, 0);
  if (length < 4) r.fail('length', `EAP Length ${length} < 4`, lenAt);
  const name = CODE_NAMES[code] as 'request' | 'response' | 'success' | 'failure';
  // §4.2: Success and Failure are exactly 4 octets.
  if ((name === 'success' || name === 'failure') && length !== 4) {
    r.fail('length', `EAP ${name} with Length ${length} (must be 4)`, lenAt);
  }
  // §4.1: a Length beyond the received octets is discarded (truncated); octets beyond
  // Length are padding and ignored.
  if (length - 4 > r.remaining) {
    throw new WireError(
      'truncated',
      `${path}.length`,
      base + lenAt,
      `truncated: Length ${length}, have ${bytes.length}`,
    );
  }
  if (name === 'success' || name === 'failure') return { code: name, identifier };
  const body = r.scope(length - 4, 'data');
  const type = body.u8('type');
  return { code: name, identifier, type, data: body.rest().slice() };
}

export function encodeEapPacket(p: EapPacket): Uint8Array {
  const w = new Writer(16);
  const code = p.code === 'request' ? 1 : p.code === 'response' ? 2 : p.code === 'success' ? 3 : 4;
  w.u8(code).u8(p.identifier).u16(0);
  if (p.code === 'request' || p.code === 'response') w.u8(p.type).bytes(p.data);
  w.patchU16(2, w.pos);
  return w.finish();
}

/** §5.1 Identity: the Type-Data is the identity, UTF-8 without a terminating NUL. */
export function identityText(data: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(data);
}

/** §5.3.1 Nak (Response only): one or more desired authentication types. */
export function decodeNak(data: Uint8Array, path = 'EAP.Nak', base = 0): number[] {
  const r = new Reader(data, path, 0, data.length, base);
  if (r.remaining < 1) r.fail('types', 'Nak without a desired type');
  const out: number[] = [];
  while (r.remaining > 0) out.push(r.u8('type'));
  return out;
}

const SHORT_TYPES: Record<number, string> = { 1: 'ID', 2: 'NTF', 3: 'NAK', 26: 'MSCHAPV2' };

/** charon's notation for an EAP payload in message summaries: `EAP/REQ/ID`, `EAP/SUCC` (never throws). */
export function eapShortText(bytes: Uint8Array): string {
  const code = bytes[0];
  if (code === 3) return 'EAP/SUCC';
  if (code === 4) return 'EAP/FAIL';
  const dir = code === 1 ? 'REQ' : code === 2 ? 'RES' : undefined;
  if (!dir || bytes.length < 5) return 'EAP';
  const t = bytes[4] as number;
  return `EAP/${dir}/${SHORT_TYPES[t] ?? t}`;
}
