/**
 * `setkey -D` / `setkey -DP` output from neutral records, modeled line by line on
 * ipsec-tools libipsec `pfkey_dump.c` (NetBSD crypto/dist/ipsec-tools, $NetBSD:
 * pfkey_dump.c,v 1.18): pfkey_sadump1 (SAD) and pfkey_spdump1 (SPD), with
 * `ipsec_dump_policy.c` for the policy lines and `key_debug.c` ipsec_hexdump for keys.
 * NAT-OA uses the FreeBSD pfkey_dump.c form (`NAT: OAI=.. OAR=..`) because esprit
 * keeps both original addresses. No clock access: `now` and all times are given
 * (Unix seconds) and printed like ctime(3) in UTC shifted by `utcOffsetMinutes`.
 *
 *   10.0.0.1[4500] 10.0.0.2[4500]
 *   \tesp-udp mode=tunnel spi=4096(0x00001000) reqid=0(0x00000000)
 *   \tE: aes-cbc  00112233 ...
 *   \tA: hmac-sha1  00112233 ...
 *   \tseq=0x00000000 replay=4 flags=0x00000000 state=mature
 *   \tcreated: ...\tcurrent: ...      (only with a current lifetime)
 *   \tsadb_seq=1 pid=42 refcnt=0
 */
import type { EncrAlgorithm, IntegAlgorithm } from '../../crypto/suites.js';
import { toHex } from '../../util/hex.js';
import type { IpAddr } from '../../util/ip-addr.js';
import { DUMP_ENCR_NAME, DUMP_INTEG_NAME } from './algorithms.js';
import { natSideWords, upperName } from './format.js';
import { formatPriority, formatRequest } from './policy.js';
import type { Policy, SaEndpoint, SaMode, Selector, SetkeyNatt, UpperSpec } from './types.js';

/** sadb_sa_state (RFC 2367 §3.3: LARVAL 0, MATURE 1, DYING 2, DEAD 3). */
export type SaState = 'larval' | 'mature' | 'dying' | 'dead';

/** One sadb_lifetime extension (RFC 2367 §2.3.2); times are Unix seconds (0 = never). */
export interface LifetimeCounters {
  readonly allocations: number;
  readonly bytes: bigint;
  readonly addtime: number;
  readonly usetime: number;
}

export interface SadDumpEntry {
  /** the SA addresses; ports are printed only with `withPorts` (setkey -Dp) */
  readonly src: SaEndpoint;
  readonly dst: SaEndpoint;
  readonly satype: 'esp' | 'ah';
  /** present for UDP-encapsulated ESP: printed as esp-udp with [sport]/[dport] */
  readonly natt?: SetkeyNatt;
  readonly mode: SaMode;
  readonly spi: number;
  readonly reqid: number;
  readonly encryption?: { readonly algorithm: EncrAlgorithm; readonly key: Uint8Array };
  readonly integrity?: { readonly algorithm: IntegAlgorithm; readonly key: Uint8Array };
  /** sadb_x_sa2_sequence */
  readonly seq: number;
  readonly replay: number;
  readonly flags: number;
  readonly state: SaState;
  /** LIFETIME_CURRENT/HARD/SOFT; the lifetime block is printed only when `current` is given */
  readonly current?: LifetimeCounters;
  readonly hard?: LifetimeCounters;
  readonly soft?: LifetimeCounters;
  /** sadb_msg_seq, sadb_msg_pid, sadb_msg_reserved (printed as refcnt) */
  readonly sadbSeq: number;
  readonly pid: number;
  readonly refcnt: number;
}

export interface SpdDumpEntry {
  readonly src: Selector;
  readonly dst: Selector;
  readonly upper: UpperSpec;
  /** priority undefined or 0 prints no `prio` words (ipsec_dump_policy.c) */
  readonly policy: Policy;
  /** LIFETIME_CURRENT add/use times: the `created: .. lastused: ..` line */
  readonly current?: { readonly addtime: number; readonly usetime: number };
  /** LIFETIME_HARD: the `lifetime: ..(s) validtime: ..(s)` line */
  readonly hard?: { readonly addtime: number; readonly usetime: number };
  /** sadb_x_policy_id */
  readonly spid: number;
  readonly seq: number;
  readonly pid: number;
  readonly refcnt: number;
}

