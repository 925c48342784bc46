/**
 * What the data plane is built with (DataplaneOptions) and what it answers through
 * (DataplaneSink): the seam between the sans-IO core (dataplane.ts) and the daemon's
 * sockets and TUN device (daemon/dataplane-io.ts).
 */
import type { CryptoBackend } from '../crypto/backend.js';
import type { Clock } from '../util/clock.js';
import type { IpAddr } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import type { DataplaneKeyHooks, Delivery } from './key-hooks.js';
import type { ListenerId, ListenerSpec } from './listener.js';

export interface UdpAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * The daemon's side: real sockets and the TUN device. Ownership of `payload`/`esp`/`packet`:
 * the bytes are valid only during the call, because the data plane reuses its buffers. A
 * sink that keeps a reference after returning (node:dgram does when the socket buffer is
 * full: UdpEndpoint.counters.txQueued rises) must return `true`; the data plane then never
 * writes that buffer again and allocates a new one. Returning nothing or false means the
 * bytes were copied or sent.
 */
export interface DataplaneSink {
  udpSend(listener: ListenerId, remoteAddress: string, remotePort: number, payload: Uint8Array): boolean | undefined;
  /** ESP as IP protocol 50; the kernel adds the IP header (raw socket without IP_HDRINCL). */
  rawSend(family: 4 | 6, dst: Uint8Array, esp: Uint8Array): boolean | undefined;
  /**
   * A decapsulated packet: a view into the datagram given to fromUdp/fromRawEsp, or a fresh
   * array (transport mode). The data plane never writes it again; the sink may keep it.
   */
  tunWrite(packet: Uint8Array): void;
  /** IKE with any Non-ESP Marker stripped, for the IKE daemon's channel (a view into the datagram). */
  toIke(local: UdpAddress, remote: UdpAddress, ike: Uint8Array): void;
  /** PF_KEY messages the key engine produced for data-path events. */
  pfkey(deliveries: readonly Delivery[]): void;
  /** A NAT rebinding moved a peer from address `old` to `to` (for a sealing thread's peerMoved). */
  peerMoved?(old: string, to: IpAddr): void;
}

export interface DataplaneOptions {
  readonly keys: DataplaneKeyHooks;
  readonly backend: CryptoBackend;
  readonly rng: Rng;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly sink: DataplaneSink;
  readonly listeners: readonly ListenerSpec[];
  /** NAT-keepalive idle interval, RFC 3948 §4 (default 20 s) */
  readonly keepaliveIntervalMs?: number;
  /**
   * This host's addresses. Needed only to find inbound SAs for datagrams on wildcard
   * listeners and raw IPv6 ESP (whose destination is unknown); listeners bound to a
   * specific address count as local too.
   */
  readonly localAddresses?: readonly string[];
}
