import { allocNative, EAGAIN, EINTR, freeNative, libc, type NativeBlock } from './libc.js';
import { SOCKADDR_IN6_SIZE } from './sockaddr.js';

/**
 * A sendmmsg(2) batch that sends runs of equal-size datagrams to one destination as one
 * UDP GSO message (UDP_SEGMENT, Linux 4.18+, udp(7)): the kernel carries the run through
 * the stack (routing, netfilter, veth, qdisc) as one buffer and cuts it into datagrams of
 * `gso_size` bytes at the last moment (the last one may be shorter). A run is one msghdr
 * whose iovecs are the slots' data, with a control message
 *
 *   struct cmsghdr (16) | u16 gso_size | pad to 8:  cmsg_len = CMSG_LEN(2) = 18,
 *   cmsg_level SOL_UDP (17), cmsg_type UDP_SEGMENT (103)       CMSG_SPACE(2) = 24 bytes
 *
 * Limits (include/linux/udp.h, net/ipv4/udp.c udp_send_skb): at most UDP_MAX_SEGMENTS
 * segments (64 on older kernels, so 64 here) and a total that fits one IP datagram
 * (65535 - headers; 65000 here). A single datagram goes without the control message.
 *
 *   block: [ mmsghdr x count ][ iovec x count ][ sockaddr x count ][ cmsg x count ][ data x count ]
 */

const MMSGHDR = 64;
const IOVEC = 16;
const CMSG_SPACE = 24;
const CMSG_LEN = 18;
const SOL_UDP = 17;
const UDP_SEGMENT = 103;
export const GSO_MAX_SEGMENTS = 64;
export const GSO_MAX_BYTES = 65000;

export class GsoSendBatch {
  /** Data slot i (bufferSize bytes) in native memory. */
  readonly bufs: readonly Uint8Array[];
  /** Address slot i (room for a sockaddr_in6). */
  readonly names: readonly Uint8Array[];
  /** Datagram length per slot, set before send(). */
  readonly lengths: Int32Array;
  /** sockaddr length per slot, set before send(). */
  readonly nameLengths: Int32Array;
  /** errno of the last failed call (0 when it succeeded or hit EAGAIN). */
  lastErrno = 0;
  /** After a failed send(): the slots of the message that failed, and whether it was a GSO run. */
  lastFailedSlots = 0;
  lastFailedGso = false;
  /** Messages and GSO runs of the last send() (for counters). */
  lastMessages = 0;
  lastGsoRuns = 0;
  private readonly block: NativeBlock;
  private readonly dv: DataView;
  private readonly base: number;
  private readonly iovOff: number;
  private readonly nameOff: number;
  private readonly cmsgOff: number;
  /** per message of the last send(): its first slot and its slot count */
  private readonly msgFirst: Int32Array;
  private readonly msgSlots: Int32Array;
  private freed = false;

