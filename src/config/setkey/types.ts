/**
 * Typed setkey(8) commands: what `parseSetkey()` returns and `formatSetkeyCommand()`
 * prints. Each command maps onto one PF_KEY v2 request (RFC 2367 §3.1; the
 * X_SPD* types are KAME/Linux extensions, protocol-facts.md §4.3):
 *
 *   add        -> SADB_ADD       (SA, SA2, ADDRESS_SRC/DST, KEY_ENCRYPT/AUTH, LIFETIME_HARD/SOFT,
 *                                 and for esp-udp X_NAT_T_TYPE, X_NAT_T_SPORT/DPORT, X_NAT_T_OA[I/R])
 *   get        -> SADB_GET       delete -> SADB_DELETE   (SA, ADDRESS_SRC/DST)
 *   deleteall  -> SADB_DELETE without SA extension (KAME) or GET+DELETE per SPI (Linux)
 *   flush      -> SADB_FLUSH     dump -> SADB_DUMP        (satype only)
 *   spdadd     -> SADB_X_SPDADD  spdupdate -> SADB_X_SPDUPDATE  spddelete -> SADB_X_SPDDELETE
 *                                (ADDRESS_SRC/DST with prefix, proto, port; X_POLICY + ipsecrequests)
 *   spdflush   -> SADB_X_SPDFLUSH  spddump -> SADB_X_SPDDUMP
 */
import type { EncrAlgorithm, IntegAlgorithm } from '../../crypto/suites.js';
import type { EncapType } from '../../sad/sa-config.js';
import type { IpAddr } from '../../util/ip-addr.js';

/** `esp-udp` is ESP (SADB_SATYPE_ESP = 3) plus NAT-T extensions (ipsec-tools parse.y PR_ESPUDP). */
export type SetkeyProtocol = 'esp' | 'esp-udp' | 'ah';

/** sadb_x_sa2_mode: IPSEC_MODE_ANY 0, TRANSPORT 1, TUNNEL 2 (protocol-facts.md §4.5). */
export type SaMode = 'any' | 'transport' | 'tunnel';

/** An SA endpoint `addr` or `addr[port]`; `port` is absent when none (or `[any]`) was written. */
export interface SaEndpoint {
  readonly addr: IpAddr;
  readonly port?: number;
}

/** One side of a lifetime: `-lh`/`-ls` seconds (sadb_lifetime_addtime), `-bh`/`-bs` bytes. */
export interface LifetimeLimit {
  readonly time?: number;
  readonly bytes?: bigint;
  /** packets, as sadb_lifetime_allocations (Linux af_key's packet limit; no setkey syntax) */
  readonly packets?: number;
}

/** ESP padding content, `-f zero-pad|random-pad|seq-pad` (SADB_X_EXT_PZERO/PRAND/PSEQ, KAME). */
export type PadOption = 'zero-pad' | 'random-pad' | 'seq-pad';

/** UDP encapsulation framing of an esp-udp SA (esprit `-e`, docs/setkey.md). */
export type NattType = Exclude<EncapType, 'none'>;

export interface SetkeyNatt {
  /** rfc3948 -> X_NAT_T_TYPE 2 (UDP_ENCAP_ESPINUDP), udp-encaps-00 -> 1 (NON_IKE), cisco-udp -> 0xf0 (esprit-private, docs/pfkey.md) */
  readonly type: NattType;
  /** X_NAT_T_SPORT / DPORT: the endpoint ports, 4500 when not written (parse.y get_port) */
  readonly sport: number;
  readonly dport: number;
  /** RFC 3947 NAT-OA: original source (KAME X_NAT_T_OAI) and destination (X_NAT_T_OAR) */
  readonly oa?: { readonly src?: IpAddr; readonly dst?: IpAddr };
  /**
   * esprit `-n`: which side of the NAT the SA is on (sadb_sa_flags 0x00010000 keepalive,
   * 0x00020000 float). The parser always sets both; absent reads as false.
   * Without `-n`, an esp-udp SA floats and sends no keepalives (docs/setkey.md).
   */
  readonly keepalive?: boolean;
  readonly float?: boolean;
}

