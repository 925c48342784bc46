/**
 * setkey commands -> PF_KEY v2 requests (RFC 2367 §3.1), as ipsec-tools setkey builds them
 * (parse.y setkeymsg_add / setkeymsg_addr / setkeymsg_spdaddr, libipsec ipsec_set_policy),
 * in either dialect. Pure: the caller supplies sadb_msg_seq and sadb_msg_pid.
 *
 *   add ... esp-udp  ->  sadb_msg(ADD, ESP)
 *                        KEY_ENCRYPT  KEY_AUTH  LIFETIME_HARD  LIFETIME_SOFT     (when given)
 *                        SA(spi, replay, state 0, auth, encrypt, flags)  X_SA2(mode, reqid)
 *                        X_NAT_T_TYPE  [X_NAT_T_OA | X_NAT_T_OAI X_NAT_T_OAR]
 *                        ADDRESS_SRC  ADDRESS_DST  X_NAT_T_SPORT  X_NAT_T_DPORT
 *   spdadd ...       ->  sadb_msg(X_SPDADD, UNSPEC)  X_POLICY(+ipsecrequests)  ADDRESS_SRC  ADDRESS_DST
 *
 * Extension order is setkeymsg_add's. Algorithm numbers come from crypto/suites.ts per dialect.
 * `deleteall` has no single message here (KAME sends DELETE without SA; Linux setkey walks a
 * DUMP): the CLI dumps and deletes each SA with `saIdMessage`.
 */
import { ENCR, INTEG } from '../../crypto/suites.js';
import type { IpAddr } from '../../util/ip-addr.js';
import {
  IPSEC_DIR,
  IPSEC_LEVEL,
  IPSEC_MODE,
  IPSEC_POLICY,
  IPSEC_ULPROTO_ANY,
  PF_KEY_V2,
  type PfkeyDialect,
  type PfkeyExt,
  type IpsecRequest as PfkeyIpsecRequest,
  type PfkeyMessage,
  SADB_MSG,
  SADB_SATYPE,
  type SadbMsgName,
  type SockAddr,
  UDP_ENCAP,
} from '../../wire/pfkey/index.js';
import type {
  AddCommand,
  IpsecRequest,
  LifetimeLimit,
  NattType,
  Policy,
  PolicyDir,
  SaEndpoint,
  SaMode,
  Selector,
  SetkeyCommand,
  SetkeyProtocol,
  UpperSpec,
} from './types.js';

/** sadb_sa_flags from KAME pfkeyv2.h: SADB_X_EXT_CYCSEQ 0x40, PRAND 0x100, PZERO 0x200 (PSEQ 0). */
export const SADB_X_EXT_CYCSEQ = 0x0040;
export const SADB_X_EXT_PRAND = 0x0100;
export const SADB_X_EXT_PZERO = 0x0200;
/**
 * esprit-private sadb_sa_flags (src/pfkey/private-values.ts ESPRIT_SAFLAGS_NAT_*; config may
 * not import pfkey): 0x00010000 send NAT keepalives, 0x00020000 follow the peer's new mapping.
 */
export const ESPRIT_SAFLAGS_NAT_KEEPALIVE = 0x00010000;
export const ESPRIT_SAFLAGS_NAT_FLOAT = 0x00020000;

/** IPPROTO_ESP 50 / IPPROTO_AH 51: sadb_x_ipsecrequest_proto carries the IP protocol. */
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;

/**
 * esprit's private X_NAT_T_TYPE for Cisco UDP framing with the RFC 3948 keepalive, and the
 * variant with vpnc's `00 00 00 00 FF` keepalive. Mirrors ESPRIT_NAT_T_TYPE in
 * src/pfkey/private-values.ts (the key engine's; config/ may not import pfkey/).
 */
export const NAT_T_TYPE_CISCO_UDP = 0xf0;
export const NAT_T_TYPE_CISCO_UDP_VPNC_KEEPALIVE = 0xf1;

