import { ConfigError } from './errors.js';

const HEX = '0123456789abcdef';

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const v = b[i] as number;
    s += HEX[v >> 4] as string;
    s += HEX[v & 15] as string;
  }
  return s;
}

/**
 * Parse hex, ignoring whitespace, an optional 0x prefix and ':' separators
 * (so annotated multi-line vectors can be pasted as they are).
 */
export function fromHex(s: string, path = 'hex'): Uint8Array {
  let t = s.replace(/[\s:]/g, '');
  if (t.startsWith('0x') || t.startsWith('0X')) t = t.slice(2);
  if (t.length % 2 !== 0) throw new ConfigError(path, `odd number of hex digits (${t.length})`);
  if (!/^[0-9a-fA-F]*$/.test(t)) throw new ConfigError(path, 'not a hex string');
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(t.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
