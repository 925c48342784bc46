import { EINTR, libc, SOL_UDP, UDP_SEGMENT } from './libc.js';
import { IOVEC, MMSGHDR, MmsgSlots } from './mmsg-slots.js';
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
 *   (mmsg-slots.ts; here the mmsghdrs are per message, built at each send())
 */

const CMSG_SPACE = 24;
const CMSG_LEN = 18;
export const GSO_MAX_SEGMENTS = 64;
export const GSO_MAX_BYTES = 65000;

export class GsoSendBatch extends MmsgSlots {
  /** After a failed send(): the slots of the message that failed, and whether it was a GSO run. */
  lastFailedSlots = 0;
  lastFailedGso = false;
  /** Messages and GSO runs of the last send() (for counters). */
  lastMessages = 0;
  lastGsoRuns = 0;
  /** per message of the last send(): its first slot and its slot count */
  private readonly msgFirst: Int32Array;
  private readonly msgSlots: Int32Array;

  constructor(count: number, bufferSize: number) {
    super('GsoSendBatch', count, bufferSize, CMSG_SPACE);
    for (let i = 0; i < count; i++) {
      // the cmsg header of slot i (fixed), gso_size per send; iovec i -> data slot i (MmsgSlots)
      const cm = this.controlOff + i * CMSG_SPACE;
      this.dv.setBigUint64(cm, BigInt(CMSG_LEN), true);
      this.dv.setInt32(cm + 8, SOL_UDP, true);
      this.dv.setInt32(cm + 12, UDP_SEGMENT, true);
    }
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
      const len = this.slotLength(i);
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
        const cm = this.controlOff + msgs * CMSG_SPACE;
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
    this.check();
    const c = libc();
    let r: number;
    do r = c.sendmmsgAt(fd, this.base, msgs, 0);
    while (r < 0 && c.errno() === EINTR);
    if (r < 0) {
      this.lastFailedSlots = this.msgSlots[0] ?? 1;
      this.lastFailedGso = (this.msgSlots[0] ?? 1) > 1;
      return this.result(r);
    }
    this.lastErrno = 0;
    let slots = 0;
    for (let j = 0; j < r; j++) slots += this.msgSlots[j] ?? 0;
    return slots;
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
