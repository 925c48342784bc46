/**
 * What `esprit status` shows about the data plane (Dataplane.status()): plain JSON-able
 * objects, built on demand, never referenced by the data path.
 */
import type { EspSa } from '../esp/esp-sa.js';
import type { SaEntry } from '../sad/sa-entry.js';
import type { PortRole } from '../udpencap/demux.js';
import type { IpAddr } from '../util/ip-addr.js';
import { type DataplaneDropReason, type DropCounters, newDropCounters } from './drop-reasons.js';
import type { Listener, ListenerCounters, ListenerId } from './listener.js';
import type { NatKeepalives } from './nat-keepalives.js';
import { hexSpi, type InState, type OutState } from './sa-states.js';

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

/** What dataplaneStatus() reads from the data plane. */
export interface StatusSource {
  readonly entries: Iterable<SaEntry>;
  readonly outStates: ReadonlyMap<number, OutState>;
  readonly inStates: ReadonlyMap<number, InState>;
  readonly listeners: readonly Listener[];
  readonly keepalives: NatKeepalives;
  readonly totals: DataplaneTotals;
  readonly isLocal: (a: IpAddr) => boolean;
}

/** Dataplane.status(): every SA as the data plane uses it, listeners, keepalive mappings, totals. */
export function dataplaneStatus(src: StatusSource): DataplaneStatus {
  const sas: SaStatus[] = [];
  for (const e of src.entries) {
    const o = src.outStates.get(e.id);
    const i = src.inStates.get(e.id);
    if (o) sas.push(saStatus(src, e, 'out', o.esp, o.listener?.id, {}));
    if (i)
      sas.push(
        saStatus(src, e, 'in', i.esp, undefined, { 'policy-mismatch': i.policyMismatch, 'bad-packet': i.badPacket }),
      );
    if (!o && !i) sas.push(saStatus(src, e, 'unused', undefined, undefined, {}));
  }
  const { drops, ...totals } = src.totals;
  return {
    sas,
    listeners: src.listeners.map((l) => {
      const { drops: ld, ...rest } = l.counters;
      return { id: l.id, address: l.address, port: l.port, role: l.role, counters: { ...rest, drops: nonZero(ld) } };
    }),
    keepalives: src.keepalives.mappings().map((m) => ({
      listener: m.listener,
      address: m.address,
      port: m.port,
      format: m.format,
      sas: [...m.sas],
      dueMs: m.timer.nextDeadline(),
    })),
    totals: { ...totals, drops: nonZero(drops) },
  };
}

function saStatus(
  src: StatusSource,
  e: SaEntry,
  direction: SaStatus['direction'],
  esp: EspSa | undefined,
  listener: ListenerId | undefined,
  extra: Partial<Record<DataplaneDropReason, number>>,
): SaStatus {
  const drops: Partial<Record<DataplaneDropReason, number>> = {};
  if (esp) for (const [k, v] of Object.entries(esp.counters.drops)) if (v) drops[k as DataplaneDropReason] = v;
  for (const [k, v] of Object.entries(extra)) if (v) drops[k as DataplaneDropReason] = v;
  // an unused SA is shown from our side: inbound when its destination is one of our addresses
  const inbound = direction === 'in' || (direction === 'unused' && src.isLocal(e.dst));
  return {
    id: e.id,
    spi: hexSpi(e.spi),
    direction,
    state: e.state,
    mode: e.mode,
    reqid: e.reqid,
    src: e.src.text,
    dst: e.dst.text,
    framing: e.encap.type,
    peer: inbound ? { address: e.src.text, port: e.encap.sport } : { address: e.dst.text, port: e.encap.dport },
    ...(listener !== undefined ? { listener } : {}),
    natKeepalive: e.cfg?.natKeepalive === true,
    natFloat: e.cfg?.natFloat === true,
    ...(e.mappedMs !== undefined ? { mappedMs: e.mappedMs } : {}),
    packets: esp?.counters.packets ?? 0,
    bytes: esp?.counters.bytes ?? 0,
    drops,
  };
}

/** All totals at zero (a new data plane). */
export function newTotals(): DataplaneTotals {
  return {
    tunIn: 0,
    tunOut: 0,
    espOut: 0,
    espIn: 0,
    rawIn: 0,
    rawOut: 0,
    udpIn: 0,
    udpOut: 0,
    ikeIn: 0,
    ikeOut: 0,
    keepalivesIn: 0,
    keepalivesOut: 0,
    held: 0,
    released: 0,
    natMappings: 0,
    hookErrors: 0,
    retainedBuffers: 0,
    drops: newDropCounters(),
  };
}
