/**
 * Test-only PF_KEY byte builder, independent of src/wire/pfkey/encode.ts (as pg-protocol's
 * testing/test-buffers.ts): each function writes one struct field by field from the layouts in
 * Linux include/uapi/linux/pfkeyv2.h and FreeBSD sys/net/pfkeyv2.h (docs/pfkey.md diagrams).
 * Host order = little-endian; SPI, sockaddr port/address and NAT-T ports big-endian.
 * Extension numbers are literals from those headers, not constants.ts.
 */

export type Dialect = 'linux' | 'kame';

class Bytes {
  readonly b: number[] = [];
  u8(v: number): this {
    this.b.push(v & 0xff);
    return this;
  }
  u16le(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u16be(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u32le(v: number): this {
    return this.u16le(v & 0xffff).u16le(v >>> 16);
  }
  u32be(v: number): this {
    return this.u16be(v >>> 16).u16be(v & 0xffff);
  }
  u64le(v: bigint): this {
    return this.u32le(Number(v & 0xffffffffn)).u32le(Number(v >> 32n));
  }
  raw(a: Uint8Array | readonly number[]): this {
    for (const x of a) this.b.push(x);
    return this;
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.b.push(0);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.b);
  }
}

export function hex(s: string): Uint8Array {
  const t = s.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(t.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** sadb_ext: len (words, incl. header) + type, body zero-padded to 8. */
export function ext(type: number, body: Uint8Array): Uint8Array {
  const total = (4 + body.length + 7) & ~7;
  return new Bytes()
    .u16le(total / 8)
    .u16le(type)
    .raw(body)
    .zeros(total - 4 - body.length)
    .done();
}

export interface Hdr {
  readonly type: number;
  readonly satype: number;
  readonly seq: number;
  readonly pid: number;
  readonly errno?: number;
  readonly version?: number;
}

/** sadb_msg + extensions, sadb_msg_len in words. */
export function msg(h: Hdr, ...exts: Uint8Array[]): Uint8Array {
  const len = 16 + exts.reduce((n, e) => n + e.length, 0);
  const w = new Bytes()
    .u8(h.version ?? 2)
    .u8(h.type)
    .u8(h.errno ?? 0)
    .u8(h.satype)
    .u16le(len / 8)
    .u16le(0)
    .u32le(h.seq)
    .u32le(h.pid);
  for (const e of exts) w.raw(e);
  return w.done();
}

function ipBytes(ip: string): number[] {
  if (ip.includes(':')) {
    const [head = '', tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const words = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
    return words.flatMap((w) => {
      const v = Number.parseInt(w, 16);
      return [v >> 8, v & 0xff];
    });
  }
  return ip.split('.').map(Number);
}

/** sockaddr_in / sockaddr_in6: Linux u16 family (2 / 10); KAME sa_len + u8 family (2 / 28). */
export function sockaddr(d: Dialect, ip: string, port = 0): Uint8Array {
  const a = ipBytes(ip);
  const w = new Bytes();
  if (a.length === 4) {
    if (d === 'linux') w.u16le(2);
    else w.u8(16).u8(2);
    return w.u16be(port).raw(a).zeros(8).done();
  }
  if (d === 'linux') w.u16le(10);
  else w.u8(28).u8(28);
  return w.u16be(port).u32be(0).raw(a).u32le(0).done();
}

/** sadb_address: proto, prefixlen, reserved u16, sockaddr. Types: 5 SRC, 6 DST, 23 OA/OAI, 24 OAR (kame). */
export function address(d: Dialect, type: number, ip: string, proto = 0, prefixlen?: number, port = 0): Uint8Array {
  const pl = prefixlen ?? (ip.includes(':') ? 128 : 32);
  return ext(
    type,
    new Bytes()
      .u8(proto)
      .u8(pl)
      .u16le(0)
      .raw(sockaddr(d, ip, port))
      .done(),
  );
}

/** sadb_sa (type 1): spi (network order), replay, state, auth, encrypt, flags. */
export function sa(spi: number, replay: number, state: number, auth: number, encrypt: number, flags = 0): Uint8Array {
  return ext(1, new Bytes().u32be(spi).u8(replay).u8(state).u8(auth).u8(encrypt).u32le(flags).done());
}

/** sadb_lifetime (2 CURRENT, 3 HARD, 4 SOFT). */
export function lifetime(
  type: number,
  allocations: number,
  bytes: bigint,
  addtime: bigint,
  usetime: bigint,
): Uint8Array {
  return ext(type, new Bytes().u32le(allocations).u64le(bytes).u64le(addtime).u64le(usetime).done());
}

/** sadb_key (8 AUTH, 9 ENCRYPT): bits, reserved, key bytes. */
export function key(type: number, keyHex: string): Uint8Array {
  const k = hex(keyHex);
  return ext(
    type,
    new Bytes()
      .u16le(k.length * 8)
      .u16le(0)
      .raw(k)
      .done(),
  );
}

/** sadb_x_sa2 (19): mode, reserved1, reserved2, sequence, reqid. */
export function sa2(mode: number, reqid: number, sequence = 0): Uint8Array {
  return ext(19, new Bytes().u8(mode).u8(0).u16le(0).u32le(sequence).u32le(reqid).done());
}

/** sadb_spirange (16): min, max (host order), reserved. */
export function spirange(min: number, max: number): Uint8Array {
  return ext(16, new Bytes().u32le(min).u32le(max).u32le(0).done());
}

/** sadb_x_nat_t_type (20). */
export function natType(t: number): Uint8Array {
  return ext(20, new Bytes().u8(t).zeros(3).done());
}

/** sadb_x_nat_t_port (21 SPORT, 22 DPORT), port in network order. */
export function natPort(type: number, port: number): Uint8Array {
  return ext(type, new Bytes().u16be(port).u16le(0).done());
}

/** sadb_x_nat_t_frag (kame 25). */
export function natFrag(fraglen: number): Uint8Array {
  return ext(25, new Bytes().u16le(fraglen).u16le(0).done());
}

/** sadb_x_ipsecrequest: Linux 16 bytes (u32 reqid), KAME 8 (u16 reqid); len in BYTES; endpoints in tunnel mode. */
export function ipsecrequest(
  d: Dialect,
  proto: number,
  mode: number,
  level: number,
  reqid: number,
  tunnel?: readonly [string, string],
): Uint8Array {
  const addrs = tunnel ? [...sockaddr(d, tunnel[0]), ...sockaddr(d, tunnel[1])] : [];
  const hdr = d === 'linux' ? 16 : 8;
  const len = (hdr + addrs.length + 7) & ~7;
  const w = new Bytes().u16le(len).u16le(proto).u8(mode).u8(level);
  if (d === 'linux') w.u16le(0).u32le(reqid).u32le(0);
  else w.u16le(reqid);
  return w
    .raw(addrs)
    .zeros(len - hdr - addrs.length)
    .done();
}

/** sadb_x_policy (18): type u16, dir u8, reserved u8, id u32, priority u32, then requests. */
export function policy(type: number, dir: number, id: number, priority: number, ...requests: Uint8Array[]): Uint8Array {
  const w = new Bytes().u16le(type).u8(dir).u8(0).u32le(id).u32le(priority);
  for (const r of requests) w.raw(r);
  return ext(18, w.done());
}

/** sadb_supported (14 AUTH, 15 ENCRYPT): reserved u32 then sadb_alg {id, ivlen, minbits, maxbits, reserved}. */
export function supported(type: number, algs: readonly (readonly [number, number, number, number])[]): Uint8Array {
  const w = new Bytes().u32le(0);
  for (const [id, ivlen, min, max] of algs) w.u8(id).u8(ivlen).u16le(min).u16le(max).u16le(0);
  return ext(type, w.done());
}
