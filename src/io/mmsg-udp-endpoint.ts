import { type DrainLoop, type DrainLoopOptions, type DrainResult, startDrainLoop } from './drain-loop.js';
import { SyscallError } from './errors.js';
import { defaultPoller, type Poller } from './fd-poller.js';
import { GsoSendBatch } from './gso-send-batch.js';
import {
  AF_INET,
  AF_INET6,
  EAGAIN,
  EBADF,
  EINTR,
  EINVAL,
  EIO,
  ENOBUFS,
  EOPNOTSUPP,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  libc,
  MSG_TRUNC,
  POLLIN,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_REUSEPORT,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOL_SOCKET,
  SOL_UDP,
  UDP_GRO,
} from './libc.js';
import { MmsgBatch } from './mmsg-batch.js';
import { encodeSockaddr, SOCKADDR_IN6_SIZE, sockaddrSize } from './sockaddr.js';
import { parseIpLiteral, SockaddrNames } from './sockaddr-names.js';
import type { UdpCounters, UdpEndpoint } from './udp-endpoint.js';

/** control bytes per receive slot: CMSG_SPACE(sizeof(int)) = 24 for UDP_GRO, with room to spare */
const GRO_CONTROL_SPACE = 64;

/**
 * A UDP endpoint made through the FFI instead of node:dgram, for the data plane's hot path
 * (docs/dataplane.md "Performance"): socket(AF_INET|AF_INET6, SOCK_DGRAM|SOCK_NONBLOCK|
 * SOCK_CLOEXEC), SO_RCVBUF/SO_SNDBUF (the FORCE variants first, which root may use beyond
 * net.core.[rw]mem_max), IPV6_V6ONLY on IPv6, optional SO_REUSEPORT, bind.
 *
 *   receive: Poller readiness (fd-poller.ts or uv-poller.ts) ──> recvmmsg(batch) ──> onDatagram(payload, address, port) x n ──> onBatchEnd
 *   send:    send()  = one synchronous sendto() from the caller's buffer (no copy, no later tick)
 *            queue() = copy into the next sendmmsg slot; flush() sends every queued slot in one call
 *
 * Unlike node:dgram, a send completes (or fails, counted) before the call returns, so the
 * caller may reuse its buffer at once. A datagram the kernel refuses with EAGAIN (send buffer
 * full) is dropped and counted, as a router would; nothing is queued in JS.
 */

export interface MmsgUdpEndpointOptions {
  /** Local address: '0.0.0.0', '::', or a specific one. The family follows from it. */
  readonly address: string;
  /** Local port (0 = any). */
  readonly port: number;
  /** IPV6_V6ONLY for an IPv6 endpoint (default true). */
  readonly ipv6Only?: boolean;
  /** SO_RCVBUF(FORCE) in bytes. */
  readonly recvBufferSize?: number;
  /** SO_SNDBUF(FORCE) in bytes. */
  readonly sendBufferSize?: number;
  /** SO_REUSEPORT: several sockets (one per worker) on one address and port. */
  readonly reusePort?: boolean;
  /** Datagrams per sendmmsg() (default 64). */
  readonly sendBatch?: number;
  /** Bytes per send slot (default 2048); a longer datagram is sent alone with sendto(). */
  readonly sendSlotSize?: number;
  /**
   * UDP GSO (UDP_SEGMENT) for runs of equal-size datagrams to one destination in flush()
   * (default true). Turned off for good when the kernel refuses it (EINVAL, EIO, EOPNOTSUPP).
   */
  readonly gso?: boolean;
  /**
   * UDP GRO (UDP_GRO, udp(7)): the kernel may hand over a run of equal-size datagrams of one
   * flow (a peer's GSO send, or ones it merged on receive) as one buffer with their size in
   * a control message; receive() cuts it back into datagrams (default false; ipsecd turns
   * it on). Off when the kernel refuses the option.
   */
  readonly gro?: boolean;
  readonly poller?: Poller;
}

/** Counters of UdpCounters plus the batching and drop detail of this endpoint. */
export interface MmsgUdpCounters extends UdpCounters {
  /** recvmmsg()/sendmmsg() calls that moved at least one datagram */
  rxBatches: number;
  txBatches: number;
  /** datagrams longer than the receive slot (cut by the kernel, dropped) */
  rxTruncated: number;
  /** recvmmsg() failures other than EAGAIN/EINTR */
  rxErrors: number;
  /** sends refused with EAGAIN or ENOBUFS (dropped) */
  txDropAgain: number;
  lastTxErrno: number;
  /** GSO messages sent (each carried several datagrams) */
  txGsoRuns: number;
  /** 1 once the kernel refused UDP_SEGMENT and GSO was turned off */
  gsoDisabled: number;
  /** receives that carried a UDP GRO run (several datagrams) */
  rxGroRuns: number;
}

