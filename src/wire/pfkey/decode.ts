/**
 * PF_KEY v2 message decoder (RFC 2367 §2), Linux and KAME dialects.
 *
 *   0       1       2       3       4               6               8
 *   +-------+-------+-------+-------+---------------+---------------+
 *   |version| type  | errno |satype | len (u16h,w64)| reserved (=0) |   sadb_msg, 16 bytes
 *   +-------+-------+-------+-------+---------------+---------------+
 *   |           seq (u32h)          |           pid (u32h)          |
 *   +---------------+---------------+-------------------------------+
 *   | ext len (w64) | ext type      |  extension body ...           |   sadb_ext + body,
 *   +---------------+---------------+-------------------------------+   padded to 8 bytes
 *
 * Host order (h) is little-endian: clients are local processes on x86/ARM little-endian hosts
 * (docs/pfkey.md "Byte order"). SPI, sockaddr ports/addresses and NAT-T ports are network order.
 * Lengths count 64-bit words and include their own header; sadb_x_ipsecrequest_len counts bytes.
 *
 * Checks are structural only (STYLE.md §3.4): which extensions a message type needs, and
 * duplicates (see `indexExtensions`), are the key engine's business.
 */
import { WireError } from '../../util/errors.js';
import { Reader } from '../../util/reader.js';
import {
  extNameOf,
  IPSECREQUEST_SIZE,
  PF_KEY_V2,
  type PfkeyDialect,
  SADB_EXT_HDR_SIZE,
  SADB_MSG,
  SADB_MSG_SIZE,
  type SadbExtName,
} from './constants.js';
import { decodeSockAddr, peekSockAddr } from './sockaddr.js';
import type {
  AddressExt,
  IpsecRequest,
  PfkeyExt,
  PfkeyMessage,
  SadbAlg,
  SadbComb,
  SadbMsgHeader,
  SockAddr,
} from './types.js';

const SADB_COMB_SIZE = 72;
const SADB_ALG_SIZE = 8;
const textDecoder = new TextDecoder('utf-8', { fatal: false });

const align8 = (n: number): number => (n + 7) & ~7;

/** Fixed total sizes (bytes, header included) of the extensions that have one. */
const FIXED_SIZE: Partial<Record<SadbExtName, number>> = {
  SA: 16,
  LIFETIME_CURRENT: 32,
  LIFETIME_HARD: 32,
  LIFETIME_SOFT: 32,
  SPIRANGE: 16,
  X_SA2: 16,
  X_NAT_T_TYPE: 8,
  X_NAT_T_SPORT: 8,
  X_NAT_T_DPORT: 8,
  X_NAT_T_FRAG: 8,
};

/** Minimum sizes of the variable-length ones (struct without trailing data). */
const MIN_SIZE: Partial<Record<SadbExtName, number>> = {
  ADDRESS_SRC: 8,
  ADDRESS_DST: 8,
  ADDRESS_PROXY: 8,
  X_NAT_T_OA: 8,
  X_NAT_T_OAI: 8,
  X_NAT_T_OAR: 8,
  KEY_AUTH: 8,
  KEY_ENCRYPT: 8,
  IDENTITY_SRC: 16,
  IDENTITY_DST: 16,
  SENSITIVITY: 16,
  PROPOSAL: 8,
  SUPPORTED_AUTH: 8,
  SUPPORTED_ENCRYPT: 8,
  X_KMPRIVATE: 8,
  X_POLICY: 16,
  X_SEC_CTX: 8,
};

/** Decode the 16-byte sadb_msg; `total` is the buffer length it must describe exactly. */
function decodeHeader(r: Reader, total: number): SadbMsgHeader {
  const version = r.u8('version');
  if (version !== PF_KEY_V2) r.fail('version', `version ${version}, expected ${PF_KEY_V2}`, 0);
  const type = r.u8('type');
  const errno = r.u8('errno');
  const satype = r.u8('satype');
  const len = r.u16le('len');
  if (len * 8 < SADB_MSG_SIZE) r.fail('len', `sadb_msg_len ${len} words is shorter than sadb_msg`, 4);
  if (len * 8 > total) {
    throw new WireError('truncated', r.field('len'), 4, `truncated: sadb_msg_len ${len * 8} bytes, have ${total}`);
  }
  if (len * 8 < total) {
    throw new WireError('trailing', r.field('len'), len * 8, `trailing: sadb_msg_len ${len * 8} bytes, have ${total}`);
  }
  // Linux pfkey_get_base_msg rejects a non-zero sadb_msg_reserved with EINVAL.
  const reserved = r.u16le('reserved');
  if (reserved !== 0) r.fail('reserved', `sadb_msg_reserved ${reserved}, must be 0`, 6);
  const seq = r.u32le('seq');
  const pid = r.u32le('pid');
  return { version, type, errno, satype, seq, pid };
}

