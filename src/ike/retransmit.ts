/**
 * The IKE retransmission schedule (RFC 7296 §2.1: the initiator retransmits, the responder
 * never does on its own), in strongSwan's form (task_manager.c retransmission_timeout,
 * strongswan.conf(5) charon.retransmit_*):
 *
 *   timeout(n) = retransmit_timeout * retransmit_base ^ n      (n = 0 for the first send)
 *
 * capped by retransmit_limit when set, reduced by up to retransmit_jitter percent, and given
 * up after retransmit_tries retransmissions (the message is then sent tries + 1 times). The
 * defaults are strongSwan's: 4 s, base 1.8, 5 tries, no jitter, no limit, so a peer is given
 * up 4 + 7.2 + 12.96 + 23.33 + 41.99 + 75.58 = 165 s after the first send.
 */
export interface RetransmitSettings {
  /** first timeout, ms */
  readonly timeoutMs: number;
  readonly base: number;
  /** retransmissions before giving up */
  readonly tries: number;
  /** upper bound of one timeout, ms (0 = none) */
  readonly limitMs: number;
  /** percent by which a timeout is randomly reduced (0..100) */
  readonly jitterPercent: number;
}

export const DEFAULT_RETRANSMIT: RetransmitSettings = {
  timeoutMs: 4000,
  base: 1.8,
  tries: 5,
  limitMs: 0,
  jitterPercent: 0,
};

/**
 * How long to wait after send number `n` (0-based) before the next one, or undefined when
 * `n` was the last try and the exchange has failed. `random01` (a value in [0,1), from the
 * injected Rng) spreads the jitter; without jitter it is ignored.
 */
export function retransmitTimeout(
  n: number,
  s: RetransmitSettings = DEFAULT_RETRANSMIT,
  random01 = 0,
): number | undefined {
  if (!Number.isInteger(n) || n < 0 || n > s.tries) return undefined;
  let t = s.timeoutMs * s.base ** n;
  if (s.limitMs > 0) t = Math.min(t, s.limitMs);
  if (s.jitterPercent > 0) t -= t * (s.jitterPercent / 100) * random01;
  return Math.round(t);
}
