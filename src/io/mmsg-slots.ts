import { allocNative, EAGAIN, freeNative, libc, type NativeBlock } from './libc.js';
import { SOCKADDR_IN6_SIZE } from './sockaddr.js';

/**
 * The native memory shared by the sendmmsg(2)/recvmmsg(2) batches (mmsg-batch.ts,
 * gso-send-batch.ts): `count` slots laid out once in `koffi.alloc` memory (the kernel reads
 * pointers, so nothing may move; JS sees the slots through views).
 *
 *   block: [ mmsghdr x count ][ iovec x count ][ sockaddr x count ][ control x count ][ data x count ]
 *
 *   struct mmsghdr (LP64, 64 bytes)          struct iovec (16 bytes)
 *    0 msg_name *     8 msg_namelen u32        0 iov_base *
 *   16 msg_iov *     24 msg_iovlen u64         8 iov_len u64
 *   32 msg_control * 40 msg_controllen u64
 *   48 msg_flags i32 56 msg_len u32
 *
 * Each iovec's iov_base points at its data slot for the life of the block; the rest of the
 * headers is the subclass's. `controlSpace` bytes per slot (0 for none) hold control messages.
 */

export const MMSGHDR = 64;
export const IOVEC = 16;

export class MmsgSlots {
  /** Data slot i (bufferSize bytes) in native memory. */
  readonly bufs: readonly Uint8Array[];
  /** Address slot i (28 bytes: room for a sockaddr_in6). */
  readonly names: readonly Uint8Array[];
  /** Datagram length per slot: set before send(), filled by a recv(). */
  readonly lengths: Int32Array;
  /** sockaddr length per slot: set before send() (0 for a connected socket), filled by a recv(). */
  readonly nameLengths: Int32Array;
  /** errno of the last failed call (0 when it succeeded or hit EAGAIN). */
  lastErrno = 0;
  protected readonly block: NativeBlock;
  protected readonly dv: DataView;
  /** native address of the block, as a number (user-space addresses fit in 53 bits) */
  protected readonly base: number;
  /** byte offsets of the iovec, sockaddr and control regions in the block */
  protected readonly iovOff: number;
  protected readonly nameOff: number;
  protected readonly controlOff: number;
  private freed = false;

  /**
   * @throws Error on an architecture other than x64/arm64 (the LP64 layout above)
   * @throws RangeError when count is not in 1..1024 or bufferSize not in 1..65535
   */
  constructor(
    private readonly what: string,
    readonly count: number,
    readonly bufferSize: number,
    controlSpace: number,
  ) {
    if (process.arch !== 'x64' && process.arch !== 'arm64')
      throw new Error(`${what}: unsupported arch ${process.arch}`);
    if (!Number.isInteger(count) || count < 1 || count > 1024) throw new RangeError(`count ${count} not in 1..1024`);
    if (!Number.isInteger(bufferSize) || bufferSize < 1 || bufferSize > 65535) throw new RangeError('bufferSize');
    this.iovOff = count * MMSGHDR;
    this.nameOff = this.iovOff + count * IOVEC;
    this.controlOff = this.nameOff + count * SOCKADDR_IN6_SIZE;
    const dataOff = this.controlOff + count * controlSpace;
    this.block = allocNative(dataOff + count * bufferSize);
    const b = this.block.bytes;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.base = Number(this.block.address);
    if (!Number.isSafeInteger(this.base) || this.base === 0)
      throw new Error(`${what}: native address not a safe integer`);
    const bufs: Uint8Array[] = [];
    const names: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const data = dataOff + i * bufferSize;
      const name = this.nameOff + i * SOCKADDR_IN6_SIZE;
      // iovec i -> data slot i (fixed)
      this.dv.setBigUint64(this.iovOff + i * IOVEC, this.block.address + BigInt(data), true);
      bufs.push(b.subarray(data, data + bufferSize));
      names.push(b.subarray(name, name + SOCKADDR_IN6_SIZE));
    }
    this.bufs = bufs;
    this.names = names;
    this.lengths = new Int32Array(count);
    this.nameLengths = new Int32Array(count);
  }

  /** Release the native memory (idempotent); the views become unusable. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    freeNative(this.block);
  }

  /** @throws Error after free() (before a system call would read freed memory) */
  protected check(): void {
    if (this.freed) throw new Error(`${this.what} used after free()`);
  }

  /**
   * Slot i's datagram length, after checking that it and its sockaddr length fit their slots.
   * @throws RangeError when they do not
   */
  protected slotLength(i: number): number {
    const len = this.lengths[i] ?? 0;
    const nl = this.nameLengths[i] ?? 0;
    if (len < 0 || len > this.bufferSize || nl < 0 || nl > SOCKADDR_IN6_SIZE) throw new RangeError(`slot ${i} length`);
    return len;
  }

  /** A system call's return: lastErrno from errno; 0 on EAGAIN, -1 on another error. */
  protected result(r: number): number {
    if (r >= 0) {
      this.lastErrno = 0;
      return r;
    }
    const e = libc().errno();
    this.lastErrno = e === EAGAIN ? 0 : e;
    return e === EAGAIN ? 0 : -1;
  }
}
