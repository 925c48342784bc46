/**
 * The uniqueness policy of a connection (swanctl.conf `unique`), applied by the responder when
 * a peer authenticates in IKE_AUTH, as strongSwan's ike_sa_manager does:
 *
 *   no       (default) older IKE SAs of the same identities are kept, unless the new
 *            IKE_AUTH carries INITIAL_CONTACT (RFC 7296 §3.16: "the sender has no other IKE
 *            SAs with the receiver"): then they are stale and deleted
 *   never    INITIAL_CONTACT is ignored; duplicates are always kept
 *   replace  older IKE SAs of the same identities are deleted
 *   keep     the new IKE SA is refused (AUTHENTICATION_FAILED) and the older one kept
 *
 * "Same identities": same connection, same local and remote identity (the EAP identity when
 * the peer authenticated with EAP, as strongSwan compares), established.
 */
import { formatIdentity } from '../ike/identity.js';
import type { IkeSa } from './ike-sa.js';

export type UniqueVerdict = { accept: true; replace: IkeSa[] } | { accept: false; reason: string };

export function applyUniqueness(sa: IkeSa, others: Iterable<IkeSa>, initialContact: boolean): UniqueVerdict {
  const policy = sa.conn?.unique ?? 'no';
  if (policy === 'never' || !sa.remoteId) return { accept: true, replace: [] };
  const peerName = (x: IkeSa): string => x.remoteEapId ?? (x.remoteId ? formatIdentity(x.remoteId) : '');
  const remote = peerName(sa);
  const local = sa.localId ? formatIdentity(sa.localId) : '';
  const dupes: IkeSa[] = [];
  for (const o of others) {
    if (o === sa || o.conn?.name !== sa.conn?.name || o.lifecycle.state !== 'established') continue;
    if (peerName(o) !== remote) continue;
    if ((o.localId ? formatIdentity(o.localId) : '') !== local) continue;
    dupes.push(o);
  }
  if (dupes.length === 0) return { accept: true, replace: [] };
  if (policy === 'keep') return { accept: false, reason: `unique = keep: '${remote}' already has an IKE SA` };
  if (policy === 'replace' || initialContact) return { accept: true, replace: dupes };
  return { accept: true, replace: [] };
}
