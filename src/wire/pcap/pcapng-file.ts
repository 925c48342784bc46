/**
 * pcapng capture files (draft-ietf-opsawg-pcapng §3-4): sections in either byte
 * order, interfaces with their link type and if_tsresol, Enhanced / Simple /
 * obsolete Packet Blocks; every other block type is skipped by its length.
 *
 *   General block (§3.1)                     Section Header Block (§4.1), type 0x0A0D0D0A
 *   +------------------------------+         +------------------------------+
 *   | block type                   |         | block type | total length    |
 *   | block total length           |         | byte-order magic 0x1A2B3C4D  |
 *   | body (padded to 32 bits)     |         | major 1 | minor 0            |
 *   | block total length (again)   |         | section length (i64, or -1)  |
 *   +------------------------------+         | options ... | total length   |
 *                                            +------------------------------+
 *   Interface Description (§4.2), type 1     Enhanced Packet Block (§4.3), type 6
 *   | link type (16) | reserved (16)|        | interface id                 |
 *   | snaplen                      |         | timestamp high | low         |
 *   | options (if_tsresol = 9)     |         | captured len | original len  |
 *                                            | data (padded) | options      |
 *   Simple Packet Block (§4.4), type 3: original len, data (captured = min(orig, snaplen))
 */
import { WireError } from '../../util/errors.js';
import { Reader } from '../../util/reader.js';
import type { CapturePacket } from './capture-packet.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_OPB = 0x00000002; // obsolete Packet Block (Appendix A)
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;

const BLOCK_NAMES: Record<number, string> = {
  [BT_SHB]: 'SHB',
  [BT_IDB]: 'IDB',
  [BT_OPB]: 'PB',
  [BT_SPB]: 'SPB',
  [BT_EPB]: 'EPB',
};

export interface PcapngInterface {
  readonly section: number;
  readonly linkType: number;
  readonly snaplen: number;
  /** timestamp units per second (10^6 by default, §4.2 if_tsresol) */
  readonly unitsPerSecond: bigint;
}

export interface PcapngFile {
  readonly format: 'pcapng';
  readonly sections: number;
  readonly interfaces: PcapngInterface[];
  readonly packets: CapturePacket[];
  /** blocks of other types that were skipped */
  readonly skippedBlocks: number;
}

export function isPcapng(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a;
}

class Endian {
  constructor(
    readonly r: Reader,
    readonly le: boolean,
  ) {}
  u16(f: string): number {
    return this.le ? this.r.u16le(f) : this.r.u16(f);
  }
  u32(f: string): number {
    return this.le ? this.r.u32le(f) : this.r.u32(f);
  }
}

/** Walk the options of a block body; returns if_tsresol when asked for IDBs. */
function readOptions(e: Endian, wantTsresol: boolean): number | undefined {
  let tsresol: number | undefined;
  for (let i = 0; e.r.remaining > 0; i++) {
    const code = e.u16(`option[${i}].code`);
    const len = e.u16(`option[${i}].length`);
    if (code === OPT_ENDOFOPT) {
      // §3.5: opt_endofopt ends the list; nothing but it may follow
      if (len !== 0) e.r.fail(`option[${i}].length`, `opt_endofopt with length ${len}`, e.r.pos - 2);
      break;
    }
    const value = e.r.bytes(len, `option[${i}].value`);
    e.r.skip((4 - (len % 4)) % 4, `option[${i}].padding`);
    if (wantTsresol && code === OPT_IF_TSRESOL) {
      if (len !== 1) e.r.fail(`option[${i}](if_tsresol).length`, `if_tsresol of ${len} bytes`);
      tsresol = value[0];
    }
  }
  // trailing bytes after opt_endofopt are tolerated (some writers pad), but not parsed
  e.r.pos = e.r.limit;
  return tsresol;
}

/** §4.2 if_tsresol: MSB 0 = negative power of 10, MSB 1 = negative power of 2. */
function unitsPerSecond(tsresol: number | undefined, path: string, at: number): bigint {
  if (tsresol === undefined) return 1_000_000n;
  const exp = tsresol & 0x7f;
  const units = tsresol & 0x80 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
  if (units === 0n || exp > 63)
    throw new WireError('bad-value', `${path}.if_tsresol`, at, `unsupported resolution 0x${tsresol.toString(16)}`);
  return units;
}

