/**
 * SPD messages <-> SPD (KAME/Linux X_SPD* extensions, no RFC): parse SPDADD/SPDUPDATE/
 * SPDDELETE selectors and X_POLICY, and build policy messages in Linux
 * pfkey_xfrm_policy2msg order:
 *
 *   ADDRESS_SRC | ADDRESS_DST | LIFETIME_HARD | LIFETIME_SOFT | LIFETIME_CURRENT | X_POLICY (+ ipsecrequests)
 *
 * Selector: prefixes and ports from ADDRESS_SRC/DST, the protocol from ADDRESS_DST (Linux
 * reads it from both and keeps the second). Failures are PfkeyError with Linux errno numbers.
 */

import type { Selector } from '../sad/selector.js';
import type { Direction, IpsecRequest, Level, Policy, PolicyAction, PolicySpec } from '../sad/spd.js';
import { PfkeyError } from '../util/errors.js';
import {
  ERRNO,
  IPSEC_DIR,
  IPSEC_LEVEL,
  IPSEC_MANUAL_REQID_MAX,
  IPSEC_MODE,
  IPSEC_POLICY,
  type PfkeyDialect,
  type PfkeyExt,
  type PfkeyExtIndex,
  type PolicyExt,
  type IpsecRequest as WireRequest,
} from '../wire/pfkey/index.js';
import { addressExt, addressPair, toIp, toSockAddr } from './key-engine-sa.js';

const EINVAL = ERRNO.linux.EINVAL;
const EOPNOTSUPP = ERRNO.linux.EOPNOTSUPP;
/** IPPROTO_ESP, IPPROTO_AH, IPPROTO_COMP (sadb_x_ipsecrequest_proto holds IP protocol numbers) */
const IPPROTO = { ESP: 50, AH: 51, COMP: 108 } as const;

function inval(detail: string): never {
  throw new PfkeyError(EINVAL, detail);
}

/** X_POLICY.dir -> Direction: 1 in, 2 out, 3 fwd (Linux only; KAME IPSEC_DIR_MAX is 3). */
export function policyDir(dialect: PfkeyDialect, dir: number): Direction {
  if (dir === IPSEC_DIR.INBOUND) return 'in';
  if (dir === IPSEC_DIR.OUTBOUND) return 'out';
  if (dir === IPSEC_DIR.FWD && dialect === 'linux') return 'fwd';
  inval(`X_POLICY.dir ${dir} is not a policy direction`);
}

const DIR_NUMBER: Record<Direction, number> = { in: IPSEC_DIR.INBOUND, out: IPSEC_DIR.OUTBOUND, fwd: IPSEC_DIR.FWD };
const LEVELS: readonly Level[] = ['default', 'use', 'require', 'unique'];

/** Selector from ADDRESS_SRC/DST (prefix, port; protocol 255 = any from ADDRESS_DST). */
export function parseSelector(ix: PfkeyExtIndex): Selector {
  const { src, dst } = addressPair(ix);
  return {
    src: { addr: toIp(src.addr), len: src.prefixlen },
    dst: { addr: toIp(dst.addr), len: dst.prefixlen },
    proto: dst.proto,
    sport: src.addr.port,
    dport: dst.addr.port,
  };
}

/**
 * One sadb_x_ipsecrequest -> IpsecRequest (Linux parse_ipsecrequest): proto ESP only (AH and
 * IPCOMP EOPNOTSUPP, others EINVAL), mode transport or tunnel (ANY EINVAL, BEET/IPTFS/TCPMD5
 * EOPNOTSUPP), endpoints required in tunnel mode, level USE refused for outbound tunnels
 * (newer Linux), reqid kept only for level UNIQUE, where 0 or > IPSEC_MANUAL_REQID_MAX asks
 * for a generated one (`genReqid`).
 */
