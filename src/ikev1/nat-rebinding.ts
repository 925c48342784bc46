/**
 * NAT rebinding for IKEv1 (RFC 3947 §4: "if the IP address or port of the peer changes ... the
 * ISAKMP SA and the IPsec SAs are updated"; RFC 3948 §2.1 says the same of ESP): once a
 * message from the peer has authenticated (a phase 2, Informational or Transaction message
 * whose HASH verified, or ipsecd's SADB_X_NAT_T_NEW_MAPPING for an ESP packet that did), the
 * side that is not behind the NAT follows the peer's new address/port, as strongSwan's IKEv1
 * and esprit's IKEv2 (RFC 7296 §2.23) do. The side behind the NAT never moves on its own: its
 * peer's address does not change. Unauthenticated datagrams change nothing.
 */

import type { Endpoint } from '../ike/natd.js';
import { formatIp } from '../util/ip-addr.js';
import type { Ikev1Action } from './ikev1-actions.js';
import type { Ikev1Sa } from './ikev1-sa.js';

const same = (a: Endpoint, b: Endpoint): boolean =>
  a.port === b.port && a.address.length === b.address.length && a.address.every((x, i) => x === b.address[i]);

/**
 * Move `sa` and its CHILD SAs to the peer's `remote` when it is the one behind the NAT (or
 * NAT-T was forced with `encap`); `update-child` actions re-key nothing, they move the ESP
 * endpoints (PF_KEY UPDATE with the new address and X_NAT_T_DPORT). Cisco UDP CHILD SAs keep
 * their ports (ESP is not on the IKE port there; ipsecd follows their mapping by itself).
 * Returns whether anything moved.
 */
export function followPeer(
  sa: Ikev1Sa,
  remote: Endpoint,
  cause: 'ike' | 'esp',
  push: (a: Ikev1Action) => void,
): boolean {
  if (sa.state !== 'established' || same(sa.remote, remote)) return false;
  if (!(sa.remoteBehindNat || (sa.natt && sa.conn.encap))) return false;
  const from = sa.remote;
  sa.remote = { address: remote.address, port: remote.port };
  const text = (e: Endpoint) => ({ address: formatIp(e.address), port: e.port });
  push({
    kind: 'event',
    event: { kind: 'mapping-changed', conn: sa.conn.name, ikeId: sa.id, from: text(from), to: text(remote), cause },
  });
  for (const c of sa.children) {
    const p = c.plan;
    p.inbound.src = remote.address;
    p.outbound.dst = remote.address;
    if (p.encap && p.encap.framing !== 'cisco-udp') p.encap = { ...p.encap, remotePort: remote.port };
    push({ kind: 'update-child', plan: p });
  }
  return true;
}

/** Answers to the message that moved the peer (an R-U-THERE-ACK, QM2) go to its new endpoint. */
export function retarget(actions: Ikev1Action[], from: number, old: Endpoint, now: Endpoint): void {
  for (let i = from; i < actions.length; i++) {
    const a = actions[i];
    if (a?.kind === 'send' && a.remote === old) actions[i] = { ...a, remote: now };
  }
}