/**
 * Decode one complete PF_KEY message (exactly `sadb_msg_len * 8` bytes).
 * Throws WireError: truncated/trailing (buffer vs sadb_msg_len), overrun (an extension runs
 * past the message), bad-value (version != 2, reserved != 0, zero-length or wrong-size
 * extension, bad sockaddr, prefixlen too long), unsupported (sockaddr family).
 * `path` names the root of error paths (default `msg`).
 */
export function decodePfkeyMessage(buf: Uint8Array, dialect: PfkeyDialect, path = 'msg'): PfkeyMessage {
  const r = new Reader(buf, path);
  const header = decodeHeader(r, buf.length);
  if (header.type === SADB_MSG.X_PROMISC && r.remaining > 0) {
    return { header, extensions: [], embedded: r.rest().slice() };
  }
  const extensions: PfkeyExt[] = [];
  for (let i = 0; r.remaining > 0; i++) {
    const at = r.pos;
    if (r.remaining < SADB_EXT_HDR_SIZE) r.skip(SADB_EXT_HDR_SIZE, `ext[${i}]`);
    const words = r.view.getUint16(at, true);
    const type = r.view.getUint16(at + 2, true);
    const name = extNameOf(dialect, type);
    const label = `ext[${i}](${name ?? type})`;
    // RFC 2367 §2.2: sadb_ext_len counts 64-bit words including the header; 0 is invalid.
    if (words === 0) r.fail(`${label}.len`, 'sadb_ext_len 0', at);
    if (words * 8 > r.remaining) {
      throw new WireError(
        'overrun',
        r.field(`${label}.len`),
        at,
        `overrun: extension of ${words * 8} bytes, ${r.remaining} left in message`,
      );
    }
    if (type === 0) r.fail(`${label}.type`, 'SADB_EXT_RESERVED (0)', at + 2);
    const s = r.scope(words * 8, label);
    s.skip(SADB_EXT_HDR_SIZE);
    extensions.push(decodeExtension(s, name, type, dialect, words * 8, at));
  }
  return { header, extensions };
}