export class MmsgUdpEndpoint implements UdpEndpoint {
  readonly counters: MmsgUdpCounters = {
    rxPackets: 0,
    rxBytes: 0,
    txPackets: 0,
    txBytes: 0,
    txErrors: 0,
    txQueued: 0,
    socketErrors: 0,
    lastTxError: '',
    rxBatches: 0,
    txBatches: 0,
    rxTruncated: 0,
    rxErrors: 0,
    txDropAgain: 0,
    lastTxErrno: 0,
    txGsoRuns: 0,
    gsoDisabled: 0,
    rxGroRuns: 0,
  };
  closed = false;
  private readonly tx: GsoSendBatch;
  private gso: boolean;
  /** UDP_GRO is on: a receive batch needs control space (startUdpReader gives it) */
  readonly gro: boolean;
  private queued = 0;
  private readonly names = new SockaddrNames();
  private readonly one = new Uint8Array(SOCKADDR_IN6_SIZE);
  private readonly intBuf = new Int32Array(1);
  private readonly intLen = new Uint32Array(1);

  constructor(
    readonly fd: number,
    readonly family: 4 | 6,
    readonly local: { readonly address: string; readonly port: number; readonly family: 'IPv4' | 'IPv6' },
    private readonly poller: Poller,
    /** datagrams per sendmmsg (1..1024, default 64) */
    sendBatch: number | undefined,
    /** bytes per send slot (64..65535, default 2048); longer datagrams go out with send() */
    sendSlotSize: number | undefined,
    gso: boolean,
    gro = false,
    /** false: another thread of this process opened the fd and closes it (adoptMmsgUdpEndpoint) */
    readonly ownsFd = true,
  ) {
    this.tx = new GsoSendBatch(
      Math.max(1, Math.min(1024, sendBatch ?? 64)),
      Math.max(64, Math.min(65535, sendSlotSize ?? 2048)),
    );
    this.gso = gso;
    this.gro = gro;
  }

  get recvBufferSize(): number {
    return this.getInt(SO_RCVBUF);
  }

  get sendBufferSize(): number {
    return this.getInt(SO_SNDBUF);
  }

  /** Datagrams queued and not yet flushed. */
  get pending(): number {
    return this.queued;
  }

  /**
   * Send one datagram now with sendto() from `payload` itself (no copy). Queued datagrams
   * go first, so the order of queue() and send() is kept.
   */
  send(payload: Uint8Array, port: number, address: string): boolean {
    const k = this.counters;
    if (this.closed) return this.txFail('endpoint closed', EBADF);
    const name = this.names.get(address, port, this.family);
    if (!name) return this.txFail(`not an ${this.family === 4 ? 'IPv4' : 'IPv6'} address and port`, EINVAL);
    if (this.queued > 0) this.flush();
    const one = this.one;
    one.set(name);
    const c = libc();
    for (;;) {
      const r = c.sendto(this.fd, payload, payload.length, 0, one, name.length);
      if (r >= 0) {
        k.txPackets++;
        k.txBytes += r;
        return true;
      }
      const e = c.errno();
      if (e === EINTR) continue;
      this.sendErrno(e, 1);
      return false;
    }
  }

  /**
   * Copy `payload` into the next send slot (flushing first when the batch is full). A
   * datagram longer than a slot is sent at once with send(). Returns false when refused.
   */
  queue(payload: Uint8Array, port: number, address: string): boolean {
    if (this.closed) return this.txFail('endpoint closed', EBADF);
    const tx = this.tx;
    if (payload.length > tx.bufferSize) return this.send(payload, port, address);
    const name = this.names.get(address, port, this.family);
    if (!name) return this.txFail(`not an ${this.family === 4 ? 'IPv4' : 'IPv6'} address and port`, EINVAL);
    if (this.queued === tx.count) this.flush();
    const i = this.queued++;
    (tx.bufs[i] as Uint8Array).set(payload);
    (tx.names[i] as Uint8Array).set(name);
    tx.lengths[i] = payload.length;
    tx.nameLengths[i] = name.length;
    this.counters.txQueued = this.queued;
    return true;
  }

