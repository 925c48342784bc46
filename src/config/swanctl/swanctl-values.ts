/**
 * Value syntaxes of swanctl.conf (strongSwan's swanctl.opt and settings value parsing):
 * booleans, times with s/m/h/d suffixes, byte and packet counts with k/m/g suffixes,
 * comma-separated lists, `0x` hex and `0s` base64 secrets. Each parser throws a message
 * (without position); the loader adds file, line, column and the key path.
 */

export function parseBool(v: string): boolean {
  const s = v.trim().toLowerCase();
  // strongSwan settings_value_as_bool: yes/true/enabled/1 and no/false/disabled/0
  if (['yes', 'true', 'enabled', '1'].includes(s)) return true;
  if (['no', 'false', 'disabled', '0'].includes(s)) return false;
  throw new Error(`'${v}' is not a boolean (yes/no)`);
}

/** Seconds from `90`, `90s`, `30m`, `1h`, `2d` (swanctl time values). */
export function parseTime(v: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(v.trim());
  if (!m) throw new Error(`'${v}' is not a time (a number with an optional s, m, h or d suffix)`);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * mult;
}

/** Counts from `500`, `64k`, `500m`, `2g` (powers of 1024, as swanctl's parse_bytes). */
export function parseCount(v: string): number {
  const m = /^(\d+)\s*([kKmMgG]?)$/.exec(v.trim());
  if (!m) throw new Error(`'${v}' is not a number (with an optional k, m or g suffix)`);
  const suffix = (m[2] ?? '').toLowerCase();
  const mult = suffix === 'k' ? 1024 : suffix === 'm' ? 1024 ** 2 : suffix === 'g' ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

export function parseInteger(v: string, min: number, max: number): number {
  const s = v.trim();
  if (!/^\d+$/.test(s)) throw new Error(`'${v}' is not an integer`);
  const n = Number(s);
  if (n < min || n > max) throw new Error(`${n} is not in ${min}..${max}`);
  return n;
}

export function parseList(v: string): string[] {
  return v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

export function parseEnum<T extends string>(v: string, allowed: readonly T[]): T {
  const s = v.trim();
  const hit = allowed.find((a) => a === s);
  if (hit === undefined) throw new Error(`'${v}' is not one of ${allowed.join(', ')}`);
  return hit;
}

/** A secret: `0x` hex or `0s` base64 decoded, else the UTF-8 bytes (strongSwan's shared secrets). */
export function parseSecret(v: string): Uint8Array {
  if (/^0x/i.test(v)) {
    const hex = v.slice(2);
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error('0x secret is not an even number of hex digits');
    return new Uint8Array(Buffer.from(hex, 'hex'));
  }
  if (v.startsWith('0s')) return new Uint8Array(Buffer.from(v.slice(2), 'base64'));
  return new TextEncoder().encode(v);
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return (d[a.length] as number[])[b.length] ?? 0;
}

export function didYouMean(name: string, known: readonly string[]): string | undefined {
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d <= 2 && (!best || d < best.d)) best = { k, d };
  }
  return best?.k;
}
