/**
 * SA messages <-> SAD (RFC 2367 §3.1.1-§3.1.5, §3.1.8-§3.1.10): parse GETSPI/UPDATE/ADD/
 * DELETE/GET extensions into Sad parameters, and build the SA messages the engine sends
 * (replies, broadcasts, DUMP, EXPIRE) in Linux af_key's extension order:
 *
 *   SA | LIFETIME_HARD | LIFETIME_SOFT | LIFETIME_CURRENT | ADDRESS_SRC | ADDRESS_DST |
 *   [KEY_AUTH | KEY_ENCRYPT] | X_SA2 | [X_NAT_T_TYPE | X_NAT_T_SPORT | X_NAT_T_DPORT] | [NAT-OA]
 *
 * Every parse function only reads; failures are PfkeyError with Linux errno numbers and a
 * detail naming the extension and field.
 */
import { ENCR, INTEG } from '../crypto/suites.js';
import type { Encapsulation, Mode, SaConfig } from '../sad/sa-config.js';
import type { SaEntry } from '../sad/sa-entry.js';
import { espLifetime, type LifetimeLimits, NO_LIMITS, type SaLifetime, UNLIMITED } from '../sad/sa-lifetime.js';
import type { GetspiParams, SaRef } from '../sad/sad-requests.js';
import { PfkeyError } from '../util/errors.js';
import { type IpAddr, ipFromBytes } from '../util/ip-addr.js';
import {
  type AddressExt,
  ERRNO,
  IPSEC_MODE,
  type LifetimeExt,
  PF_KEY_V2,
  type PfkeyDialect,
  type PfkeyExt,
  type PfkeyExtIndex,
  type PfkeyMessage,
  SADB_SASTATE,
  type SockAddr,
  UDP_ENCAP,
} from '../wire/pfkey/index.js';
import { chooseSuite } from './pfkey-algorithms.js';
import {
  ESPRIT_NAT_T_TYPE,
  ESPRIT_SAFLAGS_NAT_FLOAT,
  ESPRIT_SAFLAGS_NAT_KEEPALIVE,
  SADB_X_SAFLAGS_ESN,
} from './private-values.js';

const EINVAL = ERRNO.linux.EINVAL;
const EOPNOTSUPP = ERRNO.linux.EOPNOTSUPP;

function inval(detail: string): never {
  throw new PfkeyError(EINVAL, detail);
}

export function toIp(a: SockAddr): IpAddr {
  return ipFromBytes(a.addr);
}

export function toSockAddr(ip: IpAddr, port = 0): SockAddr {
  return ip.family === 4
    ? { family: 4, addr: ip.bytes, port }
    : { family: 6, addr: ip.bytes, port, flowinfo: 0, scopeId: 0 };
}

/** sadb_address for an SA endpoint: proto 0, full prefix, port 0 (Linux pfkey_sockaddr_fill). */
export function addressExt(ext: AddressExt['ext'], ip: IpAddr, proto = 0, prefixlen?: number, port = 0): AddressExt {
  return { ext, proto, prefixlen: prefixlen ?? (ip.family === 4 ? 32 : 128), addr: toSockAddr(ip, port) };
}

/** ADDRESS_SRC and ADDRESS_DST, both present and of one family (Linux present_and_same_family). */
export function addressPair(ix: PfkeyExtIndex): { src: AddressExt; dst: AddressExt } {
  const src = ix.byName.ADDRESS_SRC;
  const dst = ix.byName.ADDRESS_DST;
  if (!src) inval('ADDRESS_SRC missing');
  if (!dst) inval('ADDRESS_DST missing');
  if (src.addr.family !== dst.addr.family) inval('ADDRESS_SRC.family and ADDRESS_DST.family differ');
  return { src, dst };
}

