/**
 * ISAKMP message decoder (RFC 2408 §3). Structure only: every length is checked before it is
 * used, and a malformed message throws a WireError naming the payload path and the absolute
 * offset. Which payloads an exchange needs is checked by ikev1/, not here.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Initiator                            !
 * !                            Cookie                             !   (8 octets each)
 * !                          Responder                            !
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
 * !                          Message ID                           !
 * !                            Length                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * generic payload header (§3.2): Next Payload | RESERVED | Payload Length (incl. header)
 */
import { WireError } from '../../util/errors.js';
import { Reader } from '../../util/reader.js';
import { IPSEC_DOI, ISAKMP_PAYLOAD_SHORT, IsakmpFlag, IsakmpPayloadType as T } from '../registry/isakmp.js';
import { decodeDataAttributes } from './data-attribute.js';
import type { IsakmpHeader, IsakmpMessage, IsakmpPayload, IsakmpProposal, IsakmpTransform } from './isakmp-types.js';

export const ISAKMP_HEADER_LENGTH = 28;

export function decodeIsakmpHeader(b: Uint8Array): IsakmpHeader {
  const r = new Reader(b, 'isakmp');
  const spiI = r.u64('initiator_cookie');
  const spiR = r.u64('responder_cookie');
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

/**
 * Decode a whole datagram (after any non-ESP marker is stripped). Throws WireError:
 * 'unsupported' for a major version other than 1 (RFC 2408 §5.2 INVALID-MAJOR-VERSION),
 * 'truncated'/'trailing' when the header length disagrees with the datagram, and the chain
 * errors of decodeIsakmpPayloadChain.
 */
export function decodeIsakmpMessage(b: Uint8Array): IsakmpMessage {
  const header = decodeIsakmpHeader(b);
  if (header.majorVersion !== 1) {
    throw new WireError('unsupported', 'isakmp.version', 17, `major version ${header.majorVersion}, not 1`);
  }
  if (header.length !== b.length) {
    throw new WireError(
      header.length > b.length ? 'truncated' : 'trailing',
      'isakmp.length',
      24,
      `header length ${header.length}, datagram ${b.length}`,
    );
  }
  if (header.flags & IsakmpFlag.ENCRYPTION) {
    // §3.1 E flag: everything after the header is encrypted; the keys live in ike/ikev1.
    if (b.length === ISAKMP_HEADER_LENGTH)
      throw new WireError('truncated', 'isakmp.encrypted', ISAKMP_HEADER_LENGTH, 'encrypted message without a body');
    return { header, payloads: [], encrypted: b.subarray(ISAKMP_HEADER_LENGTH) };
  }
  const payloads = decodeChain(header.nextPayload, new Reader(b, 'isakmp', ISAKMP_HEADER_LENGTH, b.length), false);
  return { header, payloads };
}

/**
 * The payloads of a decrypted body. With `padded`, octets after the last payload are the
 * block cipher's padding (RFC 2409 §5.3 pads to the block size) and are ignored; otherwise
 * they are an error. `baseOffset` places errors in the message.
 */
export function decodeIsakmpPayloadChain(
  firstType: number,
  bytes: Uint8Array,
  opts: { padded?: boolean; baseOffset?: number } = {},
): IsakmpPayload[] {
  return decodeChain(
    firstType,
    new Reader(bytes, 'isakmp.E', 0, bytes.length, opts.baseOffset ?? 0),
    opts.padded ?? false,
  );
}

function name(type: number): string {
  return ISAKMP_PAYLOAD_SHORT.get(type) ?? `payload-${type}`;
}

function decodeChain(first: number, r: Reader, padded: boolean): IsakmpPayload[] {
  const out: IsakmpPayload[] = [];
  let type = first;
  let i = 0;
  while (type !== T.NONE) {
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
    r.skip(1, `${label}.reserved`);
    const len = r.u16(`${label}.length`);
    if (len < 4) r.fail(`${label}.length`, `payload length ${len} < 4`, at + 2);
    const body = r.scope(len - 4, label);
    // §3.5/§3.6: proposals and transforms live only inside an SA payload.
    if (type === T.PROPOSAL || type === T.TRANSFORM) r.fail(label, 'substructure outside an SA payload', at);
    // Cisco fragmentation: the fragment payload is alone and last (protocol-facts §1.4).
    if (type === T.FRAG && (next !== T.NONE || i !== 0))
      r.fail(`${label}.next_payload`, 'fragment payload must be the only payload', at);
    out.push(decodeBody(type, body, at));
    body.end();
    type = next;
    i++;
  }
  if (r.remaining !== 0 && !padded)
    throw new WireError(
      'trailing',
      r.field('payloads'),
      r.base + r.pos,
      `${r.remaining} octets after the last payload`,
    );
  return out;
}

function decodeBody(type: number, r: Reader, at: number): IsakmpPayload {
  switch (type) {
    case T.SA:
      return decodeSa(r, at);
    case T.KE:
      return { kind: 'KE', keyData: r.rest() };
    case T.ID: {
      // RFC 2407 §4.6.2: ID Type | Protocol ID | Port, then the identification data.
      const idType = r.u8('id_type');
      const protocolId = r.u8('protocol_id');
      const port = r.u16('port');
      return { kind: 'ID', idType, protocolId, port, data: r.rest() };
    }
    case T.CERT:
    case T.CR: {
      const encoding = r.u8('encoding');
      return { kind: type === T.CERT ? 'CERT' : 'CR', encoding, data: r.rest() };
    }
    case T.HASH:
      return { kind: 'HASH', data: r.rest() };
    case T.SIG:
      return { kind: 'SIG', data: r.rest() };
    case T.NONCE:
      return { kind: 'No', nonce: r.rest() };
    case T.N: {
      // §3.14: DOI | Protocol-ID | SPI Size | Notify Message Type | SPI | Notification Data.
      const doi = r.u32('doi');
      const protocolId = r.u8('protocol_id');
      const spiSize = r.u8('spi_size');
      const notifyType = r.u16('notify_type');
      const spi = r.bytes(spiSize, 'spi');
      return { kind: 'N', doi, protocolId, spi, notifyType, data: r.rest() };
    }
    case T.D: {
      // §3.15: DOI | Protocol-Id | SPI Size | # of SPIs | SPIs.
      const doi = r.u32('doi');
      const protocolId = r.u8('protocol_id');
      const spiSize = r.u8('spi_size');
      const count = r.u16('num_spis');
      if (spiSize * count !== r.remaining)
        r.fail('num_spis', `${count} SPIs of ${spiSize} octets in ${r.remaining} octets`, r.pos - 2);
      const spis: Uint8Array[] = [];
      for (let s = 0; s < count; s++) spis.push(r.bytes(spiSize, `spi[${s}]`));
      return { kind: 'D', doi, protocolId, spiSize, spis };
    }
    case T.VID:
      return { kind: 'V', data: r.rest() };
    case T.ATTR: {
      // mode-cfg-05 §3.2: Type | RESERVED | Identifier | attributes.
      const cfgType = r.u8('cfg_type');
      r.skip(1, 'reserved');
      const identifier = r.u16('identifier');
      return { kind: 'ATTR', cfgType, identifier, attributes: decodeDataAttributes(r) };
    }
    case T.NAT_D:
    case T.NAT_D_DRAFT:
      return { kind: 'NAT-D', draft: type === T.NAT_D_DRAFT, hash: r.rest() };
    case T.NAT_OA:
    case T.NAT_OA_DRAFT: {
      // RFC 3947 §5.2: ID Type (1 = ID_IPV4_ADDR, 5 = ID_IPV6_ADDR) | RESERVED(3) | address.
      const idType = r.u8('id_type');
      r.skip(3, 'reserved');
      const alen = idType === 1 ? 4 : idType === 5 ? 16 : -1;
      if (alen < 0) r.fail('id_type', `NAT-OA ID type ${idType}, expected 1 or 5`, r.pos - 4);
      return { kind: 'NAT-OA', draft: type === T.NAT_OA_DRAFT, idType, address: r.bytes(alen, 'address') };
    }
    case T.FRAG: {
      // Fragment ID(2) | Fragment Number(1, from 1) | Flags(1, 0x01 = last) | data.
      const fragmentId = r.u16('fragment_id');
      const fragmentNumber = r.u8('fragment_number');
      const flags = r.u8('flags');
      if (fragmentNumber === 0) r.fail('fragment_number', 'fragment number 0', r.pos - 2);
      return { kind: 'FRAG', fragmentId, fragmentNumber, last: (flags & 1) !== 0, data: r.rest() };
    }
    default:
      return { kind: 'unknown', type, body: r.rest() };
  }
}

function decodeSa(r: Reader, at: number): IsakmpPayload {
  const doi = r.u32('doi');
  // RFC 2408 §3.4: the situation's length depends on the DOI; only the IPSEC DOI is defined.
  if (doi !== IPSEC_DOI)
    throw new WireError('unsupported', r.field('doi'), r.base + at + 4, `DOI ${doi}, not IPSEC (1)`);
  const situation = r.u32('situation');
  // RFC 2407 §4.2: SIT_SECRECY/SIT_INTEGRITY add labelled-domain fields nobody implements.
  if ((situation & ~1) !== 0)
    throw new WireError('unsupported', r.field('situation'), r.base + at + 8, `situation 0x${situation.toString(16)}`);
  return { kind: 'SA', doi, situation, proposals: decodeProposals(r) };
}

function decodeProposals(r: Reader): IsakmpProposal[] {
  const out: IsakmpProposal[] = [];
  for (let i = 0; ; i++) {
    const at = r.pos;
    const label = `proposal[${i}]`;
    const next = r.u8(`${label}.next_payload`);
    r.skip(1, `${label}.reserved`);
    const len = r.u16(`${label}.length`);
    // §3.5: Next Payload is 2 (Proposal) when more follow, else 0.
    if (next !== 0 && next !== 2) r.fail(`${label}.next_payload`, `value ${next}, expected 0 or 2`, at);
    if (len < 8) r.fail(`${label}.length`, `proposal length ${len} < 8`, at + 2);
    const p = r.scope(len - 4, label);
    const number = p.u8('proposal_num');
    const protocolId = p.u8('protocol_id');
    const spiSize = p.u8('spi_size');
    const count = p.u8('num_transforms');
    const spi = p.bytes(spiSize, 'spi');
    const transforms: IsakmpTransform[] = [];
    for (let t = 0; t < count; t++) transforms.push(decodeTransform(p, t, t === count - 1));
    p.end();
    out.push({ number, protocolId, spi, transforms });
    if (next === 0) break;
    if (r.remaining === 0) r.fail(`${label}.next_payload`, 'more proposals announced, none follow', at);
  }
  r.end();
  return out;
}

function decodeTransform(p: Reader, t: number, last: boolean): IsakmpTransform {
  const at = p.pos;
  const label = `transform[${t}]`;
  const next = p.u8(`${label}.next_payload`);
  p.skip(1, `${label}.reserved`);
  const len = p.u16(`${label}.length`);
  // §3.6: Next Payload is 3 (Transform) when more follow, 0 on the last (# of Transforms).
  const want = last ? 0 : 3;
  if (next !== want) p.fail(`${label}.next_payload`, `value ${next}, expected ${want}`, at);
  if (len < 8) p.fail(`${label}.length`, `transform length ${len} < 8`, at + 2);
  const tr = p.scope(len - 4, label);
  const number = tr.u8('transform_num');
  const id = tr.u8('transform_id');
  tr.skip(2, 'reserved');
  return { number, id, attributes: decodeDataAttributes(tr) };
}
