/**
 * esprit's private PF_KEY values (docs/pfkey.md "Our private values", "Key engine semantics").
 * RFC 2367 has no ESN flag and no Cisco UDP encapsulation type; these fill the gaps without
 * colliding with the Linux or KAME numbers.
 */

/**
 * sadb_sa_flags bit: RFC 4303 §2.2.1 extended sequence numbers. 0x400 is FreeBSD's
 * SADB_X_SAFLAGS_ESN (FreeBSD setkey `-E`/`esn`; not in the pfkeyv2.h copies we hold, so
 * UNCONFIRMED against the header). Linux af_key uses only PFS 0x1 and 0x20000000-0x80000000,
 * so the bit is free there too; both dialects use it.
 */
export const SADB_X_SAFLAGS_ESN = 0x400;

/**
 * sadb_x_nat_t_type_type values beyond UDP_ENCAP_ESPINUDP_NON_IKE (1) and ESPINUDP (2).
 * Linux numbers UDP_ENCAP_* 1-7 (L2TP 3, GTP 4/5, RXRPC 6, ESPINTCP 7); 0xf0/0xf1 are far
 * from them. Both mean Cisco UDP framing (ESP right after the UDP header on the port Mode
 * Config attribute 28677 named, docs/encapsulation.md); they differ in the NAT keepalive the
 * data plane sends: RFC 3948 §2.3 `FF` or vpnc's `00 00 00 00 FF`.
 */
export const ESPRIT_NAT_T_TYPE = {
  CISCO_UDP: 0xf0,
  CISCO_UDP_VPNC_KEEPALIVE: 0xf1,
} as const;

/**
 * sadb_sa_flags bits for which side of a NAT an SA is on (SaConfig.natKeepalive /
 * natFloat). PF_KEY has no field for them; macOS has a precedent in its private
 * SADB_X_EXT_NATT_KEEPALIVE flag. Linux af_key uses PFS 0x1 and 0x20000000-0x80000000
 * (XFRM_STATE_*), KAME 0x1-0x200 (CYCSEQ 0x40, PRAND 0x100, PZERO 0x200 ...) and 0x400 (ESN);
 * 0x00010000 and 0x00020000 are free in both. Meaningful for UDP-encapsulated SAs only.
 */
/** Send NAT keepalives toward the peer of this outbound SA: we are behind the NAT (RFC 3948 §4). */
export const ESPRIT_SAFLAGS_NAT_KEEPALIVE = 0x00010000;
/** Follow the peer's new NAT mapping on this inbound SA: we are NOT behind the NAT (RFC 3947 §7, RFC 7296 §2.23). */
export const ESPRIT_SAFLAGS_NAT_FLOAT = 0x00020000;
