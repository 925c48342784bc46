/**
 * IKEv2 message decoder (RFC 7296 §3). Structure only: every length is checked before it is
 * used, and a malformed message throws a WireError naming the payload path and the absolute
 * offset. Which payloads an exchange needs is checked by the exchanges, not here.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                       IKE SA Responder's SPI                  |   (8 octets each)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * |                          Message ID                           |
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * generic payload header (§3.2): Next Payload | C | RESERVED | Payload Length (incl. header)
 */
import { WireError } from '../../util/errors.js';
import { Reader } from '../../util/reader.js';
import { PAYLOAD_SHORT } from '../registry/ikev2.js';
import type { CpAttribute, IkeHeader, IkeMessage, IkePayload, IkeProposal, IkeTransform, IkeTs } from './ike-types.js';
import { PayloadType } from './ike-types.js';

export const IKE_HEADER_LENGTH = 28;

export function decodeIkeHeader(b: Uint8Array): IkeHeader {
  const r = new Reader(b, 'ike');
  const spiI = r.u64('spi_i');
  const spiR = r.u64('spi_r');
  const nextPayload = r.u8('next_payload');
  const ver = r.u8('version');
  const exchangeType = r.u8('exchange_type');
  const flags = r.u8('flags');
  const messageId = r.u32('message_id');
  const length = r.u32('length');
  return {
    spiI,
    spiR,
    nextPayload,
    majorVersion: ver >> 4,
    minorVersion: ver & 0x0f,
    exchangeType,
    flags,
    messageId,
    length,
  };
}

export function decodeIkeMessage(b: Uint8Array): IkeMessage {
  const header = decodeIkeHeader(b);
  // §3.1: a major version other than 2 is answered INVALID_MAJOR_VERSION by the caller.
  if (header.majorVersion !== 2) {
    throw new WireError('unsupported', 'ike.version', 17, `major version ${header.majorVersion}, not 2`);
  }
  if (header.length !== b.length) {
    throw new WireError(
      header.length > b.length ? 'truncated' : 'trailing',
      'ike.length',
      24,
      `header length ${header.length}, datagram ${b.length}`,
    );
  }
  const payloads = decodeChain(header.nextPayload, new Reader(b, 'ike', IKE_HEADER_LENGTH, b.length), true);
  return { header, payloads };
}

/** The inner payloads of a decrypted SK payload; `baseOffset` places errors in the message. */
export function decodeIkePayloadChain(firstType: number, bytes: Uint8Array, baseOffset = 0): IkePayload[] {
  return decodeChain(firstType, new Reader(bytes, 'SK', 0, bytes.length, baseOffset), false);
}

function name(type: number): string {
  return PAYLOAD_SHORT.get(type) ?? `payload-${type}`;
}

function decodeChain(first: number, r: Reader, outer: boolean): IkePayload[] {
  const out: IkePayload[] = [];
  let type = first;
  let i = 0;
  while (type !== PayloadType.NONE) {
    const at = r.pos;
    const label = `payload[${i}](${name(type)})`;
    if (r.remaining < 4)
      throw new WireError(
        'truncated',
        r.field(label),
        r.base + at,
        `truncated: generic header needs 4, have ${r.remaining}`,
      );
    const next = r.u8(`${label}.next_payload`);
    const critical = (r.u8(`${label}.flags`) & 0x80) !== 0;
    const len = r.u16(`${label}.length`);
    if (len < 4) r.fail(`${label}.length`, `payload length ${len} < 4`, at + 2);
    const body = r.scope(len - 4, label);
    if (type === PayloadType.SK || type === PayloadType.SKF) {
      // §3.14: the Encrypted payload is the last one; its Next Payload names the first inner one.
      if (!outer) r.fail(label, 'Encrypted payload inside an Encrypted payload', at);
      if (r.remaining !== 0)
        throw new WireError('trailing', r.field(label), r.base + r.pos, 'Encrypted payload is not the last payload');
      out.push(decodeEncrypted(type, next, body, at));
      return out;
    }
    out.push(decodeBody(type, critical, body));
    body.end();
    type = next;
    i++;
  }
  if (r.remaining !== 0)
    throw new WireError(
      'trailing',
      r.field('payloads'),
      r.base + r.pos,
      `${r.remaining} octets after the last payload`,
    );
  return out;
}

