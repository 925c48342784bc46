/**
 * Counts what the gateway's `esprit monitor --json` reported during a soak (the event shapes
 * of src/ike/ike-events.ts): every CHILD SA rekey installs a new CHILD SA on both ends, so
 * the gateway reports one `child-up` per rekey, whichever side started it; a rekeyed IKE SA
 * goes down with the reason `rekeyed` (RFC 7296 §1.3.2: the new IKE SA takes over its CHILD
 * SAs and no `ike-up` is reported for it). Any `ike-up` during the soak is a client that had
 * to connect again, any other `ike-down` a tunnel lost.
 */

export interface SoakTally {
  /** child-up events (CHILD SA rekeys once the tunnels were up) */
  childRekeys: number;
  /** ike-down with reason `rekeyed` */
  ikeRekeys: number;
  /** ike-up events (new IKE SAs from IKE_AUTH: reconnects once the tunnels were up) */
  ikeUps: number;
  /** ike-down events for any reason but a rekey */
  ikeLost: number;
  /** child-up events per client virtual IP (the gateway's remote traffic selector) */
  childRekeysByVip: Map<string, number>;
}

interface EventLine {
  kind?: unknown;
  reason?: unknown;
  remoteTs?: unknown;
}

/** Tally monitor lines (JSON objects, one per line; other lines are ignored). */
export function tallyEvents(lines: readonly string[]): SoakTally {
  const t: SoakTally = { childRekeys: 0, ikeRekeys: 0, ikeUps: 0, ikeLost: 0, childRekeysByVip: new Map() };
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    let e: EventLine;
    try {
      e = JSON.parse(line) as EventLine;
    } catch {
      continue;
    }
    if (e.kind === 'child-up') {
      t.childRekeys++;
      const ts = Array.isArray(e.remoteTs) ? e.remoteTs : [];
      for (const r of ts) {
        if (typeof r !== 'string') continue;
        const vip = r.replace(/\/32$/, '');
        t.childRekeysByVip.set(vip, (t.childRekeysByVip.get(vip) ?? 0) + 1);
      }
    } else if (e.kind === 'ike-up') t.ikeUps++;
    else if (e.kind === 'ike-down') {
      if (e.reason === 'rekeyed') t.ikeRekeys++;
      else t.ikeLost++;
    }
  }
  return t;
}