export interface AddCommand {
  readonly op: 'add';
  readonly line: number;
  readonly satype: SetkeyProtocol;
  readonly src: SaEndpoint;
  readonly dst: SaEndpoint;
  /** host order; 256..0xffffffff (RFC 4303 §2.1 reserves 1-255) */
  readonly spi: number;
  readonly mode: SaMode;
  /** sadb_x_sa2_reqid, 0 = none */
  readonly reqid: number;
  /** sadb_sa_replay, 0 disables replay checks */
  readonly replay: number;
  readonly pad?: PadOption;
  /** false after `-f nocyclic-seq` (clears SADB_X_EXT_CYCSEQ) */
  readonly cyclicSeq: boolean;
  /** absent for AH; ESP always has one (`null` = RFC 2410) */
  readonly encryption?: { readonly algorithm: EncrAlgorithm; readonly key: Uint8Array };
  /** `none` when no `-A` was given (ESP with a combined-mode cipher, or cipher-only ESP) */
  readonly integrity: { readonly algorithm: IntegAlgorithm; readonly key: Uint8Array };
  readonly lifetime: { readonly hard: LifetimeLimit; readonly soft: LifetimeLimit };
  /** present iff satype is esp-udp */
  readonly natt?: SetkeyNatt;
}

/** `get` / `delete`: one SA by (src, dst, protocol, spi). */
export interface SaIdCommand {
  readonly op: 'get' | 'delete';
  readonly line: number;
  readonly satype: SetkeyProtocol;
  readonly src: SaEndpoint;
  readonly dst: SaEndpoint;
  readonly spi: number;
}

export interface DeleteAllCommand {
  readonly op: 'deleteall';
  readonly line: number;
  readonly satype: SetkeyProtocol;
  readonly src: IpAddr;
  readonly dst: IpAddr;
}

/** `flush [proto]` / `dump [proto]`; no protocol = SADB_SATYPE_UNSPEC. */
export interface SatypeCommand {
  readonly op: 'flush' | 'dump';
  readonly line: number;
  readonly satype?: SetkeyProtocol;
}

/** An SPD selector side: `addr[/prefixlen][[port]]`; port 0 = any (IPSEC_PORT_ANY). */
export interface Selector {
  readonly addr: IpAddr;
  readonly prefixLen: number;
  readonly port: number;
}

/**
 * Upper-layer protocol: IP protocol number, 255 = `any` (IPSEC_ULPROTO_ANY).
 * For icmp/icmp6 `type,code` (parse.y fix_portstr) travel in the selector ports.
 */
export interface UpperSpec {
  readonly proto: number;
  readonly icmp?: { readonly type: number; readonly code: number };
}

export type PolicyDir = 'in' | 'out' | 'fwd';
export type PolicyLevel = 'default' | 'use' | 'require' | 'unique';

/** One `proto/mode/src-dst/level` rule (ipsec_set_policy(3)), i.e. one sadb_x_ipsecrequest. */
export interface IpsecRequest {
  readonly proto: 'esp' | 'ah';
  readonly mode: 'transport' | 'tunnel';
  /** tunnel endpoints (required in tunnel mode, absent in transport mode) */
  readonly tunnel?: { readonly src: SaEndpoint; readonly dst: SaEndpoint };
  readonly level: PolicyLevel;
  /** `unique:N`, 1..32767 (setkey(8)); only with level unique */
  readonly reqid?: number;
}

export interface Policy {
  readonly dir: PolicyDir;
  /**
   * sadb_x_policy_priority as libipsec computes it (policy_parse.y): `priority N` is
   * 0x80000000 - N; `prio high|def|low + N` is base - N, `- N` is base + N.
   * Absent when no priority was written.
   */
  readonly priority?: number;
  readonly action: 'discard' | 'none' | 'ipsec';
  /** non-empty iff action is ipsec; order matters (outermost last, setkey(8)) */
  readonly requests: readonly IpsecRequest[];
}

export interface SpdCommand {
  readonly op: 'spdadd' | 'spdupdate';
  readonly line: number;
  readonly src: Selector;
  readonly dst: Selector;
  readonly upper: UpperSpec;
  readonly policy: Policy;
}

/** `spddelete ... -P dir [policy]`: the kernel matches on selector and direction. */
export interface SpdDeleteCommand {
  readonly op: 'spddelete';
  readonly line: number;
  readonly src: Selector;
  readonly dst: Selector;
  readonly upper: UpperSpec;
  readonly dir: PolicyDir;
  readonly policy?: Policy;
}

export interface SpdGlobalCommand {
  readonly op: 'spdflush' | 'spddump';
  readonly line: number;
}

export type SetkeyCommand =
  | AddCommand
  | SaIdCommand
  | DeleteAllCommand
  | SatypeCommand
  | SpdCommand
  | SpdDeleteCommand
  | SpdGlobalCommand;
