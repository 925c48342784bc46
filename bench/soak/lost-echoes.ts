/**
 * Where a soak's echoes were lost: which icmp_seq ping(8) got no reply for, when each was
 * sent, and the gateway's CHILD SA events (`esprit monitor --json` lines) around that time.
 */

/**
 * The echoes of a `ping -c N -i INTERVAL` run that got no reply: ping prints one line with
 * `icmp_seq=K` per reply (1-based), so a sequence number missing from 1..transmitted was lost.
 * `atS` is when it was sent, assuming ping kept its interval.
 */
export function lostEchoes(
  output: string,
  transmitted: number,
  interval: number,
): { readonly seq: number; readonly atS: number }[] {
  const answered = new Set<number>();
  for (const m of output.matchAll(/icmp_seq=(\d+)/g)) answered.add(Number(m[1]));
  const lost: { seq: number; atS: number }[] = [];
  for (let seq = 1; seq <= transmitted; seq++) if (!answered.has(seq)) lost.push({ seq, atS: (seq - 1) * interval });
  return lost;
}

interface MonitorEvent {
  kind?: unknown;
  time?: unknown;
  reason?: unknown;
  spiIn?: unknown;
  remoteTs?: unknown;
}

/**
 * The CHILD SA events of the client with virtual IP `vip` within `windowMs` of `atMs`, as
 * `kind spi-in [reason] at ±N ms`. A child-down names no selectors: it is matched to its
 * client by the inbound SPI its child-up announced.
 */
export function eventsNear(lines: readonly string[], vip: string, atMs: number, windowMs: number): string[] {
  const mine = new Set<number>();
  const out: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    let e: MonitorEvent;
    try {
      e = JSON.parse(line) as MonitorEvent;
    } catch {
      continue;
    }
    if (typeof e.spiIn !== 'number' || typeof e.time !== 'string') continue;
    if (e.kind === 'child-up' && Array.isArray(e.remoteTs) && e.remoteTs.includes(`${vip}/32`)) mine.add(e.spiIn);
    if ((e.kind !== 'child-up' && e.kind !== 'child-down') || !mine.has(e.spiIn)) continue;
    const dt = Date.parse(e.time) - atMs;
    if (Math.abs(dt) > windowMs) continue;
    const reason = typeof e.reason === 'string' ? ` ${e.reason}` : '';
    out.push(`${e.kind} ${e.spiIn.toString(16)}${reason} at ${dt >= 0 ? '+' : ''}${dt} ms`);
  }
  return out;
}
