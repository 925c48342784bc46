/**
 * The messages between dataplane-io (main thread) and its sealing worker (seal-worker.ts),
 * besides the data-plane messages of dataplane/replica-keys.ts. docs/dataplane.md §10.9.
 */

import type { NativePreference } from '../crypto/native-addon.js';
import type { BackendPreference } from '../crypto/select.js';
import type { ListenerSpec } from '../dataplane/listener.js';
import type { SealerEvent, ToSealer } from '../dataplane/replica-keys.js';
import type { DataplaneStatus } from '../dataplane/status.js';
import type { TcpSegmenterCounters } from '../dataplane/tcp-segmenter.js';
import type { MmsgUdpCounters } from '../io/mmsg-udp-endpoint.js';
import type { RawEspCounters } from '../io/raw-esp.js';
import type { TunCounters } from '../io/tun-device.js';
import type { Level, Subsystem } from '../util/logger.js';

/** What the worker is started with (workerData): the main thread's fds and the data plane's setup. */
export interface SealWorkerData {
  readonly tun: { readonly name: string; readonly fd: number; readonly vnetHdrLen: number; readonly tso: boolean };
  /** the TUN read buffer for one packet without TSO */
  readonly packetBuffer: number;
  /** index = ListenerId; the sockets are the main thread's (udpIo 'mmsg') */
  readonly udp: readonly {
    readonly fd: number;
    readonly family: 4 | 6;
    readonly address: string;
    readonly port: number;
    readonly gso: boolean;
  }[];
  readonly raw: readonly { readonly family: 4 | 6; readonly fd: number }[];
  readonly listeners: readonly ListenerSpec[];
  readonly localAddresses: readonly string[];
  readonly crypto: BackendPreference;
  readonly native: NativePreference;
}

export type ToWorker = ToSealer | { readonly kind: 'status'; readonly id: number } | { readonly kind: 'close' };

/** The worker's part of `esprit status`. */
export interface SealerStatus {
  readonly dataplane: DataplaneStatus;
  readonly tun: TunCounters;
  readonly tso?: TcpSegmenterCounters;
  /** index = ListenerId */
  readonly sockets: readonly MmsgUdpCounters[];
  readonly raw: readonly RawEspCounters[];
}

export type FromWorker =
  | { readonly kind: 'ready'; readonly backend: string; readonly native: boolean }
  | { readonly kind: 'events'; readonly events: readonly SealerEvent[] }
  | { readonly kind: 'status'; readonly id: number; readonly status: SealerStatus }
  | { readonly kind: 'log'; readonly level: Level; readonly area: Subsystem; readonly text: string }
  | { readonly kind: 'closed' };
