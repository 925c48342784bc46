/**
 * IKEv2 registry names for logs (IANA "IKEv2 Parameters"; RFC 7296 §3). The short forms are
 * the ones strongSwan's charon prints in its message summaries (payload.c
 * payload_type_short_names, notify_payload.c notify_type_short_names,
 * configuration_attribute.c short names), so esprit's log lines read like charon's:
 * `IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]`.
 */

/** §3.2 payload types -> charon's short names (E: Encrypted, EF: Encrypted Fragment). */
export const PAYLOAD_SHORT: ReadonlyMap<number, string> = new Map([
  [33, 'SA'],
  [34, 'KE'],
  [35, 'IDi'],
  [36, 'IDr'],
  [37, 'CERT'],
  [38, 'CERTREQ'],
  [39, 'AUTH'],
  [40, 'No'],
  [41, 'N'],
  [42, 'D'],
  [43, 'V'],
  [44, 'TSi'],
  [45, 'TSr'],
  [46, 'E'],
  [47, 'CP'],
  [48, 'EAP'],
  [49, 'GSPM'],
  [53, 'EF'],
]);

/** §3.10.1 notify types, with charon's short names. */
const NOTIFY_SHORT: [number, string][] = [
  [1, 'CRIT'],
  [4, 'INVAL_IKE_SPI'],
  [5, 'INVAL_MAJOR'],
  [7, 'INVAL_SYN'],
  [9, 'INVAL_MID'],
  [11, 'INVAL_SPI'],
  [14, 'NO_PROP'],
  [17, 'INVAL_KE'],
  [24, 'AUTH_FAILED'],
  [34, 'SINGLE_PAIR'],
  [35, 'NO_ADD_SAS'],
  [36, 'INT_ADDR_FAIL'],
  [37, 'FAIL_CP_REQ'],
  [38, 'TS_UNACCEPT'],
  [39, 'INVAL_SEL'],
  [40, 'UNACCEPT_ADDR'],
  [41, 'UNEXPECT_NAT'],
  [42, 'ASSIGNED_HoA'],
  [43, 'TEMP_FAIL'],
  [44, 'NO_CHILD_SA'],
];
const STATUS_SHORT = [
  'INIT_CONTACT',
  'SET_WINSIZE',
  'ADD_TS_POSS',
  'IPCOMP_SUP',
  'NATD_S_IP',
  'NATD_D_IP',
  'COOKIE',
  'USE_TRANSP',
  'HTTP_CERT_LOOK',
  'REKEY_SA',
  'ESP_TFC_PAD_N',
  'NON_FIRST_FRAG',
  'MOBIKE_SUP',
  'ADD_4_ADDR',
  'ADD_6_ADDR',
  'NO_ADD_ADDR',
  'UPD_SA_ADDR',
  'COOKIE2',
  'NO_NATS',
  'AUTH_LFT',
  'MULT_AUTH',
  'AUTH_FOLLOWS',
  'REDIR_SUP',
  'REDIR',
  'REDIR_FROM',
  'TKT_LT_OPAK',
  'TKT_REQ',
  'TKT_ACK',
  'TKT_NACK',
  'TKT_OPAK',
  'LINK_ID',
  'WESP_MODE',
  'ROHC_SUP',
  'EAP_ONLY',
  'CHDLESS_SUP',
  'CRASH_DET',
  'MSG_ID_SYN_SUP',
  'RPL_CTR_SYN_SUP',
  'MSG_ID_SYN',
  'RPL_CTR_SYN',
  'SEC_PASSWD',
  'PSK_PST',
  'PSK_CFM',
  'ERX_SUP',
  'IFOM_CAP',
  'SENDER_REQ_ID',
  'FRAG_SUP',
  'HASH_ALG',
];
export const NOTIFY_SHORT_NAMES: ReadonlyMap<number, string> = new Map([
  ...NOTIFY_SHORT,
  // status types 16384 (INITIAL_CONTACT) .. 16431 (SIGNATURE_HASH_ALGORITHMS), in order
  ...STATUS_SHORT.map((n, i): [number, string] => [16384 + i, n]),
]);

export function notifyShortName(t: number): string {
  return NOTIFY_SHORT_NAMES.get(t) ?? `${t}`;
}

/** §3.15 CFG types -> charon's CP summary prefixes. */
export const CP_SHORT: ReadonlyMap<number, string> = new Map([
  [1, 'CPRQ'],
  [2, 'CPRP'],
  [3, 'CPS'],
  [4, 'CPA'],
]);

/** §3.15.1 configuration attributes -> charon's short names. */
export const CP_ATTR_SHORT: ReadonlyMap<number, string> = new Map([
  [1, 'ADDR'],
  [2, 'MASK'],
  [3, 'DNS'],
  [4, 'NBNS'],
  [5, 'EXP'],
  [6, 'DHCP'],
  [7, 'VER'],
  [8, 'ADDR6'],
  [9, 'MASK6'],
  [10, 'DNS6'],
  [11, 'NBNS6'],
  [12, 'DHCP6'],
  [13, 'SUBNET'],
  [14, 'SUP'],
  [15, 'SUBNET6'],
]);

/** §3.1 exchange types. */
export const EXCHANGE_NAMES: ReadonlyMap<number, string> = new Map([
  [34, 'IKE_SA_INIT'],
  [35, 'IKE_AUTH'],
  [36, 'CREATE_CHILD_SA'],
  [37, 'INFORMATIONAL'],
]);