function decodeExtension(
  s: Reader,
  name: SadbExtName | undefined,
  type: number,
  dialect: PfkeyDialect,
  size: number,
  at: number,
): PfkeyExt {
  if (name === undefined) return { ext: 'UNKNOWN', type, body: s.rest().slice() };
  const fixed = FIXED_SIZE[name];
  if (fixed !== undefined && size !== fixed) s.fail('len', `length ${size} bytes, expected ${fixed}`, at);
  const min = MIN_SIZE[name];
  if (min !== undefined && size < min) s.fail('len', `length ${size} bytes, need at least ${min}`, at);
  let ext: PfkeyExt;
  switch (name) {
    case 'SA': {
      // RFC 2367 §2.3.1: the SPI is in network byte order.
      const spi = s.u32('spi');
      ext = {
        ext: name,
        spi,
        replay: s.u8('replay'),
        state: s.u8('state'),
        auth: s.u8('auth'),
        encrypt: s.u8('encrypt'),
        flags: s.u32le('flags'),
      };
      break;
    }
    case 'LIFETIME_CURRENT':
    case 'LIFETIME_HARD':
    case 'LIFETIME_SOFT':
      ext = {
        ext: name,
        allocations: s.u32le('allocations'),
        bytes: s.u64le('bytes'),
        addtime: s.u64le('addtime'),
        usetime: s.u64le('usetime'),
      };
      break;
    case 'ADDRESS_SRC':
    case 'ADDRESS_DST':
    case 'ADDRESS_PROXY':
    case 'X_NAT_T_OA':
    case 'X_NAT_T_OAI':
    case 'X_NAT_T_OAR':
      ext = decodeAddress(s, name, dialect, size, at);
      break;
    case 'KEY_AUTH':
    case 'KEY_ENCRYPT': {
      const bits = s.u16le('bits');
      s.skip(2, 'reserved');
      const n = (bits + 7) >> 3;
      // RFC 2367 §2.3.4: key bits, then padding to 64 bits; we demand the minimal padding.
      if (align8(8 + n) !== size)
        s.fail('len', `length ${size} bytes for a ${bits}-bit key, expected ${align8(8 + n)}`, at);
      ext = { ext: name, bits, key: s.bytes(n, 'key').slice() };
      s.rest();
      break;
    }
    case 'IDENTITY_SRC':
    case 'IDENTITY_DST': {
      const identType = s.u16le('type');
      s.skip(2, 'reserved');
      const id = s.u64le('id');
      const rest = s.rest();
      let text = '';
      if (rest.length > 0) {
        // RFC 2367 §2.3.5: a NUL-terminated string, padded to 64 bits.
        const nul = rest.indexOf(0);
        if (nul < 0) s.fail('string', 'identity string is not NUL-terminated', s.pos - rest.length);
        if (align8(nul + 1) !== rest.length) {
          s.fail('len', `identity string of ${nul} bytes in ${rest.length} bytes of padding`, at);
        }
        text = textDecoder.decode(rest.subarray(0, nul));
      }
      ext = { ext: name, identType, id, text };
      break;
    }
    case 'SENSITIVITY': {
      const dpd = s.u32le('dpd');
      const sensLevel = s.u8('sens_level');
      const sensLen = s.u8('sens_len');
      const integLevel = s.u8('integ_level');
      const integLen = s.u8('integ_len');
      s.skip(4, 'reserved');
      const want = 16 + 8 * (sensLen + integLen);
      if (want !== size) s.fail('len', `length ${size} bytes, bitmaps need ${want}`, at);
      const sensBitmap: bigint[] = [];
      for (let i = 0; i < sensLen; i++) sensBitmap.push(s.u64le(`sens_bitmap[${i}]`));
      const integBitmap: bigint[] = [];
      for (let i = 0; i < integLen; i++) integBitmap.push(s.u64le(`integ_bitmap[${i}]`));
      ext = { ext: name, dpd, sensLevel, integLevel, sensBitmap, integBitmap };
      break;
    }
    case 'PROPOSAL': {
      const replay = s.u8('replay');
      s.skip(3, 'reserved');
      if (s.remaining % SADB_COMB_SIZE !== 0) {
        s.fail('len', `${s.remaining} bytes of sadb_comb, not a multiple of ${SADB_COMB_SIZE}`, at);
      }
      const combs: SadbComb[] = [];
      for (let i = 0; s.remaining > 0; i++) combs.push(decodeComb(s.scope(SADB_COMB_SIZE, `comb[${i}]`)));
      ext = { ext: name, replay, combs };
      break;
    }
    case 'SUPPORTED_AUTH':
    case 'SUPPORTED_ENCRYPT': {
      s.skip(4, 'reserved');
      const algs: SadbAlg[] = [];
      for (let i = 0; s.remaining > 0; i++) {
        const a = s.scope(SADB_ALG_SIZE, `alg[${i}]`);
        algs.push({ id: a.u8('id'), ivlen: a.u8('ivlen'), minbits: a.u16le('minbits'), maxbits: a.u16le('maxbits') });
        a.skip(2, 'reserved');
      }
      ext = { ext: name, algs };
      break;
    }
    case 'SPIRANGE': {
      // Host order, unlike sadb_sa_spi (Linux pfkey_getspi, KAME key_do_getnewspi use it as is).
      const min = s.u32le('min');
      const max = s.u32le('max');
      s.skip(4, 'reserved');
      ext = { ext: name, min, max };
      break;
    }
    case 'X_KMPRIVATE':
      s.skip(4, 'reserved');
      ext = { ext: name, data: s.rest().slice() };
      break;
    case 'X_POLICY': {
      const policyType = s.u16le('type');
      const dir = s.u8('dir');
      s.skip(1, 'reserved');
      const id = s.u32le('id');
      const priority = s.u32le('priority');
      const requests: IpsecRequest[] = [];
      for (let i = 0; s.remaining > 0; i++) requests.push(decodeIpsecRequest(s, dialect, i));
      ext = { ext: name, policyType, dir, id, priority, requests };
      break;
    }
    case 'X_SA2': {
      const mode = s.u8('mode');
      s.skip(3, 'reserved');
      ext = { ext: name, mode, sequence: s.u32le('sequence'), reqid: s.u32le('reqid') };
      break;
    }
    case 'X_NAT_T_TYPE':
      ext = { ext: name, natType: s.u8('type') };
      s.skip(3, 'reserved');
      break;
    case 'X_NAT_T_SPORT':
    case 'X_NAT_T_DPORT':
      // linux uapi: __be16 sadb_x_nat_t_port_port
      ext = { ext: name, port: s.u16('port') };
      s.skip(2, 'reserved');
      break;
    case 'X_NAT_T_FRAG':
      ext = { ext: name, fraglen: s.u16le('fraglen') };
      s.skip(2, 'reserved');
      break;
    case 'X_SEC_CTX': {
      const ctxAlg = s.u8('ctx_alg');
      const ctxDoi = s.u8('ctx_doi');
      const ctxLen = s.u16le('ctx_len');
      if (align8(8 + ctxLen) !== size) s.fail('len', `length ${size} bytes for a ${ctxLen}-byte context`, at);
      ext = { ext: name, ctxAlg, ctxDoi, ctx: s.bytes(ctxLen, 'ctx').slice() };
      s.rest();
      break;
    }
  }
  s.end();
  return ext;
}

