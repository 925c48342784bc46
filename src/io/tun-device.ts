import { SyscallError } from './errors.js';
import { defaultPoller, type Poller } from './fd-poller.js';
import { EAGAIN, EINTR, libc, O_CLOEXEC, O_NONBLOCK, O_RDWR } from './libc.js';
import { PolledFd } from './polled-fd.js';
import { countTxError, type TxErrnoCounters } from './tx-errno.js';

/**
 * A Linux TUN device (layer 3, no packet-information header), one IP packet per
 * `read()`/`write()` (Documentation/networking/tuntap.rst).
 *
 *   struct ifreq (40 bytes on LP64), as TUNSETIFF reads it:
 *    0                   16      18                    40
 *   +--------------------+-------+---------------------+
 *   | ifr_name (NUL-term)| flags | (union, unused)     |
 *   +--------------------+-------+---------------------+
 *
 * The device lives in the network namespace of the process that opened it, and goes
 * away with its last fd unless made persistent (TUNSETPERSIST, not used here).
 * Never wrap the fd in a stream that coalesces writes: the kernel takes one write as one packet.
 */

/** `_IOW('T', 202, int)` (linux/if_tun.h). */
export const TUNSETIFF = 0x400454ca;
export const IFF_TUN = 0x0001;
export const IFF_NO_PI = 0x1000;
export const IFF_MULTI_QUEUE = 0x0100;
/** Every read and write starts with a struct virtio_net_hdr (10 bytes): lets a write carry a GSO packet. */
export const IFF_VNET_HDR = 0x4000;
/** `_IOW('T', 208, unsigned int)` (linux/if_tun.h): which offloaded packets we accept on read. */
export const TUNSETOFFLOAD = 0x400454d0;
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
/** sizeof(struct virtio_net_hdr), the default TUNSETVNETHDRSZ. */
export const VIRTIO_NET_HDR_LEN = 10;
/** IFNAMSIZ (linux/if.h) including the terminating NUL. */
export const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;

export interface TunOptions {
  /** Interface name (at most 15 bytes); a `%d` pattern lets the kernel pick a number. */
  readonly name: string;
  /** IFF_MULTI_QUEUE: each further `openTun` with the same name adds a queue. */
  readonly multiQueue?: boolean;
  /**
   * IFF_VNET_HDR: reads return, and writes take, a 10-byte virtio_net_hdr before the packet.
   * Without TUNSETOFFLOAD the kernel never hands us GSO packets or partial checksums, so a
   * read's header is all zero; writeFrame() may carry a GSO (merged TCP) packet.
   */
  readonly vnetHdr?: boolean;
  /**
   * With vnetHdr: TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6). Reads may then return
   * TCP segments of up to 64 KB and packets with a partial checksum (virtio_net_hdr says
   * which); the reader must cut and complete them (dataplane/tcp-segmenter.ts).
   */
  readonly tso?: boolean;
  /** Poller for `waitReadable()`; the process-wide one by default. */
  readonly poller?: Poller;
}

/**
 * Per-device counters; the data path counts instead of throwing. txDropAgain (EAGAIN: queue
 * full), txDropNoBufs (ENOBUFS), txErrors, lastTxErrno: write() refusals (TxErrnoCounters).
 */
export interface TunCounters extends TxErrnoCounters {
  rxPackets: number;
  rxBytes: number;
  /** read() failures other than EAGAIN/EINTR (the packet is lost); see `lastRxErrno`. */
  rxErrors: number;
  /**
   * Reads that filled their buffer exactly: the kernel truncates a packet larger than the
   * buffer without telling, so a non-zero count means buffers smaller than the MTU.
   */
  rxFull: number;
  txPackets: number;
  txBytes: number;
  /** Other write() failures (EINVAL for a malformed packet, EIO when the link is down ...). */
  txErrors: number;
  lastRxErrno: number;
}

export interface TunDevice {
  /** The name the kernel gave the interface. */
  readonly name: string;
  readonly fd: number;
  readonly counters: TunCounters;
  readonly closed: boolean;
  /** Bytes of virtio_net_hdr before each packet read or written (0, or 10 with vnetHdr). */
  readonly vnetHdrLen: number;
  /**
   * Non-blocking drain: `read()` into `bufs[0]`, `bufs[1]`, ... until EAGAIN or the batch is
   * full; `lens[i]` gets each packet's length. Returns the number of packets read. A
   * packet larger than its buffer comes back truncated (size buffers to the MTU).
   * Stops early on a read error other than EAGAIN/EINTR (counted in `rxErrors`).
   */
  readBatch(bufs: readonly Uint8Array[], lens: Int32Array): number;
  /**
   * Write one packet with one `write()` (with vnetHdr: copied after an all-zero header).
   * Returns false (and counts why) when the kernel refuses it.
   */
  write(pkt: Uint8Array): boolean;
  /** Write `frame` as is with one `write()`: header (when vnetHdr) and packet. */
  writeFrame(frame: Uint8Array): boolean;
  /** Resolves when the fd is readable (or in error), or when the device is closed. */
  waitReadable(): Promise<void>;
  /** Close the fd (idempotent); a non-persistent device disappears with its last queue. */
  close(): void;
}

function newCounters(): TunCounters {
  return {
    rxPackets: 0,
    rxBytes: 0,
    rxErrors: 0,
    rxFull: 0,
    txPackets: 0,
    txBytes: 0,
    txDropAgain: 0,
    txDropNoBufs: 0,
    txErrors: 0,
    lastRxErrno: 0,
    lastTxErrno: 0,
  };
}

