import { allocNative, EAGAIN, EINTR, freeNative, libc, type NativeBlock } from './libc.js';
import { SOCKADDR_IN6_SIZE } from './sockaddr.js';

/**
 * Batched datagram I/O with `sendmmsg(2)`/`recvmmsg(2)`: one system call for up to `count`
 * datagrams, on native memory laid out once (the kernel reads pointers, so the buffers
 * must not move: they live in `koffi.alloc` memory and JS sees them through views).
 *
 *   block: [ mmsghdr x count ][ iovec x count ][ sockaddr slot x count ][ data slot x count ]
 *
 *   struct mmsghdr (LP64, 64 bytes)          struct iovec (16 bytes)
 *    0 msg_name *     8 msg_namelen u32        0 iov_base *
 *   16 msg_iov *     24 msg_iovlen u64         8 iov_len u64
 *   32 msg_control * 40 msg_controllen u64
 *   48 msg_flags i32 56 msg_len u32
 */

const MMSGHDR = 64;
const IOVEC = 16;

export class MmsgBatch {
  /** Data slot i (bufferSize bytes) in native memory. */
  readonly bufs: readonly Uint8Array[];
  /** Address slot i (28 bytes: room for a sockaddr_in6). */
  readonly names: readonly Uint8Array[];
  /** Datagram length per slot: set before send(), filled by recv(). */
  readonly lengths: Int32Array;
  /** sockaddr length per slot: set before send() (0 for a connected socket), filled by recv(). */
  readonly nameLengths: Int32Array;
  /** msg_flags per slot, filled by recv() (MSG_TRUNC: the datagram was cut to bufferSize). */
  readonly flags: Int32Array;
  /** errno of the last failed call (0 when it succeeded or hit EAGAIN). */
  lastErrno = 0;
  private readonly block: NativeBlock;
  private readonly dv: DataView;
  /** native address of the block, as a number (user-space addresses fit in 53 bits) */
  private readonly base: number;
  private freed = false;

  constructor(
    readonly count: number,
    readonly bufferSize: number,
  ) {
    if (process.arch !== 'x64' && process.arch !== 'arm64')
      throw new Error(`MmsgBatch: unsupported arch ${process.arch}`);
    if (!Number.isInteger(count) || count < 1 || count > 1024) throw new RangeError(`count ${count} not in 1..1024`);
    if (!Number.isInteger(bufferSize) || bufferSize < 1 || bufferSize > 65535) throw new RangeError('bufferSize');
    const iovOff = count * MMSGHDR;
    const nameOff = iovOff + count * IOVEC;
    const dataOff = nameOff + count * SOCKADDR_IN6_SIZE;
    this.block = allocNative(dataOff + count * bufferSize);
    const b = this.block.bytes;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.base = Number(this.block.address);
    if (!Number.isSafeInteger(this.base) || this.base === 0)
      throw new Error('MmsgBatch: native address not a safe integer');
    const base = this.block.address;
    const bufs: Uint8Array[] = [];
    const names: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const h = i * MMSGHDR;
      const iov = iovOff + i * IOVEC;
      const name = nameOff + i * SOCKADDR_IN6_SIZE;
      const data = dataOff + i * bufferSize;
      // fixed for the life of the batch: msg_name -> name slot i, msg_iov -> iovec i (one
      // entry), iov_base -> data slot i; only the lengths change per call (u32 writes: no BigInt)
      this.dv.setBigUint64(h, base + BigInt(name), true);
      this.dv.setBigUint64(h + 16, base + BigInt(iov), true);
      this.dv.setBigUint64(h + 24, 1n, true);
      this.dv.setBigUint64(iov, base + BigInt(data), true);
      this.dv.setBigUint64(iov + 8, BigInt(bufferSize), true);
      bufs.push(b.subarray(data, data + bufferSize));
      names.push(b.subarray(name, name + SOCKADDR_IN6_SIZE));
    }
    this.bufs = bufs;
    this.names = names;
    this.lengths = new Int32Array(count);
    this.nameLengths = new Int32Array(count);
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
    const iovOff = this.count * MMSGHDR;
    const m = Math.min(n, this.count);
    if (!Number.isInteger(start) || start < 0 || start >= m) return 0;
    for (let i = start; i < m; i++) {
      const len = this.lengths[i] ?? 0;
      const nl = this.nameLengths[i] ?? 0;
      if (len < 0 || len > this.bufferSize || nl < 0 || nl > SOCKADDR_IN6_SIZE)
        throw new RangeError(`slot ${i} length`);
      dv.setUint32(i * MMSGHDR + 8, nl, true);
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
    const iovOff = this.count * MMSGHDR;
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

  /** Release the native memory (idempotent); the views become unusable. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    freeNative(this.block);
  }

  private check(): void {
    if (this.freed) throw new Error('MmsgBatch used after free()');
  }

  private result(r: number): number {
    if (r >= 0) {
      this.lastErrno = 0;
      return r;
    }
    const e = libc().errno();
    this.lastErrno = e === EAGAIN ? 0 : e;
    return e === EAGAIN ? 0 : -1;
  }
}
