/**
 * ISAKMP / IKEv1 registry: numbers and names from one table each (RFC 2408 §3.1, §3.14.1;
 * RFC 2407 §4.4-§4.6; RFC 2409 Appendix A; RFC 3947 §3.2, §5.2; draft-ietf-ipsec-nat-t-ike-02
 * §3.2, §5; draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2-§4; draft-ietf-ipsec-isakmp-xauth-06 §4;
 * Cisco Unity and fragmentation numbers as ../shared/docs/protocol-facts.md §1.4, §3 lists them).
 * Short names are the ones strongSwan's charon prints in its IKEv1 message summaries
 * (`ID_PROT request 0 [ SA V V V V ]`), so esprit's log lines read like charon's.
 */
import { CP_ATTR_SHORT } from './ikev2.js';

/** RFC 2408 §3.1 exchange types (+ RFC 2409 §5.5 Quick Mode, §5.6 New Group; mode-cfg-05 §3.1 Transaction). */
export const IsakmpExchange = {
  BASE: 1,
  ID_PROT: 2,
  AUTH_ONLY: 3,
  AGGRESSIVE: 4,
  INFORMATIONAL: 5,
  TRANSACTION: 6,
  QUICK_MODE: 32,
  NEW_GROUP_MODE: 33,
} as const;

/** charon's exchange names (INFORMATIONAL_V1 keeps IKEv2's INFORMATIONAL apart). */
export const ISAKMP_EXCHANGE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'BASE'],
  [2, 'ID_PROT'],
  [3, 'AUTH_ONLY'],
  [4, 'AGGRESSIVE'],
  [5, 'INFORMATIONAL_V1'],
  [6, 'TRANSACTION'],
  [32, 'QUICK_MODE'],
  [33, 'NEW_GROUP_MODE'],
]);

/**
 * RFC 2408 §3.1 payload types, 14 from mode-cfg-05 §3.2, 20/21 from RFC 3947 §3.2/§5.2,
 * 130/131 from nat-t-ike-00..03, 132 Cisco fragmentation (protocol-facts §1.4). 15/16 (NAT-D
 * and NAT-OA of drafts 04-08) collide with RFC 3547 and are left as unknown payloads.
 */
export const IsakmpPayloadType = {
  NONE: 0,
  SA: 1,
  PROPOSAL: 2,
  TRANSFORM: 3,
  KE: 4,
  ID: 5,
  CERT: 6,
  CR: 7,
  HASH: 8,
  SIG: 9,
  NONCE: 10,
  N: 11,
  D: 12,
  VID: 13,
  ATTR: 14,
  NAT_D: 20,
  NAT_OA: 21,
  NAT_D_DRAFT: 130,
  NAT_OA_DRAFT: 131,
  FRAG: 132,
} as const;

export const ISAKMP_PAYLOAD_SHORT: ReadonlyMap<number, string> = new Map([
  [1, 'SA'],
  [2, 'PROP'],
  [3, 'TRANS'],
  [4, 'KE'],
  [5, 'ID'],
  [6, 'CERT'],
  [7, 'CERTREQ'],
  [8, 'HASH'],
  [9, 'SIG'],
  [10, 'No'],
  [11, 'N'],
  [12, 'D'],
  [13, 'V'],
  [14, 'CP'],
  [20, 'NAT-D'],
  [21, 'NAT-OA'],
  [130, 'NAT-D'],
  [131, 'NAT-OA'],
  [132, 'FRAG'],
]);

/** RFC 2408 §3.1 header flags. */
export const IsakmpFlag = { ENCRYPTION: 0x01, COMMIT: 0x02, AUTH_ONLY: 0x04 } as const;

