/**
 * PF_KEY v2 replies -> the neutral dump records that `formatSadDump` / `formatSpdDump` print
 * (what ipsec-tools pfkey_sadump / pfkey_spdump read from the same messages).
 *
 *   SADB_DUMP / GET reply:  SA, X_SA2, ADDRESS_SRC/DST, KEY_*, LIFETIME_*, X_NAT_T_*   -> SadDumpEntry
 *   SADB_X_SPDDUMP reply:   X_POLICY, ADDRESS_SRC/DST, LIFETIME_CURRENT/HARD          -> SpdDumpEntry
 *
 * Algorithm numbers go back through crypto/suites.ts per dialect. A missing required
 * extension or a number esprit cannot name is a WireError (path `<msg>.<EXT>`).
 */
import { ENCR, type EncrAlgorithm, INTEG, type IntegAlgorithm } from '../../crypto/suites.js';
import { WireError } from '../../util/errors.js';
import { type IpAddr, ipFromBytes } from '../../util/ip-addr.js';
import {
  IPSEC_DIR,
  IPSEC_LEVEL,
  IPSEC_MODE,
  IPSEC_POLICY,
  indexExtensions,
  nameOf,
  type PfkeyDialect,
  type PfkeyExtByName,
  type IpsecRequest as PfkeyIpsecRequest,
  type PfkeyMessage,
  SADB_SASTATE,
  SADB_SATYPE,
  type SockAddr,
  UDP_ENCAP,
} from '../../wire/pfkey/index.js';
import type { LifetimeCounters, SadDumpEntry, SaState, SpdDumpEntry } from './dump.js';
import {
  ESPRIT_SAFLAGS_NAT_FLOAT,
  ESPRIT_SAFLAGS_NAT_KEEPALIVE,
  IPPROTO_AH,
  IPPROTO_ESP,
  NAT_T_TYPE_CISCO_UDP,
  NAT_T_TYPE_CISCO_UDP_VPNC_KEEPALIVE,
} from './to-pfkey.js';
import type { IpsecRequest, NattType, Policy, SaMode } from './types.js';

/** IPPROTO_ICMP 1, IPPROTO_ICMPV6 58: selector ports carry type and code (parse.y fix_portstr). */
const ICMP_PROTOS = new Set([1, 58]);

function need<K extends keyof PfkeyExtByName>(by: Partial<PfkeyExtByName>, k: K, path: string): PfkeyExtByName[K] {
  const e = by[k];
  if (!e) throw new WireError('bad-value', `${path}.${k}`, 0, `missing ${k} extension`);
  return e;
}

function ipOf(a: SockAddr): IpAddr {
  return ipFromBytes(a.addr);
}

export function encrFromNumber(n: number, dialect: PfkeyDialect): EncrAlgorithm | undefined {
  for (const spec of Object.values(ENCR)) if (spec.pfkey[dialect] === n) return spec.name;
  return undefined;
}

export function integFromNumber(n: number, dialect: PfkeyDialect): IntegAlgorithm | undefined {
  for (const spec of Object.values(INTEG)) if (spec.pfkey[dialect] === n) return spec.name;
  return undefined;
}

const SA_STATE: Readonly<Record<number, SaState>> = {
  [SADB_SASTATE.LARVAL]: 'larval',
  [SADB_SASTATE.MATURE]: 'mature',
  [SADB_SASTATE.DYING]: 'dying',
  [SADB_SASTATE.DEAD]: 'dead',
};

function modeOf(n: number, path: string): SaMode {
  if (n === IPSEC_MODE.ANY) return 'any';
  if (n === IPSEC_MODE.TRANSPORT) return 'transport';
  if (n === IPSEC_MODE.TUNNEL) return 'tunnel';
  throw new WireError('unsupported', path, 0, `mode ${n}`);
}

function counters(
  l: { allocations: number; bytes: bigint; addtime: bigint; usetime: bigint } | undefined,
): LifetimeCounters | undefined {
  if (!l) return undefined;
  return { allocations: l.allocations, bytes: l.bytes, addtime: Number(l.addtime), usetime: Number(l.usetime) };
}

