/**
 * PF_KEY v2 numbers (RFC 2367 §2.3, §3.3, Appendix A-D) plus the de facto X_ extensions of
 * Linux (include/uapi/linux/pfkeyv2.h, ipsec.h) and KAME/FreeBSD/NetBSD (sys/net/pfkeyv2.h,
 * netipsec/ipsec.h). One `as const` table gives each number and its name (the header name
 * without the `SADB_` / `IPSEC_*_` prefix); `nameOf()` turns a number back into a name.
 *
 * Where the dialects disagree (extension numbers >= 23, sockaddr layout, errno values,
 * ipsecrequest size) the table is keyed by dialect. Algorithm numbers live in
 * crypto/suites.ts and are mapped by the key engine, not here.
 */

export type PfkeyDialect = 'linux' | 'kame';
export const PFKEY_DIALECTS: readonly PfkeyDialect[] = ['linux', 'kame'];

/** RFC 2367 §1.7: socket(PF_KEY, SOCK_RAW, PF_KEY_V2); sadb_msg_version. */
export const PF_KEY_V2 = 2;
export const PFKEYV2_REVISION = 199806;

/** Fixed sizes in bytes (RFC 2367 §2.1-2.3; "sizeof(struct ...) == N" in both headers). */
export const SADB_MSG_SIZE = 16;
export const SADB_EXT_HDR_SIZE = 4;

/** sadb_msg_type (RFC 2367 §2.1, §3.1; Appendix A X_PROMISC, B X_PCHANGE; SPD ones from KAME). */
export const SADB_MSG = {
  RESERVED: 0,
  GETSPI: 1,
  UPDATE: 2,
  ADD: 3,
  DELETE: 4,
  GET: 5,
  ACQUIRE: 6,
  REGISTER: 7,
  EXPIRE: 8,
  FLUSH: 9,
  DUMP: 10,
  X_PROMISC: 11,
  X_PCHANGE: 12,
  X_SPDUPDATE: 13,
  X_SPDADD: 14,
  X_SPDDELETE: 15,
  X_SPDGET: 16,
  X_SPDACQUIRE: 17,
  X_SPDDUMP: 18,
  X_SPDFLUSH: 19,
  X_SPDSETIDX: 20,
  X_SPDEXPIRE: 21,
  X_SPDDELETE2: 22,
  /** Linux, NetBSD; not in FreeBSD's header */
  X_NAT_T_NEW_MAPPING: 23,
  /** Linux only */
  X_MIGRATE: 24,
} as const;
export type SadbMsgName = keyof typeof SADB_MSG;

/**
 * Extension names. The record kind of each extension (see types.ts) is its name, so the
 * key engine never deals with the per-dialect numbers.
 */
export type SadbExtName =
  | 'SA'
  | 'LIFETIME_CURRENT'
  | 'LIFETIME_HARD'
  | 'LIFETIME_SOFT'
  | 'ADDRESS_SRC'
  | 'ADDRESS_DST'
  | 'ADDRESS_PROXY'
  | 'KEY_AUTH'
  | 'KEY_ENCRYPT'
  | 'IDENTITY_SRC'
  | 'IDENTITY_DST'
  | 'SENSITIVITY'
  | 'PROPOSAL'
  | 'SUPPORTED_AUTH'
  | 'SUPPORTED_ENCRYPT'
  | 'SPIRANGE'
  | 'X_KMPRIVATE'
  | 'X_POLICY'
  | 'X_SA2'
  | 'X_NAT_T_TYPE'
  | 'X_NAT_T_SPORT'
  | 'X_NAT_T_DPORT'
  | 'X_NAT_T_OA'
  | 'X_SEC_CTX'
  | 'X_NAT_T_OAI'
  | 'X_NAT_T_OAR'
  | 'X_NAT_T_FRAG';