function parseRequest(r: WireRequest, i: number, dir: Direction, genReqid: () => number): IpsecRequest {
  const at = `X_POLICY.ipsecrequest[${i}]`;
  if (r.proto === IPPROTO.AH || r.proto === IPPROTO.COMP) {
    throw new PfkeyError(EOPNOTSUPP, `${at}.proto ${r.proto}: only ESP is supported`);
  }
  if (r.proto !== IPPROTO.ESP) inval(`${at}.proto ${r.proto} is not an IPsec protocol`);
  let mode: 'transport' | 'tunnel';
  if (r.mode === IPSEC_MODE.TRANSPORT) mode = 'transport';
  else if (r.mode === IPSEC_MODE.TUNNEL) mode = 'tunnel';
  else if (r.mode === 3 || r.mode === IPSEC_MODE.IPTFS)
    throw new PfkeyError(EOPNOTSUPP, `${at}.mode ${r.mode} is not supported`);
  else inval(`${at}.mode ${r.mode} is not transport or tunnel`);
  const level = LEVELS[r.level];
  if (!level) inval(`${at}.level ${r.level} is not an IPsec level`);
  if (level === 'use' && mode === 'tunnel' && dir === 'out') inval(`${at}.level use with an outbound tunnel`);
  if (mode === 'tunnel' && !r.tunnel) inval(`${at}: tunnel mode without endpoints`);
  if (r.tunnel && r.tunnel.src.family !== r.tunnel.dst.family) inval(`${at}: tunnel endpoint families differ`);
  let reqid = 0;
  if (level === 'unique') {
    reqid = r.reqid > IPSEC_MANUAL_REQID_MAX ? 0 : r.reqid;
    if (reqid === 0) reqid = genReqid();
  }
  return {
    proto: 'esp',
    mode,
    level,
    reqid,
    ...(mode === 'tunnel' && r.tunnel ? { tunnel: { src: toIp(r.tunnel.src), dst: toIp(r.tunnel.dst) } } : {}),
  };
}

/** X_POLICY.type -> action: DISCARD, NONE, IPSEC; ENTRUST and BYPASS are EINVAL (Linux pfkey_spdadd). */
function policyAction(t: number): PolicyAction {
  if (t === IPSEC_POLICY.DISCARD) return 'discard';
  if (t === IPSEC_POLICY.NONE) return 'none';
  if (t === IPSEC_POLICY.IPSEC) return 'ipsec';
  inval(`X_POLICY.type ${t}: only discard, none and ipsec policies can be installed`);
}

/** SPDADD / SPDUPDATE: selector + X_POLICY -> PolicySpec. */
export function parsePolicySpec(ix: PfkeyExtIndex, dialect: PfkeyDialect, genReqid: () => number): PolicySpec {
  const pol = ix.byName.X_POLICY;
  if (!pol) inval('X_POLICY missing');
  const selector = parseSelector(ix);
  const dir = policyDir(dialect, pol.dir);
  const action = policyAction(pol.policyType);
  const requests = action === 'ipsec' ? pol.requests.map((r, i) => parseRequest(r, i, dir, genReqid)) : [];
  return { selector, dir, action, requests, priority: pol.priority };
}

function actionNumber(a: PolicyAction): number {
  return a === 'discard' ? IPSEC_POLICY.DISCARD : a === 'none' ? IPSEC_POLICY.NONE : IPSEC_POLICY.IPSEC;
}

/** X_POLICY describing `p` (Linux pfkey_xfrm_policy2msg: requests with their level and reqid). */
export function policyExt(p: Policy): PolicyExt {
  return {
    ext: 'X_POLICY',
    policyType: actionNumber(p.action),
    dir: DIR_NUMBER[p.dir],
    id: p.id,
    priority: p.priority,
    requests: p.requests.map((r) => ({
      proto: IPPROTO.ESP,
      mode: r.mode === 'tunnel' ? IPSEC_MODE.TUNNEL : IPSEC_MODE.TRANSPORT,
      level: IPSEC_LEVEL[r.level.toUpperCase() as Uppercase<Level>],
      reqid: r.reqid,
      ...(r.tunnel ? { tunnel: { src: toSockAddr(r.tunnel.src), dst: toSockAddr(r.tunnel.dst) } } : {}),
    })),
  };
}

const ZERO_LIFETIME = { allocations: 0, bytes: 0n, addtime: 0n, usetime: 0n } as const;

/** The extensions of a policy message. Policies carry no lifetimes here: all three are zero. */
export function policyExtensions(p: Policy): PfkeyExt[] {
  const s = p.selector;
  return [
    addressExt('ADDRESS_SRC', s.src.addr, s.proto, s.src.len, s.sport),
    addressExt('ADDRESS_DST', s.dst.addr, s.proto, s.dst.len, s.dport),
    { ext: 'LIFETIME_HARD', ...ZERO_LIFETIME },
    { ext: 'LIFETIME_SOFT', ...ZERO_LIFETIME },
    { ext: 'LIFETIME_CURRENT', ...ZERO_LIFETIME },
    policyExt(p),
  ];
}