/** X_NAT_T_TYPE -> esprit encapsulation (2 RFC 3948, 1 udp-encaps-00, private 0xf0/0xf1 cisco-udp). */
export function nattTypeOf(n: number): NattType | undefined {
  if (n === UDP_ENCAP.ESPINUDP) return 'rfc3948';
  if (n === UDP_ENCAP.ESPINUDP_NON_IKE) return 'udp-encaps-00';
  if (n === NAT_T_TYPE_CISCO_UDP || n === NAT_T_TYPE_CISCO_UDP_VPNC_KEEPALIVE) return 'cisco-udp';
  return undefined;
}

/** One SA of a SADB_DUMP / SADB_GET reply (or an ADD/UPDATE/EXPIRE carrying the SA). */
export function sadEntryFromPfkey(msg: PfkeyMessage, dialect: PfkeyDialect, path = 'msg'): SadDumpEntry {
  const { byName } = indexExtensions(msg);
  const sa = need(byName, 'SA', path);
  const src = need(byName, 'ADDRESS_SRC', path);
  const dst = need(byName, 'ADDRESS_DST', path);
  const sa2 = byName.X_SA2;
  const satype = msg.header.satype;
  if (satype !== SADB_SATYPE.ESP && satype !== SADB_SATYPE.AH) {
    throw new WireError('unsupported', `${path}.satype`, 1, `satype ${satype}`);
  }
  let encryption: SadDumpEntry['encryption'];
  if (sa.encrypt !== 0) {
    const algorithm = encrFromNumber(sa.encrypt, dialect);
    if (!algorithm) throw new WireError('unsupported', `${path}.SA.encrypt`, 0, `encryption algorithm ${sa.encrypt}`);
    encryption = { algorithm, key: byName.KEY_ENCRYPT?.key ?? new Uint8Array(0) };
  }
  let integrity: SadDumpEntry['integrity'];
  if (sa.auth !== 0) {
    const algorithm = integFromNumber(sa.auth, dialect);
    if (!algorithm) throw new WireError('unsupported', `${path}.SA.auth`, 0, `authentication algorithm ${sa.auth}`);
    integrity = { algorithm, key: byName.KEY_AUTH?.key ?? new Uint8Array(0) };
  }
  let natt: SadDumpEntry['natt'];
  const nt = byName.X_NAT_T_TYPE;
  if (nt) {
    const type = nattTypeOf(nt.natType);
    if (!type) throw new WireError('unsupported', `${path}.X_NAT_T_TYPE`, 0, `NAT-T type ${nt.natType}`);
    const oaSrc = dialect === 'kame' ? byName.X_NAT_T_OAI : byName.X_NAT_T_OA;
    const oaDst = dialect === 'kame' ? byName.X_NAT_T_OAR : undefined;
    const oa =
      oaSrc || oaDst
        ? { ...(oaSrc ? { src: ipOf(oaSrc.addr) } : {}), ...(oaDst ? { dst: ipOf(oaDst.addr) } : {}) }
        : undefined;
    natt = {
      type,
      sport: byName.X_NAT_T_SPORT?.port ?? 0,
      dport: byName.X_NAT_T_DPORT?.port ?? 0,
      ...(oa ? { oa } : {}),
      keepalive: (sa.flags & ESPRIT_SAFLAGS_NAT_KEEPALIVE) !== 0,
      float: (sa.flags & ESPRIT_SAFLAGS_NAT_FLOAT) !== 0,
    };
  }
  const current = counters(byName.LIFETIME_CURRENT);
  const hard = counters(byName.LIFETIME_HARD);
  const soft = counters(byName.LIFETIME_SOFT);
  return {
    src: { addr: ipOf(src.addr), port: src.addr.port },
    dst: { addr: ipOf(dst.addr), port: dst.addr.port },
    satype: satype === SADB_SATYPE.AH ? 'ah' : 'esp',
    ...(natt ? { natt } : {}),
    mode: sa2 ? modeOf(sa2.mode, `${path}.X_SA2.mode`) : 'any',
    spi: sa.spi >>> 0,
    reqid: sa2?.reqid ?? 0,
    ...(encryption ? { encryption } : {}),
    ...(integrity ? { integrity } : {}),
    seq: sa2?.sequence ?? 0,
    replay: sa.replay,
    flags: sa.flags >>> 0,
    state: SA_STATE[sa.state] ?? 'dead',
    ...(current ? { current } : {}),
    ...(hard ? { hard } : {}),
    ...(soft ? { soft } : {}),
    sadbSeq: msg.header.seq,
    pid: msg.header.pid,
    refcnt: 0,
  };
}