/** RFC 2408 §3.14.1 notify types 1-30 and 16384; RFC 2407 §4.6.3; RFC 3706 §5.2; Cisco. */
export const ISAKMP_NOTIFY_SHORT: ReadonlyMap<number, string> = new Map([
  [1, 'INVAL_PAYLOAD'],
  [2, 'DOI_UNSUP'],
  [3, 'SIT_UNSUP'],
  [4, 'INVAL_COOKIE'],
  [5, 'INVAL_MAJOR'],
  [6, 'INVAL_MINOR'],
  [7, 'INVAL_EXCH'],
  [8, 'INVAL_FLAGS'],
  [9, 'INVAL_MID'],
  [10, 'INVAL_PROTO'],
  [11, 'INVAL_SPI'],
  [12, 'INVAL_TRANS'],
  [13, 'ATTR_UNSUP'],
  [14, 'NO_PROP'],
  [15, 'BAD_PROP'],
  [16, 'PLD_MAL'],
  [17, 'INVAL_KE'],
  [18, 'INVAL_ID'],
  [19, 'INVAL_CERTEN'],
  [20, 'INVAL_CERT'],
  [21, 'CERT_UNSUP'],
  [22, 'INVAL_CA'],
  [23, 'INVAL_HASH'],
  [24, 'AUTH_FAILED'],
  [25, 'INVAL_SIG'],
  [26, 'ADDR_NOTIF_FAIL'],
  [27, 'NOTIFY_SA_LIFE'],
  [28, 'CERT_UNAVAIL'],
  [29, 'UNSUP_EXCH'],
  [30, 'UNEQ_PAY_LEN'],
  [16384, 'CONNECTED'],
  [24576, 'RESP_LIFETIME'],
  [24577, 'REPLAY_STATUS'],
  [24578, 'INITIAL_CONTACT'],
  [36136, 'DPD'],
  [36137, 'DPD_ACK'],
  [40501, 'UNITY_LB'],
]);

export function isakmpNotifyShortName(t: number): string {
  return ISAKMP_NOTIFY_SHORT.get(t) ?? `${t}`;
}

/** mode-cfg-05 §3.3 attribute payload types -> charon's CP summary prefixes. */
export const ISAKMP_CFG_SHORT: ReadonlyMap<number, string> = new Map([
  [1, 'CPRQ'],
  [2, 'CPRP'],
  [3, 'CPS'],
  [4, 'CPA'],
]);

/** mode-cfg-05 §4 (shared with IKEv2's CP), XAUTH (xauth-06 §4.2) and Cisco Unity attributes. */
export const ISAKMP_CFG_ATTR_SHORT: ReadonlyMap<number, string> = new Map([
  ...CP_ATTR_SHORT,
  [16520, 'X_TYPE'],
  [16521, 'X_USER'],
  [16522, 'X_PWD'],
  [16523, 'X_CODE'],
  [16524, 'X_MSG'],
  [16525, 'X_CHALL'],
  [16526, 'X_DOMAIN'],
  [16527, 'X_STATUS'],
  [16528, 'X_PIN'],
  [16529, 'X_ANSWER'],
  [23456, 'SRV'],
  [23457, 'SRV6'],
  [28672, 'U_BANNER'],
  [28673, 'U_SAVEPWD'],
  [28674, 'U_DEFDOM'],
  [28675, 'U_SPLITDNS'],
  [28676, 'U_SPLITINC'],
  [28677, 'U_NATTPORT'],
  [28678, 'U_LOCALLAN'],
  [28679, 'U_PFS'],
  [28680, 'U_FWTYPE'],
  [28681, 'U_BKPSRV'],
  [28682, 'U_DDNSHOST'],
]);

/** RFC 2408 §3.5 / RFC 2407 §4.4.1 protocol identifiers. */
export const IsakmpProtocol = { ISAKMP: 1, IPSEC_AH: 2, IPSEC_ESP: 3, IPCOMP: 4 } as const;

/** RFC 2407 §2 the IPSEC DOI; §4.2 SIT_IDENTITY_ONLY. */
export const IPSEC_DOI = 1;
export const SIT_IDENTITY_ONLY = 1;

/** RFC 2407 §4.4.2 transform ID for the ISAKMP protocol. */
export const KEY_IKE = 1;

/** RFC 2409 Appendix A phase 1 attribute classes. */
export const IkeAttr = {
  ENCRYPTION_ALGORITHM: 1,
  HASH_ALGORITHM: 2,
  AUTHENTICATION_METHOD: 3,
  GROUP_DESCRIPTION: 4,
  GROUP_TYPE: 5,
  GROUP_PRIME: 6,
  GROUP_GENERATOR_ONE: 7,
  GROUP_GENERATOR_TWO: 8,
  GROUP_CURVE_A: 9,
  GROUP_CURVE_B: 10,
  LIFE_TYPE: 11,
  LIFE_DURATION: 12,
  PRF: 13,
  KEY_LENGTH: 14,
  FIELD_SIZE: 15,
  GROUP_ORDER: 16,
} as const;