/** RFC 2367 §2.3 extension types 1-16, and the X_ ones both dialects share (17-22). */
const SADB_EXT_COMMON = {
  SA: 1,
  LIFETIME_CURRENT: 2,
  LIFETIME_HARD: 3,
  LIFETIME_SOFT: 4,
  ADDRESS_SRC: 5,
  ADDRESS_DST: 6,
  ADDRESS_PROXY: 7,
  KEY_AUTH: 8,
  KEY_ENCRYPT: 9,
  IDENTITY_SRC: 10,
  IDENTITY_DST: 11,
  SENSITIVITY: 12,
  PROPOSAL: 13,
  SUPPORTED_AUTH: 14,
  SUPPORTED_ENCRYPT: 15,
  SPIRANGE: 16,
  X_KMPRIVATE: 17,
  X_POLICY: 18,
  X_SA2: 19,
  X_NAT_T_TYPE: 20,
  X_NAT_T_SPORT: 21,
  X_NAT_T_DPORT: 22,
} as const;

/**
 * sadb_ext_type per dialect. Linux: 23 X_NAT_T_OA, 24 X_SEC_CTX (25 X_KMADDRESS and
 * 26 X_FILTER are kept as unknown extensions). KAME/FreeBSD/NetBSD: 23 X_NAT_T_OAI
 * (alias X_NAT_T_OA, "deprecated"), 24 X_NAT_T_OAR, 25 X_NAT_T_FRAG (FreeBSD 26-28
 * X_SA_REPLAY / X_NEW_ADDRESS_SRC/DST are kept as unknown extensions).
 */
export const SADB_EXT = {
  linux: { ...SADB_EXT_COMMON, X_NAT_T_OA: 23, X_SEC_CTX: 24 },
  kame: { ...SADB_EXT_COMMON, X_NAT_T_OAI: 23, X_NAT_T_OAR: 24, X_NAT_T_FRAG: 25 },
} as const satisfies Record<PfkeyDialect, Partial<Record<SadbExtName, number>>>;

/** Extension numbers this codec knows but keeps as `UNKNOWN` bytes (named for logs). */
export const SADB_EXT_OTHER = {
  linux: { X_KMADDRESS: 25, X_FILTER: 26 },
  kame: { X_SA_REPLAY: 26, X_NEW_ADDRESS_SRC: 27, X_NEW_ADDRESS_DST: 28 },
} as const;

/** sadb_msg_satype / sadb_x_ipsecrequest_proto context (RFC 2367 §2.3.2; X_IPCOMP both headers). */
export const SADB_SATYPE = {
  UNSPEC: 0,
  AH: 2,
  ESP: 3,
  RSVP: 5,
  OSPFV2: 6,
  RIPV2: 7,
  MIP: 8,
  X_IPCOMP: 9,
  /** KAME/FreeBSD only */
  X_TCPSIGNATURE: 11,
} as const;

/** sadb_sa_state (RFC 2367 §2.3.1). */
export const SADB_SASTATE = { LARVAL: 0, MATURE: 1, DYING: 2, DEAD: 3 } as const;

/** sadb_sa_flags (RFC 2367 §2.3.1 PFS; the rest Linux uapi pfkeyv2.h). */
export const SADB_SAFLAGS = {
  PFS: 0x1,
  NOPMTUDISC: 0x20000000,
  DECAP_DSCP: 0x40000000,
  NOECN: 0x80000000,
} as const;

/** sadb_ident_type (RFC 2367 §2.3.5; X_ADDR KAME only). */
export const SADB_IDENTTYPE = { RESERVED: 0, PREFIX: 1, FQDN: 2, USERFQDN: 3, X_ADDR: 4 } as const;

/** sadb_x_sa2_mode, sadb_x_ipsecrequest_mode (linux ipsec.h; KAME 3 = TCPMD5 instead of BEET). */
export const IPSEC_MODE = { ANY: 0, TRANSPORT: 1, TUNNEL: 2, BEET: 3, IPTFS: 4 } as const;

/** sadb_x_policy_dir (linux ipsec.h; FWD is Linux only, KAME has MAX 3). */
export const IPSEC_DIR = { ANY: 0, INBOUND: 1, OUTBOUND: 2, FWD: 3 } as const;

/** sadb_x_policy_type (both ipsec.h). */
export const IPSEC_POLICY = { DISCARD: 0, NONE: 1, IPSEC: 2, ENTRUST: 3, BYPASS: 4 } as const;