/** X_NAT_T_TYPE values per esprit encapsulation (docs/setkey.md "NAT traversal"). */
export const NATT_TYPE_NUMBER: Readonly<Record<NattType, number>> = {
  rfc3948: UDP_ENCAP.ESPINUDP,
  'udp-encaps-00': UDP_ENCAP.ESPINUDP_NON_IKE,
  'cisco-udp': NAT_T_TYPE_CISCO_UDP,
};

export interface MessageIds {
  /** sadb_msg_seq */
  readonly seq: number;
  /** sadb_msg_pid */
  readonly pid: number;
}

export function satypeNumber(p: SetkeyProtocol | undefined): number {
  if (p === undefined) return SADB_SATYPE.UNSPEC;
  return p === 'ah' ? SADB_SATYPE.AH : SADB_SATYPE.ESP;
}

export function sockAddrOf(a: IpAddr, port = 0): SockAddr {
  return a.family === 4
    ? { family: 4, addr: a.bytes, port }
    : { family: 6, addr: a.bytes, port, flowinfo: 0, scopeId: 0 };
}

const fullPrefix = (a: IpAddr) => (a.family === 4 ? 32 : 128);

function address(
  ext: 'ADDRESS_SRC' | 'ADDRESS_DST',
  a: IpAddr,
  port = 0,
  proto = IPSEC_ULPROTO_ANY,
  prefixlen = fullPrefix(a),
): PfkeyExt {
  return { ext, proto, prefixlen, addr: sockAddrOf(a, port) };
}

function header(type: SadbMsgName, satype: number, ids: MessageIds) {
  return { version: PF_KEY_V2, type: SADB_MSG[type], errno: 0, satype, seq: ids.seq, pid: ids.pid };
}

const MODE_NUMBER: Readonly<Record<SaMode, number>> = {
  any: IPSEC_MODE.ANY,
  transport: IPSEC_MODE.TRANSPORT,
  tunnel: IPSEC_MODE.TUNNEL,
};

function lifetime(ext: 'LIFETIME_HARD' | 'LIFETIME_SOFT', l: LifetimeLimit): PfkeyExt | undefined {
  if (!l.time && !l.bytes && !l.packets) return undefined;
  return { ext, allocations: l.packets ?? 0, bytes: l.bytes ?? 0n, addtime: BigInt(l.time ?? 0), usetime: 0n };
}

