/**
 * The control protocol between `esprit ipsecd` and `esprit status` (and scripts): one JSON
 * object per line, UTF-8, newline-delimited, over a local stream socket.
 *
 *   client ──> {"cmd":"status"}\n
 *   server <── {"ok":true,"status":{"sas":[...],"policies":[...],"counters":{...},...}}\n
 *   server <── {"ok":false,"error":"unknown command \"x\""}\n      (any refusal)
 *
 * Pure codec: framing (`splitControlLines`), request/response decoding with structural checks
 * (WireError, path `control.*`), encoding. The daemon fills the status; this file fixes its shape.
 * No keys ever appear in a status (SAs are listed by algorithm names only).
 */
import { WireError } from '../../util/errors.js';

/** The longest line either side accepts (a status with thousands of SAs is larger: see maxLine). */
export const CONTROL_MAX_REQUEST = 64 * 1024;

export type ControlRequest = { readonly cmd: 'status' };
export const CONTROL_COMMANDS: readonly ControlRequest['cmd'][] = ['status'];

/** One SA as `status` lists it: no keys. */
export interface SaStatus {
  readonly spi: number;
  readonly src: string;
  readonly dst: string;
  readonly state: string;
  readonly mode: string;
  readonly reqid: number;
  readonly encryption?: string;
  readonly integrity?: string;
  /** UDP encapsulation type and the outer ports of the packets the SA carries */
  readonly encap: { readonly type: string; readonly sport: number; readonly dport: number };
  /** decimal strings (64-bit counters) */
  readonly bytes: string;
  readonly packets: string;
}

export interface PolicyStatus {
  readonly id: number;
  readonly dir: string;
  /** `src[sport] dst[dport] proto` in setkey notation */
  readonly selector: string;
  readonly action: string;
  readonly priority: number;
  /** `esp/tunnel/a-b/unique:1` per request */
  readonly requests: readonly string[];
}

export interface SocketStatus {
  readonly path: string;
  readonly kind: 'pfkey' | 'control';
  readonly dialect?: string;
  readonly connections: number;
  readonly drops: number;
}

/** One SA as the data plane uses it (docs/dataplane.md §7): framing, the peer's current mapping, counters. */
export interface DataplaneSaReport {
  readonly spi: string;
  /** 'in', 'out', or 'unused' before its first packet */
  readonly direction: string;
  readonly state: string;
  readonly mode: string;
  readonly reqid: number;
  readonly src: string;
  readonly dst: string;
  /** none | rfc3948 | udp-encaps-00 | cisco-udp */
  readonly framing: string;
  /** the peer's current address and NAT-T port (dst/dport outbound, src/sport inbound) */
  readonly peer: { readonly address: string; readonly port: number };
  /** when a NAT mapping change last moved the SA (ISO 8601), if ever */
  readonly movedAt?: string;
  readonly natKeepalive: boolean;
  readonly natFloat: boolean;
  readonly packets: number;
  readonly bytes: number;
  /** non-zero drop counters by reason */
  readonly drops: Readonly<Record<string, number>>;
}

export interface ListenerReport {
  readonly id: number;
  readonly address: string;
  readonly port: number;
  readonly role: string;
  /** rx/tx packets and bytes, ESP/IKE/keepalives each way (data plane), socket errors */
  readonly counters: Readonly<Record<string, number>>;
  readonly drops: Readonly<Record<string, number>>;
}

/** The data plane of an ipsecd started with --tun. */
export interface DataplaneReport {
  /** 2 with a sealing thread (--dataplane-threads 2); absent from older daemons */
  readonly threads?: number;
  readonly tun: { readonly name: string; readonly mtu: number; readonly counters: Readonly<Record<string, number>> };
  readonly rawEsp: readonly { readonly family: number; readonly counters: Readonly<Record<string, number>> }[];
  readonly listeners: readonly ListenerReport[];
  readonly sas: readonly DataplaneSaReport[];
  readonly keepalives: readonly {
    readonly listener: number;
    readonly address: string;
    readonly port: number;
    readonly format: string;
    readonly sas: number;
  }[];
  /** tunIn/tunOut, espIn/espOut, udp/raw/ike/keepalive counts, held/released, natMappings ... */
  readonly totals: Readonly<Record<string, number>>;
  /** totals by drop reason (non-zero only) */
  readonly drops: Readonly<Record<string, number>>;
  readonly ikeChannel?: {
    readonly path: string;
    readonly connections: number;
    readonly counters: Readonly<Record<string, number>>;
  };
}