/**
 *   +---------------+---------------+-------+-------+---------------+
 *   | len (w64)     | exttype       | proto |prefix | reserved      |  sadb_address (8)
 *   +---------------+---------------+-------+-------+---------------+
 *   | sockaddr (16 or 28) ... padded to 8 (total 24 or 40 bytes)    |
 *   +---------------------------------------------------------------+
 */
function decodeAddress(
  s: Reader,
  name: AddressExt['ext'],
  dialect: PfkeyDialect,
  size: number,
  at: number,
): AddressExt {
  const proto = s.u8('proto');
  const prefixlen = s.u8('prefixlen');
  s.skip(2, 'reserved');
  const { family, size: saSize } = peekSockAddr(s, dialect, 'sockaddr');
  // Linux verify_address_len: sadb_address_len must be exactly align8(8 + sizeof sockaddr).
  if (size !== align8(8 + saSize)) s.fail('len', `length ${size} bytes, IPv${family} needs ${align8(8 + saSize)}`, at);
  const max = family === 4 ? 32 : 128;
  if (prefixlen > max) s.fail('prefixlen', `prefixlen ${prefixlen} > ${max}`, at + 5);
  const addr: SockAddr = decodeSockAddr(s, dialect, 'sockaddr');
  s.rest();
  return { ext: name, proto, prefixlen, addr };
}

function decodeComb(c: Reader): SadbComb {
  const auth = c.u8('auth');
  const encrypt = c.u8('encrypt');
  const flags = c.u16le('flags');
  const authMinbits = c.u16le('auth_minbits');
  const authMaxbits = c.u16le('auth_maxbits');
  const encryptMinbits = c.u16le('encrypt_minbits');
  const encryptMaxbits = c.u16le('encrypt_maxbits');
  c.skip(4, 'reserved');
  return {
    auth,
    encrypt,
    flags,
    authMinbits,
    authMaxbits,
    encryptMinbits,
    encryptMaxbits,
    softAllocations: c.u32le('soft_allocations'),
    hardAllocations: c.u32le('hard_allocations'),
    softBytes: c.u64le('soft_bytes'),
    hardBytes: c.u64le('hard_bytes'),
    softAddtime: c.u64le('soft_addtime'),
    hardAddtime: c.u64le('hard_addtime'),
    softUsetime: c.u64le('soft_usetime'),
    hardUsetime: c.u64le('hard_usetime'),
  };
}

/**
 * Linux (16 bytes):                          KAME (8 bytes):
 *   +--------+--------+----+-----+--------+    +--------+--------+----+-----+--------+
 *   |len(B)  | proto  |mode|level|reserved|    |len(B)  | proto  |mode|level| reqid  |
 *   +--------+--------+----+-----+--------+    +--------+--------+----+-----+--------+
 *   |  reqid (u32h)   | reserved2 (u32)   |    then [src sockaddr][dst sockaddr] pad8
 *   +-----------------+-------------------+
 *   then [src sockaddr][dst sockaddr], no padding between, total padded to 8.
 */
function decodeIpsecRequest(s: Reader, dialect: PfkeyDialect, i: number): IpsecRequest {
  const hdr = IPSECREQUEST_SIZE[dialect];
  const label = `ipsecrequest[${i}]`;
  const at = s.pos;
  if (s.remaining < hdr) {
    throw new WireError('trailing', s.field(label), at, `trailing: ${s.remaining} bytes, less than an ipsecrequest`);
  }
  const len = s.view.getUint16(at, true);
  if (len < hdr) s.fail(`${label}.len`, `sadb_x_ipsecrequest_len ${len} < ${hdr}`, at);
  if (len % 8 !== 0) s.fail(`${label}.len`, `sadb_x_ipsecrequest_len ${len} not a multiple of 8`, at);
  if (len > s.remaining) {
    throw new WireError(
      'overrun',
      s.field(`${label}.len`),
      at,
      `overrun: request of ${len} bytes, ${s.remaining} left`,
    );
  }
  const q = s.scope(len, label);
  q.skip(2, 'len');
  const proto = q.u16le('proto');
  const mode = q.u8('mode');
  const level = q.u8('level');
  let reqid: number;
  if (dialect === 'linux') {
    q.skip(2, 'reserved1');
    reqid = q.u32le('reqid');
    q.skip(4, 'reserved2');
  } else {
    reqid = q.u16le('reqid');
  }
  if (q.remaining === 0) return { proto, mode, level, reqid };
  const src = decodeSockAddr(q, dialect, 'src');
  const dst = decodeSockAddr(q, dialect, 'dst');
  if (q.remaining >= 8) q.fail('len', `${q.remaining} bytes after the tunnel endpoints`, at);
  q.rest();
  return { proto, mode, level, reqid, tunnel: { src, dst } };
}