/** `add`: SADB_ADD as setkeymsg_add builds it. */
export function addMessage(c: AddCommand, dialect: PfkeyDialect, ids: MessageIds): PfkeyMessage {
  const exts: PfkeyExt[] = [];
  const enc = c.satype === 'ah' ? undefined : c.encryption;
  if (enc && enc.key.length > 0) exts.push({ ext: 'KEY_ENCRYPT', bits: enc.key.length * 8, key: enc.key });
  if (c.integrity.key.length > 0)
    exts.push({ ext: 'KEY_AUTH', bits: c.integrity.key.length * 8, key: c.integrity.key });
  const hard = lifetime('LIFETIME_HARD', c.lifetime.hard);
  if (hard) exts.push(hard);
  const soft = lifetime('LIFETIME_SOFT', c.lifetime.soft);
  if (soft) exts.push(soft);
  let flags = c.cyclicSeq ? SADB_X_EXT_CYCSEQ : 0;
  if (c.pad === 'random-pad') flags |= SADB_X_EXT_PRAND;
  if (c.pad === 'zero-pad') flags |= SADB_X_EXT_PZERO;
  if (c.natt?.keepalive) flags |= ESPRIT_SAFLAGS_NAT_KEEPALIVE;
  if (c.natt?.float) flags |= ESPRIT_SAFLAGS_NAT_FLOAT;
  exts.push({
    ext: 'SA',
    spi: c.spi >>> 0,
    replay: c.replay,
    state: 0,
    auth: INTEG[c.integrity.algorithm].pfkey[dialect],
    encrypt: enc ? ENCR[enc.algorithm].pfkey[dialect] : 0,
    flags,
  });
  exts.push({ ext: 'X_SA2', mode: MODE_NUMBER[c.mode], sequence: 0, reqid: c.reqid >>> 0 });
  const n = c.natt;
  if (n) {
    exts.push({ ext: 'X_NAT_T_TYPE', natType: NATT_TYPE_NUMBER[n.type] });
    const oa = n.oa;
    if (dialect === 'kame') {
      if (oa?.src)
        exts.push({
          ext: 'X_NAT_T_OAI',
          proto: IPSEC_ULPROTO_ANY,
          prefixlen: fullPrefix(oa.src),
          addr: sockAddrOf(oa.src),
        });
      if (oa?.dst)
        exts.push({
          ext: 'X_NAT_T_OAR',
          proto: IPSEC_ULPROTO_ANY,
          prefixlen: fullPrefix(oa.dst),
          addr: sockAddrOf(oa.dst),
        });
    } else {
      // Linux has one NAT-OA extension (racoon puts the peer's original address there)
      const one = oa?.src ?? oa?.dst;
      if (one)
        exts.push({ ext: 'X_NAT_T_OA', proto: IPSEC_ULPROTO_ANY, prefixlen: fullPrefix(one), addr: sockAddrOf(one) });
    }
  }
  exts.push(address('ADDRESS_SRC', c.src.addr, c.src.port));
  exts.push(address('ADDRESS_DST', c.dst.addr, c.dst.port));
  if (n) {
    exts.push({ ext: 'X_NAT_T_SPORT', port: n.sport });
    exts.push({ ext: 'X_NAT_T_DPORT', port: n.dport });
  }
  return { header: header('ADD', satypeNumber(c.satype), ids), extensions: exts };
}

/**
 * GET / DELETE of one SA (setkeymsg_addr): SA (spi; replay/algorithms 0; flags CYCSEQ),
 * X_SA2 (mode any, reqid 0), ADDRESS_SRC/DST. For esp-udp with explicit ports, esprit adds
 * X_NAT_T_SPORT/DPORT so the key engine can tell apart two peers behind one NAT.
 */
export function saIdMessage(
  type: 'GET' | 'DELETE',
  satype: SetkeyProtocol,
  src: SaEndpoint,
  dst: SaEndpoint,
  spi: number,
  ids: MessageIds,
): PfkeyMessage {
  const exts: PfkeyExt[] = [
    { ext: 'SA', spi: spi >>> 0, replay: 0, state: 0, auth: 0, encrypt: 0, flags: SADB_X_EXT_CYCSEQ },
    { ext: 'X_SA2', mode: IPSEC_MODE.ANY, sequence: 0, reqid: 0 },
    address('ADDRESS_SRC', src.addr, src.port),
    address('ADDRESS_DST', dst.addr, dst.port),
  ];
  if (satype === 'esp-udp') {
    if (src.port) exts.push({ ext: 'X_NAT_T_SPORT', port: src.port });
    if (dst.port) exts.push({ ext: 'X_NAT_T_DPORT', port: dst.port });
  }
  return { header: header(type, satypeNumber(satype), ids), extensions: exts };
}

const DIR_NUMBER: Readonly<Record<PolicyDir, number>> = {
  in: IPSEC_DIR.INBOUND,
  out: IPSEC_DIR.OUTBOUND,
  fwd: IPSEC_DIR.FWD,
};

function request(r: IpsecRequest): PfkeyIpsecRequest {
  const out: PfkeyIpsecRequest = {
    proto: r.proto === 'ah' ? IPPROTO_AH : IPPROTO_ESP,
    mode: MODE_NUMBER[r.mode],
    level: IPSEC_LEVEL[r.level.toUpperCase() as Uppercase<typeof r.level>],
    reqid: r.reqid ?? 0,
  };
  if (!r.tunnel) return out;
  return {
    ...out,
    tunnel: {
      src: sockAddrOf(r.tunnel.src.addr, r.tunnel.src.port),
      dst: sockAddrOf(r.tunnel.dst.addr, r.tunnel.dst.port),
    },
  };
}