/** sadb_x_ipsecrequest_level (both ipsec.h). */
export const IPSEC_LEVEL = { DEFAULT: 0, USE: 1, REQUIRE: 2, UNIQUE: 3 } as const;

/** Linux and KAME ipsec.h. */
export const IPSEC_MANUAL_REQID_MAX = 0x3fff;
export const IPSEC_ULPROTO_ANY = 255;
export const IPSEC_PROTO_ANY = 255;
export const IPSEC_PORT_ANY = 0;

/** sadb_x_nat_t_type_type = UDP encapsulation type (linux uapi udp.h UDP_ENCAP_*). */
export const UDP_ENCAP = { ESPINUDP_NON_IKE: 1, ESPINUDP: 2 } as const;

/**
 * sadb_msg_errno values we send, per dialect (Linux asm-generic/errno*.h; FreeBSD/NetBSD
 * sys/errno.h). Values 1-22 agree; the socket-range ones differ.
 */
export const ERRNO = {
  linux: {
    EPERM: 1,
    ENOENT: 2,
    ESRCH: 3,
    EINTR: 4,
    ENOMEM: 12,
    EACCES: 13,
    EBUSY: 16,
    EEXIST: 17,
    EINVAL: 22,
    EMSGSIZE: 90,
    EPROTONOSUPPORT: 93,
    EOPNOTSUPP: 95,
    EAFNOSUPPORT: 97,
    ENOBUFS: 105,
  },
  kame: {
    EPERM: 1,
    ENOENT: 2,
    ESRCH: 3,
    EINTR: 4,
    ENOMEM: 12,
    EACCES: 13,
    EBUSY: 16,
    EEXIST: 17,
    EINVAL: 22,
    EMSGSIZE: 40,
    EPROTONOSUPPORT: 43,
    EOPNOTSUPP: 45,
    EAFNOSUPPORT: 47,
    ENOBUFS: 55,
  },
} as const;
export type ErrnoName = keyof (typeof ERRNO)['linux'];

/**
 * sockaddr layout per dialect. Linux: `sa_family` u16 host order, AF_INET 2, AF_INET6 10
 * (linux/socket.h). KAME/BSD: `sa_len` u8 then `sa_family` u8, AF_INET 2, AF_INET6 28
 * (FreeBSD sys/socket.h; NetBSD/OpenBSD use 24, macOS 30: not this dialect).
 * sockaddr_in is 16 bytes, sockaddr_in6 28 in both.
 */
export const SOCKADDR = {
  linux: { AF_INET: 2, AF_INET6: 10, hasSaLen: false },
  kame: { AF_INET: 2, AF_INET6: 28, hasSaLen: true },
} as const satisfies Record<PfkeyDialect, { AF_INET: number; AF_INET6: number; hasSaLen: boolean }>;
export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;

/**
 * sizeof(struct sadb_x_ipsecrequest): Linux 16 (u32 reqid + reserved2), KAME 8 (u16 reqid).
 */
export const IPSECREQUEST_SIZE = { linux: 16, kame: 8 } as const satisfies Record<PfkeyDialect, number>;

/** Default guard for stream framing: larger sadb_msg_len values are refused. */
export const PFKEY_MAX_MESSAGE = 64 * 1024;

/** Name of `value` in a constants table, or undefined. */
export function nameOf<T extends Readonly<Record<string, number>>>(table: T, value: number): keyof T | undefined {
  for (const k of Object.keys(table)) if (table[k] === value) return k as keyof T;
  return undefined;
}

/** Display name for a number: the table name or `#<n>` when unknown. */
export function displayName(table: Readonly<Record<string, number>>, value: number): string {
  return (nameOf(table, value) as string | undefined) ?? `#${value}`;
}

/** Extension number -> name in a dialect (undefined for unknown numbers). */
export function extNameOf(dialect: PfkeyDialect, type: number): SadbExtName | undefined {
  return nameOf(SADB_EXT[dialect], type) as SadbExtName | undefined;
}

/** Extension name -> number in a dialect (undefined when the dialect has no such extension). */
export function extTypeOf(dialect: PfkeyDialect, name: SadbExtName): number | undefined {
  const t: Readonly<Record<string, number>> = SADB_EXT[dialect];
  return t[name];
}
