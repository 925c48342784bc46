/**
 * IKEv2 message encoder (RFC 7296 §3): cleartext messages (IKE_SA_INIT), the inner payload
 * chain of an Encrypted payload, and the header | SK generic header prefix an Encrypted
 * payload is authenticated with. Layouts: see ike-decode.ts. The critical bit is never set
 * (all payloads of RFC 7296 are known to a conforming peer, as strongSwan sends them).
 */
import { Writer } from '../../util/writer.js';
import type { IkePayload, IkeProposal, IkeTs } from './ike-types.js';
import { PayloadType } from './ike-types.js';

export interface IkeHeaderFields {
  spiI: bigint;
  spiR: bigint;
  exchangeType: number;
  flags: number;
  messageId: number;
}

const IKEV2 = 0x20;

export function payloadType(p: IkePayload): number {
  switch (p.kind) {
    case 'SA':
      return PayloadType.SA;
    case 'KE':
      return PayloadType.KE;
    case 'IDi':
      return PayloadType.IDi;
    case 'IDr':
      return PayloadType.IDr;
    case 'CERT':
      return PayloadType.CERT;
    case 'CERTREQ':
      return PayloadType.CERTREQ;
    case 'AUTH':
      return PayloadType.AUTH;
    case 'No':
      return PayloadType.NONCE;
    case 'N':
      return PayloadType.NOTIFY;
    case 'D':
      return PayloadType.DELETE;
    case 'V':
      return PayloadType.VENDOR;
    case 'TSi':
      return PayloadType.TSi;
    case 'TSr':
      return PayloadType.TSr;
    case 'CP':
      return PayloadType.CP;
    case 'EAP':
      return PayloadType.EAP;
    case 'SK':
      return PayloadType.SK;
    case 'SKF':
      return PayloadType.SKF;
    case 'unknown':
      return p.type;
  }
}

function writeHeader(w: Writer, h: IkeHeaderFields, next: number, length: number): void {
  w.u64(h.spiI).u64(h.spiR).u8(next).u8(IKEV2).u8(h.exchangeType).u8(h.flags).u32(h.messageId).u32(length);
}

function writeProposal(w: Writer, p: IkeProposal, last: boolean): void {
  const start = w.pos;
  w.u8(last ? 0 : 2)
    .u8(0)
    .u16(0);
  w.u8(p.number).u8(p.protocolId).u8(p.spi.length).u8(p.transforms.length).bytes(p.spi);
  p.transforms.forEach((t, i) => {
    const ts = w.pos;
    w.u8(i === p.transforms.length - 1 ? 0 : 3)
      .u8(0)
      .u16(0);
    w.u8(t.type).u8(0).u16(t.id);
    // §3.3.5: Key Length attribute, TV format (AF = 1, type 14).
    if (t.keyLength !== undefined) w.u16(0x8000 | 14).u16(t.keyLength);
    w.patchU16(ts + 2, w.pos - ts);
  });
  w.patchU16(start + 2, w.pos - start);
}

function writeSelectors(w: Writer, list: IkeTs[]): void {
  w.u8(list.length).u8(0).u16(0);
  for (const t of list) {
    w.u8(t.tsType)
      .u8(t.ipProtocol)
      .u16(8 + t.startAddr.length + t.endAddr.length)
      .u16(t.startPort)
      .u16(t.endPort);
    w.bytes(t.startAddr).bytes(t.endAddr);
  }
}

function writeBody(w: Writer, p: IkePayload): void {
  switch (p.kind) {
    case 'SA':
      p.proposals.forEach((x, i) => {
        writeProposal(w, x, i === p.proposals.length - 1);
      });
      return;
    case 'KE':
      w.u16(p.dhGroup).u16(0).bytes(p.keyData);
      return;
    case 'IDi':
    case 'IDr':
      w.u8(p.idType).u8(0).u16(0).bytes(p.data);
      return;
    case 'CERT':
    case 'CERTREQ':
      w.u8(p.encoding).bytes(p.data);
      return;
    case 'AUTH':
      w.u8(p.method).u8(0).u16(0).bytes(p.data);
      return;
    case 'No':
      w.bytes(p.nonce);
      return;
    case 'N':
      w.u8(p.protocolId).u8(p.spi.length).u16(p.notifyType).bytes(p.spi).bytes(p.data);
      return;
    case 'D':
      w.u8(p.protocolId).u8(p.spiSize).u16(p.spis.length);
      for (const s of p.spis) w.bytes(s);
      return;
    case 'V':
    case 'EAP':
      w.bytes(p.data);
      return;
    case 'TSi':
    case 'TSr':
      writeSelectors(w, p.selectors);
      return;
    case 'CP':
      w.u8(p.cfgType).u8(0).u16(0);
      for (const a of p.attributes)
        w.u16(a.type & 0x7fff)
          .u16(a.value.length)
          .bytes(a.value);
      return;
    case 'SK':
      w.bytes(p.body);
      return;
    case 'SKF':
      w.u16(p.fragmentNumber).u16(p.totalFragments).bytes(p.body);
      return;
    case 'unknown':
      w.bytes(p.body);
      return;
  }
}

function writeChain(w: Writer, payloads: IkePayload[]): void {
  payloads.forEach((p, i) => {
    const next = payloads[i + 1];
    const start = w.pos;
    const nextType = p.kind === 'SK' || p.kind === 'SKF' ? p.firstInner : next ? payloadType(next) : PayloadType.NONE;
    w.u8(nextType).u8(0).u16(0);
    writeBody(w, p);
    w.patchU16(start + 2, w.pos - start);
  });
}

export function encodeIkeMessage(h: IkeHeaderFields, payloads: IkePayload[]): Uint8Array {
  const w = new Writer(512);
  const first = payloads[0];
  writeHeader(w, h, first ? payloadType(first) : PayloadType.NONE, 0);
  writeChain(w, payloads);
  w.patchU32(24, w.pos);
  return w.finish();
}

export function encodeIkePayloadChain(payloads: IkePayload[]): { firstType: number; bytes: Uint8Array } {
  const w = new Writer(512);
  writeChain(w, payloads);
  const first = payloads[0];
  return { firstType: first ? payloadType(first) : PayloadType.NONE, bytes: w.finish() };
}

/** IKE header + SK generic header for an Encrypted payload whose body is `bodyLength` octets. */
export function encodeSkPrefix(h: IkeHeaderFields, firstInner: number, bodyLength: number): Uint8Array {
  const w = new Writer(32);
  writeHeader(w, h, PayloadType.SK, 28 + 4 + bodyLength);
  w.u8(firstInner)
    .u8(0)
    .u16(4 + bodyLength);
  return w.finish();
}

/** IKE header + SKF header (RFC 7383 §2.5): Next Payload only in fragment 1. */
export function encodeSkfPrefix(
  h: IkeHeaderFields,
  firstInner: number,
  fragmentNumber: number,
  totalFragments: number,
  bodyLength: number,
): Uint8Array {
  const w = new Writer(40);
  writeHeader(w, h, PayloadType.SKF, 28 + 8 + bodyLength);
  w.u8(fragmentNumber === 1 ? firstInner : 0)
    .u8(0)
    .u16(8 + bodyLength)
    .u16(fragmentNumber)
    .u16(totalFragments);
  return w.finish();
}
