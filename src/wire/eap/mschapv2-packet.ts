/**
 * EAP-MSCHAPv2 Type-Data (draft-kamath-pppext-eap-mschapv2-02 §2), after the EAP Type octet 26.
 * Requests (authenticator -> peer) and the peer's Response carry the MS-CHAPv2 header; the
 * peer's Success and Failure responses are the OpCode alone.
 *
 *  Challenge (request):  OpCode=1 | MS-CHAPv2-ID | MS-Length(2) | Value-Size=16 | Challenge(16) | Name...
 *  Response:             OpCode=2 | MS-CHAPv2-ID | MS-Length(2) | Value-Size=49 |
 *                        Peer-Challenge(16) | Reserved(8)=0 | NT-Response(24) | Flags(1) | Name...
 *  Success (request):    OpCode=3 | MS-CHAPv2-ID | MS-Length(2) | Message ("S=<40 hex> M=<text>")
 *  Failure (request):    OpCode=4 | MS-CHAPv2-ID | MS-Length(2) | Message ("E=691 R=0 C=<32 hex> V=3 M=<text>")
 *  Success/Failure (response): OpCode=3 / OpCode=4
 *
 * MS-Length is the EAP Length minus 5, i.e. the length of this Type-Data; it must agree.
 */
import { Reader } from '../../util/reader.js';
import { Writer } from '../../util/writer.js';

export const MschapV2OpCode = { Challenge: 1, Response: 2, Success: 3, Failure: 4 } as const;

export const CHALLENGE_VALUE_SIZE = 16;
export const RESPONSE_VALUE_SIZE = 49;

export type MschapV2Packet =
  | { op: 'challenge'; mschapv2Id: number; challenge: Uint8Array; name: Uint8Array }
  | {
      op: 'response';
      mschapv2Id: number;
      peerChallenge: Uint8Array;
      ntResponse: Uint8Array;
      flags: number;
      name: Uint8Array;
    }
  | { op: 'success-request' | 'failure-request'; mschapv2Id: number; message: string }
  | { op: 'success-response' }
  | { op: 'failure-response' };

/**
 * Decode the Type-Data of an EAP-MSCHAPv2 packet. `isRequest`: the EAP Code was Request
 * (authenticator to peer). Throws WireError (path `EAP.MSCHAPv2.*`) on a wrong OpCode for the
 * direction, an MS-Length that disagrees, a wrong Value-Size or non-zero Reserved octets.
 */
export function decodeMschapV2(data: Uint8Array, isRequest: boolean, path = 'EAP.MSCHAPv2', base = 0): MschapV2Packet {
  const r = new Reader(data, path, 0, data.length, base);
  const opAt = r.pos;
  const op = r.u8('opcode');
  if (!isRequest && (op === MschapV2OpCode.Success || op === MschapV2OpCode.Failure)) {
    r.end();
    return { op: op === MschapV2OpCode.Success ? 'success-response' : 'failure-response' };
  }
  const expected = isRequest
    ? [MschapV2OpCode.Challenge, MschapV2OpCode.Success, MschapV2OpCode.Failure]
    : [MschapV2OpCode.Response];
  if (!(expected as number[]).includes(op)) {
    r.fail('opcode', `OpCode ${op} not allowed in an EAP ${isRequest ? 'Request' : 'Response'}`, opAt);
  }
  const mschapv2Id = r.u8('mschapv2_id');
  const lenAt = r.pos;
  const msLength = r.u16('ms_length');
  if (msLength !== data.length) r.fail('ms_length', `MS-Length ${msLength} != ${data.length} octets`, lenAt);
  if (op === MschapV2OpCode.Success || op === MschapV2OpCode.Failure) {
    const message = new TextDecoder().decode(r.rest());
    return { op: op === MschapV2OpCode.Success ? 'success-request' : 'failure-request', mschapv2Id, message };
  }
  const sizeAt = r.pos;
  const size = r.u8('value_size');
  if (op === MschapV2OpCode.Challenge) {
    if (size !== CHALLENGE_VALUE_SIZE) r.fail('value_size', `Value-Size ${size} (must be 16)`, sizeAt);
    const challenge = r.bytes(16, 'challenge').slice();
    return { op: 'challenge', mschapv2Id, challenge, name: r.rest().slice() };
  }
  if (size !== RESPONSE_VALUE_SIZE) r.fail('value_size', `Value-Size ${size} (must be 49)`, sizeAt);
  const peerChallenge = r.bytes(16, 'peer_challenge').slice();
  const resAt = r.pos;
  const reserved = r.bytes(8, 'reserved');
  if (reserved.some((b) => b !== 0)) r.fail('reserved', 'Reserved octets not zero', resAt);
  const ntResponse = r.bytes(24, 'nt_response').slice();
  const flags = r.u8('flags');
  return { op: 'response', mschapv2Id, peerChallenge, ntResponse, flags, name: r.rest().slice() };
}

export function encodeMschapV2(p: MschapV2Packet): Uint8Array {
  const w = new Writer(64);
  if (p.op === 'success-response') return w.u8(MschapV2OpCode.Success).finish();
  if (p.op === 'failure-response') return w.u8(MschapV2OpCode.Failure).finish();
  const op =
    p.op === 'challenge'
      ? MschapV2OpCode.Challenge
      : p.op === 'response'
        ? MschapV2OpCode.Response
        : p.op === 'success-request'
          ? MschapV2OpCode.Success
          : MschapV2OpCode.Failure;
  w.u8(op).u8(p.mschapv2Id).u16(0);
  if (p.op === 'challenge') w.u8(CHALLENGE_VALUE_SIZE).bytes(p.challenge).bytes(p.name);
  else if (p.op === 'response') {
    w.u8(RESPONSE_VALUE_SIZE).bytes(p.peerChallenge).zeros(8).bytes(p.ntResponse).u8(p.flags).bytes(p.name);
  } else w.bytes(new TextEncoder().encode(p.message));
  w.patchU16(2, w.pos);
  return w.finish();
}

/** The fields of a Success or Failure message (RFC 2759 §5, §6): `S=`, `M=`, `E=`, `R=`, `C=`, `V=`. */
export function messageFields(message: string): Map<string, string> {
  const out = new Map<string, string>();
  // M= is the rest of the message (it may contain spaces), the others are single tokens.
  const m = message.indexOf('M=');
  const head = m >= 0 ? message.slice(0, m) : message;
  if (m >= 0) out.set('M', message.slice(m + 2));
  for (const tok of head.split(' ')) {
    const eq = tok.indexOf('=');
    if (eq === 1) out.set(tok.slice(0, 1), tok.slice(2));
  }
  return out;
}
