/**
 * Typed records for PF_KEY v2 messages (RFC 2367 §2) and their extensions, the same in both
 * dialects: each extension is tagged by its name (`ext`), never by its per-dialect number.
 * Numbers inside records (algorithms, states, modes) are raw wire values; constants.ts names
 * them. Fields in host order on the wire are plain numbers; SPI and ports are numbers too
 * (the codec converts from network order).
 */
import type { SadbExtName } from './constants.js';

/** sadb_msg (RFC 2367 §2.1). `len` and `reserved` are computed/checked by the codec. */
export interface SadbMsgHeader {
  readonly version: number;
  readonly type: number;
  /** sadb_msg_errno: 0 in requests, errno in replies */
  readonly errno: number;
  readonly satype: number;
  readonly seq: number;
  /** sender's PID; 0 for kernel-originated (here: key engine) messages */
  readonly pid: number;
}

/** A decoded sockaddr_in / sockaddr_in6. Port and flowinfo are in network order on the wire. */
export type SockAddr =
  | { readonly family: 4; readonly addr: Uint8Array; readonly port: number }
  | {
      readonly family: 6;
      readonly addr: Uint8Array;
      readonly port: number;
      readonly flowinfo: number;
      /** sin6_scope_id, host order */
      readonly scopeId: number;
    };

/** sadb_sa (RFC 2367 §2.3.1). */
export interface SaExt {
  readonly ext: 'SA';
  /** network order on the wire */
  readonly spi: number;
  /** replay window in packets; 0 = no replay protection */
  readonly replay: number;
  readonly state: number;
  readonly auth: number;
  readonly encrypt: number;
  readonly flags: number;
}

/** sadb_lifetime (RFC 2367 §2.3.2). Times are seconds (add/use) since the epoch or relative. */
export interface LifetimeExt {
  readonly ext: 'LIFETIME_CURRENT' | 'LIFETIME_HARD' | 'LIFETIME_SOFT';
  readonly allocations: number;
  readonly bytes: bigint;
  readonly addtime: bigint;
  readonly usetime: bigint;
}

/** sadb_address + sockaddr (RFC 2367 §2.3.3); also the NAT-T original-address extensions. */
export interface AddressExt {
  readonly ext: 'ADDRESS_SRC' | 'ADDRESS_DST' | 'ADDRESS_PROXY' | 'X_NAT_T_OA' | 'X_NAT_T_OAI' | 'X_NAT_T_OAR';
  /** upper-layer protocol, 255 (IPSEC_ULPROTO_ANY) = any */
  readonly proto: number;
  readonly prefixlen: number;
  readonly addr: SockAddr;
}

/** sadb_key (RFC 2367 §2.3.4): `key.length` must be ceil(bits / 8). */
export interface KeyExt {
  readonly ext: 'KEY_AUTH' | 'KEY_ENCRYPT';
  readonly bits: number;
  readonly key: Uint8Array;
}

/** sadb_ident (RFC 2367 §2.3.5): optional NUL-terminated string after the fixed part. */
export interface IdentityExt {
  readonly ext: 'IDENTITY_SRC' | 'IDENTITY_DST';
  readonly identType: number;
  readonly id: bigint;
  /** '' when the extension carries no string */
  readonly text: string;
}

/** sadb_sens (RFC 2367 §2.3.6) with its two bitmaps of 64-bit words. */
export interface SensitivityExt {
  readonly ext: 'SENSITIVITY';
  readonly dpd: number;
  readonly sensLevel: number;
  readonly integLevel: number;
  readonly sensBitmap: readonly bigint[];
  readonly integBitmap: readonly bigint[];
}

/** sadb_comb (RFC 2367 §2.3.7), 72 bytes. */
export interface SadbComb {
  readonly auth: number;
  readonly encrypt: number;
  readonly flags: number;
  readonly authMinbits: number;
  readonly authMaxbits: number;
  readonly encryptMinbits: number;
  readonly encryptMaxbits: number;
  readonly softAllocations: number;
  readonly hardAllocations: number;
  readonly softBytes: bigint;
  readonly hardBytes: bigint;
  readonly softAddtime: bigint;
  readonly hardAddtime: bigint;
  readonly softUsetime: bigint;
  readonly hardUsetime: bigint;
}

/** sadb_prop (RFC 2367 §2.3.7). */
export interface ProposalExt {
  readonly ext: 'PROPOSAL';
  readonly replay: number;
  readonly combs: readonly SadbComb[];
}

