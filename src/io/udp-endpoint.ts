import dgram from 'node:dgram';
import { isIP } from 'node:net';

/**
 * A UDP endpoint for IKE and NAT-T (RFC 3948: ESP-in-UDP on 4500, IKE on 500/4500), a thin
 * wrapper over node:dgram. Send failures are counted, never thrown: the data path drops.
 *
 * IPv6 endpoints are bound with IPV6_V6ONLY (`ipv6Only`), so an IPv4 and an IPv6 endpoint
 * can share one port number and IPv4 peers never appear as ::ffff:a.b.c.d.
 *
 * Buffer ownership: node:dgram never sends during the `send()` call. It resolves the
 * address first (even a literal IP) and sends on a later tick, keeping a reference to
 * `payload` until then (seen on Node 20: three sends from one reused buffer all carried its
 * last contents). A caller must hand over a buffer it will not touch again; the data plane's
 * hot path uses the FFI endpoint (mmsg-udp-endpoint.ts), which sends synchronously.
 * `counters.txQueued` counts sends not yet completed.
 */

export interface UdpRemote {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

export interface UdpEndpointOptions {
  /** Local address: '0.0.0.0', '::', or a specific one. The family follows from it. */
  readonly address: string;
  /** Local port (0 = any). */
  readonly port: number;
  /** IPV6_V6ONLY for an IPv6 endpoint (default true). */
  readonly ipv6Only?: boolean;
  /** SO_RCVBUF to ask for, in bytes (e.g. 4 MiB); the kernel caps it at net.core.rmem_max. */
  readonly recvBufferSize?: number;
  /** SO_SNDBUF to ask for, in bytes; capped at net.core.wmem_max. */
  readonly sendBufferSize?: number;
  /** Each datagram; `payload` is a fresh Buffer owned by the callee. */
  readonly onMessage: (payload: Uint8Array, remote: UdpRemote) => void;
  /** Socket errors after bind (e.g. ICMP-reported errors surfacing on receive). Counted anyway. */
  readonly onError?: (err: Error) => void;
}

export interface UdpCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Sends that failed synchronously or in their completion callback. */
  txErrors: number;
  /** Sends accepted by Node but not yet completed. */
  txQueued: number;
  /** Socket 'error' events. */
  socketErrors: number;
  lastTxError: string;
}

export interface UdpEndpoint {
  /** The bound address and port (the port the kernel chose when 0 was asked). */
  readonly local: { readonly address: string; readonly port: number; readonly family: 'IPv4' | 'IPv6' };
  readonly counters: UdpCounters;
  /** SO_RCVBUF / SO_SNDBUF in force (Linux reports twice the value set, for bookkeeping). */
  readonly recvBufferSize: number;
  readonly sendBufferSize: number;
  /** Send one datagram; false (and counted) when it could not be handed to the kernel. */
  send(payload: Uint8Array, port: number, address: string): boolean;
  close(): Promise<void>;
}

class DgramEndpoint implements UdpEndpoint {
  readonly counters: UdpCounters = {
    rxPackets: 0,
    rxBytes: 0,
    txPackets: 0,
    txBytes: 0,
    txErrors: 0,
    txQueued: 0,
    socketErrors: 0,
    lastTxError: '',
  };
  private closing: Promise<void> | undefined;
  private readonly sent = (err: Error | null, bytes: number): void => {
    const k = this.counters;
    k.txQueued--;
    if (err) {
      k.txErrors++;
      k.lastTxError = err.message;
    } else {
      k.txPackets++;
      k.txBytes += bytes;
    }
  };

  constructor(
    private readonly sock: dgram.Socket,
    readonly local: { readonly address: string; readonly port: number; readonly family: 'IPv4' | 'IPv6' },
  ) {}

  get recvBufferSize(): number {
    return this.sock.getRecvBufferSize();
  }

  get sendBufferSize(): number {
    return this.sock.getSendBufferSize();
  }

  send(payload: Uint8Array, port: number, address: string): boolean {
    const k = this.counters;
    if (this.closing) {
      k.txErrors++;
      k.lastTxError = 'endpoint closed';
      return false;
    }
    try {
      k.txQueued++;
      this.sock.send(payload, port, address, this.sent);
      return true;
    } catch (e) {
      k.txQueued--;
      k.txErrors++;
      k.lastTxError = e instanceof Error ? e.message : String(e);
      return false;
    }
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise((resolve) => {
        this.sock.close(() => resolve());
      });
    }
    return this.closing;
  }
}

/**
 * Bind a UDP endpoint. Rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL, EACCES) as
 * Node reports it; after bind, nothing is thrown.
 */
export function openUdpEndpoint(opts: UdpEndpointOptions): Promise<UdpEndpoint> {
  const fam = isIP(opts.address);
  if (fam === 0) return Promise.reject(new TypeError(`not an IP address: ${JSON.stringify(opts.address)}`));
  const sock = dgram.createSocket({
    type: fam === 6 ? 'udp6' : 'udp4',
    ipv6Only: fam === 6 ? (opts.ipv6Only ?? true) : false,
    ...(opts.recvBufferSize ? { recvBufferSize: opts.recvBufferSize } : {}),
    ...(opts.sendBufferSize ? { sendBufferSize: opts.sendBufferSize } : {}),
  });
  return new Promise((resolve, reject) => {
    let ep: DgramEndpoint | undefined;
    const onBindError = (err: Error): void => {
      sock.close();
      reject(err);
    };
    sock.once('error', onBindError);
    sock.on('message', (msg, rinfo) => {
      if (!ep) return;
      ep.counters.rxPackets++;
      ep.counters.rxBytes += msg.length;
      opts.onMessage(msg, {
        address: rinfo.address,
        port: rinfo.port,
        family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
      });
    });
    sock.bind({ address: opts.address, port: opts.port, exclusive: true }, () => {
      sock.off('error', onBindError);
      const a = sock.address();
      ep = new DgramEndpoint(sock, {
        address: a.address,
        port: a.port,
        family: a.family === 'IPv6' ? 'IPv6' : 'IPv4',
      });
      const bound = ep;
      sock.on('error', (err) => {
        bound.counters.socketErrors++;
        opts.onError?.(err);
      });
      resolve(bound);
    });
  });
}
