/**
 * Finding the pre-shared key for a pair of identities in `secrets` (swanctl.conf `ike-*`
 * sections), for IKEv1 and IKEv2 alike.
 */
import type { SharedSecret } from '../config/swanctl/swanctl-model.js';
import { type IkeId, idMatches } from './identity.js';

/**
 * The best secret for identities `a` and `b`: a secret naming both identities wins over one
 * matching one, which wins over a secret without ids (strongSwan's ID_MATCH ranking, reduced
 * to three levels).
 */
export function findSharedSecret(secrets: readonly SharedSecret[], a: IkeId, b: IkeId): Uint8Array | undefined {
  let best: { score: number; secret: Uint8Array } | undefined;
  for (const s of secrets) {
    let score: number;
    if (s.ids.length === 0) score = 1;
    else {
      const ma = s.ids.some((id) => idMatches(id, a));
      const mb = s.ids.some((id) => idMatches(id, b));
      if (!ma && !mb) continue;
      score = ma && mb ? 3 : 2;
    }
    if (!best || score > best.score) best = { score, secret: s.secret };
  }
  return best?.secret;
}