function decodeEncrypted(type: number, next: number, r: Reader, at: number): IkePayload {
  if (type === PayloadType.SKF) {
    // RFC 7383 §2.5: Fragment Number and Total Fragments, both >= 1, number <= total.
    const fragmentNumber = r.u16('fragment_number');
    const totalFragments = r.u16('total_fragments');
    if (fragmentNumber < 1 || totalFragments < 1 || fragmentNumber > totalFragments) {
      r.fail('fragment_number', `fragment ${fragmentNumber} of ${totalFragments}`, at + 4);
    }
    return { kind: 'SKF', firstInner: next, fragmentNumber, totalFragments, body: r.rest(), offset: at };
  }
  return { kind: 'SK', firstInner: next, body: r.rest(), offset: at };
}

function decodeBody(type: number, critical: boolean, r: Reader): IkePayload {
  switch (type) {
    case PayloadType.SA:
      return { kind: 'SA', proposals: decodeProposals(r) };
    case PayloadType.KE: {
      const dhGroup = r.u16('dh_group');
      r.skip(2, 'reserved');
      return { kind: 'KE', dhGroup, keyData: r.rest() };
    }
    case PayloadType.IDi:
    case PayloadType.IDr: {
      const idType = r.u8('id_type');
      r.skip(3, 'reserved');
      return { kind: type === PayloadType.IDi ? 'IDi' : 'IDr', idType, data: r.rest() };
    }
    case PayloadType.CERT:
    case PayloadType.CERTREQ: {
      const encoding = r.u8('encoding');
      return { kind: type === PayloadType.CERT ? 'CERT' : 'CERTREQ', encoding, data: r.rest() };
    }
    case PayloadType.AUTH: {
      const method = r.u8('auth_method');
      r.skip(3, 'reserved');
      return { kind: 'AUTH', method, data: r.rest() };
    }
    case PayloadType.NONCE:
      return { kind: 'No', nonce: r.rest() };
    case PayloadType.NOTIFY: {
      const protocolId = r.u8('protocol_id');
      const spiSize = r.u8('spi_size');
      const notifyType = r.u16('notify_type');
      // §3.10: SPI size 0 (IKE SA / none), 4 (ESP/AH) or 8 (an IKE SPI in some notifies).
      if (spiSize !== 0 && spiSize !== 4 && spiSize !== 8) r.fail('spi_size', `SPI size ${spiSize}`, r.pos - 3);
      const spi = r.bytes(spiSize, 'spi');
      return { kind: 'N', protocolId, spi, notifyType, data: r.rest() };
    }
    case PayloadType.DELETE: {
      const protocolId = r.u8('protocol_id');
      const spiSize = r.u8('spi_size');
      const count = r.u16('num_spis');
      // §3.11: IKE SA: SPI size 0 and no SPIs; ESP/AH: 4-octet SPIs.
      if (spiSize * count !== r.remaining)
        r.fail('num_spis', `${count} SPIs of ${spiSize} octets in ${r.remaining} octets`, r.pos - 2);
      const spis: Uint8Array[] = [];
      for (let i = 0; i < count; i++) spis.push(r.bytes(spiSize, `spi[${i}]`));
      return { kind: 'D', protocolId, spiSize, spis };
    }
    case PayloadType.VENDOR:
      return { kind: 'V', data: r.rest() };
    case PayloadType.TSi:
    case PayloadType.TSr:
      return { kind: type === PayloadType.TSi ? 'TSi' : 'TSr', selectors: decodeSelectors(r) };
    case PayloadType.CP: {
      const cfgType = r.u8('cfg_type');
      r.skip(3, 'reserved');
      const attributes: CpAttribute[] = [];
      for (let i = 0; r.remaining > 0; i++) {
        const t = r.u16(`attribute[${i}].type`) & 0x7fff;
        const len = r.u16(`attribute[${i}].length`);
        attributes.push({ type: t, value: r.bytes(len, `attribute[${i}].value`) });
      }
      return { kind: 'CP', cfgType, attributes };
    }
    case PayloadType.EAP:
      return { kind: 'EAP', data: r.rest() };
    default:
      return { kind: 'unknown', type, critical, body: r.rest() };
  }
}

