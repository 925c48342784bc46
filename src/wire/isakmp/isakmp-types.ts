/**
 * The decoded shape of an ISAKMP (IKEv1) message (RFC 2408 §3). Codec: isakmp-decode.ts /
 * isakmp-encode.ts. An encrypted message (header flag E, RFC 2408 §3.1) keeps its body as
 * bytes in `encrypted`; after decryption the payloads are decoded with
 * `decodeIsakmpPayloadChain(header.nextPayload, plaintext, { padded: true })`.
 */

export interface IsakmpHeader {
  /** Initiator cookie CKY-I (RFC 2408 §3.1), as IKEv2 names its SPIs */
  spiI: bigint;
  /** Responder cookie CKY-R */
  spiR: bigint;
  /** first payload type */
  nextPayload: number;
  majorVersion: number;
  minorVersion: number;
  exchangeType: number;
  /** raw flags byte (IsakmpFlag bits) */
  flags: number;
  messageId: number;
  /** total message length from the header */
  length: number;
}

/**
 * RFC 2408 §3.3 data attribute. AF=1 is the basic TV form (2-octet value); AF=0 is the
 * variable TLV form. The form is kept so that a decoded attribute encodes to the same bytes.
 */
export interface DataAttribute {
  type: number;
  form: 'tv' | 'tlv';
  value: Uint8Array;
}

/** RFC 2408 §3.6 transform substructure. */
export interface IsakmpTransform {
  number: number;
  /** transform ID: KEY_IKE for ISAKMP, ESP_AES etc. for ESP (RFC 2407 §4.4) */
  id: number;
  attributes: DataAttribute[];
}

/** RFC 2408 §3.5 proposal substructure. */
export interface IsakmpProposal {
  number: number;
  protocolId: number;
  /** empty for ISAKMP in phase 1, 4 octets for ESP/AH, 2 for IPComp CPIs */
  spi: Uint8Array;
  transforms: IsakmpTransform[];
}

/** RFC 2408 §3.14 notification. */
export interface IsakmpNotify {
  kind: 'N';
  doi: number;
  protocolId: number;
  spi: Uint8Array;
  notifyType: number;
  data: Uint8Array;
}

export type IsakmpPayload =
  /** §3.4, with RFC 2407 §4.2 situation (4 octets, IPSEC DOI only) */
  | { kind: 'SA'; doi: number; situation: number; proposals: IsakmpProposal[] }
  | { kind: 'KE'; keyData: Uint8Array }
  /** §3.8 with the RFC 2407 §4.6.2 DOI-specific fields */
  | { kind: 'ID'; idType: number; protocolId: number; port: number; data: Uint8Array }
  | { kind: 'CERT'; encoding: number; data: Uint8Array }
  | { kind: 'CR'; encoding: number; data: Uint8Array }
  | { kind: 'HASH'; data: Uint8Array }
  | { kind: 'SIG'; data: Uint8Array }
  | { kind: 'No'; nonce: Uint8Array }
  | IsakmpNotify
  /** §3.15 */
  | { kind: 'D'; doi: number; protocolId: number; spiSize: number; spis: Uint8Array[] }
  | { kind: 'V'; data: Uint8Array }
  /** mode-cfg-05 §3.2 attribute payload */
  | { kind: 'ATTR'; cfgType: number; identifier: number; attributes: DataAttribute[] }
  /** RFC 3947 §3.2 (type 20) or the drafts' type 130 when `draft` */
  | { kind: 'NAT-D'; draft: boolean; hash: Uint8Array }
  /** RFC 3947 §5.2 (type 21) or the drafts' 131; idType 1 = IPv4 (4 octets), 5 = IPv6 (16) */
  | { kind: 'NAT-OA'; draft: boolean; idType: number; address: Uint8Array }
  /** Cisco IKE fragmentation (protocol-facts §1.4): number is 1-based, `last` is flag 0x01 */
  | { kind: 'FRAG'; fragmentId: number; fragmentNumber: number; last: boolean; data: Uint8Array }
  /** a payload type this codec does not know (RFC 2408 has no critical bit) */
  | { kind: 'unknown'; type: number; body: Uint8Array };

export interface IsakmpMessage {
  header: IsakmpHeader;
  /** cleartext payloads; empty when the message is encrypted */
  payloads: IsakmpPayload[];
  /** the ciphertext after the header when the E flag is set */
  encrypted?: Uint8Array;
}
