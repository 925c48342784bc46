/**
 * The IKEv2 numbers the exchanges use, by their IANA names (RFC 7296 §3.5, §3.8, §3.10.1,
 * §3.13.1, §3.15.1; RFC 7427 §3; RFC 7383 §2.3; RFC 4555 §4). The full registry with names for logs is
 * src/wire/registry/ikev2.ts.
 */
export const Notify = {
  UNSUPPORTED_CRITICAL_PAYLOAD: 1,
  INVALID_IKE_SPI: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_SYNTAX: 7,
  INVALID_MESSAGE_ID: 9,
  INVALID_SPI: 11,
  NO_PROPOSAL_CHOSEN: 14,
  INVALID_KE_PAYLOAD: 17,
  AUTHENTICATION_FAILED: 24,
  SINGLE_PAIR_REQUIRED: 34,
  NO_ADDITIONAL_SAS: 35,
  INTERNAL_ADDRESS_FAILURE: 36,
  FAILED_CP_REQUIRED: 37,
  TS_UNACCEPTABLE: 38,
  INVALID_SELECTORS: 39,
  /** RFC 4555 §4.1.1, §4.1.2 */
  UNACCEPTABLE_ADDRESSES: 40,
  UNEXPECTED_NAT_DETECTED: 41,
  TEMPORARY_FAILURE: 43,
  CHILD_SA_NOT_FOUND: 44,
  INITIAL_CONTACT: 16384,
  NAT_DETECTION_SOURCE_IP: 16388,
  NAT_DETECTION_DESTINATION_IP: 16389,
  COOKIE: 16390,
  USE_TRANSPORT_MODE: 16391,
  REKEY_SA: 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED: 16394,
  NON_FIRST_FRAGMENTS_ALSO: 16395,
  /** RFC 4555 §4.2.1 .. §4.2.6 */
  MOBIKE_SUPPORTED: 16396,
  ADDITIONAL_IP4_ADDRESS: 16397,
  ADDITIONAL_IP6_ADDRESS: 16398,
  NO_ADDITIONAL_ADDRESSES: 16399,
  UPDATE_SA_ADDRESSES: 16400,
  COOKIE2: 16401,
  NO_NATS_ALLOWED: 16402,
  /** RFC 7383 §2.3 */
  IKEV2_FRAGMENTATION_SUPPORTED: 16430,
  SIGNATURE_HASH_ALGORITHMS: 16431,
} as const;

/** §3.10.1: types below 16384 are errors. */
export const isErrorNotify = (t: number): boolean => t > 0 && t < 16384;

export const NOTIFY_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Notify).map(([k, v]) => [v, k]));

export function notifyText(t: number): string {
  return NOTIFY_NAMES.get(t) ?? `notify ${t}`;
}

/** §3.8 authentication methods; 14 = RFC 7427 Digital Signature. */
export const AuthMethod = {
  RSA_SIG: 1,
  PSK: 2,
  ECDSA_256: 9,
  ECDSA_384: 10,
  ECDSA_521: 11,
  DIGITAL_SIGNATURE: 14,
} as const;

/** §3.15.1 */
export const CfgType = { CFG_REQUEST: 1, CFG_REPLY: 2, CFG_SET: 3, CFG_ACK: 4 } as const;
export const CfgAttr = {
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_DNS: 10,
} as const;

/** §3.13.1 */
export const TsType = { TS_IPV4_ADDR_RANGE: 7, TS_IPV6_ADDR_RANGE: 8 } as const;

/** §3.3.1 */
export const Protocol = { IKE: 1, AH: 2, ESP: 3 } as const;
