import { type DrainLoop, type DrainLoopOptions, type DrainResult, startDrainLoop } from './drain-loop.js';
import { SyscallError } from './errors.js';
import { defaultPoller, type Poller } from './fd-poller.js';
import {
  AF_INET,
  AF_INET6,
  EAGAIN,
  EBADF,
  EINTR,
  EINVAL,
  IPPROTO_ESP,
  libc,
  SO_RCVBUFFORCE,
  SO_SNDBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
} from './libc.js';
import { PolledFd } from './polled-fd.js';
import { encodeSockaddr, SOCKADDR_IN6_SIZE, sockaddrSize } from './sockaddr.js';
import { countTxError, type TxErrnoCounters } from './tx-errno.js';

/**
 * Raw ESP (IP protocol 50, RFC 4303) sockets, for paths without a NAT, where ESP is not
 * UDP-encapsulated. Node cannot open raw sockets, so this goes through the FFI:
 * socket(AF_INET|AF_INET6, SOCK_RAW|SOCK_NONBLOCK|SOCK_CLOEXEC, IPPROTO_ESP). Needs CAP_NET_RAW.
 *
 * What the kernel hands a raw socket differs per family (raw(7), ipv6(7) / RFC 3542 §3):
 *
 *   AF_INET  recvfrom: | IPv4 header (IHL*4) | ESP header | ... |   -> offset = IHL*4
 *   AF_INET6 recvfrom: | ESP header | ... |                          -> offset = 0
 *
 * On send the kernel builds the IP header for both (no IP_HDRINCL): pass only the ESP packet.
 * Every raw ESP socket of the namespace gets a copy of every ESP packet addressed to the host
 * (or to `bindAddress`). While one is open, the kernel no longer answers ESP with
 * ICMP protocol-unreachable.
 */

export interface RawEspOptions {
  readonly family: 4 | 6;
  /** Local address (4 or 16 bytes) to bind: only ESP to this address is received. */
  readonly bindAddress?: Uint8Array;
  /** SO_RCVBUFFORCE in bytes (root may exceed net.core.rmem_max). */
  readonly recvBufferSize?: number;
  /** SO_SNDBUFFORCE in bytes. */
  readonly sendBufferSize?: number;
  readonly poller?: Poller;
}

/** txDropAgain, txDropNoBufs, txErrors, lastTxErrno: sendto() refusals (TxErrnoCounters). */
export interface RawEspCounters extends TxErrnoCounters {
  rxPackets: number;
  rxBytes: number;
  /** recvfrom() failures other than EAGAIN/EINTR. */
  rxErrors: number;
  /** IPv4 datagrams whose header is not a plausible IPv4 header (version, IHL). */
  rxMalformed: number;
  txPackets: number;
  txBytes: number;
  /** Other sendto() failures, and destinations of the wrong length. */
  txErrors: number;
  lastRxErrno: number;
}

/**
 * Reusable receive slots: packet i is `bufs[i].subarray(offsets[i], offsets[i] + lengths[i])`,
 * sent by `sources[i]` (4 or 16 bytes, a view into the slot's sockaddr).
 */
export interface RawEspBatch {
  readonly bufs: readonly Uint8Array[];
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
  readonly sources: readonly Uint8Array[];
  /** Raw sockaddr storage of each slot (internal to readBatch). */
  readonly names: readonly Uint8Array[];
}

/** Allocate `count` receive slots of `bufferSize` bytes each (one arena). */
export function createRawEspBatch(family: 4 | 6, count: number, bufferSize = 65535): RawEspBatch {
  const arena = new Uint8Array(count * bufferSize);
  const nameArena = new Uint8Array(count * SOCKADDR_IN6_SIZE);
  const bufs: Uint8Array[] = [];
  const names: Uint8Array[] = [];
  const sources: Uint8Array[] = [];
  const alen = family === 4 ? 4 : 16;
  const aoff = family === 4 ? 4 : 8;
  for (let i = 0; i < count; i++) {
    bufs.push(arena.subarray(i * bufferSize, (i + 1) * bufferSize));
    const name = nameArena.subarray(i * SOCKADDR_IN6_SIZE, (i + 1) * SOCKADDR_IN6_SIZE);
    names.push(name);
    sources.push(name.subarray(aoff, aoff + alen));
  }
  return { bufs, offsets: new Int32Array(count), lengths: new Int32Array(count), sources, names };
}

export class RawEspSocket extends PolledFd {
  readonly counters: RawEspCounters = {
    rxPackets: 0,
    rxBytes: 0,
    rxErrors: 0,
    rxMalformed: 0,
    txPackets: 0,
    txBytes: 0,
    txDropAgain: 0,
    txDropNoBufs: 0,
    txErrors: 0,
    lastRxErrno: 0,
    lastTxErrno: 0,
  };
  private readonly nameLen = new Uint32Array(1);
  private readonly dst = new Uint8Array(SOCKADDR_IN6_SIZE);

  constructor(
    readonly family: 4 | 6,
    fd: number,
    poller: Poller,
    ownsFd = true,
  ) {
    super(fd, poller, ownsFd);
  }