/** X_SA2 mode -> SAD mode. IPSEC_MODE_ANY (0) is 'any' (Linux maps it to transport on ADD). */
export function sa2Mode(dialect: PfkeyDialect, mode: number): Mode | 'any' {
  if (mode === IPSEC_MODE.ANY) return 'any';
  if (mode === IPSEC_MODE.TRANSPORT) return 'transport';
  if (mode === IPSEC_MODE.TUNNEL) return 'tunnel';
  // linux BEET 3 / IPTFS 4, kame TCPMD5 3: real modes esprit does not implement
  if (mode === 3 || (dialect === 'linux' && mode === IPSEC_MODE.IPTFS)) {
    throw new PfkeyError(EOPNOTSUPP, `X_SA2.mode ${mode} is not supported`);
  }
  inval(`X_SA2.mode ${mode} is not an IPsec mode`);
}

function modeNumber(m: Mode | 'any'): number {
  return m === 'tunnel' ? IPSEC_MODE.TUNNEL : m === 'transport' ? IPSEC_MODE.TRANSPORT : IPSEC_MODE.ANY;
}

/** SADB_GETSPI (RFC 2367 §3.1.1): ADDRESS_SRC/DST required, SPIRANGE and X_SA2 optional (Linux pfkey_getspi). */
export function parseGetspi(ix: PfkeyExtIndex, dialect: PfkeyDialect, owner: number, seq: number): GetspiParams {
  const { src, dst } = addressPair(ix);
  const sa2 = ix.byName.X_SA2;
  const range = ix.byName.SPIRANGE;
  return {
    src: toIp(src.addr),
    dst: toIp(dst.addr),
    reqid: sa2?.reqid ?? 0,
    mode: sa2 ? sa2Mode(dialect, sa2.mode) : 'any',
    owner,
    seq,
    ...(range ? { spirange: { min: range.min, max: range.max } } : {}),
  };
}

/**
 * How DELETE/GET/UPDATE name an SA: SA.spi + ADDRESS_DST, plus ADDRESS_SRC for kame (KAME
 * key_getsavbyspi checks the saidx; Linux pfkey_xfrm_state_lookup ignores the source) and
 * X_NAT_T_DPORT when given (two peers behind one NAT).
 */
export function parseSaRef(ix: PfkeyExtIndex, dialect: PfkeyDialect, withPort: boolean): SaRef {
  const sa = ix.byName.SA;
  if (!sa) inval('SA missing');
  const { src, dst } = addressPair(ix);
  const dport = withPort ? ix.byName.X_NAT_T_DPORT?.port : undefined;
  return {
    spi: sa.spi,
    dst: toIp(dst.addr),
    ...(dialect === 'kame' ? { src: toIp(src.addr) } : {}),
    ...(dport !== undefined ? { dport } : {}),
  };
}

function limits(l: LifetimeExt | undefined): LifetimeLimits {
  if (!l) return NO_LIMITS;
  const secs = (v: bigint, f: string) => {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) inval(`${l.ext}.${f} ${v} out of range`);
    return Number(v);
  };
  return {
    allocations: l.allocations,
    bytes: l.bytes,
    addtime: secs(l.addtime, 'addtime'),
    usetime: secs(l.usetime, 'usetime'),
  };
}

/** LIFETIME_HARD/SOFT -> SaLifetime; both or neither (Linux pfkey_msg2xfrm_state: EINVAL otherwise). */
export function parseLifetime(ix: PfkeyExtIndex): SaLifetime | undefined {
  const hard = ix.byName.LIFETIME_HARD;
  const soft = ix.byName.LIFETIME_SOFT;
  if (!hard && !soft) return undefined;
  if (!hard || !soft)
    inval(`${hard ? 'LIFETIME_SOFT' : 'LIFETIME_HARD'} missing: LIFETIME_HARD and LIFETIME_SOFT go together`);
  return { hard: limits(hard), soft: limits(soft) };
}

/**
 * X_NAT_T_TYPE (+ SPORT/DPORT) -> Encapsulation, or undefined when absent. Ports are those
 * of the packets the SA carries (inbound: sport = the peer's port). Type 0 means none
 * (Linux keeps an encap with type 0, which it then treats as absent).
 */
