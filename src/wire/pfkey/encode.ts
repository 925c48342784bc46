/**
 * PF_KEY v2 message encoder (RFC 2367 §2), Linux and KAME dialects: the inverse of
 * decode.ts (same layouts; see the diagrams there and in sockaddr.ts).
 *
 *   sadb_msg (16) | ext 1 (len w64, type, body, pad8) | ext 2 ... ; sadb_msg_len patched last
 *
 * Host-order fields are written little-endian; SPI, sockaddr port/address/flowinfo and NAT-T
 * ports big-endian. Every extension is zero-padded to 8 bytes and its length patched in words.
 */
import { WireError } from '../../util/errors.js';
import { Writer } from '../../util/writer.js';
import { extTypeOf, type PfkeyDialect, SADB_MSG, SADB_MSG_SIZE } from './constants.js';
import { encodeSockAddr } from './sockaddr.js';
import type { IpsecRequest, PfkeyExt, PfkeyMessage, SadbComb } from './types.js';

const textEncoder = new TextEncoder();
const MAX_WORDS = 0xffff;

function bad(path: string, at: number, detail: string): never {
  throw new WireError('bad-value', path, at, detail);
}

function checkUint(path: string, at: number, v: number, bits: 8 | 16 | 32): void {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) bad(path, at, `${v} does not fit in u${bits}`);
}

/**
 * Encode a message for `dialect`. sadb_msg_len, every sadb_ext_len and
 * sadb_x_ipsecrequest_len are computed. Throws WireError: unsupported (an extension the
 * dialect does not have, e.g. X_SEC_CTX for kame or X_NAT_T_OAI for linux), bad-value
 * (a field out of range, a key whose length disagrees with `bits`, an identity with a NUL,
 * a KAME reqid > 0xffff, a message longer than 0xffff words).
 */
export function encodePfkeyMessage(msg: PfkeyMessage, dialect: PfkeyDialect): Uint8Array {
  const h = msg.header;
  const w = new Writer(256);
  checkUint('msg.version', 0, h.version, 8);
  checkUint('msg.type', 1, h.type, 8);
  checkUint('msg.errno', 2, h.errno, 8);
  checkUint('msg.satype', 3, h.satype, 8);
  checkUint('msg.seq', 8, h.seq, 32);
  checkUint('msg.pid', 12, h.pid, 32);
  w.u8(h.version).u8(h.type).u8(h.errno).u8(h.satype).u16le(0).u16le(0).u32le(h.seq).u32le(h.pid);
  if (msg.embedded !== undefined) {
    // RFC 2367 Appendix A: a promiscuous send wraps a whole message after the header.
    if (h.type !== SADB_MSG.X_PROMISC) bad('msg.embedded', SADB_MSG_SIZE, 'an embedded message needs X_PROMISC');
    if (msg.extensions.length > 0) bad('msg.embedded', SADB_MSG_SIZE, 'embedded message and extensions');
    if (msg.embedded.length % 8 !== 0) bad('msg.embedded', SADB_MSG_SIZE, 'embedded message not 8-byte aligned');
    w.bytes(msg.embedded);
  }
  msg.extensions.forEach((e, i) => {
    encodeExtension(w, e, dialect, `msg.ext[${i}](${e.ext === 'UNKNOWN' ? e.type : e.ext})`);
  });
  const words = w.pos / 8;
  if (words > MAX_WORDS) bad('msg.len', 4, `message of ${w.pos} bytes exceeds sadb_msg_len`);
  w.patchU16le(4, words);
  const out = w.finish();
  if (out.length < SADB_MSG_SIZE) throw new Error('assertion failed: short header');
  return out;
}

