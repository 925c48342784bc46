/**
 * The lifetimes of a phase 2 SA pair (RFC 2409 §5.5 has no rekey exchange: a new Quick Mode
 * replaces the pair before it expires, started by either side).
 *
 * - Hard: the lower of the lifetime proposed in QM1 and the child's `life_time`, and of the
 *   responder's RESPONDER-LIFETIME (RFC 2407 §4.6.3.1) when the initiator got one in QM2.
 * - The responder that lowers the proposed lifetime says so in QM2 with RESPONDER-LIFETIME
 *   (§4.6.3.1: "the responder MAY ... use a shorter lifetime").
 * - Soft (ipsecd's soft EXPIRE starts the rekey): the Quick Mode initiator at `rekey_time`, or
 *   at 90 % of the hard lifetime when that is not before it (a RESPONDER-LIFETIME made it short);
 *   the responder half-way between that point and the hard lifetime, so it rekeys only when
 *   the initiator did not (a peer that ignores RESPONDER-LIFETIME, or one that never rekeys).
 *   A CHILD SA the peer has already replaced is not rekeyed (phase2-exchanges.ts marks it).
 */
import type { ChildConfig } from '../config/swanctl/swanctl-model.js';

const REKEY_SHARE = 0.9;

export interface Phase2Lifetime {
  softSeconds: number;
  hardSeconds: number;
}

/** `proposed`: the lifetime of the transform chosen; `responderSeconds`: a RESPONDER-LIFETIME received. */
export function phase2Lifetime(
  initiator: boolean,
  child: ChildConfig,
  proposed: number,
  responderSeconds?: number,
): Phase2Lifetime {
  const hard = Math.min(proposed, child.lifeTime || proposed, responderSeconds ?? proposed);
  if (child.rekeyTime <= 0) return { softSeconds: 0, hardSeconds: hard };
  const initiatorPoint = child.rekeyTime < hard ? child.rekeyTime : Math.floor(hard * REKEY_SHARE);
  const soft = initiator ? initiatorPoint : Math.floor((initiatorPoint + hard) / 2);
  return { softSeconds: soft > 0 && soft < hard ? soft : 0, hardSeconds: hard };
}

/** Does the responder lower the proposed lifetime (and send RESPONDER-LIFETIME in QM2)? */
export function responderLowers(child: ChildConfig, proposed: number): number | undefined {
  return child.lifeTime > 0 && child.lifeTime < proposed ? child.lifeTime : undefined;
}