/** RFC 2409 Appendix A Encryption Algorithm values; 7 = AES-CBC (RFC 3602 §5.1). */
export const IkeEncryption = {
  DES_CBC: 1,
  IDEA_CBC: 2,
  BLOWFISH_CBC: 3,
  RC5_CBC: 4,
  DES3_CBC: 5,
  CAST_CBC: 6,
  AES_CBC: 7,
} as const;

/** RFC 2409 Appendix A Hash Algorithm values; 4-6 SHA2 (RFC 4868 §4.1). */
export const IkeHash = { MD5: 1, SHA: 2, TIGER: 3, SHA2_256: 4, SHA2_384: 5, SHA2_512: 6 } as const;

/** RFC 2409 Appendix A Authentication Method values; XAUTH variants from xauth-06 §5. */
export const IkeAuthMethod = {
  PRE_SHARED_KEY: 1,
  DSS_SIGNATURES: 2,
  RSA_SIGNATURES: 3,
  RSA_ENCRYPTION: 4,
  RSA_REVISED_ENCRYPTION: 5,
  XAUTH_INIT_PRE_SHARED: 65001,
  XAUTH_RESP_PRE_SHARED: 65002,
  XAUTH_INIT_DSS: 65003,
  XAUTH_RESP_DSS: 65004,
  XAUTH_INIT_RSA: 65005,
  XAUTH_RESP_RSA: 65006,
} as const;

/** RFC 2409 Appendix A Life Type values (also RFC 2407 §4.5 SA Life Type). */
export const LifeType = { SECONDS: 1, KILOBYTES: 2 } as const;

/** RFC 2407 §4.5 IPsec SA attribute classes. */
export const IpsecAttr = {
  SA_LIFE_TYPE: 1,
  SA_LIFE_DURATION: 2,
  GROUP_DESCRIPTION: 3,
  ENCAPSULATION_MODE: 4,
  AUTHENTICATION_ALGORITHM: 5,
  KEY_LENGTH: 6,
  KEY_ROUNDS: 7,
  COMPRESS_DICTIONARY_SIZE: 8,
  COMPRESS_PRIVATE_ALGORITHM: 9,
} as const;

/**
 * RFC 2407 §4.5 Encapsulation Mode: 1 Tunnel, 2 Transport; RFC 3947 §5.1 3/4 UDP-Encapsulated;
 * nat-t-ike-00..03 §5 61443/61444 (protocol-facts §1.6).
 */
export const EncapsulationMode = {
  TUNNEL: 1,
  TRANSPORT: 2,
  UDP_ENCAPSULATED_TUNNEL: 3,
  UDP_ENCAPSULATED_TRANSPORT: 4,
  UDP_TUNNEL_DRAFT: 61443,
  UDP_TRANSPORT_DRAFT: 61444,
} as const;

/** RFC 2407 §4.5 Authentication Algorithm; 5-7 RFC 4868 §4.1, 9 AES-XCBC (RFC 3566 §6). */
export const IpsecAuthAlgorithm = {
  HMAC_MD5: 1,
  HMAC_SHA: 2,
  DES_MAC: 3,
  KPDK: 4,
  HMAC_SHA2_256: 5,
  HMAC_SHA2_384: 6,
  HMAC_SHA2_512: 7,
  AES_XCBC_MAC: 9,
} as const;

/** RFC 2407 §4.4.4 ESP transform IDs; 12 AES (RFC 3602 §5.1), 18-20 AES-GCM (RFC 4106 §8.4). */
export const EspTransformId = {
  ESP_DES: 2,
  ESP_3DES: 3,
  ESP_NULL: 11,
  ESP_AES: 12,
  ESP_AES_GCM_8: 18,
  ESP_AES_GCM_12: 19,
  ESP_AES_GCM_16: 20,
} as const;

/** RFC 2407 §4.6.2.1 identification types. */
export const IsakmpIdType = {
  IPV4_ADDR: 1,
  FQDN: 2,
  USER_FQDN: 3,
  IPV4_ADDR_SUBNET: 4,
  IPV6_ADDR: 5,
  IPV6_ADDR_SUBNET: 6,
  IPV4_ADDR_RANGE: 7,
  IPV6_ADDR_RANGE: 8,
  DER_ASN1_DN: 9,
  DER_ASN1_GN: 10,
  KEY_ID: 11,
} as const;
