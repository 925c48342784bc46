/**
 * What `esprit status` shows about the data plane (Dataplane.status()): plain JSON-able
 * objects, built on demand, never referenced by the data path.
 */
import type { PortRole } from '../udpencap/demux.js';
import type { DataplaneDropReason, DropCounters } from './drop-reasons.js';
import type { ListenerCounters, ListenerId } from './listener.js';

export interface DataplaneTotals {
  /** packets read from the TUN device (fromTun, including released held packets) */
  tunIn: number;
  /** packets written to the TUN device */
  tunOut: number;
  /** ESP packets sealed and handed to the sink (UDP or raw) */
  espOut: number;
  /** ESP packets opened successfully */
  espIn: number;
  rawIn: number;
  rawOut: number;
  udpIn: number;
  udpOut: number;
  ikeIn: number;
  ikeOut: number;
  keepalivesIn: number;
  keepalivesOut: number;
  /** outbound packets the key engine held for an ACQUIRE */
  held: number;
  /** held packets released when their SA appeared */
  released: number;
  /** NAT mapping changes reported to the key engine */
  natMappings: number;
  /** exceptions thrown by a key-engine hook (logged; the packet's fate is unchanged) */
  hookErrors: number;
  /** send buffers the sink kept (returned true); each was replaced by a fresh one */
  retainedBuffers: number;
  readonly drops: DropCounters;
}

export interface SaStatus {
  readonly id: number;
  /** 8 hex digits */
  readonly spi: string;
  /** which way the data plane used it; 'unused' before its first packet */
  readonly direction: 'in' | 'out' | 'unused';
  readonly state: string;
  readonly mode: string;
  readonly reqid: number;
  readonly src: string;
  readonly dst: string;
  readonly framing: string;
  /** the peer's current address and NAT-T port: dst/dport outbound, src/sport inbound */
  readonly peer: { readonly address: string; readonly port: number };
  /** listener outbound packets leave from */
  readonly listener?: ListenerId;
  readonly natKeepalive: boolean;
  readonly natFloat: boolean;
  /** when the SAD last moved it for a NAT mapping change (ms, the injected clock) */
  readonly mappedMs?: number;
  readonly packets: number;
  readonly bytes: number;
  /** non-zero drop counters of this SA (ESP reasons plus policy-mismatch/bad-packet inbound) */
  readonly drops: Partial<Record<DataplaneDropReason, number>>;
}

export interface ListenerStatus {
  readonly id: ListenerId;
  readonly address: string;
  readonly port: number;
  readonly role: PortRole;
  readonly counters: Omit<ListenerCounters, 'drops'> & { readonly drops: Partial<Record<DataplaneDropReason, number>> };
}

export interface KeepaliveStatus {
  readonly listener: ListenerId;
  readonly address: string;
  readonly port: number;
  readonly format: string;
  readonly sas: readonly number[];
  /** when the next keepalive is due if nothing else is sent */
  readonly dueMs: number;
}

export interface DataplaneStatus {
  readonly sas: readonly SaStatus[];
  readonly listeners: readonly ListenerStatus[];
  readonly keepalives: readonly KeepaliveStatus[];
  readonly totals: Omit<DataplaneTotals, 'drops'> & { readonly drops: Partial<Record<DataplaneDropReason, number>> };
}

/** Only the non-zero counters (status output stays short). */
export function nonZero(c: DropCounters): Partial<Record<DataplaneDropReason, number>> {
  const out: Partial<Record<DataplaneDropReason, number>> = {};
  for (const [k, v] of Object.entries(c) as [DataplaneDropReason, number][]) if (v !== 0) out[k] = v;
  return out;
}