export function parseEncap(ix: PfkeyExtIndex): Encapsulation | undefined {
  const t = ix.byName.X_NAT_T_TYPE;
  if (!t) return undefined;
  const sport = ix.byName.X_NAT_T_SPORT?.port ?? 0;
  const dport = ix.byName.X_NAT_T_DPORT?.port ?? 0;
  switch (t.natType) {
    case 0:
      return { type: 'none', sport: 0, dport: 0 };
    case UDP_ENCAP.ESPINUDP_NON_IKE:
      return { type: 'udp-encaps-00', sport, dport };
    case UDP_ENCAP.ESPINUDP:
      return { type: 'rfc3948', sport, dport };
    case ESPRIT_NAT_T_TYPE.CISCO_UDP:
      return { type: 'cisco-udp', sport, dport, keepalive: 'ff' };
    case ESPRIT_NAT_T_TYPE.CISCO_UDP_VPNC_KEEPALIVE:
      return { type: 'cisco-udp', sport, dport, keepalive: '00000000ff' };
    default:
      inval(`X_NAT_T_TYPE.type ${t.natType} is not a UDP encapsulation esprit knows`);
  }
}

function natTypeNumber(e: Encapsulation): number {
  switch (e.type) {
    case 'udp-encaps-00':
      return UDP_ENCAP.ESPINUDP_NON_IKE;
    case 'cisco-udp':
      return e.keepalive === '00000000ff' ? ESPRIT_NAT_T_TYPE.CISCO_UDP_VPNC_KEEPALIVE : ESPRIT_NAT_T_TYPE.CISCO_UDP;
    default:
      return UDP_ENCAP.ESPINUDP;
  }
}

/**
 * NAT-OA: linux X_NAT_T_OA and kame X_NAT_T_OAI (the same number 23, KAME's alias) are the
 * original address of the SA's source; kame X_NAT_T_OAR that of its destination.
 */
export function parseNatOa(ix: PfkeyExtIndex, family: 4 | 6): SaConfig['natOa'] | undefined {
  const srcExt = ix.byName.X_NAT_T_OA ?? ix.byName.X_NAT_T_OAI;
  const dstExt = ix.byName.X_NAT_T_OAR;
  for (const e of [srcExt, dstExt]) {
    if (e && e.addr.family !== family) inval(`${e.ext}.family differs from the SA's addresses`);
  }
  if (!srcExt && !dstExt) return undefined;
  return { ...(srcExt ? { src: toIp(srcExt.addr) } : {}), ...(dstExt ? { dst: toIp(dstExt.addr) } : {}) };
}

/** sadb_sa_replay -> packets: Linux counts packets, KAME (FreeBSD setkey -r) bytes of bitmap. */
export function replayPackets(dialect: PfkeyDialect, replay: number): number {
  return dialect === 'kame' ? replay * 8 : replay;
}

function replayField(dialect: PfkeyDialect, packets: number): number {
  return Math.min(255, dialect === 'kame' ? Math.ceil(packets / 8) : packets);
}

/**
 * The esprit NAT side bits of sadb_sa_flags -> SaConfig (docs/pfkey.md "Private values").
 * Absent bits mean off, as in the Linux kernel, which never moves an SA or sends keepalives
 * by itself; `esprit setkey` sets float by default on esp-udp SAs (docs/setkey.md).
 */
export function natSideFromFlags(flags: number): { natKeepalive?: true; natFloat?: true } {
  return {
    ...((flags & ESPRIT_SAFLAGS_NAT_KEEPALIVE) !== 0 ? { natKeepalive: true as const } : {}),
    ...((flags & ESPRIT_SAFLAGS_NAT_FLOAT) !== 0 ? { natFloat: true as const } : {}),
  };
}

/** SaConfig -> the esprit NAT side bits (an SA from another source than PF_KEY still reports them). */
export function natSideFlags(cfg: SaConfig | undefined): number {
  if (!cfg) return 0;
  return (cfg.natKeepalive ? ESPRIT_SAFLAGS_NAT_KEEPALIVE : 0) | (cfg.natFloat ? ESPRIT_SAFLAGS_NAT_FLOAT : 0);
}

