/** Why the IKEv2 engine dropped a received datagram (its counters, `Ikev2Engine.drops`; STYLE.md §3.5). */
export type DropReason =
  | 'malformed'
  | 'unknown-spi'
  | 'wrong-role'
  | 'outside-window'
  | 'icv'
  | 'inner-syntax'
  | 'unexpected-response'
  | 'cookie-limit'
  | 'unsupported-exchange'
  /** RFC 7383 §2.6: a duplicate, a fragment of an abandoned try, too many or too big, or fragments unwanted */
  | 'fragment-duplicate'
  | 'fragment-stale'
  | 'fragment-limit'
  | 'fragment-unsupported';