export interface StatusReport {
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly sockets: readonly SocketStatus[];
  readonly sas: readonly SaStatus[];
  readonly policies: readonly PolicyStatus[];
  /** daemon counters (messages, bytes, drops, closed connections ...) */
  readonly counters: Readonly<Record<string, number>>;
  /** the key engine's own counters */
  readonly engine: Readonly<Record<string, number>>;
  /** present when the daemon runs the data plane */
  readonly dataplane?: DataplaneReport;
  /** the daemon process's memory in bytes (Node's process.memoryUsage(), no GC forced) */
  readonly memory?: ProcessMemory;
}

export interface ProcessMemory {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
}

export type ControlResponse =
  | { readonly ok: true; readonly status: StatusReport }
  | { readonly ok: false; readonly error: string };

export interface ControlLineSplit {
  readonly lines: string[];
  readonly rest: Uint8Array;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * Cut complete lines (without the "\n"; a trailing "\r" is dropped too) off `buffer`.
 * Throws WireError bad-value when a line, or the unterminated tail, exceeds `maxLine` bytes,
 * and when a line is not UTF-8.
 */
export function splitControlLines(buffer: Uint8Array, maxLine = CONTROL_MAX_REQUEST): ControlLineSplit {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = buffer.indexOf(0x0a, start);
    if (nl < 0) break;
    if (nl - start > maxLine) {
      throw new WireError('bad-value', `control.line[${lines.length}]`, start, `line over ${maxLine} bytes`);
    }
    let end = nl;
    if (end > start && buffer[end - 1] === 0x0d) end--;
    try {
      lines.push(decoder.decode(buffer.subarray(start, end)));
    } catch {
      throw new WireError('bad-value', `control.line[${lines.length}]`, start, 'not UTF-8');
    }
    start = nl + 1;
  }
  if (buffer.length - start > maxLine) {
    throw new WireError('bad-value', `control.line[${lines.length}]`, start, `line over ${maxLine} bytes`);
  }
  return { lines, rest: buffer.subarray(start) };
}

function parseObject(line: string, path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new WireError('bad-value', path, 0, 'not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new WireError('bad-value', path, 0, 'not a JSON object');
  return v as Record<string, unknown>;
}

/** One request line. WireError: not JSON / not an object (bad-value), unknown `cmd` (unsupported). */
export function decodeControlRequest(line: string): ControlRequest {
  const o = parseObject(line, 'control.request');
  const cmd = o.cmd;
  if (typeof cmd !== 'string') throw new WireError('bad-value', 'control.request.cmd', 0, 'cmd must be a string');
  if (cmd === 'status') return { cmd };
  throw new WireError('unsupported', 'control.request.cmd', 0, `unknown command ${JSON.stringify(cmd)}`);
}

/**
 * One response line. Checks the envelope (`ok` boolean, `error` string or `status` object with
 * the array/object members); the members' fields are taken as they are.
 */
export function decodeControlResponse(line: string): ControlResponse {
  const o = parseObject(line, 'control.response');
  if (o.ok === false) {
    if (typeof o.error !== 'string')
      throw new WireError('bad-value', 'control.response.error', 0, 'error must be a string');
    return { ok: false, error: o.error };
  }
  if (o.ok !== true) throw new WireError('bad-value', 'control.response.ok', 0, 'ok must be a boolean');
  const s = o.status;
  if (s === null || typeof s !== 'object' || Array.isArray(s)) {
    throw new WireError('bad-value', 'control.response.status', 0, 'status must be an object');
  }
  const st = s as Record<string, unknown>;
  for (const k of ['sockets', 'sas', 'policies'] as const) {
    if (!Array.isArray(st[k]))
      throw new WireError('bad-value', `control.response.status.${k}`, 0, `${k} must be an array`);
  }
  for (const k of ['counters', 'engine'] as const) {
    const c = st[k];
    if (c === null || typeof c !== 'object' || Array.isArray(c)) {
      throw new WireError('bad-value', `control.response.status.${k}`, 0, `${k} must be an object`);
    }
  }
  const dp = st.dataplane;
  if (dp !== undefined) {
    if (dp === null || typeof dp !== 'object' || Array.isArray(dp))
      throw new WireError('bad-value', 'control.response.status.dataplane', 0, 'dataplane must be an object');
    const d = dp as Record<string, unknown>;
    for (const k of ['listeners', 'sas', 'keepalives', 'rawEsp'] as const) {
      if (!Array.isArray(d[k]))
        throw new WireError('bad-value', `control.response.status.dataplane.${k}`, 0, `${k} must be an array`);
    }
  }
  return { ok: true, status: st as unknown as StatusReport };
}

/** Any control value as one line of bytes (JSON + "\n"). */
export function encodeControlLine(value: ControlRequest | ControlResponse): Uint8Array {
  return encoder.encode(`${JSON.stringify(value)}\n`);
}
