/**
 * The UDP sockets the daemon opened for the data plane, as the core sees them: an address
 * (possibly the wildcard), a port and the port's role for demultiplexing (udpencap/demux.ts).
 *
 *   role            usual port   carries                                      IKE framing
 *   'ike'           500          plain IKE (+ 1-byte keepalives)              no marker
 *   'natt'          4500, floated ESP, IKE behind the Non-ESP Marker, FF      marker unless remote port 500
 *   'ike-encaps-00' 500          IKE, and ESP behind the 8-byte Non-IKE Marker no marker
 *   'cisco-udp'     10000        ESP and keepalives only                      (no IKE)
 *
 * Listeners are numbered in the order given (ListenerId); the daemon passes the id back with
 * each datagram it read and receives it with each datagram to send.
 */
import type { PortRole } from '../udpencap/demux.js';
import type { Framing } from '../udpencap/framing.js';
import { ConfigError } from '../util/errors.js';
import { type IpAddr, tryParseIp } from '../util/ip-addr.js';
import { type DropCounters, newDropCounters } from './drop-reasons.js';

export type ListenerId = number;

export interface ListenerSpec {
  /** local address the socket is bound to: '0.0.0.0', '::' or a specific one */
  readonly address: string;
  readonly port: number;
  readonly role: PortRole;
}

export interface ListenerCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  espIn: number;
  espOut: number;
  ikeIn: number;
  ikeOut: number;
  keepalivesIn: number;
  keepalivesOut: number;
  /** drops of datagrams that arrived on (or were meant for) this listener */
  readonly drops: DropCounters;
}

export interface Listener {
  readonly id: ListenerId;
  readonly address: string;
  readonly port: number;
  readonly role: PortRole;
  readonly addr: IpAddr;
  /** bound to 0.0.0.0 or :: (the destination of a datagram is then unknown) */
  readonly wildcard: boolean;
  /** the framing IKE leaves this port with (frameIke) */
  readonly ikeFraming: Framing;
  /** {address, port} as handed to the IKE channel (sink.toIke) */
  readonly local: { readonly address: string; readonly port: number };
  readonly counters: ListenerCounters;
}

/** The framing whose IKE rules (frameIke/ikeNeedsMarker) apply on a port of this role. */
export function ikeFramingFor(role: PortRole): Framing {
  switch (role) {
    case 'ike':
    case 'natt':
      return 'rfc3948';
    case 'ike-encaps-00':
      return 'udp-encaps-00';
    case 'cisco-udp':
      return 'cisco-udp';
  }
}

/** @throws ConfigError for an unparseable address, a port outside 1..65535 or an unknown role. */
export function makeListeners(specs: readonly ListenerSpec[]): Listener[] {
  return specs.map((s, id) => {
    const path = `listeners[${id}]`;
    const addr = tryParseIp(s.address);
    if (!addr) throw new ConfigError(`${path}.address`, `not an IP address: ${s.address}`);
    if (!Number.isInteger(s.port) || s.port < 1 || s.port > 0xffff) {
      throw new ConfigError(`${path}.port`, `port ${s.port} not in 1..65535`);
    }
    if (!['ike', 'natt', 'ike-encaps-00', 'cisco-udp'].includes(s.role)) {
      throw new ConfigError(`${path}.role`, `unknown port role ${String(s.role)}`);
    }
    return {
      id,
      address: addr.text,
      port: s.port,
      role: s.role,
      addr,
      wildcard: addr.bytes.every((b) => b === 0),
      ikeFraming: ikeFramingFor(s.role),
      local: Object.freeze({ address: addr.text, port: s.port }),
      counters: {
        rxPackets: 0,
        rxBytes: 0,
        txPackets: 0,
        txBytes: 0,
        espIn: 0,
        espOut: 0,
        ikeIn: 0,
        ikeOut: 0,
        keepalivesIn: 0,
        keepalivesOut: 0,
        drops: newDropCounters(),
      },
    };
  });
}

/**
 * The listener an SA's packets leave from: the given port and family, bound to `local`
 * when one is, else the wildcard one. Undefined when there is none.
 */
export function listenerFor(listeners: readonly Listener[], port: number, local: IpAddr): Listener | undefined {
  let wildcard: Listener | undefined;
  for (const l of listeners) {
    if (l.port !== port || l.addr.family !== local.family) continue;
    if (l.wildcard) wildcard ??= l;
    else if (sameBytes(l.addr.bytes, local.bytes)) return l;
  }
  return wildcard;
}

/** The listener a local IKE endpoint names: exact address and port, else the wildcard of its family. */
export function listenerForIke(
  listeners: readonly Listener[],
  address: string,
  port: number,
  family: 4 | 6,
): Listener | undefined {
  let wildcard: Listener | undefined;
  for (const l of listeners) {
    if (l.port !== port || l.addr.family !== family) continue;
    if (l.address === address) return l;
    if (l.wildcard) wildcard ??= l;
  }
  return wildcard;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