/** Decode a whole pcapng file. Throws WireError (`capture.block[i](EPB).captured_len`, ...). */
export function decodePcapng(buf: Uint8Array): PcapngFile {
  const r = new Reader(buf, 'capture');
  let le = true;
  let section = -1;
  let sectionIfaces: PcapngInterface[] = [];
  const interfaces: PcapngInterface[] = [];
  const packets: CapturePacket[] = [];
  let skippedBlocks = 0;
  for (let i = 0; r.remaining > 0; i++) {
    const start = r.pos;
    if (r.remaining < 12) r.skip(12, `block[${i}]`);
    const typeBe = r.view.getUint32(start);
    if (typeBe === BT_SHB) {
      // §4.1: the byte-order magic decides how this whole section is read
      const bom = r.view.getUint32(start + 8);
      if (bom === BYTE_ORDER_MAGIC) le = false;
      else if (r.view.getUint32(start + 8, true) === BYTE_ORDER_MAGIC) le = true;
      else
        throw new WireError(
          'bad-value',
          `capture.block[${i}](SHB).byte_order_magic`,
          start + 8,
          `bad byte-order magic 0x${bom.toString(16)}`,
        );
    } else if (section < 0) {
      throw new WireError('bad-value', `capture.block[${i}].type`, start, 'first block is not a Section Header Block');
    }
    const type = le ? r.view.getUint32(start, true) : typeBe;
    const name = `block[${i}](${BLOCK_NAMES[type] ?? `0x${type.toString(16)}`})`;
    const path = `capture.${name}`;
    const totalLen = le ? r.view.getUint32(start + 4, true) : r.view.getUint32(start + 4);
    if (totalLen < 12 || totalLen % 4 !== 0)
      throw new WireError(
        'bad-value',
        `${path}.total_length`,
        start + 4,
        `block length ${totalLen} (must be >= 12 and a multiple of 4)`,
      );
    if (totalLen > r.remaining)
      throw new WireError(
        'truncated',
        `${path}.total_length`,
        start + 4,
        `truncated: need ${totalLen}, have ${r.remaining}`,
      );
    const block = r.scope(totalLen, name);
    const trailer = le ? block.view.getUint32(start + totalLen - 4, true) : block.view.getUint32(start + totalLen - 4);
    if (trailer !== totalLen)
      throw new WireError(
        'bad-value',
        `${path}.trailing_total_length`,
        start + totalLen - 4,
        `${trailer} != ${totalLen}`,
      );
    const body = new Reader(buf, path, start + 8, start + totalLen - 4);
    const e = new Endian(body, le);
    switch (type) {
      case BT_SHB: {
        e.u32('byte_order_magic');
        const major = e.u16('major_version');
        e.u16('minor_version');
        if (major !== 1) body.fail('major_version', `unsupported version ${major}`, body.pos - 4);
        body.skip(8, 'section_length');
        readOptions(e, false);
        section++;
        sectionIfaces = [];
        break;
      }
      case BT_IDB: {
        const linkType = e.u16('link_type');
        e.u16('reserved');
        const snaplen = e.u32('snaplen');
        const optAt = body.pos;
        const tsresol = readOptions(e, true);
        const iface = { section, linkType, snaplen, unitsPerSecond: unitsPerSecond(tsresol, path, optAt) };
        sectionIfaces.push(iface);
        interfaces.push(iface);
        break;
      }
      case BT_EPB:
      case BT_OPB: {
        const ifaceId = type === BT_EPB ? e.u32('interface_id') : e.u16('interface_id');
        if (type === BT_OPB) e.u16('drops_count');
        const iface = sectionIfaces[ifaceId];
        if (!iface)
          throw new WireError(
            'bad-value',
            `${path}.interface_id`,
            start + 8,
            `no interface ${ifaceId} in section ${section}`,
          );
        const hi = e.u32('timestamp_high');
        const lo = e.u32('timestamp_low');
        const capAt = body.pos;
        const capLen = e.u32('captured_len');
        const origLen = e.u32('original_len');
        if (capLen > body.remaining)
          throw new WireError(
            'overrun',
            `${path}.captured_len`,
            capAt,
            `captured_len ${capLen} overruns the block (${body.remaining} left)`,
          );
        if (capLen > origLen)
          throw new WireError('bad-value', `${path}.captured_len`, capAt, `captured ${capLen} > original ${origLen}`);
        const data = body.bytes(capLen, 'packet_data');
        body.skip((4 - (capLen % 4)) % 4, 'packet_data.padding');
        readOptions(e, false);
        const ts = (BigInt(hi) << 32n) | BigInt(lo);
        packets.push({
          index: packets.length,
          interfaceId: ifaceId,
          linkType: iface.linkType,
          timestampNs: (ts * 1_000_000_000n) / iface.unitsPerSecond,
          origLen,
          data,
        });
        break;
      }
      case BT_SPB: {
        // §4.4: the SPB implies interface 0 of the section and carries no timestamp
        const iface = sectionIfaces[0];
        if (!iface)
          throw new WireError(
            'bad-value',
            `${path}`,
            start,
            `Simple Packet Block without an interface in section ${section}`,
          );
        const origLen = e.u32('original_len');
        const capLen = iface.snaplen > 0 ? Math.min(origLen, iface.snaplen) : origLen;
        if (capLen > body.remaining)
          throw new WireError(
            'overrun',
            `${path}.original_len`,
            body.pos - 4,
            `packet of ${capLen} bytes overruns the block (${body.remaining} left)`,
          );
        const data = body.bytes(capLen, 'packet_data');
        packets.push({
          index: packets.length,
          interfaceId: 0,
          linkType: iface.linkType,
          timestampNs: 0n,
          origLen,
          data,
        });
        break;
      }
      default:
        skippedBlocks++;
    }
  }
  return { format: 'pcapng', sections: section + 1, interfaces, packets, skippedBlocks };
}
