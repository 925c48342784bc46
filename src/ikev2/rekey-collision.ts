/**
 * Simultaneous rekeying (RFC 7296 §2.8.1 for CHILD SAs, §2.8.2 for the IKE SA): when both
 * peers rekey the same SA at once, each answers the other's request as usual and notes the
 * collision; once its own exchange is over it compares the four nonces of the two exchanges.
 * "The SA created with the lowest of the four nonces used in the two exchanges SHOULD be
 * closed by the endpoint that created it", and "the node that initiated the surviving
 * rekeyed SA should delete the replaced SA". Both peers see the same four nonces, so they
 * agree on the survivor without another message.
 */

/**
 * §2.8.1: "Lowest" is an octet-by-octet comparison, not a comparison of integers; "if you
 * reach the end of one nonce, that nonce is the lower one". Negative when a < b.
 */
export function compareNonces(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const lowest = (x: Uint8Array, y: Uint8Array): Uint8Array => (compareNonces(x, y) <= 0 ? x : y);

/**
 * True when our exchange (the one we initiated) holds the lowest of the four nonces: the SA
 * it made is the redundant one, and we close it; otherwise the peer closes its own.
 */
export function ourExchangeIsRedundant(
  ours: { nonceI: Uint8Array; nonceR: Uint8Array },
  theirs: { nonceI: Uint8Array; nonceR: Uint8Array },
): boolean {
  return compareNonces(lowest(ours.nonceI, ours.nonceR), lowest(theirs.nonceI, theirs.nonceR)) < 0;
}
