/**
 * One status from two threads (docs/dataplane.md §10.9): with a sealing thread the main
 * thread's Dataplane counts inbound traffic, IKE and keepalives, the worker's counts what it
 * read from the TUN and sealed. `esprit status` shows their sum, as one data plane.
 */
import type { DataplaneStatus, SaStatus } from './status.js';

/**
 * Field by field: numbers add up, nested counter objects (drop reasons) merge the same way,
 * anything else (a last error's text or errno) comes from `b` when it is set there, else `a`.
 */
export function sumCounters<T extends object>(a: T, b: T): T {
  const out = { ...a } as Record<string, unknown>;
  for (const [k, vb] of Object.entries(b) as [string, unknown][]) {
    const va = out[k];
    if (typeof vb === 'number' && typeof va === 'number') {
      // lastRxErrno / lastTxErrno are values, not counts
      out[k] = k.startsWith('last') ? vb || va : va + vb;
    } else if (vb !== null && typeof vb === 'object' && !Array.isArray(vb)) {
      out[k] = sumCounters((va ?? {}) as object, vb);
    } else if (vb !== undefined && vb !== '' && vb !== 0) {
      out[k] = vb;
    } else if (!(k in out)) {
      out[k] = vb;
    }
  }
  return out as T;
}

/**
 * The main thread's status with the sealing thread's: totals and listener counters summed;
 * an SA the worker sealed on is shown with the worker's outbound counters in place of the
 * main thread's 'unused' line; keepalives are the main thread's (it sends them).
 */
export function mergeDataplaneStatus(main: DataplaneStatus, sealer: DataplaneStatus): DataplaneStatus {
  const outById = new Map<number, SaStatus>();
  for (const s of sealer.sas) if (s.direction === 'out') outById.set(s.id, s);
  // in SAD order; an SA used both ways is listed out, then in, as dataplaneStatus does
  const sas = main.sas.flatMap((s) => {
    const o = outById.get(s.id);
    if (!o) return [s];
    return s.direction === 'unused' ? [o] : [o, s];
  });
  return {
    sas,
    listeners: main.listeners.map((l, i) => {
      const w = sealer.listeners[i];
      return w ? { ...l, counters: sumCounters(l.counters, w.counters) } : l;
    }),
    keepalives: main.keepalives,
    totals: sumCounters(main.totals, sealer.totals),
  };
}