export interface DumpOptions {
  /** the current time (Unix seconds) for `current:` and `diff:` */
  readonly now?: number;
  /** local time zone as minutes east of UTC; 0 (UTC) by default */
  readonly utcOffsetMinutes?: number;
  /** setkey -p: print the SA/selector ports */
  readonly withPorts?: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** pfkey_dump.c str_time: 20 blanks for 0, else ctime(3) without the weekday: `Jan  1 00:00:00 2020`. */
export function strTime(t: number, utcOffsetMinutes = 0): string {
  if (t === 0) return ' '.repeat(20);
  const d = new Date((t + utcOffsetMinutes * 60) * 1000);
  if (Number.isNaN(d.getTime())) return '?'.repeat(20);
  const day = String(d.getUTCDate()).padStart(3, ' ');
  const hms = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return `${MONTHS[d.getUTCMonth()]}${day} ${hms} ${d.getUTCFullYear()}`.slice(0, 20).padEnd(20, ' ');
}

/** key_debug.c ipsec_hexdump: a blank before every 4 bytes, a newline every 32 bytes. */
export function ipsecHexdump(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i !== 0 && i % 32 === 0) s += '\n';
    if (i % 4 === 0) s += ' ';
    s += (b[i] as number).toString(16).padStart(2, '0');
  }
  return s;
}

const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function endpoint(e: SaEndpoint, withPorts: boolean): string {
  return withPorts ? `${e.addr.text}[${e.port ?? 0}]` : e.addr.text;
}

/** One SA as pfkey_sadump1 prints it (pfkey_dump.c lines for source address through refcnt). */
export function formatSadEntry(e: SadDumpEntry, opts: DumpOptions = {}): string {
  const wp = opts.withPorts ?? false;
  const tz = opts.utcOffsetMinutes ?? 0;
  let s = endpoint(e.src, wp);
  if (e.natt) s += `[${e.natt.sport}]`;
  s += ` ${endpoint(e.dst, wp)}`;
  if (e.natt) s += `[${e.natt.dport}]`;
  s += ' \n\t';
  // `esp-udp ` replaces the satype when NAT-T is in use on an ESP SA
  s += e.natt && e.satype === 'esp' ? 'esp-udp ' : `${e.satype} `;
  s += `mode=${e.mode} spi=${e.spi >>> 0}(${hex8(e.spi)}) reqid=${e.reqid >>> 0}(${hex8(e.reqid)})\n`;
  const oa = e.natt?.oa;
  if (oa && (oa.src || oa.dst)) {
    s += '\tNAT:';
    if (oa.src) s += ` OAI=${oa.src.text}`;
    if (oa.dst) s += ` OAR=${oa.dst.text}`;
    s += '\n';
  }
  // esprit: the NAT side (sadb_sa_flags 0x00010000 / 0x00020000), as the `-n` option writes it
  if (e.natt?.keepalive || e.natt?.float) s += `\tesprit: -n ${natSideWords(e.natt)}\n`;
  if (e.satype === 'esp' && e.encryption) {
    s += `\tE: ${DUMP_ENCR_NAME[e.encryption.algorithm]} ${ipsecHexdump(e.encryption.key)}\n`;
  }
  if (e.integrity && e.integrity.algorithm !== 'none') {
    s += `\tA: ${DUMP_INTEG_NAME[e.integrity.algorithm]} ${ipsecHexdump(e.integrity.key)}\n`;
  }
  s += `\tseq=${hex8(e.seq)} replay=${e.replay} flags=${hex8(e.flags)} state=${e.state} \n`;
  if (e.current) {
    const c = e.current;
    const now = opts.now ?? 0;
    const h = e.hard;
    const sf = e.soft;
    s += `\tcreated: ${strTime(c.addtime, tz)}\tcurrent: ${strTime(now, tz)}\n`;
    s += `\tdiff: ${c.addtime === 0 ? 0 : Math.max(0, now - c.addtime)}(s)`;
    s += `\thard: ${h?.addtime ?? 0}(s)\tsoft: ${sf?.addtime ?? 0}(s)\n`;
    s += `\tlast: ${strTime(c.usetime, tz)}\thard: ${h?.usetime ?? 0}(s)\tsoft: ${sf?.usetime ?? 0}(s)\n`;
    s += `\tcurrent: ${c.bytes}(bytes)\thard: ${h?.bytes ?? 0n}(bytes)\tsoft: ${sf?.bytes ?? 0n}(bytes)\n`;
    s += `\tallocated: ${c.allocations}\thard: ${h?.allocations ?? 0}\tsoft: ${sf?.allocations ?? 0}\n`;
  }
  s += `\tsadb_seq=${e.sadbSeq} pid=${e.pid} refcnt=${e.refcnt}\n`;
  return s;
}

