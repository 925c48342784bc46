import { EINTR, libc, SOL_UDP, UDP_GRO } from './libc.js';
import { IOVEC, MMSGHDR, MmsgSlots } from './mmsg-slots.js';
import { SOCKADDR_IN6_SIZE } from './sockaddr.js';

/**
 * Batched datagram I/O with `sendmmsg(2)`/`recvmmsg(2)`: one system call for up to `count`
 * datagrams, on native memory laid out once (mmsg-slots.ts: the kernel reads pointers, so
 * the buffers must not move: they live in `koffi.alloc` memory and JS sees them through views).
 *
 *   block: [ mmsghdr x count ][ iovec x count ][ sockaddr slot x count ][ data slot x count ]
 *
 * Every mmsghdr i names slot i: msg_name -> sockaddr slot i, msg_iov -> iovec i (one entry),
 * and with `controlSpace` > 0, msg_control -> control slot i, where recv() looks for the
 * UDP_GRO control message (udp(7)): a receive that carries several datagrams of one GRO run
 * as one buffer, all `gso_size` bytes long but the last.
 *
 *   struct cmsghdr (LP64): 0 cmsg_len u64, 8 cmsg_level i32, 12 cmsg_type i32, 16 data
 *   UDP_GRO: cmsg_level SOL_UDP (17), cmsg_type UDP_GRO (104), data int gso_size
 */

const CMSGHDR = 16;

export class MmsgBatch extends MmsgSlots {
  /** msg_flags per slot, filled by recv() (MSG_TRUNC: the datagram was cut to bufferSize). */
  readonly flags: Int32Array;
  /** per slot after recv(): the UDP_GRO segment size when the slot holds a GRO run, else 0 */
  readonly gsoSizes: Int32Array;

  /** @param controlSpace bytes of control messages per slot (0: none; UDP_GRO needs 24) */
  constructor(
    count: number,
    bufferSize: number,
    readonly controlSpace = 0,
  ) {
    super('MmsgBatch', count, bufferSize, controlSpace);
    const base = this.block.address;
    for (let i = 0; i < count; i++) {
      const h = i * MMSGHDR;
      const iov = this.iovOff + i * IOVEC;
      // fixed for the life of the batch: msg_name -> name slot i, msg_iov -> iovec i (one
      // entry), iov_base -> data slot i (MmsgSlots); only the lengths change per call (u32
      // writes: no BigInt)
      this.dv.setBigUint64(h, base + BigInt(this.nameOff + i * SOCKADDR_IN6_SIZE), true);
      this.dv.setBigUint64(h + 16, base + BigInt(iov), true);
      this.dv.setBigUint64(h + 24, 1n, true);
      this.dv.setBigUint64(iov + 8, BigInt(bufferSize), true);
      if (controlSpace > 0) this.dv.setBigUint64(h + 32, base + BigInt(this.controlOff + i * controlSpace), true);
    }
    this.flags = new Int32Array(count);
    this.gsoSizes = new Int32Array(count);
  }

  /**
   * Send slots start..n-1 (`lengths[i]` bytes, to `names[i]` when `nameLengths[i]` > 0; a
   * zero msg_namelen makes the kernel ignore msg_name) with one sendmmsg(). Returns how many
   * the kernel took (0 on EAGAIN, -1 on another error: `lastErrno`), counted from `start`.
   * @throws RangeError when a slot length does not fit its slot (checked before the call)
   */
  send(fd: number, n: number, flags = 0, start = 0): number {
    const dv = this.dv;
    const iovOff = this.iovOff;
    const m = Math.min(n, this.count);
    if (!Number.isInteger(start) || start < 0 || start >= m) return 0;
    for (let i = start; i < m; i++) {
      const len = this.slotLength(i);
      dv.setUint32(i * MMSGHDR + 8, this.nameLengths[i] ?? 0, true);
      dv.setUint32(iovOff + i * IOVEC + 8, len, true);
    }
    this.check();
    const c = libc();
    const at = this.base + start * MMSGHDR;
    for (;;) {
      const r = c.sendmmsgAt(fd, at, m - start, flags);
      if (r >= 0 || c.errno() !== EINTR) return this.result(r);
    }
  }

  /**
   * Receive up to `max` (default `count`) datagrams with one recvmmsg(); fills lengths,
   * nameLengths and flags. Same returns as send().
   */
  recv(fd: number, flags = 0, max = this.count): number {
    const dv = this.dv;
    const iovOff = this.iovOff;
    const m = Math.max(1, Math.min(max, this.count));
    const cs = this.controlSpace;
    for (let i = 0; i < m; i++) {
      dv.setUint32(i * MMSGHDR + 8, SOCKADDR_IN6_SIZE, true);
      dv.setUint32(iovOff + i * IOVEC + 8, this.bufferSize, true);
      // msg_controllen: the kernel writes back what it used
      if (cs > 0) dv.setUint32(i * MMSGHDR + 40, cs, true);
    }
    this.check();
    const c = libc();
    let r: number;
    do r = c.recvmmsgAt(fd, this.base, m, flags);
    while (r < 0 && c.errno() === EINTR);
    r = this.result(r);
    for (let i = 0; i < r; i++) {
      this.lengths[i] = dv.getUint32(i * MMSGHDR + 56, true);
      this.nameLengths[i] = dv.getUint32(i * MMSGHDR + 8, true);
      this.flags[i] = dv.getInt32(i * MMSGHDR + 48, true);
      this.gsoSizes[i] = cs > 0 ? this.groSize(i, dv.getUint32(i * MMSGHDR + 40, true)) : 0;
    }
    return r;
  }

  /** The UDP_GRO segment size in control slot i (`used` bytes, as the kernel reported), or 0. */
  private groSize(i: number, used: number): number {
    const dv = this.dv;
    const end = this.controlOff + i * this.controlSpace + Math.min(used, this.controlSpace);
    let at = this.controlOff + i * this.controlSpace;
    // walk the cmsghdrs; each is aligned to 8 bytes (CMSG_NXTHDR)
    while (at + CMSGHDR <= end) {
      const len = dv.getUint32(at, true);
      if (len < CMSGHDR || at + len > end) return 0;
      if (dv.getInt32(at + 8, true) === SOL_UDP && dv.getInt32(at + 12, true) === UDP_GRO && len >= CMSGHDR + 4)
        return Math.max(0, dv.getInt32(at + CMSGHDR, true));
      at += (len + 7) & ~7;
    }
    return 0;
  }
}