function level(n: number, path: string): IpsecRequest['level'] {
  const name = nameOf(IPSEC_LEVEL, n);
  if (!name) throw new WireError('unsupported', path, 0, `level ${n}`);
  return name.toLowerCase() as IpsecRequest['level'];
}

function requestOf(r: PfkeyIpsecRequest, path: string): IpsecRequest {
  if (r.proto !== IPPROTO_ESP && r.proto !== IPPROTO_AH)
    throw new WireError('unsupported', `${path}.proto`, 0, `proto ${r.proto}`);
  const mode = modeOf(r.mode, `${path}.mode`);
  if (mode === 'any') throw new WireError('unsupported', `${path}.mode`, 0, 'mode any in a policy request');
  const lv = level(r.level, `${path}.level`);
  return {
    proto: r.proto === IPPROTO_AH ? 'ah' : 'esp',
    mode,
    ...(r.tunnel
      ? {
          tunnel: {
            src: { addr: ipOf(r.tunnel.src), port: r.tunnel.src.port },
            dst: { addr: ipOf(r.tunnel.dst), port: r.tunnel.dst.port },
          },
        }
      : {}),
    level: lv,
    ...(lv === 'unique' && r.reqid !== 0 ? { reqid: r.reqid } : {}),
  };
}

/** One policy of a SADB_X_SPDDUMP / X_SPDGET reply. */
export function spdEntryFromPfkey(msg: PfkeyMessage, path = 'msg'): SpdDumpEntry {
  const { byName } = indexExtensions(msg);
  const pol = need(byName, 'X_POLICY', path);
  const src = need(byName, 'ADDRESS_SRC', path);
  const dst = need(byName, 'ADDRESS_DST', path);
  const dirName = nameOf(IPSEC_DIR, pol.dir);
  const dir = dirName === 'INBOUND' ? 'in' : dirName === 'OUTBOUND' ? 'out' : dirName === 'FWD' ? 'fwd' : undefined;
  if (!dir) throw new WireError('unsupported', `${path}.X_POLICY.dir`, 0, `direction ${pol.dir}`);
  const actionName = nameOf(IPSEC_POLICY, pol.policyType);
  if (actionName !== 'DISCARD' && actionName !== 'NONE' && actionName !== 'IPSEC') {
    throw new WireError('unsupported', `${path}.X_POLICY.type`, 0, `policy type ${pol.policyType}`);
  }
  const policy: Policy = {
    dir,
    ...(pol.priority !== 0 ? { priority: pol.priority } : {}),
    action: actionName.toLowerCase() as Policy['action'],
    requests: pol.requests.map((r, i) => requestOf(r, `${path}.X_POLICY.ipsecrequest[${i}]`)),
  };
  const proto = src.proto;
  const icmp = ICMP_PROTOS.has(proto);
  const cur = byName.LIFETIME_CURRENT;
  const hard = byName.LIFETIME_HARD;
  return {
    src: { addr: ipOf(src.addr), prefixLen: src.prefixlen, port: icmp ? 0 : src.addr.port },
    dst: { addr: ipOf(dst.addr), prefixLen: dst.prefixlen, port: icmp ? 0 : dst.addr.port },
    upper: icmp ? { proto, icmp: { type: src.addr.port, code: dst.addr.port } } : { proto },
    policy,
    ...(cur ? { current: { addtime: Number(cur.addtime), usetime: Number(cur.usetime) } } : {}),
    ...(hard ? { hard: { addtime: Number(hard.addtime), usetime: Number(hard.usetime) } } : {}),
    spid: pol.id,
    seq: msg.header.seq,
    pid: msg.header.pid,
    refcnt: 0,
  };
}
