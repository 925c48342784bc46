/**
 * Builds the control socket's `status` answer (wire/control) from the SAD, the SPD and the
 * servers' counters. No keys: SAs are listed by algorithm name only.
 */

import type { SaEntry } from '../sad/sa-entry.js';
import type { Policy } from '../sad/spd.js';
import type {
  DataplaneReport,
  PolicyStatus,
  ProcessMemory,
  SaStatus,
  SocketStatus,
  StatusReport,
} from '../wire/control/control-message.js';
import type { DataplaneIoStatus } from './dataplane-io.js';
import type { IkeChannelServer } from './ike-channel-server.js';

export interface StatusSources {
  readonly sad: { dump(): readonly SaEntry[] };
  readonly spd: { dump(): readonly Policy[] };
  readonly engineStats: Readonly<Record<string, number>>;
  readonly sockets: readonly SocketStatus[];
  readonly counters: Readonly<Record<string, number>>;
  readonly startedMs: number;
  readonly nowMs: number;
  readonly version: string;
  readonly dataplane?: DataplaneIoStatus;
  readonly ikeChannel?: IkeChannelServer;
  /** read by the composition root (the report itself stays a pure function of its sources) */
  readonly memory?: ProcessMemory;
}

export function saStatus(e: SaEntry): SaStatus {
  return {
    spi: e.spi,
    src: e.src.text,
    dst: e.dst.text,
    state: e.state,
    mode: e.mode,
    reqid: e.reqid,
    ...(e.cfg ? { encryption: e.cfg.encryption.algorithm, integrity: e.cfg.integrity.algorithm } : {}),
    encap: { type: e.encap.type, sport: e.encap.sport, dport: e.encap.dport },
    bytes: e.current.bytes.toString(),
    packets: e.current.packets.toString(),
  };
}

function side(prefix: { addr: { text: string }; len: number }, port: number): string {
  return `${prefix.addr.text}/${prefix.len}[${port === 0 ? 'any' : port}]`;
}

export function policyStatus(p: Policy): PolicyStatus {
  const s = p.selector;
  return {
    id: p.id,
    dir: p.dir,
    selector: `${side(s.src, s.sport)} ${side(s.dst, s.dport)} ${s.proto === 255 ? 'any' : s.proto}`,
    action: p.action,
    priority: p.priority,
    requests: p.requests.map((r) => {
      const t = r.tunnel ? `${r.tunnel.src.text}-${r.tunnel.dst.text}` : '';
      const lv = r.level === 'unique' && r.reqid !== 0 ? `unique:${r.reqid}` : r.level;
      return `${r.proto}/${r.mode}/${t}/${lv}`;
    }),
  };
}

/** The data plane's status as the control protocol carries it (times as ISO 8601). */
export function dataplaneReport(d: DataplaneIoStatus, ike?: IkeChannelServer): DataplaneReport {
  const dp = d.dataplane;
  const { drops, ...totals } = dp.totals;
  return {
    threads: d.threads,
    tun: {
      name: d.tun.name,
      mtu: d.tun.mtu,
      counters: {
        ...d.tun.counters,
        // userland GRO (tunGro): packets in, frames written, segments merged, checksum failures
        ...(d.tun.gro
          ? {
              groPackets: d.tun.gro.packets,
              groFrames: d.tun.gro.frames,
              groMerged: d.tun.gro.merged,
              groBadChecksum: d.tun.gro.badChecksum,
            }
          : {}),
        // TSO on read: frames read, GSO frames cut, packets out, checksums completed, malformed
        ...(d.tun.tso
          ? {
              tsoFrames: d.tun.tso.frames,
              tsoGsoFrames: d.tun.tso.gsoFrames,
              tsoPackets: d.tun.tso.packets,
              tsoChecksums: d.tun.tso.checksums,
              tsoMalformed: d.tun.tso.malformed,
            }
          : {}),
      },
    },
    rawEsp: d.raw.map((r) => ({ family: r.family, counters: { ...r.counters } })),
    listeners: dp.listeners.map((l, i) => {
      const { drops: ld, ...c } = l.counters;
      const sock = d.sockets[i]?.socket;
      return {
        id: l.id,
        address: l.address,
        port: l.port,
        role: l.role,
        counters: { ...c, ...(sock ? { txErrors: sock.txErrors, socketErrors: sock.socketErrors } : {}) },
        drops: { ...ld },
      };
    }),
    sas: dp.sas.map((a) => ({
      spi: a.spi,
      direction: a.direction,
      state: a.state,
      mode: a.mode,
      reqid: a.reqid,
      src: a.src,
      dst: a.dst,
      framing: a.framing,
      peer: a.peer,
      ...(a.mappedMs !== undefined ? { movedAt: new Date(a.mappedMs).toISOString() } : {}),
      natKeepalive: a.natKeepalive,
      natFloat: a.natFloat,
      packets: a.packets,
      bytes: a.bytes,
      drops: { ...a.drops },
    })),
    keepalives: dp.keepalives.map((k) => ({
      listener: k.listener,
      address: k.address,
      port: k.port,
      format: k.format,
      sas: k.sas.length,
    })),
    totals: { ...totals, timerRuns: d.timerRuns },
    drops: { ...drops },
    ...(ike ? { ikeChannel: { path: ike.path, connections: ike.connections, counters: { ...ike.counters } } } : {}),
  };
}

export function buildStatusReport(s: StatusSources): StatusReport {
  return {
    version: s.version,
    uptimeSeconds: Math.max(0, Math.floor((s.nowMs - s.startedMs) / 1000)),
    sockets: s.sockets,
    sas: s.sad.dump().map(saStatus),
    policies: s.spd.dump().map(policyStatus),
    counters: s.counters,
    engine: s.engineStats,
    ...(s.dataplane ? { dataplane: dataplaneReport(s.dataplane, s.ikeChannel) } : {}),
    ...(s.memory
      ? {
          memory: {
            rss: s.memory.rss,
            heapTotal: s.memory.heapTotal,
            heapUsed: s.memory.heapUsed,
            external: s.memory.external,
          },
        }
      : {}),
  };
}