const NAT_SIDE_MASK = ESPRIT_SAFLAGS_NAT_KEEPALIVE | ESPRIT_SAFLAGS_NAT_FLOAT;

export interface SaInstall {
  /** undefined when a mature UPDATE carries no algorithms (only lifetimes / NAT-T) */
  readonly cfg: SaConfig | undefined;
  readonly lifetime: SaLifetime | undefined;
  readonly reqid: number | undefined;
  readonly flags: number;
  /** NAT-T encapsulation named by the message, if any */
  readonly encap: Encapsulation | undefined;
}

/**
 * ADD / UPDATE (RFC 2367 §3.1.2-§3.1.3) -> what the SAD installs. `larval` is the larval SA an
 * UPDATE completes (its mode stands when X_SA2 is absent); `mature` is the SA a later UPDATE
 * changes, where algorithms and keys may be omitted (Linux xfrm_state_update takes only
 * lifetimes and encapsulation from it).
 */
export function parseInstall(
  ix: PfkeyExtIndex,
  dialect: PfkeyDialect,
  target: { readonly larval?: SaEntry; readonly mature?: SaEntry },
): SaInstall {
  const sa = ix.byName.SA;
  if (!sa) inval('SA missing');
  const { src, dst } = addressPair(ix);
  const lifetime = parseLifetime(ix);
  const sa2 = ix.byName.X_SA2;
  const sa2m = sa2 ? sa2Mode(dialect, sa2.mode) : undefined;
  const encap = parseEncap(ix);
  const family = src.addr.family;
  const natOa = parseNatOa(ix, family);
  const mature = target.mature;
  if (mature?.cfg && sa.encrypt === 0 && sa.auth === 0 && !ix.byName.KEY_ENCRYPT && !ix.byName.KEY_AUTH) {
    // the NAT side stays (Sad.update takes only the encapsulation and NAT-OA from a mature UPDATE)
    const cfg: SaConfig = {
      ...mature.cfg,
      encapsulation: encap ?? mature.cfg.encapsulation,
      ...(natOa ? { natOa } : {}),
    };
    return { cfg, lifetime, reqid: sa2?.reqid, flags: sa.flags, encap };
  }
  const replayWindow = replayPackets(dialect, sa.replay);
  const suite = chooseSuite(dialect, sa.encrypt, sa.auth, ix.byName.KEY_ENCRYPT, ix.byName.KEY_AUTH, replayWindow);
  const larvalMode = target.larval?.mode;
  let mode: Mode;
  if (sa2m === undefined || sa2m === 'any') mode = larvalMode && larvalMode !== 'any' ? larvalMode : 'transport';
  else mode = sa2m;
  const encapsulation = encap ?? (mature?.cfg ? mature.cfg.encapsulation : { type: 'none', sport: 0, dport: 0 });
  const cfg: SaConfig = {
    spi: sa.spi,
    src: toIp(src.addr),
    dst: toIp(dst.addr),
    mode,
    encryption: { algorithm: suite.encr.name, key: suite.encKey },
    integrity: { algorithm: suite.integ.name, key: suite.authKey },
    encapsulation,
    esn: (sa.flags & SADB_X_SAFLAGS_ESN) !== 0,
    replayWindow,
    // X_SA2 sequence (KAME: "lowermost 32 bits of sequence number"): an ADD that re-creates
    // an SA at new addresses (MOBIKE, docs/pfkey.md) goes on after the last number used.
    seq: sa2 && sa2.sequence > 0 ? BigInt(sa2.sequence) + 1n : 1n,
    ...(natOa ? { natOa } : {}),
    lifetime: espLifetime(lifetime ?? UNLIMITED),
    ...natSideFromFlags(sa.flags),
  };
  return { cfg, lifetime, reqid: sa2?.reqid, flags: sa.flags, encap };
}

