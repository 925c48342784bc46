/** PF_KEY v2 wire codec (RFC 2367 + NAT-T extensions), Linux and KAME dialects. */
export * from './constants.js';
export { decodePfkeyMessage } from './decode.js';
export { encodePfkeyMessage } from './encode.js';
export { indexExtensions, type PfkeyExtIndex } from './ext-index.js';
export { decodeSockAddr, encodeSockAddr, sockAddrLength } from './sockaddr.js';
export { type PfkeyStreamSplit, splitPfkeyStream } from './stream.js';
export type * from './types.js';
