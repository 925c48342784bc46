/**
 * ISAKMP message encoder (RFC 2408 §3): cleartext messages, the payload chain that goes into
 * an encrypted body, and the header of an encrypted message. Layouts: see isakmp-decode.ts.
 * Padding and encryption of a body are the caller's (RFC 2409 §5.3, crypto/ike).
 */
import { Writer } from '../../util/writer.js';
import { IsakmpPayloadType as T } from '../registry/isakmp.js';
import { encodeDataAttribute } from './data-attribute.js';
import { ISAKMP_HEADER_LENGTH } from './isakmp-decode.js';
import type { IsakmpPayload, IsakmpProposal } from './isakmp-types.js';

export interface IsakmpHeaderFields {
  spiI: bigint;
  spiR: bigint;
  exchangeType: number;
  flags: number;
  messageId: number;
}

/** RFC 2408 §3.1: major version 1, minor 0. */
const ISAKMP_VERSION = 0x10;

export function isakmpPayloadType(p: IsakmpPayload): number {
  switch (p.kind) {
    case 'SA':
      return T.SA;
    case 'KE':
      return T.KE;
    case 'ID':
      return T.ID;
    case 'CERT':
      return T.CERT;
    case 'CR':
      return T.CR;
    case 'HASH':
      return T.HASH;
    case 'SIG':
      return T.SIG;
    case 'No':
      return T.NONCE;
    case 'N':
      return T.N;
    case 'D':
      return T.D;
    case 'V':
      return T.VID;
    case 'ATTR':
      return T.ATTR;
    case 'NAT-D':
      return p.draft ? T.NAT_D_DRAFT : T.NAT_D;
    case 'NAT-OA':
      return p.draft ? T.NAT_OA_DRAFT : T.NAT_OA;
    case 'FRAG':
      return T.FRAG;
    case 'unknown':
      return p.type;
  }
}

function writeHeader(w: Writer, h: IsakmpHeaderFields, nextPayload: number): void {
  w.u64(h.spiI).u64(h.spiR).u8(nextPayload).u8(ISAKMP_VERSION).u8(h.exchangeType).u8(h.flags);
  w.u32(h.messageId).u32(0);
}

/** A cleartext message; the header's length is patched in. */
export function encodeIsakmpMessage(h: IsakmpHeaderFields, payloads: readonly IsakmpPayload[]): Uint8Array {
  const w = new Writer(512);
  writeHeader(w, h, payloads[0] ? isakmpPayloadType(payloads[0]) : T.NONE);
  writeChain(w, payloads);
  w.patchU32(24, w.pos);
  return w.finish();
}

/** The payload chain alone (plaintext of an encrypted body, or input to HASH computations). */
export function encodeIsakmpPayloadChain(payloads: readonly IsakmpPayload[]): Uint8Array {
  const w = new Writer(256);
  writeChain(w, payloads);
  return w.finish();
}

/** Header (E flag set by the caller in `h.flags`) followed by an already encrypted body. */
export function encodeIsakmpEncrypted(h: IsakmpHeaderFields, firstPayload: number, ciphertext: Uint8Array): Uint8Array {
  const w = new Writer(ISAKMP_HEADER_LENGTH + ciphertext.length);
  writeHeader(w, h, firstPayload);
  w.bytes(ciphertext);
  w.patchU32(24, w.pos);
  return w.finish();
}

function writeChain(w: Writer, payloads: readonly IsakmpPayload[]): void {
  payloads.forEach((p, i) => {
    const next = payloads[i + 1];
    const start = w.pos;
    w.u8(next ? isakmpPayloadType(next) : T.NONE)
      .u8(0)
      .u16(0);
    writeBody(w, p);
    w.patchU16(start + 2, w.pos - start);
  });
}

function writeBody(w: Writer, p: IsakmpPayload): void {
  switch (p.kind) {
    case 'SA':
      w.u32(p.doi).u32(p.situation);
      p.proposals.forEach((prop, i) => {
        writeProposal(w, prop, i === p.proposals.length - 1);
      });
      return;
    case 'KE':
      w.bytes(p.keyData);
      return;
    case 'ID':
      w.u8(p.idType).u8(p.protocolId).u16(p.port).bytes(p.data);
      return;
    case 'CERT':
    case 'CR':
      w.u8(p.encoding).bytes(p.data);
      return;
    case 'HASH':
    case 'SIG':
    case 'V':
      w.bytes(p.data);
      return;
    case 'No':
      w.bytes(p.nonce);
      return;
    case 'N':
      w.u32(p.doi).u8(p.protocolId).u8(p.spi.length).u16(p.notifyType).bytes(p.spi).bytes(p.data);
      return;
    case 'D':
      w.u32(p.doi).u8(p.protocolId).u8(p.spiSize).u16(p.spis.length);
      for (const s of p.spis) w.bytes(s);
      return;
    case 'ATTR':
      w.u8(p.cfgType).u8(0).u16(p.identifier);
      for (const a of p.attributes) encodeDataAttribute(w, a);
      return;
    case 'NAT-D':
      w.bytes(p.hash);
      return;
    case 'NAT-OA':
      w.u8(p.idType).zeros(3).bytes(p.address);
      return;
    case 'FRAG':
      w.u16(p.fragmentId)
        .u8(p.fragmentNumber)
        .u8(p.last ? 1 : 0)
        .bytes(p.data);
      return;
    case 'unknown':
      w.bytes(p.body);
      return;
  }
}

function writeProposal(w: Writer, p: IsakmpProposal, last: boolean): void {
  const start = w.pos;
  w.u8(last ? 0 : T.PROPOSAL)
    .u8(0)
    .u16(0);
  w.u8(p.number).u8(p.protocolId).u8(p.spi.length).u8(p.transforms.length).bytes(p.spi);
  p.transforms.forEach((t, i) => {
    const ts = w.pos;
    w.u8(i === p.transforms.length - 1 ? 0 : T.TRANSFORM)
      .u8(0)
      .u16(0);
    w.u8(t.number).u8(t.id).u16(0);
    for (const a of t.attributes) encodeDataAttribute(w, a);
    w.patchU16(ts + 2, w.pos - ts);
  });
  w.patchU16(start + 2, w.pos - start);
}
