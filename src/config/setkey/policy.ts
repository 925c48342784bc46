/**
 * The policy string after `-P`, as ipsec_set_policy(3) reads it (ipsec-tools
 * libipsec policy_parse.y / policy_token.l):
 *
 *   policy   = dir [ prio ] [ action { request } ]
 *   dir      = "in" | "out" | "fwd"
 *   prio     = ("priority" | "prio") ( [+|-] N | ("low" | "def" | "high") [ ("+" | "-") N ] )
 *   action   = "discard" | "none" | "ipsec"
 *   request  = proto "/" mode [ "/" [ addrs ] [ "/" [ level ] ] ]
 *   addrs    = addr [ "[" port "]" ] "-" addr [ "[" port "]" ]
 *   level    = "default" | "use" | "require" | "unique" [ ":" reqid ]
 *
 * Priorities follow libipsec: PRIORITY_LOW 0xC0000000, DEFAULT 0x80000000, HIGH
 * 0x40000000 (libpfkey.h); `priority N` = DEFAULT - N, `base + N` = base - N,
 * `base - N` = base + N. `entrust`/`bypass` and ipcomp requests are refused.
 */
import { tryParseIp } from '../../util/ip-addr.js';
import type { SetkeyLexer } from './lexer.js';
import type { IpsecRequest, Policy, PolicyDir, PolicyLevel, SaEndpoint } from './types.js';

export const PRIORITY_LOW = 0xc0000000;
export const PRIORITY_DEFAULT = 0x80000000;
export const PRIORITY_HIGH = 0x40000000;
const PRIORITY_OFFSET_POSITIVE_MAX = 0x3fffffff;
const PRIORITY_OFFSET_NEGATIVE_MAX = 0x40000000;
/** setkey(8): "number must be between 1 and 32767" for unique:number */
export const MAX_UNIQUE_REQID = 32767;

interface Word {
  readonly text: string;
  readonly offset: number;
}

const POLICY_CHARS = /^[A-Za-z0-9:.%\-+_/[\]]$/;

function splitWords(lx: SetkeyLexer, text: string, base: number): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (!POLICY_CHARS.test(c)) throw lx.errorAt(base + i, c, 'unexpected character in policy');
    const start = i;
    while (i < text.length && POLICY_CHARS.test(text[i] as string)) i++;
    words.push({ text: text.slice(start, i), offset: base + start });
  }
  return words;
}

const DIRS: readonly string[] = ['in', 'out', 'fwd'];
const LEVELS: readonly string[] = ['default', 'use', 'require', 'unique'];

function parseUint(lx: SetkeyLexer, w: Word, text: string, max: number, what: string): number {
  if (!/^[0-9]+$/.test(text)) throw lx.errorAt(w.offset, w.text, `${what} must be a decimal number`);
  const v = Number(text);
  if (!(v <= max)) throw lx.errorAt(w.offset, w.text, `${what} out of range (0-${max})`);
  return v;
}

function parsePriority(lx: SetkeyLexer, words: Word[], i: number): { priority: number; next: number } {
  const kw = words[i - 1] as Word;
  const first = words[i];
  if (!first) throw lx.errorAt(kw.offset, kw.text, 'priority needs a value');
  const bases: Record<string, number> = { low: PRIORITY_LOW, def: PRIORITY_DEFAULT, high: PRIORITY_HIGH };
  if (Object.hasOwn(bases, first.text)) {
    const base = bases[first.text] as number;
    const op = words[i + 1];
    if (op && (op.text === '+' || op.text === '-' || /^[+-][0-9]+$/.test(op.text))) {
      const sign = op.text[0] as string;
      let numWord: Word | undefined = op;
      let numText = op.text.slice(1);
      let next = i + 2;
      if (numText === '') {
        numWord = words[i + 2];
        if (!numWord) throw lx.errorAt(op.offset, op.text, 'priority offset missing');
        numText = numWord.text;
        next = i + 3;
      }
      // policy_parse.y: "+ N" raises priority (smaller value), "- N" lowers it
      const max = sign === '+' ? PRIORITY_OFFSET_NEGATIVE_MAX : PRIORITY_OFFSET_POSITIVE_MAX;
      const n = parseUint(lx, numWord, numText, max, 'priority offset');
      return { priority: sign === '+' ? base - n : base + n, next };
    }
    return { priority: base, next: i + 1 };
  }
  let sign = 1;
  let numWord = first;
  let numText = first.text;
  let next = i + 1;
  if (numText === '-' || numText === '+') {
    sign = numText === '-' ? -1 : 1;
    const w = words[i + 1];
    if (!w) throw lx.errorAt(first.offset, first.text, 'priority offset missing');
    numWord = w;
    numText = w.text;
    next = i + 2;
  } else if (/^[+-]/.test(numText)) {
    sign = numText[0] === '-' ? -1 : 1;
    numText = numText.slice(1);
  }
  if (!/^[0-9]+$/.test(numText)) {
    throw lx.errorAt(numWord.offset, numWord.text, 'priority must be a signed integer or low|def|high');
  }
  // setkey(8): offset in -2147483647..2147483648; value = DEFAULT - offset
  const off = sign * Number(numText);
  if (!(off >= -2147483647 && off <= 2147483648)) {
    throw lx.errorAt(numWord.offset, numWord.text, 'priority out of range (-2147483647..2147483648)');
  }
  return { priority: PRIORITY_DEFAULT - off, next };
}