/** sadb_alg (RFC 2367 §2.3.8), 8 bytes. */
export interface SadbAlg {
  readonly id: number;
  readonly ivlen: number;
  readonly minbits: number;
  readonly maxbits: number;
}

/** sadb_supported (RFC 2367 §2.3.8). */
export interface SupportedExt {
  readonly ext: 'SUPPORTED_AUTH' | 'SUPPORTED_ENCRYPT';
  readonly algs: readonly SadbAlg[];
}

/** sadb_spirange (RFC 2367 §2.3.9), host order. */
export interface SpirangeExt {
  readonly ext: 'SPIRANGE';
  readonly min: number;
  readonly max: number;
}

/** sadb_x_kmprivate (RFC 2367 Appendix C): opaque data after the 8-byte header. */
export interface KmprivateExt {
  readonly ext: 'X_KMPRIVATE';
  readonly data: Uint8Array;
}

/**
 * sadb_x_ipsecrequest. Linux 16 bytes (u32 reqid), KAME 8 bytes (u16 reqid). The SA
 * endpoints follow only in tunnel mode: src then dst sockaddr, unpadded, total 8-aligned.
 */
export interface IpsecRequest {
  readonly proto: number;
  readonly mode: number;
  readonly level: number;
  readonly reqid: number;
  readonly tunnel?: { readonly src: SockAddr; readonly dst: SockAddr };
}

/** sadb_x_policy + ipsecrequests. `priority` is Linux (and newer FreeBSD); reserved2 elsewhere. */
export interface PolicyExt {
  readonly ext: 'X_POLICY';
  readonly policyType: number;
  readonly dir: number;
  readonly id: number;
  readonly priority: number;
  readonly requests: readonly IpsecRequest[];
}

/** sadb_x_sa2: mode, low 32 bits of the sequence, reqid. */
export interface Sa2Ext {
  readonly ext: 'X_SA2';
  readonly mode: number;
  readonly sequence: number;
  readonly reqid: number;
}

/** sadb_x_nat_t_type: UDP encapsulation type (UDP_ENCAP_ESPINUDP = 2). */
export interface NatTTypeExt {
  readonly ext: 'X_NAT_T_TYPE';
  readonly natType: number;
}

/** sadb_x_nat_t_port: outer UDP port of the packets this SA carries (network order on the wire). */
export interface NatTPortExt {
  readonly ext: 'X_NAT_T_SPORT' | 'X_NAT_T_DPORT';
  readonly port: number;
}

/** sadb_x_nat_t_frag (KAME): ESP fragment size override. */
export interface NatTFragExt {
  readonly ext: 'X_NAT_T_FRAG';
  readonly fraglen: number;
}

/** sadb_x_sec_ctx (Linux): LSM security context string. */
export interface SecCtxExt {
  readonly ext: 'X_SEC_CTX';
  readonly ctxAlg: number;
  readonly ctxDoi: number;
  readonly ctx: Uint8Array;
}

/** An extension this dialect does not decode: `body` is everything after sadb_ext (len, type). */
export interface UnknownExt {
  readonly ext: 'UNKNOWN';
  readonly type: number;
  readonly body: Uint8Array;
}

export type PfkeyExt =
  | SaExt
  | LifetimeExt
  | AddressExt
  | KeyExt
  | IdentityExt
  | SensitivityExt
  | ProposalExt
  | SupportedExt
  | SpirangeExt
  | KmprivateExt
  | PolicyExt
  | Sa2Ext
  | NatTTypeExt
  | NatTPortExt
  | NatTFragExt
  | SecCtxExt
  | UnknownExt;

/** The record type of extension name K (records tagged by a union of names included). */
export type PfkeyExtOf<K extends SadbExtName, E = PfkeyExt> = E extends { ext: infer N }
  ? K extends N
    ? E
    : never
  : never;

/** Map from extension name to its record type. */
export type PfkeyExtByName = { readonly [K in SadbExtName]: PfkeyExtOf<K> };

export interface PfkeyMessage {
  readonly header: SadbMsgHeader;
  /** in wire order */
  readonly extensions: readonly PfkeyExt[];
  /**
   * X_PROMISC only (RFC 2367 Appendix A): the bytes after sadb_msg, a whole wrapped PF_KEY
   * message (KAME key_promisc strips the X_PROMISC header and sends the rest "as is").
   * When present, `extensions` is empty. Decode it with decodePfkeyMessage.
   */
  readonly embedded?: Uint8Array;
}
