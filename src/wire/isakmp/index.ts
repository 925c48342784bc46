/** Public API of the ISAKMP (IKEv1) message codec (RFC 2408 §3, RFC 3947, mode-cfg, Cisco fragments). */
export {
  attributeNumber,
  dataAttributesLength,
  decodeDataAttributes,
  encodeDataAttribute,
  numberAttribute,
  tvAttribute,
} from './data-attribute.js';
export {
  decodeIsakmpHeader,
  decodeIsakmpMessage,
  decodeIsakmpPayloadChain,
  ISAKMP_HEADER_LENGTH,
} from './isakmp-decode.js';
export {
  encodeIsakmpEncrypted,
  encodeIsakmpMessage,
  encodeIsakmpPayloadChain,
  type IsakmpHeaderFields,
  isakmpPayloadType,
} from './isakmp-encode.js';
export { summarizeIsakmp } from './isakmp-summary.js';
export * from './isakmp-types.js';