/** Encode an interface name for ifr_name; throws RangeError when empty, too long or not printable ASCII. */
export function encodeIfName(name: string): Uint8Array {
  if (name.length === 0 || name.length >= IFNAMSIZ || !/^[\x21-\x7e]+$/.test(name) || name.includes('/')) {
    throw new RangeError(`invalid interface name ${JSON.stringify(name)} (1-15 printable ASCII, no '/')`);
  }
  const out = new Uint8Array(IFNAMSIZ);
  for (let i = 0; i < name.length; i++) out[i] = name.charCodeAt(i);
  return out;
}

class LinuxTun extends PolledFd implements TunDevice {
  readonly counters = newCounters();
  private stage: Uint8Array | undefined;
  constructor(
    readonly name: string,
    fd: number,
    poller: Poller,
    readonly vnetHdrLen: number,
    ownsFd = true,
  ) {
    super(fd, poller, ownsFd);
  }

  readBatch(bufs: readonly Uint8Array[], lens: Int32Array): number {
    if (this.closed) return 0;
    const c = libc();
    const max = Math.min(bufs.length, lens.length);
    const k = this.counters;
    let n = 0;
    while (n < max) {
      const buf = bufs[n] as Uint8Array;
      const r = c.read(this.fd, buf, buf.length);
      if (r >= 0) {
        lens[n++] = r;
        if (r === buf.length) k.rxFull++;
        k.rxPackets++;
        k.rxBytes += r - this.vnetHdrLen;
        continue;
      }
      const e = c.errno();
      if (e === EINTR) continue;
      if (e !== EAGAIN) {
        k.rxErrors++;
        k.lastRxErrno = e;
      }
      break;
    }
    return n;
  }

  write(pkt: Uint8Array): boolean {
    const h = this.vnetHdrLen;
    if (h === 0) return this.writeFrame(pkt);
    let st = this.stage;
    if (!st || st.length < h + pkt.length) {
      st = new Uint8Array(Math.max(h + pkt.length, 65535 + h));
      this.stage = st;
    }
    st.fill(0, 0, h);
    st.set(pkt, h);
    return this.writeFrame(st.subarray(0, h + pkt.length));
  }

  writeFrame(pkt: Uint8Array): boolean {
    const k = this.counters;
    if (this.closed) {
      k.txErrors++;
      return false;
    }
    const c = libc();
    for (;;) {
      const r = c.write(this.fd, pkt, pkt.length);
      if (r >= 0) {
        k.txPackets++;
        k.txBytes += r - this.vnetHdrLen;
        return true;
      }
      const e = c.errno();
      if (e === EINTR) continue;
      countTxError(k, e);
      return false;
    }
  }
}

/**
 * Open (or attach a queue to) a TUN device: open("/dev/net/tun", O_RDWR|O_NONBLOCK|O_CLOEXEC)
 * then ioctl(TUNSETIFF) with IFF_TUN|IFF_NO_PI (+ IFF_MULTI_QUEUE). The link is down and
 * unaddressed: configure it with netlink-ip.ts. Needs CAP_NET_ADMIN.
 * Throws SyscallError (EPERM without the capability, EBUSY when the name is taken by another
 * kind of device or a single-queue TUN already attached, EINVAL on a queue-mode mismatch).
 */
export function openTun(opts: TunOptions): TunDevice {
  const ifr = new Uint8Array(IFREQ_SIZE);
  ifr.set(encodeIfName(opts.name), 0);
  const flags = IFF_TUN | IFF_NO_PI | (opts.multiQueue ? IFF_MULTI_QUEUE : 0) | (opts.vnetHdr ? IFF_VNET_HDR : 0);
  new DataView(ifr.buffer).setUint16(16, flags, true);
  const c = libc();
  const fd = c.open('/dev/net/tun', O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const e = c.errno();
    throw new SyscallError('open /dev/net/tun', e, c.strerror(e));
  }
  if (c.ioctlPtr(fd, TUNSETIFF, ifr) < 0) {
    const e = c.errno();
    c.close(fd);
    throw new SyscallError(`ioctl TUNSETIFF ${opts.name}`, e, c.strerror(e));
  }
  if (opts.vnetHdr && opts.tso && c.ioctlInt(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) {
    const e = c.errno();
    c.close(fd);
    throw new SyscallError(`ioctl TUNSETOFFLOAD ${opts.name}`, e, c.strerror(e));
  }
  let end = 0;
  while (end < IFNAMSIZ && ifr[end] !== 0) end++;
  const name = String.fromCharCode(...ifr.subarray(0, end));
  return new LinuxTun(name, fd, opts.poller ?? defaultPoller(), opts.vnetHdr ? VIRTIO_NET_HDR_LEN : 0);
}

/**
 * A TUN queue fd that another thread of this process opened (openTun) and will close: the
 * sealing worker reads the same queue the main thread writes (daemon/seal-worker.ts).
 * `close()` stops its waiter and leaves the fd open.
 */
export function adoptTun(o: {
  readonly name: string;
  readonly fd: number;
  readonly vnetHdrLen: number;
  readonly poller?: Poller;
}): TunDevice {
  return new LinuxTun(o.name, o.fd, o.poller ?? defaultPoller(), o.vnetHdrLen, false);
}