function decodeProposals(r: Reader): IkeProposal[] {
  const out: IkeProposal[] = [];
  for (let i = 0; ; i++) {
    const at = r.pos;
    const label = `proposal[${i}]`;
    const last = r.u8(`${label}.last_substruc`);
    r.skip(1, `${label}.reserved`);
    const len = r.u16(`${label}.length`);
    // §3.3.1: 0 = last proposal, 2 = more follow.
    if (last !== 0 && last !== 2) r.fail(`${label}.last_substruc`, `value ${last}, expected 0 or 2`, at);
    if (len < 8) r.fail(`${label}.length`, `proposal length ${len} < 8`, at + 2);
    const p = r.scope(len - 4, label);
    const number = p.u8('proposal_num');
    const protocolId = p.u8('protocol_id');
    const spiSize = p.u8('spi_size');
    const count = p.u8('num_transforms');
    const spi = p.bytes(spiSize, 'spi');
    const transforms: IkeTransform[] = [];
    for (let t = 0; t < count; t++) transforms.push(decodeTransform(p, t));
    p.end();
    // §3.3.1: an offer numbers its proposals from 1, each the same as or one more than the
    // one before; a response holds the one chosen proposal with its original number.
    const prev = out.at(-1)?.number;
    if (number === 0 || (prev !== undefined && number !== prev && number !== prev + 1)) {
      r.fail(`${label}.proposal_num`, `proposal number ${number}${prev !== undefined ? ` after ${prev}` : ''}`, at + 4);
    }
    out.push({ number, protocolId, spi, transforms });
    if (last === 0) break;
    if (r.remaining === 0) r.fail(`${label}.last_substruc`, 'more proposals announced, none follow', at);
  }
  return out;
}

function decodeTransform(p: Reader, t: number): IkeTransform {
  const at = p.pos;
  const label = `transform[${t}]`;
  const last = p.u8(`${label}.last_substruc`);
  p.skip(1, `${label}.reserved`);
  const len = p.u16(`${label}.length`);
  // §3.3.2: 0 = last transform, 3 = more follow.
  if (last !== 0 && last !== 3) p.fail(`${label}.last_substruc`, `value ${last}, expected 0 or 3`, at);
  if (len < 8) p.fail(`${label}.length`, `transform length ${len} < 8`, at + 2);
  const tr = p.scope(len - 4, label);
  const type = tr.u8('type');
  tr.skip(1, 'reserved');
  const id = tr.u16('id');
  const out: IkeTransform = { type, id };
  for (let a = 0; tr.remaining > 0; a++) {
    const aAt = tr.pos;
    const af = tr.u16(`attribute[${a}].type`);
    // §3.3.5: Key Length (14) is the only attribute, in TV format (AF bit set).
    if ((af & 0x8000) === 0) {
      const alen = tr.u16(`attribute[${a}].length`);
      tr.skip(alen, `attribute[${a}].value`);
      continue;
    }
    const v = tr.u16(`attribute[${a}].value`);
    if ((af & 0x7fff) === 14) {
      if (out.keyLength !== undefined)
        throw new WireError('duplicate', tr.field(`attribute[${a}]`), tr.base + aAt, 'duplicate Key Length');
      out.keyLength = v;
    }
  }
  return out;
}

function decodeSelectors(r: Reader): IkeTs[] {
  const count = r.u8('num_ts');
  r.skip(3, 'reserved');
  const out: IkeTs[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const label = `ts[${i}]`;
    const tsType = r.u8(`${label}.ts_type`);
    const ipProtocol = r.u8(`${label}.ip_protocol`);
    const len = r.u16(`${label}.length`);
    if (len < 8) r.fail(`${label}.length`, `selector length ${len} < 8`, at + 2);
    const s = r.scope(len - 4, label);
    const startPort = s.u16('start_port');
    const endPort = s.u16('end_port');
    // §3.13.1: 7 = IPv4 range (16 octets), 8 = IPv6 range (40 octets).
    const alen = tsType === 7 ? 4 : tsType === 8 ? 16 : -1;
    if (alen > 0) {
      if (len !== 8 + 2 * alen)
        r.fail(`${label}.length`, `selector length ${len} for type ${tsType}, expected ${8 + 2 * alen}`, at + 2);
      out.push({
        tsType,
        ipProtocol,
        startPort,
        endPort,
        startAddr: s.bytes(alen, 'start_address'),
        endAddr: s.bytes(alen, 'end_address'),
      });
      s.end();
    } else {
      out.push({ tsType, ipProtocol, startPort, endPort, startAddr: new Uint8Array(0), endAddr: s.rest() });
    }
  }
  r.end();
  return out;
}