  /**
   * Non-blocking drain into `batch` until EAGAIN or the batch is full; returns the number of
   * ESP packets. IPv4 headers are skipped through `offsets`; malformed ones are counted and
   * left out. Stops early on an error other than EAGAIN/EINTR (counted).
   */
  readBatch(batch: RawEspBatch): number {
    if (this.closed) return 0;
    const c = libc();
    const k = this.counters;
    const max = batch.bufs.length;
    let n = 0;
    while (n < max) {
      const buf = batch.bufs[n] as Uint8Array;
      const name = batch.names[n] as Uint8Array;
      this.nameLen[0] = name.length;
      const r = c.recvfrom(this.fd, buf, buf.length, 0, name, this.nameLen);
      if (r < 0) {
        const e = c.errno();
        if (e === EINTR) continue;
        if (e !== EAGAIN) {
          k.rxErrors++;
          k.lastRxErrno = e;
        }
        break;
      }
      let off = 0;
      if (this.family === 4) {
        // raw(7): an IPv4 raw socket receives the IP header; RFC 791 §3.1 IHL in 32-bit words.
        const vihl = buf[0] ?? 0;
        off = (vihl & 0x0f) * 4;
        if (r < 20 || vihl >> 4 !== 4 || off < 20 || off > r) {
          k.rxMalformed++;
          continue;
        }
      }
      batch.offsets[n] = off;
      batch.lengths[n] = r - off;
      k.rxPackets++;
      k.rxBytes += r - off;
      n++;
    }
    return n;
  }

  /** Send one ESP packet to `dst` (4 or 16 bytes). Returns false and counts why when refused. */
  sendTo(esp: Uint8Array, dst: Uint8Array): boolean {
    const k = this.counters;
    const len = this.closed ? 0 : encodeSockaddr(this.dst, this.family, dst, 0);
    if (len === 0) {
      k.txErrors++;
      return false;
    }
    const c = libc();
    for (;;) {
      const r = c.sendto(this.fd, esp, esp.length, 0, this.dst, len);
      if (r >= 0) {
        k.txPackets++;
        k.txBytes += r;
        return true;
      }
      const e = c.errno();
      if (e === EINTR) continue;
      countTxError(k, e);
      return false;
    }
  }
}

function setIntOpt(fd: number, level: number, name: number, value: number, what: string): void {
  const c = libc();
  if (c.setsockopt(fd, level, name, new Int32Array([value]), 4) < 0) {
    const e = c.errno();
    c.close(fd);
    throw new SyscallError(`setsockopt ${what}`, e, c.strerror(e));
  }
}

/** Open a non-blocking raw ESP socket. Throws SyscallError (EPERM without CAP_NET_RAW, EADDRNOTAVAIL on bind). */
export function openRawEsp(opts: RawEspOptions): RawEspSocket {
  const c = libc();
  const domain = opts.family === 4 ? AF_INET : AF_INET6;
  const fd = c.socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
  if (fd < 0) {
    const e = c.errno();
    throw new SyscallError('socket SOCK_RAW IPPROTO_ESP', e, c.strerror(e));
  }
  if (opts.recvBufferSize) setIntOpt(fd, SOL_SOCKET, SO_RCVBUFFORCE, opts.recvBufferSize, 'SO_RCVBUFFORCE');
  if (opts.sendBufferSize) setIntOpt(fd, SOL_SOCKET, SO_SNDBUFFORCE, opts.sendBufferSize, 'SO_SNDBUFFORCE');
  if (opts.bindAddress) {
    const sa = new Uint8Array(sockaddrSize(opts.family));
    const len = encodeSockaddr(sa, opts.family, opts.bindAddress, 0);
    if (len === 0 || c.bind(fd, sa, len) < 0) {
      const e = len === 0 ? EINVAL : c.errno();
      c.close(fd);
      throw new SyscallError('bind', e, c.strerror(e));
    }
  }
  return new RawEspSocket(opts.family, fd, opts.poller ?? defaultPoller());
}

/** A raw ESP socket another thread of this process opened and will close (for sending). */
export function adoptRawEsp(family: 4 | 6, fd: number, poller?: Poller): RawEspSocket {
  return new RawEspSocket(family, fd, poller ?? defaultPoller(), false);
}

export interface RawEspReaderOptions extends DrainLoopOptions {
  readonly batch?: number;
  readonly bufferSize?: number;
}

/**
 * Receive ESP packets until `stop()` or `sock.close()`. `esp` (the ESP header onwards) and
 * `src` (4 or 16 address bytes) are views into reused buffers: valid only during the callback.
 */
export function startRawEspReader(
  sock: RawEspSocket,
  onPacket: (esp: Uint8Array, src: Uint8Array) => void,
  opts: RawEspReaderOptions = {},
): DrainLoop {
  const size = Math.max(1, opts.batch ?? 32);
  const batch = createRawEspBatch(sock.family, size, opts.bufferSize ?? 65535);
  return startDrainLoop(
    {
      get closed() {
        return sock.closed;
      },
      waitReadable: () => sock.waitReadable(),
      drain(): DrainResult {
        const errors = sock.counters.rxErrors;
        const n = sock.readBatch(batch);
        for (let i = 0; i < n; i++) {
          const off = batch.offsets[i] ?? 0;
          const buf = batch.bufs[i] as Uint8Array;
          onPacket(buf.subarray(off, off + (batch.lengths[i] ?? 0)), batch.sources[i] as Uint8Array);
        }
        if (n === size) return 'more';
        if (sock.counters.rxErrors !== errors && sock.counters.lastRxErrno === EBADF) return 'stop';
        return 'empty';
      },
    },
    opts,
  );
}