/** X_POLICY as ipsec_set_policy(3) builds it; a bare `-P dir` (spddelete) has type 0, "ignored by kernel". */
export function policyExt(dir: PolicyDir, p: Policy | undefined): PfkeyExt {
  return {
    ext: 'X_POLICY',
    policyType: p ? IPSEC_POLICY[p.action.toUpperCase() as Uppercase<Policy['action']>] : 0,
    dir: DIR_NUMBER[dir],
    id: 0,
    priority: p?.priority ?? 0,
    requests: p ? p.requests.map(request) : [],
  };
}

/** Selector ports; icmp/icmp6 carry `type,code` in the source/destination port (parse.y fix_portstr). */
function selectorPorts(src: Selector, dst: Selector, upper: UpperSpec): [number, number] {
  if (upper.icmp) return [upper.icmp.type, upper.icmp.code];
  return [src.port, dst.port];
}

/** X_SPDADD / X_SPDUPDATE / X_SPDDELETE (setkeymsg_spdaddr): X_POLICY, ADDRESS_SRC/DST with proto and prefix. */
export function spdMessage(
  type: 'X_SPDADD' | 'X_SPDUPDATE' | 'X_SPDDELETE',
  src: Selector,
  dst: Selector,
  upper: UpperSpec,
  dir: PolicyDir,
  policy: Policy | undefined,
  ids: MessageIds,
): PfkeyMessage {
  const [sport, dport] = selectorPorts(src, dst, upper);
  return {
    header: header(type, SADB_SATYPE.UNSPEC, ids),
    extensions: [
      policyExt(dir, policy),
      address('ADDRESS_SRC', src.addr, sport, upper.proto, src.prefixLen),
      address('ADDRESS_DST', dst.addr, dport, upper.proto, dst.prefixLen),
    ],
  };
}

/** A header-only request (FLUSH, DUMP, X_SPDFLUSH, X_SPDDUMP, REGISTER, X_PROMISC). */
export function bareMessage(type: SadbMsgName, satype: number, ids: MessageIds): PfkeyMessage {
  return { header: header(type, satype, ids), extensions: [] };
}

/**
 * The PF_KEY request of one command, or undefined for `deleteall` (see the file comment).
 */
export function setkeyToPfkey(c: SetkeyCommand, dialect: PfkeyDialect, ids: MessageIds): PfkeyMessage | undefined {
  switch (c.op) {
    case 'add':
      return addMessage(c, dialect, ids);
    case 'get':
      return saIdMessage('GET', c.satype, c.src, c.dst, c.spi, ids);
    case 'delete':
      return saIdMessage('DELETE', c.satype, c.src, c.dst, c.spi, ids);
    case 'deleteall':
      return undefined;
    case 'flush':
      return bareMessage('FLUSH', satypeNumber(c.satype), ids);
    case 'dump':
      return bareMessage('DUMP', satypeNumber(c.satype), ids);
    case 'spdadd':
      return spdMessage('X_SPDADD', c.src, c.dst, c.upper, c.policy.dir, c.policy, ids);
    case 'spdupdate':
      return spdMessage('X_SPDUPDATE', c.src, c.dst, c.upper, c.policy.dir, c.policy, ids);
    case 'spddelete':
      return spdMessage('X_SPDDELETE', c.src, c.dst, c.upper, c.dir, c.policy, ids);
    case 'spdflush':
      return bareMessage('X_SPDFLUSH', SADB_SATYPE.UNSPEC, ids);
    case 'spddump':
      return bareMessage('X_SPDDUMP', SADB_SATYPE.UNSPEC, ids);
  }
}
