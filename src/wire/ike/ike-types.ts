/**
 * The decoded shape of an IKEv2 message (RFC 7296 §3). Codec: ike-decode.ts / ike-encode.ts.
 *
 * The Encrypted payload (SK, §3.14) is kept as bytes: `decodeIkeMessage` returns it as an
 * `sk` payload with the body (IV | ciphertext | ICV) and the offset where it starts, so the
 * caller can check the ICV over the header bytes and decrypt; the plaintext inner payloads are
 * then decoded with `decodeIkePayloadChain(firstType, bytes)`.
 */

/** RFC 7296 §3.1 exchange types (IANA "IKEv2 Exchange Types"). */
export const ExchangeType = {
  IKE_SA_INIT: 34,
  IKE_AUTH: 35,
  CREATE_CHILD_SA: 36,
  INFORMATIONAL: 37,
} as const;

/** RFC 7296 §3.2 payload types (IANA "IKEv2 Payload Types"); SKF: RFC 7383 §2.5. */
export const PayloadType = {
  NONE: 0,
  SA: 33,
  KE: 34,
  IDi: 35,
  IDr: 36,
  CERT: 37,
  CERTREQ: 38,
  AUTH: 39,
  NONCE: 40,
  NOTIFY: 41,
  DELETE: 42,
  VENDOR: 43,
  TSi: 44,
  TSr: 45,
  SK: 46,
  CP: 47,
  EAP: 48,
  SKF: 53,
} as const;

/** RFC 7296 §3.1 header flags. */
export const HeaderFlag = { INITIATOR: 0x08, VERSION: 0x10, RESPONSE: 0x20 } as const;

export interface IkeHeader {
  spiI: bigint;
  spiR: bigint;
  /** first payload type */
  nextPayload: number;
  majorVersion: number;
  minorVersion: number;
  exchangeType: number;
  /** raw flags byte (HeaderFlag bits) */
  flags: number;
  messageId: number;
  /** total message length from the header */
  length: number;
}

/** §3.3.2 transform with its attributes (only Key Length, type 14, is defined). */
export interface IkeTransform {
  type: number;
  id: number;
  keyLength?: number;
}

/** §3.3.1 proposal substructure. */
export interface IkeProposal {
  number: number;
  protocolId: number;
  /** empty for IKE in IKE_SA_INIT, 8 bytes for IKE rekey, 4 for ESP/AH */
  spi: Uint8Array;
  transforms: IkeTransform[];
}

/** §3.13.1 traffic selector; type 7 = IPv4 range, 8 = IPv6 range. */
export interface IkeTs {
  tsType: number;
  ipProtocol: number;
  startPort: number;
  endPort: number;
  startAddr: Uint8Array;
  endAddr: Uint8Array;
}

/** §3.15.1 configuration attribute (length 0 = request). */
export interface CpAttribute {
  type: number;
  value: Uint8Array;
}

/** §3.10 notify. */
export interface NotifyPayload {
  kind: 'N';
  protocolId: number;
  spi: Uint8Array;
  notifyType: number;
  data: Uint8Array;
}

export type IkePayload =
  | { kind: 'SA'; proposals: IkeProposal[] }
  | { kind: 'KE'; dhGroup: number; keyData: Uint8Array }
  | { kind: 'IDi' | 'IDr'; idType: number; data: Uint8Array }
  | { kind: 'CERT'; encoding: number; data: Uint8Array }
  | { kind: 'CERTREQ'; encoding: number; data: Uint8Array }
  | { kind: 'AUTH'; method: number; data: Uint8Array }
  | { kind: 'No'; nonce: Uint8Array }
  | NotifyPayload
  | { kind: 'D'; protocolId: number; spiSize: number; spis: Uint8Array[] }
  | { kind: 'V'; data: Uint8Array }
  | { kind: 'TSi' | 'TSr'; selectors: IkeTs[] }
  | { kind: 'CP'; cfgType: number; attributes: CpAttribute[] }
  | { kind: 'EAP'; data: Uint8Array }
  /**
   * §3.14 Encrypted payload as received: `firstInner` is its Next Payload field, `body` is
   * IV | ciphertext | ICV, `offset` the offset of the SK generic header in the message.
   */
  | { kind: 'SK'; firstInner: number; body: Uint8Array; offset: number }
  /** RFC 7383 §2.5 Encrypted Fragment payload. */
  | {
      kind: 'SKF';
      firstInner: number;
      fragmentNumber: number;
      totalFragments: number;
      body: Uint8Array;
      offset: number;
    }
  /** a payload type we do not implement; `critical` is the §3.2 C bit */
  | { kind: 'unknown'; type: number; critical: boolean; body: Uint8Array };

export interface IkeMessage {
  header: IkeHeader;
  payloads: IkePayload[];
}