  /**
   * Send every queued datagram with as few sendmmsg() calls as the kernel allows: a
   * datagram refused with an error is counted and skipped, EAGAIN drops the rest.
   * Returns the number the kernel took.
   */
  flush(): number {
    const n = this.queued;
    if (n === 0) return 0;
    this.queued = 0;
    this.counters.txQueued = 0;
    if (this.closed) {
      this.counters.txErrors += n;
      return 0;
    }
    const k = this.counters;
    const tx = this.tx;
    let at = 0;
    let sent = 0;
    while (at < n) {
      const r = tx.send(this.fd, n, at, this.gso);
      if (r > 0) {
        k.txBatches++;
        k.txGsoRuns += tx.lastGsoRuns;
        for (let i = at; i < at + r; i++) k.txBytes += tx.lengths[i] ?? 0;
        k.txPackets += r;
        sent += r;
        at += r;
        continue;
      }
      if (r === 0) {
        // EAGAIN: the send buffer is full; drop the rest rather than queue in JS
        this.sendErrno(EAGAIN, n - at);
        break;
      }
      const e = tx.lastErrno;
      if (tx.lastFailedGso && (e === EINVAL || e === EIO || e === EOPNOTSUPP)) {
        // no UDP_SEGMENT on this path (e.g. a segment larger than the MTU, no checksum
        // offload): send datagram by datagram from now on
        this.gso = false;
        k.gsoDisabled = 1;
        continue;
      }
      // the message at `at` failed (sendmmsg reports an error only for the first one)
      this.sendErrno(e, tx.lastFailedSlots);
      at += tx.lastFailedSlots;
    }
    return sent;
  }

  /**
   * Receive up to a batch with one recvmmsg(); calls `onDatagram` for each (payload and
   * address are valid only during the call). Returns the count, 0 when empty, -1 on error.
   */
  receive(rx: MmsgBatch, onDatagram: (payload: Uint8Array, address: string, port: number) => void): number {
    if (this.closed) return -1;
    // without control space a GRO run would look like one long datagram
    if (this.gro && rx.controlSpace < GRO_CONTROL_SPACE)
      throw new RangeError('a UDP_GRO endpoint needs a batch with control space');
    const n = rx.recv(this.fd);
    const k = this.counters;
    if (n < 0) {
      k.rxErrors++;
      k.socketErrors++;
      return -1;
    }
    if (n > 0) k.rxBatches++;
    for (let i = 0; i < n; i++) {
      const len = rx.lengths[i] ?? 0;
      if (((rx.flags[i] ?? 0) & MSG_TRUNC) !== 0) {
        k.rxTruncated++;
        continue;
      }
      const name = rx.names[i] as Uint8Array;
      const address = this.names.text(name);
      if (address === undefined) continue;
      const port = ((name[2] ?? 0) << 8) | (name[3] ?? 0);
      const buf = rx.bufs[i] as Uint8Array;
      k.rxBytes += len;
      const seg = rx.gsoSizes[i] ?? 0;
      if (seg > 0 && seg < len) {
        // udp(7) UDP_GRO: datagrams of `seg` bytes back to back, the last one possibly shorter
        k.rxGroRuns++;
        for (let at = 0; at < len; at += seg) {
          k.rxPackets++;
          onDatagram(buf.subarray(at, Math.min(at + seg, len)), address, port);
        }
        continue;
      }
      k.rxPackets++;
      onDatagram(buf.subarray(0, len), address, port);
    }
    return n;
  }

  async waitReadable(): Promise<void> {
    if (this.closed) return;
    await this.poller.wait(this.fd, POLLIN);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.poller.cancel(this.fd);
      if (this.ownsFd) libc().close(this.fd);
      this.tx.free();
    }
    return Promise.resolve();
  }

  private getInt(opt: number): number {
    if (this.closed) return 0;
    this.intLen[0] = 4;
    return libc().getsockopt(this.fd, SOL_SOCKET, opt, this.intBuf, this.intLen) === 0 ? (this.intBuf[0] ?? 0) : 0;
  }

  private txFail(why: string, errno: number): false {
    this.counters.txErrors++;
    this.counters.lastTxError = why;
    this.counters.lastTxErrno = errno;
    return false;
  }

  private sendErrno(e: number, n: number): void {
    const k = this.counters;
    k.lastTxErrno = e;
    if (e === EAGAIN || e === ENOBUFS) k.txDropAgain += n;
    else {
      k.txErrors += n;
      k.lastTxError = libc().strerror(e);
    }
  }
}

function setIntOpt(fd: number, level: number, name: number, value: number): boolean {
  return libc().setsockopt(fd, level, name, Int32Array.of(value), 4) === 0;
}

/**
 * Open and bind a UDP endpoint through the FFI. Throws SyscallError (EADDRINUSE,
 * EADDRNOTAVAIL, EACCES) with `errno`; TypeError when `address` is not an IP literal.
 */
