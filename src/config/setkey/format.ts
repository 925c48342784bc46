/**
 * Typed commands back to setkey(8) statements, so a configuration can be
 * regenerated: `parseSetkey(formatSetkeyCommand(c))` gives `c` again (tested).
 * Keys are written as 0x hex; options appear in parse.y order (extensions, then
 * algorithms); defaults (`-m any`, `-r 0`, `-u 0`, rfc3948) are left out.
 */
import { toHex } from '../../util/hex.js';
import type { IpAddr } from '../../util/ip-addr.js';
import { DUMP_ENCR_NAME, DUMP_INTEG_NAME } from './algorithms.js';
import { formatPolicy } from './policy.js';
import type { AddCommand, SaEndpoint, Selector, SetkeyCommand, UpperSpec } from './types.js';

const UPPER_NAMES: Readonly<Record<number, string>> = {
  255: 'any',
  1: 'icmp',
  4: 'ip4',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'icmp6',
  132: 'sctp',
};

/** The protocol name setkey prints for an upper-layer number (pfkey_dump.c str_upperspec). */
export function upperName(proto: number): string {
  return UPPER_NAMES[proto] ?? String(proto);
}

function endpoint(e: SaEndpoint): string {
  return e.port === undefined ? e.addr.text : `${e.addr.text}[${e.port}]`;
}

function selector(s: Selector): string {
  const full = s.addr.family === 4 ? 32 : 128;
  const pfx = s.prefixLen === full ? '' : `/${s.prefixLen}`;
  return `${s.addr.text}${pfx}[${s.port === 0 ? 'any' : s.port}]`;
}

function upper(u: UpperSpec): string {
  return u.icmp ? `${upperName(u.proto)} ${u.icmp.type},${u.icmp.code}` : upperName(u.proto);
}

function key(k: Uint8Array): string {
  return `0x${toHex(k)}`;
}

/** `keepalive`, `float`, `keepalive,float` or `none`: the words of setkey's esprit `-n`. */
export function natSideWords(n: { readonly keepalive?: boolean; readonly float?: boolean }): string {
  const w = [...(n.keepalive ? ['keepalive'] : []), ...(n.float ? ['float'] : [])];
  return w.length === 0 ? 'none' : w.join(',');
}

function addOptions(c: AddCommand): string[] {
  const o: string[] = [];
  if (c.mode !== 'any') o.push(`-m ${c.mode}`);
  if (c.replay !== 0) o.push(`-r ${c.replay}`);
  if (c.reqid !== 0) o.push(`-u ${c.reqid}`);
  if (c.pad) o.push(`-f ${c.pad}`);
  if (!c.cyclicSeq) o.push('-f nocyclic-seq');
  if (c.lifetime.hard.time !== undefined) o.push(`-lh ${c.lifetime.hard.time}`);
  if (c.lifetime.soft.time !== undefined) o.push(`-ls ${c.lifetime.soft.time}`);
  if (c.lifetime.hard.bytes !== undefined) o.push(`-bh ${c.lifetime.hard.bytes}`);
  if (c.lifetime.soft.bytes !== undefined) o.push(`-bs ${c.lifetime.soft.bytes}`);
  if (c.natt && c.natt.type !== 'rfc3948') o.push(`-e ${c.natt.type}`);
  // `-n` only when it differs from the default (float, no keepalives)
  if (c.natt && (c.natt.keepalive === true || c.natt.float !== true)) o.push(`-n ${natSideWords(c.natt)}`);
  if (c.natt?.oa) {
    const a = (x: IpAddr | undefined) => (x ? x.text : 'any');
    o.push(`-o ${a(c.natt.oa.src)} ${a(c.natt.oa.dst)}`);
  }
  if (c.encryption) {
    const e = c.encryption;
    o.push(e.algorithm === 'null' ? '-E null' : `-E ${DUMP_ENCR_NAME[e.algorithm]} ${key(e.key)}`);
  }
  if (c.integrity.algorithm !== 'none') o.push(`-A ${DUMP_INTEG_NAME[c.integrity.algorithm]} ${key(c.integrity.key)}`);
  else if (c.encryption?.algorithm === 'null' || c.satype === 'ah') o.push('-A null');
  return o;
}

/** One statement, `;`-terminated, on one line. */
export function formatSetkeyCommand(c: SetkeyCommand): string {
  switch (c.op) {
    case 'add':
      return [`add ${endpoint(c.src)} ${endpoint(c.dst)} ${c.satype} 0x${c.spi.toString(16)}`, ...addOptions(c)]
        .join(' ')
        .concat(' ;');
    case 'get':
    case 'delete':
      return `${c.op} ${endpoint(c.src)} ${endpoint(c.dst)} ${c.satype} 0x${c.spi.toString(16)} ;`;
    case 'deleteall':
      return `deleteall ${c.src.text} ${c.dst.text} ${c.satype} ;`;
    case 'flush':
    case 'dump':
      return c.satype ? `${c.op} ${c.satype} ;` : `${c.op} ;`;
    case 'spdadd':
    case 'spdupdate':
      return `${c.op} ${selector(c.src)} ${selector(c.dst)} ${upper(c.upper)} -P ${formatPolicy(c.policy)} ;`;
    case 'spddelete':
      return `spddelete ${selector(c.src)} ${selector(c.dst)} ${upper(c.upper)} -P ${c.policy ? formatPolicy(c.policy) : c.dir} ;`;
    case 'spdflush':
    case 'spddump':
      return `${c.op} ;`;
  }
}

/** A whole script, one statement per line. */
export function formatSetkeyScript(cmds: readonly SetkeyCommand[]): string {
  return cmds.map((c) => `${formatSetkeyCommand(c)}\n`).join('');
}
