/**
 * Following the peer's address and port (RFC 7296 §2.23): after IKE_AUTH's float to 4500, and
 * when the peer behind a NAT is re-mapped (an authenticated IKE message, or ipsecd's
 * SADB_X_NAT_T_NEW_MAPPING for ESP). The IKE SA and every CHILD SA move together. With MOBIKE
 * only UPDATE_SA_ADDRESSES moves the IKE SA (RFC 4555 §3.8, mobike.ts).
 */
import type { Endpoint } from '../ike/natd.js';
import { formatIp } from '../util/ip-addr.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';

export const endpointText = (e: Endpoint): { address: string; port: number } => ({
  address: formatIp(e.address),
  port: e.port,
});

/** §2.23: follow the peer's new address/port (only after authentication). */
export function moveRemote(ctx: Ikev2Context, sa: IkeSa, remote: Endpoint, cause: 'ike' | 'esp'): void {
  if (sa.remote.port === remote.port && formatIp(sa.remote.address) === formatIp(remote.address)) return;
  const from = sa.remote;
  sa.remote = remote;
  ctx.event({
    kind: 'mapping-changed',
    conn: sa.name,
    ikeId: sa.id,
    from: endpointText(from),
    to: endpointText(remote),
    cause,
  });
  for (const c of sa.children) {
    c.plan.inbound.src = remote.address;
    c.plan.outbound.dst = remote.address;
    if (c.plan.encap) c.plan.encap = { localPort: sa.local.port, remotePort: remote.port };
    ctx.emit({ kind: 'update-child', plan: c.plan });
  }
}

/** After a message authenticated: the port float of IKE_AUTH, or a NAT rebinding later. */
export function followPeer(ctx: Ikev2Context, sa: IkeSa, local: Endpoint, remote: Endpoint): void {
  sa.lastInbound = ctx.clock.now();
  if (sa.lifecycle.state !== 'established') {
    sa.local = { address: sa.local.address, port: local.port };
    sa.remote = remote;
    return;
  }
  // Only the side not behind a NAT follows (§2.23); a peer behind a NAT may be re-mapped.
  // With MOBIKE only UPDATE_SA_ADDRESSES moves the IKE SA (RFC 4555 §3.8).
  if ((sa.remoteBehindNat || sa.natFaked) && !sa.mobike) moveRemote(ctx, sa, remote, 'ike');
}
