import { EINTR, libc } from './libc.js';
import { IOVEC, MMSGHDR, MmsgSlots } from './mmsg-slots.js';
import { SOCKADDR_IN6_SIZE } from './sockaddr.js';

/**
 * Batched datagram I/O with `sendmmsg(2)`/`recvmmsg(2)`: one system call for up to `count`
 * datagrams, on native memory laid out once (mmsg-slots.ts: the kernel reads pointers, so
 * the buffers must not move: they live in `koffi.alloc` memory and JS sees them through views).
 *
 *   block: [ mmsghdr x count ][ iovec x count ][ sockaddr slot x count ][ data slot x count ]
 *
 * Every mmsghdr i names slot i: msg_name -> sockaddr slot i, msg_iov -> iovec i (one entry).
 */

export class MmsgBatch extends MmsgSlots {
  /** msg_flags per slot, filled by recv() (MSG_TRUNC: the datagram was cut to bufferSize). */
  readonly flags: Int32Array;

  constructor(count: number, bufferSize: number) {
    super('MmsgBatch', count, bufferSize, 0);
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
    }
    this.flags = new Int32Array(count);
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
    for (let i = 0; i < m; i++) {
      dv.setUint32(i * MMSGHDR + 8, SOCKADDR_IN6_SIZE, true);
      dv.setUint32(iovOff + i * IOVEC + 8, this.bufferSize, true);
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
    }
    return r;
  }
}
