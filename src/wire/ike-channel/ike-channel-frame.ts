/**
 * The IKE channel between `esprit ipsecd` and an IKE daemon (docs/ike-channel.md): each IKE
 * message with the local and remote UDP endpoint it was received on / is to be sent from,
 * over a local stream socket. One frame per message, both directions; all fields network
 * byte order.
 *
 *    0               1               2               3
 *   +---------------+---------------+---------------+---------------+
 *   | version (1)   | flags (0)     | family (4|6)  | reserved (0)  |   0
 *   +---------------+---------------+---------------+---------------+
 *   | payload length (u32, 1..65507)                                |   4
 *   +-------------------------------+-------------------------------+
 *   | local port                    | remote port                   |   8
 *   +-------------------------------+-------------------------------+
 *   | local address (16 bytes; IPv4 in the first 4, then 12 zeros)  |  12
 *   +---------------------------------------------------------------+
 *   | remote address (16 bytes, same rule)                          |  28
 *   +---------------------------------------------------------------+
 *   | IKE message (payload length bytes), no Non-ESP Marker         |  44
 *   +---------------------------------------------------------------+
 *
 * Pure codec: framing of a byte stream (`splitIkeChannelStream`), one frame's decoding with
 * strict checks (WireError, path `ike-channel.*`) and encoding.
 */
import { WireError } from '../../util/errors.js';
import { ipFromBytes, tryParseIp } from '../../util/ip-addr.js';
import { Reader } from '../../util/reader.js';

export const IKE_CHANNEL_VERSION = 1;
export const IKE_CHANNEL_HEADER_LENGTH = 44;
/** The largest UDP payload over IPv4 (65535 - 20 - 8); IPv6 jumbograms are not carried. */
export const IKE_CHANNEL_MAX_PAYLOAD = 65507;

export interface IkeChannelEndpoint {
  /** textual IP address (IpAddr.text form) */
  readonly address: string;
  readonly port: number;
}

export interface IkeChannelFrame {
  readonly family: 4 | 6;
  readonly local: IkeChannelEndpoint;
  readonly remote: IkeChannelEndpoint;
  /** the IKE message without any marker (a view into the decoded bytes) */
  readonly ike: Uint8Array;
}

export interface IkeChannelSplit {
  readonly frames: IkeChannelFrame[];
  /** an incomplete frame at the end (keep it for the next chunk) */
  readonly rest: Uint8Array;
}

function address(r: Reader, family: 4 | 6, field: string): string {
  const at = r.pos;
  const b = r.bytes(16, field);
  if (family === 4) {
    for (let i = 4; i < 16; i++)
      if (b[i] !== 0) throw new WireError('bad-value', r.field(field), at + i, 'IPv4 address padding not zero');
    return ipFromBytes(b.subarray(0, 4)).text;
  }
  return ipFromBytes(b).text;
}

function header(r: Reader): { family: 4 | 6; length: number; local: IkeChannelEndpoint; remote: IkeChannelEndpoint } {
  const at = r.pos;
  const version = r.u8('version');
  if (version !== IKE_CHANNEL_VERSION)
    throw new WireError('unsupported', r.field('version'), at, `version ${version} (expected ${IKE_CHANNEL_VERSION})`);
  const flags = r.u8('flags');
  if (flags !== 0) throw new WireError('bad-value', r.field('flags'), at + 1, `flags ${flags} (must be 0)`);
  const fam = r.u8('family');
  if (fam !== 4 && fam !== 6) throw new WireError('bad-value', r.field('family'), at + 2, `family ${fam} (4 or 6)`);
  const reserved = r.u8('reserved');
  if (reserved !== 0) throw new WireError('bad-value', r.field('reserved'), at + 3, 'reserved not zero');
  const length = r.u32('length');
  if (length === 0 || length > IKE_CHANNEL_MAX_PAYLOAD) {
    throw new WireError(
      'bad-value',
      r.field('length'),
      at + 4,
      `payload length ${length} not in 1..${IKE_CHANNEL_MAX_PAYLOAD}`,
    );
  }
  const lport = r.u16('localPort');
  const rport = r.u16('remotePort');
  const local = { address: address(r, fam, 'localAddress'), port: lport };
  const remote = { address: address(r, fam, 'remoteAddress'), port: rport };
  return { family: fam, length, local, remote };
}

/** Exactly one frame (header + payload, nothing after). */
export function decodeIkeChannelFrame(bytes: Uint8Array): IkeChannelFrame {
  const r = new Reader(bytes, 'ike-channel');
  const h = header(r);
  const ike = r.bytes(h.length, 'ike');
  r.end();
  return { family: h.family, local: h.local, remote: h.remote, ike };
}

/**
 * Cut the complete frames off a stream buffer. A bad header throws WireError: the stream
 * cannot be resynchronised, so the reader closes the connection.
 */
export function splitIkeChannelStream(buffer: Uint8Array): IkeChannelSplit {
  const frames: IkeChannelFrame[] = [];
  let at = 0;
  while (buffer.length - at >= IKE_CHANNEL_HEADER_LENGTH) {
    const r = new Reader(buffer, `ike-channel[${frames.length}]`, at);
    const h = header(r);
    const end = r.pos + h.length;
    if (end > buffer.length) break;
    frames.push({ family: h.family, local: h.local, remote: h.remote, ike: buffer.subarray(r.pos, end) });
    at = end;
  }
  return { frames, rest: buffer.subarray(at) };
}

function putAddress(out: Uint8Array, at: number, text: string, family: 4 | 6, field: string): void {
  const ip = tryParseIp(text);
  if (!ip || ip.family !== family) throw new RangeError(`ike-channel ${field}: not an IPv${family} address: ${text}`);
  out.set(ip.bytes, at);
}

/** One frame. Throws RangeError for an address of the wrong family, a bad port or an empty/oversized message. */
export function encodeIkeChannelFrame(f: {
  readonly local: IkeChannelEndpoint;
  readonly remote: IkeChannelEndpoint;
  readonly ike: Uint8Array;
}): Uint8Array {
  const family: 4 | 6 = f.remote.address.includes(':') ? 6 : 4;
  if (f.ike.length === 0 || f.ike.length > IKE_CHANNEL_MAX_PAYLOAD)
    throw new RangeError(`ike-channel: message length ${f.ike.length} not in 1..${IKE_CHANNEL_MAX_PAYLOAD}`);
  for (const p of [f.local.port, f.remote.port])
    if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`ike-channel: port ${p} out of range`);
  const out = new Uint8Array(IKE_CHANNEL_HEADER_LENGTH + f.ike.length);
  const v = new DataView(out.buffer);
  out[0] = IKE_CHANNEL_VERSION;
  out[2] = family;
  v.setUint32(4, f.ike.length);
  v.setUint16(8, f.local.port);
  v.setUint16(10, f.remote.port);
  putAddress(out, 12, f.local.address, family, 'local address');
  putAddress(out, 28, f.remote.address, family, 'remote address');
  out.set(f.ike, IKE_CHANNEL_HEADER_LENGTH);
  return out;
}