function parseEndpoint(lx: SetkeyLexer, w: Word, text: string, at: number): SaEndpoint {
  const m = /^([^[\]]+)(?:\[([0-9]+)\])?$/.exec(text);
  if (!m) throw lx.errorAt(at, w.text, `bad tunnel endpoint "${text}"`);
  const addr = tryParseIp(m[1] as string);
  if (!addr) throw lx.errorAt(at, w.text, `tunnel endpoint "${m[1]}" is not a numeric IPv4/IPv6 address`);
  if (m[2] === undefined) return { addr };
  const port = parseUint(lx, w, m[2], 65535, 'port');
  return { addr, port };
}

function parseRequest(lx: SetkeyLexer, w: Word): IpsecRequest {
  const parts = w.text.split('/');
  const offs: number[] = [];
  let o = w.offset;
  for (const p of parts) {
    offs.push(o);
    o += p.length + 1;
  }
  const at = (i: number) => offs[i] ?? w.offset;
  const proto = parts[0] as string;
  if (proto === 'ipcomp') throw lx.errorAt(w.offset, w.text, 'IPComp is not supported');
  if (proto !== 'esp' && proto !== 'ah') throw lx.errorAt(w.offset, w.text, `unknown protocol "${proto}" in policy`);
  if (parts.length < 2 || parts[1] === '') {
    throw lx.errorAt(w.offset, w.text, 'too few arguments: a request is protocol/mode[/src-dst[/level]]');
  }
  if (parts.length > 4) throw lx.errorAt(at(4), w.text, 'too many "/" in request');
  const mode = parts[1] as string;
  if (mode !== 'transport' && mode !== 'tunnel') throw lx.errorAt(at(1), w.text, `bad mode "${mode}" in policy`);
  const addrs = parts[2] ?? '';
  const levelText = parts[3] ?? '';
  let tunnel: IpsecRequest['tunnel'];
  if (addrs !== '') {
    const dash = addrs.indexOf('-');
    if (dash < 0 || dash !== addrs.lastIndexOf('-')) {
      throw lx.errorAt(at(2), w.text, 'tunnel endpoints must be written src-dst');
    }
    const src = parseEndpoint(lx, w, addrs.slice(0, dash), at(2));
    const dst = parseEndpoint(lx, w, addrs.slice(dash + 1), at(2) + dash + 1);
    if (src.addr.family !== dst.addr.family) {
      throw lx.errorAt(at(2), w.text, 'tunnel endpoints mix IPv4 and IPv6');
    }
    if (mode !== 'tunnel') throw lx.errorAt(at(2), w.text, 'endpoint addresses are only allowed in tunnel mode');
    tunnel = { src, dst };
  } else if (mode === 'tunnel') {
    throw lx.errorAt(w.offset, w.text, 'tunnel mode needs endpoint addresses src-dst');
  }
  let level: PolicyLevel = 'default';
  let reqid: number | undefined;
  if (levelText !== '') {
    const m = /^unique:(.*)$/.exec(levelText);
    if (m) {
      level = 'unique';
      reqid = parseUint(lx, w, m[1] as string, MAX_UNIQUE_REQID, 'unique reqid');
      if (reqid === 0) throw lx.errorAt(at(3), w.text, 'unique reqid must be 1-32767');
    } else if (LEVELS.includes(levelText)) {
      level = levelText as PolicyLevel;
    } else {
      throw lx.errorAt(at(3), w.text, `bad level "${levelText}" (default|use|require|unique[:N])`);
    }
  }
  const req: IpsecRequest = { proto, mode, level };
  return { ...req, ...(tunnel ? { tunnel } : {}), ...(reqid !== undefined ? { reqid } : {}) };
}

