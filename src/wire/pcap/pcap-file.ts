/**
 * Classic libpcap capture files (draft-ietf-opsawg-pcap §4-5): reader for both byte
 * orders and both timestamp resolutions, writer for LINKTYPE_RAW output.
 *
 *   File header (24 bytes)                   Record (16 bytes + data)
 *   +------------------------------+         +------------------------------+
 *   | magic a1b2c3d4 (us)          |         | ts seconds                   |
 *   |    or a1b23c4d (ns)          |         | ts us / ns                   |
 *   | major 2        | minor 4     |         | captured length (incl_len)   |
 *   | reserved1 (thiszone)         |         | original length              |
 *   | reserved2 (sigfigs)          |         +------------------------------+
 *   | snaplen                      |         | packet data (incl_len bytes) |
 *   | FCS(4 bits) | link type (16) |         +------------------------------+
 *   +------------------------------+
 *
 * The magic, read in either byte order, gives the file's byte order.
 */
import { WireError } from '../../util/errors.js';
import { Reader } from '../../util/reader.js';
import { Writer } from '../../util/writer.js';
import type { CapturePacket } from './capture-packet.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Upper bound for one record; libpcap's MAXIMUM_SNAPLEN is 262144 (pcap-int.h). */
export const MAX_RECORD_LEN = 262144;

export interface PcapFile {
  readonly format: 'pcap';
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
  readonly snaplen: number;
  readonly linkType: number;
  readonly packets: CapturePacket[];
}

/** True when `b` starts with a classic pcap magic in either byte order. */
export function isPcap(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const v = new DataView(b.buffer, b.byteOffset, 4);
  return [PCAP_MAGIC_US, PCAP_MAGIC_NS].some((m) => v.getUint32(0) === m || v.getUint32(0, true) === m);
}

/** Decode a whole pcap file. Throws WireError (`capture.header.*`, `capture.record[i].*`). */
export function decodePcap(buf: Uint8Array): PcapFile {
  const r = new Reader(buf, 'capture');
  const hdr = r.scope(24, 'header');
  const magicBe = hdr.view.getUint32(hdr.pos);
  const magicLe = hdr.view.getUint32(hdr.pos, true);
  let littleEndian: boolean;
  let nanosecond: boolean;
  if (magicBe === PCAP_MAGIC_US || magicBe === PCAP_MAGIC_NS) {
    littleEndian = false;
    nanosecond = magicBe === PCAP_MAGIC_NS;
  } else if (magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS) {
    littleEndian = true;
    nanosecond = magicLe === PCAP_MAGIC_NS;
  } else {
    return hdr.fail('magic', `not a pcap file (magic 0x${magicBe.toString(16).padStart(8, '0')})`);
  }
  const u16 = (x: Reader, f: string) => (littleEndian ? x.u16le(f) : x.u16(f));
  const u32 = (x: Reader, f: string) => (littleEndian ? x.u32le(f) : x.u32(f));
  hdr.skip(4, 'magic');
  const major = u16(hdr, 'version_major');
  const minor = u16(hdr, 'version_minor');
  // §4: major 2; minor 4 (2.3 files exist too and share the layout)
  if (major !== 2 || (minor !== 4 && minor !== 3))
    hdr.fail('version', `unsupported version ${major}.${minor}`, hdr.pos - 4);
  u32(hdr, 'thiszone');
  u32(hdr, 'sigfigs');
  const snaplen = u32(hdr, 'snaplen');
  const linkField = u32(hdr, 'linktype');
  // §5.8: bits 0-15 are the link type; 28-31 FCS length; 16-25 reserved, must be 0
  if ((linkField & 0x03ff0000) !== 0)
    hdr.fail('linktype', `reserved link type bits set (0x${linkField.toString(16)})`, hdr.pos - 4);
  const linkType = linkField & 0xffff;
  const packets: CapturePacket[] = [];
  for (let i = 0; r.remaining > 0; i++) {
    const recPath = `record[${i}]`;
    const rec = r.scope(Math.min(16, r.remaining), recPath);
    if (rec.remaining < 16) rec.skip(16, 'header');
    const sec = u32(rec, 'ts_sec');
    const frac = u32(rec, nanosecond ? 'ts_nsec' : 'ts_usec');
    const at = rec.pos;
    const inclLen = u32(rec, 'incl_len');
    const origLen = u32(rec, 'orig_len');
    if (frac >= (nanosecond ? 1e9 : 1e6))
      throw new WireError(
        'bad-value',
        `capture.${recPath}.${nanosecond ? 'ts_nsec' : 'ts_usec'}`,
        at - 4,
        `fraction ${frac} out of range`,
      );
    if (inclLen > MAX_RECORD_LEN)
      throw new WireError('bad-value', `capture.${recPath}.incl_len`, at, `${inclLen} above ${MAX_RECORD_LEN}`);
    if (inclLen > origLen)
      throw new WireError('bad-value', `capture.${recPath}.incl_len`, at, `captured ${inclLen} > original ${origLen}`);
    if (inclLen > r.remaining)
      throw new WireError(
        'truncated',
        `capture.${recPath}.data`,
        r.pos,
        `truncated: need ${inclLen}, have ${r.remaining}`,
      );
    const data = r.bytes(inclLen, `${recPath}.data`);
    packets.push({
      index: i,
      interfaceId: 0,
      linkType,
      timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nanosecond ? 1n : 1000n),
      origLen,
      data,
    });
  }
  return { format: 'pcap', littleEndian, nanosecond, snaplen, linkType, packets };
}

export interface PcapRecord {
  readonly timestampNs: bigint;
  readonly data: Uint8Array;
  /** defaults to data.length */
  readonly origLen?: number;
}

/** LINKTYPE_RAW: the packet begins with an IPv4 or IPv6 header (tcpdump.org linktypes). */
export const LINKTYPE_RAW = 101;

/** Encode a little-endian microsecond pcap file (the most widely read variant). */
export function encodePcap(
  records: readonly PcapRecord[],
  linkType = LINKTYPE_RAW,
  snaplen = MAX_RECORD_LEN,
): Uint8Array {
  const w = new Writer(24 + records.reduce((n, p) => n + 16 + p.data.length, 0));
  w.u32le(PCAP_MAGIC_US).u16le(2).u16le(4).u32le(0).u32le(0).u32le(snaplen).u32le(linkType);
  for (const p of records) {
    const sec = p.timestampNs / 1_000_000_000n;
    const usec = (p.timestampNs % 1_000_000_000n) / 1000n;
    w.u32le(Number(sec & 0xffffffffn))
      .u32le(Number(usec))
      .u32le(p.data.length)
      .u32le(p.origLen ?? p.data.length);
    w.bytes(p.data);
  }
  return w.finish();
}
