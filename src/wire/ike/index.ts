/** Public API of the IKEv2 message codec (RFC 7296 §3, RFC 7383 §2.5). */
export { decodeIkeHeader, decodeIkeMessage, decodeIkePayloadChain, IKE_HEADER_LENGTH } from './ike-decode.js';
export {
  encodeIkeMessage,
  encodeIkePayloadChain,
  encodeSkfPrefix,
  encodeSkPrefix,
  type IkeHeaderFields,
  payloadType,
} from './ike-encode.js';
export { summarizeIke } from './ike-summary.js';
export * from './ike-types.js';