/** `setkey -D`: every entry, or setkey.c's "No SAD entries." for none. */
export function formatSadDump(entries: readonly SadDumpEntry[], opts: DumpOptions = {}): string {
  if (entries.length === 0) return 'No SAD entries.\n';
  return entries.map((e) => formatSadEntry(e, opts)).join('');
}

/** Protocols whose selector ports carry something else (pfkey_dump.c str_prefport). */
const NO_PORT_PROTOS = new Set([1, 58, 135, 47]);

function prefport(sel: Selector, proto: number): string {
  const full = sel.addr.family === 4 ? 32 : 128;
  const pref = sel.prefixLen === full ? '' : `/${sel.prefixLen}`;
  if (NO_PORT_PROTOS.has(proto)) return pref;
  return `${pref}[${sel.port === 0 ? 'any' : sel.port}]`;
}

/** pfkey_dump.c str_upperspec (FreeBSD/ipsec-tools 0.8 form: `any`, `icmp6 type,code`). */
function upperspec(u: UpperSpec): string {
  const name = upperName(u.proto);
  if (u.icmp && !(u.icmp.type === 0 && u.icmp.code === 0)) return `${name} ${u.icmp.type},${u.icmp.code}`;
  return name;
}

/** ipsec_dump_policy.c with delimiter "\n\t" (priority words only when non-zero). */
export function dumpPolicy(p: Policy, delimiter: string, withPorts = false): string {
  const prio = p.priority ? `${formatPriority(p.priority)} ` : '';
  return [`${p.dir} ${prio}${p.action}`, ...p.requests.map((r) => formatRequest(r, withPorts, true))].join(delimiter);
}

/** One policy as pfkey_spdump1 prints it. */
export function formatSpdEntry(e: SpdDumpEntry, opts: DumpOptions = {}): string {
  const tz = opts.utcOffsetMinutes ?? 0;
  let s = `${e.src.addr.text}${prefport(e.src, e.upper.proto)} `;
  s += `${e.dst.addr.text}${prefport(e.dst, e.upper.proto)} `;
  s += upperspec(e.upper);
  s += `\n\t${dumpPolicy(e.policy, '\n\t', opts.withPorts ?? false)}\n`;
  if (e.current) s += `\tcreated: ${strTime(e.current.addtime, tz)}  lastused: ${strTime(e.current.usetime, tz)}\n`;
  if (e.hard) s += `\tlifetime: ${e.hard.addtime}(s) validtime: ${e.hard.usetime}(s)\n`;
  s += `\tspid=${e.spid} seq=${e.seq} pid=${e.pid}\n`;
  s += `\trefcnt=${e.refcnt}\n`;
  return s;
}

/** `setkey -DP`: every policy, or "No SPD entries." for none. */
export function formatSpdDump(entries: readonly SpdDumpEntry[], opts: DumpOptions = {}): string {
  if (entries.length === 0) return 'No SPD entries.\n';
  return entries.map((e) => formatSpdEntry(e, opts)).join('');
}

/** JSON-safe value: addresses as text, keys as hex, bigints as decimal strings. */
export function toJsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ((o.family === 4 || o.family === 6) && o.bytes instanceof Uint8Array && typeof o.text === 'string') {
      return (o as unknown as IpAddr).text;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) if (x !== undefined) out[k] = toJsonValue(x);
    return out;
  }
  return v;
}

/** `esprit setkey -D --json`: {"sad":[...]} with the records' own field names. */
export function formatSadJson(entries: readonly SadDumpEntry[]): string {
  return `${JSON.stringify({ sad: toJsonValue(entries) }, null, 2)}\n`;
}

/** `esprit setkey -DP --json`: {"spd":[...]}. */
export function formatSpdJson(entries: readonly SpdDumpEntry[]): string {
  return `${JSON.stringify({ spd: toJsonValue(entries) }, null, 2)}\n`;
}
