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

/** Where the older IKE SAs of the same connection and identities are found. */
export interface DuplicateFinder {
  duplicates(sa: IkeSa): IkeSa[];
}

const NOTHING: UniqueVerdict = { accept: true, replace: [] };

/**
 * The verdict for `sa`, whose peer just authenticated. `no` without INITIAL_CONTACT and
 * `never` keep every older IKE SA: then nothing is looked up (O(1) per IKE_AUTH however many
 * IKE SAs are up); otherwise `index` finds the duplicates by identity.
 */
export function applyUniqueness(sa: IkeSa, index: DuplicateFinder, initialContact: boolean): UniqueVerdict {
  const policy = sa.conn?.unique ?? 'no';
  if (policy === 'never' || !sa.remoteId || (policy === 'no' && !initialContact)) return NOTHING;
  const dupes = index.duplicates(sa);
  if (dupes.length === 0) return NOTHING;
  if (policy === 'keep') return { accept: false, reason: `unique = keep: '${peerName(sa)}' already has an IKE SA` };
  return { accept: true, replace: dupes };
}

/** The peer's identity as `unique` compares it: its EAP identity when it used EAP. */
const peerName = (sa: IkeSa): string => sa.remoteEapId ?? (sa.remoteId ? formatIdentity(sa.remoteId) : '');

/** Connection, our identity and the peer's: what makes two IKE SAs duplicates. */
export const uniquenessKey = (sa: IkeSa): string =>
  `${sa.conn?.name ?? ''}\n${sa.localId ? formatIdentity(sa.localId) : ''}\n${peerName(sa)}`;

/**
 * The IKE SAs that were established, by uniquenessKey (each formatted once, when added). The
 * engine adds an IKE SA when it is established or takes over from a rekeyed one, and removes it
 * when it is destroyed; duplicates() returns only those still established.
 */
export class UniquenessIndex implements DuplicateFinder {
  private readonly byKey = new Map<string, Set<IkeSa>>();
  private readonly keys = new Map<IkeSa, string>();

  add(sa: IkeSa): void {
    if (this.keys.has(sa)) return;
    const key = uniquenessKey(sa);
    this.keys.set(sa, key);
    let set = this.byKey.get(key);
    if (!set) {
      set = new Set();
      this.byKey.set(key, set);
    }
    set.add(sa);
  }

  remove(sa: IkeSa): void {
    const key = this.keys.get(sa);
    if (key === undefined) return;
    this.keys.delete(sa);
    const set = this.byKey.get(key);
    set?.delete(sa);
    if (set?.size === 0) this.byKey.delete(key);
  }

  duplicates(sa: IkeSa): IkeSa[] {
    const set = this.byKey.get(uniquenessKey(sa));
    if (!set) return [];
    return [...set].filter((o) => o !== sa && o.lifecycle.state === 'established');
  }

  /** IKE SAs indexed (gone ones are removed: a test's check that nothing is kept) */
  get size(): number {
    return this.keys.size;
  }
}
