/**
 * Builds the control socket's `status` answer (wire/control) from the SAD, the SPD and the
 * servers' counters. No keys: SAs are listed by algorithm name only.
 */

import type { SaEntry } from '../sad/sad.js';
import type { Policy } from '../sad/spd.js';
import type { PolicyStatus, SaStatus, SocketStatus, StatusReport } from '../wire/control/control-message.js';

export interface StatusSources {
  readonly sad: { dump(): readonly SaEntry[] };
  readonly spd: { dump(): readonly Policy[] };
  readonly engineStats: Readonly<Record<string, number>>;
  readonly sockets: readonly SocketStatus[];
  readonly counters: Readonly<Record<string, number>>;
  readonly startedMs: number;
  readonly nowMs: number;
  readonly version: string;
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

export function buildStatusReport(s: StatusSources): StatusReport {
  return {
    version: s.version,
    uptimeSeconds: Math.max(0, Math.floor((s.nowMs - s.startedMs) / 1000)),
    sockets: s.sockets,
    sas: s.sad.dump().map(saStatus),
    policies: s.spd.dump().map(policyStatus),
    counters: s.counters,
    engine: s.engineStats,
  };
}