  constructor(
    readonly count: number,
    readonly bufferSize: number,
  ) {
    if (process.arch !== 'x64' && process.arch !== 'arm64')
      throw new Error(`GsoSendBatch: unsupported arch ${process.arch}`);
    if (!Number.isInteger(count) || count < 1 || count > 1024) throw new RangeError(`count ${count} not in 1..1024`);
    if (!Number.isInteger(bufferSize) || bufferSize < 1 || bufferSize > 65535) throw new RangeError('bufferSize');
    this.iovOff = count * MMSGHDR;
    this.nameOff = this.iovOff + count * IOVEC;
    this.cmsgOff = this.nameOff + count * SOCKADDR_IN6_SIZE;
    const dataOff = this.cmsgOff + count * CMSG_SPACE;
    this.block = allocNative(dataOff + count * bufferSize);
    const b = this.block.bytes;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.base = Number(this.block.address);
    if (!Number.isSafeInteger(this.base) || this.base === 0) throw new Error('native address not a safe integer');
    const bufs: Uint8Array[] = [];
    const names: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const data = dataOff + i * bufferSize;
      const name = this.nameOff + i * SOCKADDR_IN6_SIZE;
      // iovec i -> data slot i (fixed); the cmsg header of slot i (fixed), gso_size per send
      this.dv.setBigUint64(this.iovOff + i * IOVEC, this.block.address + BigInt(data), true);
      const cm = this.cmsgOff + i * CMSG_SPACE;
      this.dv.setBigUint64(cm, BigInt(CMSG_LEN), true);
      this.dv.setInt32(cm + 8, SOL_UDP, true);
      this.dv.setInt32(cm + 12, UDP_SEGMENT, true);
      bufs.push(b.subarray(data, data + bufferSize));
      names.push(b.subarray(name, name + SOCKADDR_IN6_SIZE));
    }
    this.bufs = bufs;
    this.names = names;
    this.lengths = new Int32Array(count);
    this.nameLengths = new Int32Array(count);
    this.msgFirst = new Int32Array(count);
    this.msgSlots = new Int32Array(count);
  }

  /**
   * Send slots start..n-1 with one sendmmsg(), grouping runs into GSO messages when `gso`.
   * Returns the number of slots the kernel took (whole messages), 0 on EAGAIN, -1 on another
   * error for the first message (`lastErrno`, `lastFailedSlots`, `lastFailedGso`).
   * @throws RangeError when a slot length does not fit its slot (checked before the call)
   */
  send(fd: number, n: number, start: number, gso: boolean): number {
    const m = Math.min(n, this.count);
    if (!Number.isInteger(start) || start < 0 || start >= m) return 0;
    const dv = this.dv;
    const lengths = this.lengths;
    const nameLengths = this.nameLengths;
    for (let i = start; i < m; i++) {
      const len = lengths[i] ?? 0;
      const nl = nameLengths[i] ?? 0;
      if (len < 0 || len > this.bufferSize || nl < 0 || nl > SOCKADDR_IN6_SIZE)
        throw new RangeError(`slot ${i} length`);
      dv.setUint32(this.iovOff + i * IOVEC + 8, len, true);
      dv.setUint32(this.iovOff + i * IOVEC + 12, 0, true);
    }
    let msgs = 0;
    let runs = 0;
    let i = start;
    while (i < m) {
      const size = lengths[i] ?? 0;
      let k = 1;
      let total = size;
      if (gso && size > 0) {
        // extend while the next datagram goes to the same place with the same size; the last
        // of a run may be shorter (udp(7) UDP_SEGMENT), and then the run ends
        while (i + k < m && k < GSO_MAX_SEGMENTS) {
          const len = lengths[i + k] ?? 0;
          if (len > size || len === 0 || total + len > GSO_MAX_BYTES || !this.sameName(i, i + k)) break;
          total += len;
          k++;
          if (len < size) break;
        }
      }
      const h = msgs * MMSGHDR;
      const nl = nameLengths[i] ?? 0;
      this.setPtr(h, nl > 0 ? this.nameOff + i * SOCKADDR_IN6_SIZE : -1);
      dv.setUint32(h + 8, nl, true);
      this.setPtr(h + 16, this.iovOff + i * IOVEC);
      dv.setUint32(h + 24, k, true);
      dv.setUint32(h + 28, 0, true);
      if (k > 1) {
        const cm = this.cmsgOff + msgs * CMSG_SPACE;
        dv.setUint16(cm + 16, size, true);
        this.setPtr(h + 32, cm);
        dv.setUint32(h + 40, CMSG_SPACE, true);
        runs++;
      } else {
        this.setPtr(h + 32, -1);
        dv.setUint32(h + 40, 0, true);
      }
      dv.setUint32(h + 44, 0, true);
      dv.setInt32(h + 48, 0, true);
      this.msgFirst[msgs] = i;
      this.msgSlots[msgs] = k;
      msgs++;
      i += k;
    }
    this.lastMessages = msgs;
    this.lastGsoRuns = runs;
    if (this.freed) throw new Error('GsoSendBatch used after free()');
    const c = libc();
    let r: number;
    do r = c.sendmmsgAt(fd, this.base, msgs, 0);
    while (r < 0 && c.errno() === EINTR);
    if (r < 0) {
      const e = c.errno();
      this.lastErrno = e === EAGAIN ? 0 : e;
      this.lastFailedSlots = this.msgSlots[0] ?? 1;
      this.lastFailedGso = (this.msgSlots[0] ?? 1) > 1;
      return e === EAGAIN ? 0 : -1;
    }
    this.lastErrno = 0;
    let slots = 0;
    for (let j = 0; j < r; j++) slots += this.msgSlots[j] ?? 0;
    return slots;
  }

  /** Release the native memory (idempotent). */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    freeNative(this.block);
  }

  /** Write a pointer to offset `off` of the block (or NULL for -1) at byte `at`, as two u32 (no BigInt). */
  private setPtr(at: number, off: number): void {
    const p = off < 0 ? 0 : this.base + off;
    this.dv.setUint32(at, p % 0x1_0000_0000, true);
    this.dv.setUint32(at + 4, Math.floor(p / 0x1_0000_0000), true);
  }

  private sameName(a: number, b: number): boolean {
    const la = this.nameLengths[a] ?? 0;
    if (la !== (this.nameLengths[b] ?? 0)) return false;
    const na = this.names[a] as Uint8Array;
    const nb = this.names[b] as Uint8Array;
    for (let i = 0; i < la; i++) if (na[i] !== nb[i]) return false;
    return true;
  }
}