function encodeExtension(w: Writer, e: PfkeyExt, dialect: PfkeyDialect, path: string): void {
  const start = w.pos;
  let type: number;
  if (e.ext === 'UNKNOWN') {
    checkUint(`${path}.type`, start + 2, e.type, 16);
    if (e.type === 0) bad(`${path}.type`, start + 2, 'SADB_EXT_RESERVED (0)');
    type = e.type;
  } else {
    const t = extTypeOf(dialect, e.ext);
    if (t === undefined)
      throw new WireError('unsupported', path, start, `${e.ext} does not exist in the ${dialect} dialect`);
    type = t;
  }
  w.u16le(0).u16le(type);
  switch (e.ext) {
    case 'SA':
      checkUint(`${path}.spi`, w.pos, e.spi, 32);
      w.u32(e.spi).u8(e.replay).u8(e.state).u8(e.auth).u8(e.encrypt).u32le(e.flags);
      break;
    case 'LIFETIME_CURRENT':
    case 'LIFETIME_HARD':
    case 'LIFETIME_SOFT':
      w.u32le(e.allocations).u64le(e.bytes).u64le(e.addtime).u64le(e.usetime);
      break;
    case 'ADDRESS_SRC':
    case 'ADDRESS_DST':
    case 'ADDRESS_PROXY':
    case 'X_NAT_T_OA':
    case 'X_NAT_T_OAI':
    case 'X_NAT_T_OAR': {
      const max = e.addr.family === 4 ? 32 : 128;
      if (e.prefixlen > max) bad(`${path}.prefixlen`, w.pos + 1, `prefixlen ${e.prefixlen} > ${max}`);
      checkUint(`${path}.proto`, w.pos, e.proto, 8);
      w.u8(e.proto).u8(e.prefixlen).u16le(0);
      checkAddr(`${path}.sockaddr`, w.pos, e.addr.family, e.addr.addr);
      encodeSockAddr(w, e.addr, dialect);
      break;
    }
    case 'KEY_AUTH':
    case 'KEY_ENCRYPT':
      checkUint(`${path}.bits`, w.pos, e.bits, 16);
      if (e.key.length !== (e.bits + 7) >> 3) {
        bad(`${path}.bits`, w.pos, `${e.bits} bits but ${e.key.length} key bytes`);
      }
      w.u16le(e.bits).u16le(0).bytes(e.key);
      break;
    case 'IDENTITY_SRC':
    case 'IDENTITY_DST': {
      w.u16le(e.identType).u16le(0).u64le(e.id);
      if (e.text.length > 0) {
        const b = textEncoder.encode(e.text);
        if (b.includes(0)) bad(`${path}.string`, w.pos, 'identity string contains NUL');
        w.bytes(b).u8(0);
      }
      break;
    }
    case 'SENSITIVITY':
      checkUint(`${path}.sens_len`, w.pos + 5, e.sensBitmap.length, 8);
      checkUint(`${path}.integ_len`, w.pos + 7, e.integBitmap.length, 8);
      w.u32le(e.dpd).u8(e.sensLevel).u8(e.sensBitmap.length).u8(e.integLevel).u8(e.integBitmap.length).u32le(0);
      for (const v of e.sensBitmap) w.u64le(v);
      for (const v of e.integBitmap) w.u64le(v);
      break;
    case 'PROPOSAL':
      w.u8(e.replay).zeros(3);
      for (const c of e.combs) encodeComb(w, c);
      break;
    case 'SUPPORTED_AUTH':
    case 'SUPPORTED_ENCRYPT':
      w.u32le(0);
      for (const a of e.algs) w.u8(a.id).u8(a.ivlen).u16le(a.minbits).u16le(a.maxbits).u16le(0);
      break;
    case 'SPIRANGE':
      w.u32le(e.min).u32le(e.max).u32le(0);
      break;
    case 'X_KMPRIVATE':
      w.u32le(0).bytes(e.data);
      break;
    case 'X_POLICY':
      w.u16le(e.policyType).u8(e.dir).u8(0).u32le(e.id).u32le(e.priority);
      e.requests.forEach((q, i) => {
        encodeIpsecRequest(w, q, dialect, `${path}.ipsecrequest[${i}]`);
      });
      break;
    case 'X_SA2':
      w.u8(e.mode).u8(0).u16le(0).u32le(e.sequence).u32le(e.reqid);
      break;
    case 'X_NAT_T_TYPE':
      w.u8(e.natType).zeros(3);
      break;
    case 'X_NAT_T_SPORT':
    case 'X_NAT_T_DPORT':
      checkUint(`${path}.port`, w.pos, e.port, 16);
      w.u16(e.port).u16le(0);
      break;
    case 'X_NAT_T_FRAG':
      w.u16le(e.fraglen).u16le(0);
      break;
    case 'X_SEC_CTX':
      checkUint(`${path}.ctx_len`, w.pos + 2, e.ctx.length, 16);
      w.u8(e.ctxAlg).u8(e.ctxDoi).u16le(e.ctx.length).bytes(e.ctx);
      break;
    case 'UNKNOWN':
      w.bytes(e.body);
      break;
  }
  w.align(8);
  const words = (w.pos - start) / 8;
  if (words > MAX_WORDS) bad(`${path}.len`, start, `extension of ${w.pos - start} bytes exceeds sadb_ext_len`);
  w.patchU16le(start, words);
}

function checkAddr(path: string, at: number, family: 4 | 6, addr: Uint8Array): void {
  const want = family === 4 ? 4 : 16;
  if (addr.length !== want) bad(path, at, `IPv${family} address of ${addr.length} bytes`);
}

function encodeComb(w: Writer, c: SadbComb): void {
  w.u8(c.auth).u8(c.encrypt).u16le(c.flags);
  w.u16le(c.authMinbits).u16le(c.authMaxbits).u16le(c.encryptMinbits).u16le(c.encryptMaxbits).u32le(0);
  w.u32le(c.softAllocations).u32le(c.hardAllocations);
  w.u64le(c.softBytes).u64le(c.hardBytes).u64le(c.softAddtime).u64le(c.hardAddtime);
  w.u64le(c.softUsetime).u64le(c.hardUsetime);
}

function encodeIpsecRequest(w: Writer, q: IpsecRequest, dialect: PfkeyDialect, path: string): void {
  const start = w.pos;
  w.u16le(0).u16le(q.proto).u8(q.mode).u8(q.level);
  if (dialect === 'linux') {
    checkUint(`${path}.reqid`, w.pos + 2, q.reqid, 32);
    w.u16le(0).u32le(q.reqid).u32le(0);
  } else {
    // KAME sadb_x_ipsecrequest_reqid is u16
    checkUint(`${path}.reqid`, w.pos, q.reqid, 16);
    w.u16le(q.reqid);
  }
  if (q.tunnel) {
    checkAddr(`${path}.src`, w.pos, q.tunnel.src.family, q.tunnel.src.addr);
    encodeSockAddr(w, q.tunnel.src, dialect);
    checkAddr(`${path}.dst`, w.pos, q.tunnel.dst.family, q.tunnel.dst.addr);
    encodeSockAddr(w, q.tunnel.dst, dialect);
  }
  w.align(8);
  const len = w.pos - start;
  // sadb_x_ipsecrequest_len is in bytes, not 64-bit words (FreeBSD/NetBSD pfkeyv2.h comment).
  w.patchU16le(start, len);
}
