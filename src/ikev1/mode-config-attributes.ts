/**
 * Numbers of the IKEv1 Transaction exchange (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.3, §4),
 * XAUTH (draft-ietf-ipsec-isakmp-xauth-06 §4.2) and the Cisco Unity Mode Config attributes
 * (protocol-facts §3 and §7.2, §7.3). One table for the gateway and the client side.
 */

/** mode-cfg-05 §3.3 attribute payload types. */
export const CfgType = { REQUEST: 1, REPLY: 2, SET: 3, ACK: 4 } as const;

/** Attribute numbers: mode-cfg-05 §4, xauth-06 §4.2, Cisco Unity (protocol-facts §3). */
export const CfgAttr = {
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP4_NBNS: 4,
  INTERNAL_ADDRESS_EXPIRY: 5,
  INTERNAL_IP4_DHCP: 6,
  APPLICATION_VERSION: 7,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_NETMASK: 9,
  INTERNAL_IP6_DNS: 10,
  INTERNAL_IP6_NBNS: 11,
  INTERNAL_IP6_DHCP: 12,
  INTERNAL_IP4_SUBNET: 13,
  SUPPORTED_ATTRIBUTES: 14,
  INTERNAL_IP6_SUBNET: 15,
  XAUTH_TYPE: 16520,
  XAUTH_USER_NAME: 16521,
  XAUTH_USER_PASSWORD: 16522,
  XAUTH_PASSCODE: 16523,
  XAUTH_MESSAGE: 16524,
  XAUTH_CHALLENGE: 16525,
  XAUTH_DOMAIN: 16526,
  XAUTH_STATUS: 16527,
  XAUTH_NEXT_PIN: 16528,
  XAUTH_ANSWER: 16529,
  UNITY_BANNER: 28672,
  UNITY_SAVE_PASSWD: 28673,
  UNITY_DEF_DOMAIN: 28674,
  UNITY_SPLIT_DOMAIN: 28675,
  UNITY_SPLIT_INCLUDE: 28676,
  UNITY_NATT_PORT: 28677,
  /** Shrew UNITY_SPLIT_EXCLUDE, strongSwan UNITY_LOCAL_LAN, vpnc "UNKNOWN" (protocol-facts §3) */
  UNITY_SPLIT_EXCLUDE: 28678,
  UNITY_PFS: 28679,
  UNITY_FW_TYPE: 28680,
  UNITY_BACKUP_SERVERS: 28681,
  UNITY_DDNS_HOSTNAME: 28682,
} as const;

/** XAUTH_STATUS values (xauth-06 §4.2). */
export const XauthStatus = { FAIL: 0, OK: 1 } as const;