function lifetimeExt(ext: 'LIFETIME_HARD' | 'LIFETIME_SOFT', l: LifetimeLimits): LifetimeExt {
  return { ext, allocations: l.allocations, bytes: l.bytes, addtime: BigInt(l.addtime), usetime: BigInt(l.usetime) };
}

const STATE: Record<SaEntry['state'], number> = {
  larval: SADB_SASTATE.LARVAL,
  mature: SADB_SASTATE.MATURE,
  dying: SADB_SASTATE.DYING,
  dead: SADB_SASTATE.DEAD,
};

export interface SaMessageOptions {
  /** include KEY_AUTH / KEY_ENCRYPT (GET, DUMP) */
  readonly keys: boolean;
  /** which limit extensions: both (replies), hard or soft (EXPIRE, Linux hsc) */
  readonly limits: 'both' | 'hard' | 'soft';
}

/** The extensions describing `e` for a client of `dialect` (Linux __pfkey_xfrm_state2msg order). */
export function saExtensions(e: SaEntry, dialect: PfkeyDialect, o: SaMessageOptions): PfkeyExt[] {
  const cfg = e.cfg;
  const encr = cfg ? ENCR[cfg.encryption.algorithm].pfkey[dialect] : 0;
  const auth = cfg ? INTEG[cfg.integrity.algorithm].pfkey[dialect] : 0;
  const out: PfkeyExt[] = [
    {
      ext: 'SA',
      spi: e.spi,
      replay: replayField(dialect, e.replayWindow),
      state: STATE[e.state],
      auth,
      encrypt: encr,
      flags: ((e.flags & ~NAT_SIDE_MASK) | natSideFlags(cfg)) >>> 0,
    },
  ];
  if (o.limits !== 'soft') out.push(lifetimeExt('LIFETIME_HARD', e.lifetime.hard));
  if (o.limits !== 'hard') out.push(lifetimeExt('LIFETIME_SOFT', e.lifetime.soft));
  const c = e.current;
  out.push({
    ext: 'LIFETIME_CURRENT',
    allocations: c.allocations,
    bytes: c.bytes,
    addtime: BigInt(Math.floor(c.addtimeMs / 1000)),
    usetime: c.firstUseMs === undefined ? 0n : BigInt(Math.floor(c.firstUseMs / 1000)),
  });
  out.push(addressExt('ADDRESS_SRC', e.src), addressExt('ADDRESS_DST', e.dst));
  if (o.keys && cfg) {
    if (cfg.integrity.key.length > 0) {
      out.push({ ext: 'KEY_AUTH', bits: cfg.integrity.key.length * 8, key: cfg.integrity.key });
    }
    if (cfg.encryption.key.length > 0) {
      out.push({ ext: 'KEY_ENCRYPT', bits: cfg.encryption.key.length * 8, key: cfg.encryption.key });
    }
  }
  out.push({ ext: 'X_SA2', mode: modeNumber(e.mode), sequence: 0, reqid: e.reqid });
  if (e.encap.type !== 'none') {
    out.push(
      { ext: 'X_NAT_T_TYPE', natType: natTypeNumber(e.encap) },
      { ext: 'X_NAT_T_SPORT', port: e.encap.sport },
      { ext: 'X_NAT_T_DPORT', port: e.encap.dport },
    );
  }
  const oa = cfg?.natOa;
  if (oa?.src) out.push(addressExt(dialect === 'linux' ? 'X_NAT_T_OA' : 'X_NAT_T_OAI', oa.src));
  if (oa?.dst && dialect === 'kame') out.push(addressExt('X_NAT_T_OAR', oa.dst));
  return out;
}

/** A whole SA message with the given header fields. */
export function saMessage(
  e: SaEntry,
  dialect: PfkeyDialect,
  h: { readonly type: number; readonly satype: number; readonly seq: number; readonly pid: number },
  o: SaMessageOptions,
): PfkeyMessage {
  return {
    header: { version: PF_KEY_V2, type: h.type, errno: 0, satype: h.satype, seq: h.seq, pid: h.pid },
    extensions: saExtensions(e, dialect, o),
  };
}