export function openMmsgUdpEndpoint(o: MmsgUdpEndpointOptions): MmsgUdpEndpoint {
  const ip = parseIpLiteral(o.address);
  if (!ip) throw new TypeError(`not an IP address: ${JSON.stringify(o.address)}`);
  const family = ip.length === 4 ? 4 : 6;
  const c = libc();
  const fd = c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const e = c.errno();
    throw new SyscallError('socket SOCK_DGRAM', e, c.strerror(e));
  }
  const fail = (what: string, e = c.errno()): never => {
    c.close(fd);
    throw new SyscallError(what, e, c.strerror(e));
  };
  // root may exceed net.core.[rw]mem_max with the FORCE variants; others get the capped value
  if (o.recvBufferSize && !setIntOpt(fd, SOL_SOCKET, SO_RCVBUFFORCE, o.recvBufferSize))
    if (!setIntOpt(fd, SOL_SOCKET, SO_RCVBUF, o.recvBufferSize)) fail('setsockopt SO_RCVBUF');
  if (o.sendBufferSize && !setIntOpt(fd, SOL_SOCKET, SO_SNDBUFFORCE, o.sendBufferSize))
    if (!setIntOpt(fd, SOL_SOCKET, SO_SNDBUF, o.sendBufferSize)) fail('setsockopt SO_SNDBUF');
  if (family === 6 && !setIntOpt(fd, IPPROTO_IPV6, IPV6_V6ONLY, (o.ipv6Only ?? true) ? 1 : 0))
    fail('setsockopt IPV6_V6ONLY');
  if (o.reusePort && !setIntOpt(fd, SOL_SOCKET, SO_REUSEPORT, 1)) fail('setsockopt SO_REUSEPORT');
  // Linux 5.0+; an older kernel (ENOPROTOOPT) just receives datagram by datagram
  const gro = (o.gro ?? false) && setIntOpt(fd, SOL_UDP, UDP_GRO, 1);
  const sa = new Uint8Array(sockaddrSize(family));
  const len = encodeSockaddr(sa, family, ip, o.port);
  if (len === 0) fail('bind', EINVAL);
  if (c.bind(fd, sa, len) < 0) fail(`bind ${o.address}:${o.port}`);
  const got = new Uint8Array(SOCKADDR_IN6_SIZE);
  const gotLen = Uint32Array.of(got.length);
  if (c.getsockname(fd, got, gotLen) < 0) fail('getsockname');
  const port = ((got[2] ?? 0) << 8) | (got[3] ?? 0);
  return new MmsgUdpEndpoint(
    fd,
    family,
    { address: o.address, port, family: family === 4 ? 'IPv4' : 'IPv6' },
    o.poller ?? defaultPoller(),
    o.sendBatch,
    o.sendSlotSize,
    o.gso ?? true,
    gro,
  );
}

/**
 * A UDP socket another thread of this process opened (openMmsgUdpEndpoint) and will close,
 * for sending from a data-plane worker (daemon/seal-worker.ts): sendmmsg on one socket from
 * two threads is safe, each call takes the socket lock. `close()` flushes and leaves the fd open.
 */
export function adoptMmsgUdpEndpoint(o: {
  readonly fd: number;
  readonly family: 4 | 6;
  readonly local: { readonly address: string; readonly port: number };
  readonly gso: boolean;
  readonly sendBatch?: number;
  readonly sendSlotSize?: number;
  readonly poller?: Poller;
}): MmsgUdpEndpoint {
  return new MmsgUdpEndpoint(
    o.fd,
    o.family,
    { address: o.local.address, port: o.local.port, family: o.family === 4 ? 'IPv4' : 'IPv6' },
    o.poller ?? defaultPoller(),
    o.sendBatch,
    o.sendSlotSize,
    o.gso,
    false,
    false,
  );
}

export interface UdpReaderOptions extends DrainLoopOptions {
  /** Datagrams per recvmmsg() (default 64). */
  readonly batch?: number;
  /** Bytes per receive slot (default 65535: any UDP datagram). */
  readonly bufferSize?: number;
  /** After each recvmmsg() batch was handed out (e.g. to flush the sends it caused). */
  readonly onBatchEnd?: () => void;
}

/**
 * Receive datagrams until `stop()` or `ep.close()`: recvmmsg batches, readiness from the
 * Poller when empty. `payload` and `address` are valid only during the callback.
 */
export function startUdpReader(
  ep: MmsgUdpEndpoint,
  onDatagram: (payload: Uint8Array, address: string, port: number) => void,
  opts: UdpReaderOptions = {},
): DrainLoop {
  const rx = new MmsgBatch(
    Math.max(1, Math.min(1024, opts.batch ?? 64)),
    opts.bufferSize ?? 65535,
    ep.gro ? GRO_CONTROL_SPACE : 0,
  );
  const loop = startDrainLoop(
    {
      get closed() {
        return ep.closed;
      },
      waitReadable: () => ep.waitReadable(),
      drain(): DrainResult {
        let n: number;
        try {
          n = ep.receive(rx, onDatagram);
        } finally {
          opts.onBatchEnd?.();
        }
        if (n === rx.count) return 'more';
        if (n < 0) return rx.lastErrno === EBADF || ep.closed ? 'stop' : 'more';
        return 'empty';
      },
    },
    opts,
  );
  void loop.done.then(
    () => rx.free(),
    () => rx.free(),
  );
  return loop;
}