/**
 * Parse the text after `-P` (from `SetkeyLexer.readPolicyText`). With
 * `dirOnly` (spddelete) a bare direction is accepted and `policy` is undefined.
 */
export function parsePolicy(
  lx: SetkeyLexer,
  text: string,
  offset: number,
  dirOnly: boolean,
): { dir: PolicyDir; policy?: Policy } {
  const words = splitWords(lx, text, offset);
  const d = words[0];
  if (!d) throw lx.errorAt(offset, '-P', 'policy direction missing (in|out|fwd)');
  if (!DIRS.includes(d.text)) throw lx.errorAt(d.offset, d.text, `bad policy direction "${d.text}" (in|out|fwd)`);
  const dir = d.text as PolicyDir;
  let i = 1;
  let priority: number | undefined;
  const pw = words[i];
  if (pw && (pw.text === 'priority' || pw.text === 'prio')) {
    const r = parsePriority(lx, words, i + 1);
    priority = r.priority;
    i = r.next;
  }
  const aw = words[i];
  if (!aw) {
    if (dirOnly && priority === undefined) return { dir };
    throw lx.errorAt(offset + text.length, '<end of policy>', 'policy action missing (discard|none|ipsec)');
  }
  i++;
  let action: Policy['action'];
  if (aw.text === 'discard' || aw.text === 'none' || aw.text === 'ipsec') action = aw.text;
  else if (aw.text === 'entrust' || aw.text === 'bypass') {
    throw lx.errorAt(aw.offset, aw.text, `policy "${aw.text}" is not supported (discard|none|ipsec)`);
  } else throw lx.errorAt(aw.offset, aw.text, `bad policy action "${aw.text}" (discard|none|ipsec)`);
  const requests: IpsecRequest[] = [];
  for (; i < words.length; i++) {
    const w = words[i] as Word;
    if (action !== 'ipsec') throw lx.errorAt(w.offset, w.text, `unexpected "${w.text}" after "${action}"`);
    requests.push(parseRequest(lx, w));
  }
  if (action === 'ipsec' && requests.length === 0) {
    throw lx.errorAt(aw.offset, aw.text, 'ipsec policy needs at least one protocol/mode/src-dst/level request');
  }
  const policy: Policy = { dir, action, requests, ...(priority !== undefined ? { priority } : {}) };
  return { dir, policy };
}

function formatEndpoint(e: SaEndpoint, withPorts: boolean): string {
  return withPorts && e.port !== undefined ? `${e.addr.text}[${e.port}]` : e.addr.text;
}

/**
 * One request as ipsec_dump_policy.c ipsec_dump_ipsecrequest prints it:
 * `proto/mode/src-dst/level`, then `:reqid` (or `#reqid` above
 * IPSEC_MANUAL_REQID_MAX 0x3fff, an automatically assigned reqid, when `dump`).
 */
export function formatRequest(r: IpsecRequest, withPorts = true, dump = false): string {
  const addrs = r.tunnel ? `${formatEndpoint(r.tunnel.src, withPorts)}-${formatEndpoint(r.tunnel.dst, withPorts)}` : '';
  const base = `${r.proto}/${r.mode}/${addrs}/${r.level}`;
  if (r.reqid === undefined || r.reqid === 0) return base;
  // `#` would start a comment in a config file, so only dumps use it
  return `${base}${dump && r.reqid > 0x3fff ? '#' : ':'}${r.reqid}`;
}

/**
 * The `prio ...` words of ipsec_dump_policy.c (HAVE_PFKEY_POLICY_PRIORITY): the
 * base closest to the value and a signed offset; '' for priority 0 in dumps.
 */
export function formatPriority(p: number): string {
  let base: string;
  let off: number;
  if (p < (PRIORITY_DEFAULT / 4) * 3) {
    base = 'high';
    off = p - PRIORITY_HIGH;
  } else if (p < (PRIORITY_DEFAULT / 4) * 5) {
    base = 'def';
    off = p - PRIORITY_DEFAULT;
  } else {
    base = 'low';
    off = p - PRIORITY_LOW;
  }
  if (off === 0) return `prio ${base}`;
  return off < 0 ? `prio ${base} + ${-off}` : `prio ${base} - ${off}`;
}

/** The policy in `-P` syntax, e.g. `out prio def + 10 ipsec esp/tunnel/a-b/require`. */
export function formatPolicy(p: Policy, delimiter = ' '): string {
  const head = [p.dir, ...(p.priority !== undefined ? [formatPriority(p.priority)] : []), p.action].join(' ');
  return [head, ...p.requests.map((r) => formatRequest(r))].join(delimiter);
}
